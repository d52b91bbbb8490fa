//! Time: whole Unix seconds, the [`Clock`] trait, the system clock and a
//! fixed clock for tests and docs.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// An instant as whole seconds since the Unix epoch (1970-01-01 00:00:00 UTC).
///
/// Every timestamp the crate seals or reports is a `UnixSeconds`. Arithmetic
/// is checked: nothing wraps around.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::UnixSeconds;
///
/// let t = UnixSeconds::new(1_700_000_000);
/// assert_eq!(t.checked_add(Duration::from_secs(60)), Some(UnixSeconds::new(1_700_000_060)));
/// assert_eq!(UnixSeconds::new(u64::MAX).checked_add(Duration::from_secs(1)), None);
/// assert_eq!(t.to_datetime().map(|d| d.year()), Some(2023));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UnixSeconds(u64);

impl UnixSeconds {
    /// The Unix epoch itself.
    pub const EPOCH: Self = Self(0);

    /// An instant `secs` seconds after the Unix epoch.
    #[must_use]
    pub const fn new(secs: u64) -> Self {
        Self(secs)
    }

    /// The number of seconds since the Unix epoch.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// The instant `span` later (whole seconds; sub-second parts are dropped),
    /// or `None` on overflow.
    #[must_use]
    pub fn checked_add(self, span: StdDuration) -> Option<Self> {
        self.0.checked_add(span.as_secs()).map(Self)
    }

    /// The instant `span` earlier (whole seconds), or `None` before the epoch.
    #[must_use]
    pub fn checked_sub(self, span: StdDuration) -> Option<Self> {
        self.0.checked_sub(span.as_secs()).map(Self)
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    #[must_use]
    pub fn saturating_since(self, earlier: Self) -> StdDuration {
        StdDuration::from_secs(self.0.saturating_sub(earlier.0))
    }

    /// This instant as a UTC date and time, or `None` if it is beyond the
    /// range the `time` crate represents (after the year 9999).
    #[must_use]
    pub fn to_datetime(self) -> Option<OffsetDateTime> {
        let secs = i64::try_from(self.0).ok()?;
        OffsetDateTime::from_unix_timestamp(secs).ok()
    }

    /// The whole seconds of `datetime`, or `None` before the Unix epoch.
    ///
    /// ```
    /// use sealed_session::UnixSeconds;
    /// use time::OffsetDateTime;
    ///
    /// assert_eq!(UnixSeconds::from_datetime(OffsetDateTime::UNIX_EPOCH), Some(UnixSeconds::EPOCH));
    /// ```
    #[must_use]
    pub fn from_datetime(datetime: OffsetDateTime) -> Option<Self> {
        u64::try_from(datetime.unix_timestamp()).ok().map(Self)
    }
}

impl fmt::Display for UnixSeconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// A source of the current time, in whole Unix seconds.
///
/// The crate reads time only through this trait, so tests can inject a
/// [`FixedClock`] and never sleep. Implementations must be cheap: the clock is
/// read once per sealed or opened value.
///
/// ```
/// use sealed_session::{Clock, FixedClock, UnixSeconds};
///
/// let clock = FixedClock::new(UnixSeconds::new(100));
/// assert_eq!(clock.now(), UnixSeconds::new(100));
/// ```
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> UnixSeconds;
}

/// The operating system's wall clock. Instants before the Unix epoch read as
/// the epoch itself.
///
/// ```
/// use sealed_session::{Clock, SystemClock};
///
/// assert!(SystemClock.now().as_secs() > 1_600_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixSeconds {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        UnixSeconds(secs)
    }
}

/// A clock that stands still until told to move: for tests and examples.
///
/// Clones share one time, so a test can hand a clone to a configuration and
/// keep one to move the time.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::{Clock, FixedClock, UnixSeconds};
///
/// let clock = FixedClock::new(UnixSeconds::new(1_000));
/// let shared = clock.clone();
/// clock.advance(Duration::from_secs(30));
/// assert_eq!(shared.now(), UnixSeconds::new(1_030));
/// clock.set(UnixSeconds::new(5));
/// assert_eq!(shared.now(), UnixSeconds::new(5));
/// ```
#[derive(Debug, Clone, Default)]
pub struct FixedClock {
    secs: Arc<AtomicU64>,
}

impl FixedClock {
    /// A clock showing `now`.
    #[must_use]
    pub fn new(now: UnixSeconds) -> Self {
        Self {
            secs: Arc::new(AtomicU64::new(now.0)),
        }
    }

    /// Shows `now` from here on.
    pub fn set(&self, now: UnixSeconds) {
        self.secs.store(now.0, Ordering::SeqCst);
    }

    /// Moves the time forward by the whole seconds of `span` (saturating at
    /// the largest instant).
    pub fn advance(&self, span: StdDuration) {
        let add = span.as_secs();
        // `fetch_update` with a closure that always returns `Some` cannot fail.
        let _ = self
            .secs
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
                Some(s.saturating_add(add))
            });
    }
}

impl Clock for FixedClock {
    fn now(&self) -> UnixSeconds {
        UnixSeconds(self.secs.load(Ordering::SeqCst))
    }
}
