//! The settings [`SealerBuilder`](crate::SealerBuilder) and
//! [`SessionConfigBuilder`](crate::SessionConfigBuilder) share, and their
//! setters, written once.
//!
//! A `SessionConfigBuilder` wraps a `SealerBuilder`; both builders get the
//! setters below from one macro, so the names, the documentation and the
//! bodies cannot drift apart. What only one builder has (cookie attributes,
//! chunking, the save policy) and `with_max_cookie_bytes`, whose limit is per
//! value for a `Sealer` and per cookie for a `SessionConfig`, stay with that
//! builder.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use crate::clock::{Clock, SystemClock, UnixSeconds};
use crate::seal::{
    DEFAULT_ABSOLUTE_TTL, DEFAULT_CLOCK_SKEW, DEFAULT_COOKIE_NAME, DEFAULT_IDLE_TIMEOUT,
};

/// The name, lifetimes, clock and not-before instant of a sealer.
#[derive(Debug, Clone)]
pub(crate) struct SealSettings {
    pub(crate) name: String,
    pub(crate) absolute_ttl: StdDuration,
    pub(crate) idle_timeout: Option<StdDuration>,
    pub(crate) clock_skew: StdDuration,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) not_before: UnixSeconds,
}

impl Default for SealSettings {
    fn default() -> Self {
        Self {
            name: DEFAULT_COOKIE_NAME.to_owned(),
            absolute_ttl: DEFAULT_ABSOLUTE_TTL,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            clock_skew: DEFAULT_CLOCK_SKEW,
            clock: Arc::new(SystemClock),
            not_before: UnixSeconds::EPOCH,
        }
    }
}

/// The shared setters, as methods of a builder whose [`SealSettings`] is at
/// the field path given (`settings`, or `sealer.settings`).
macro_rules! shared_setters {
    ($($field:ident).+) => {
        /// The cookie name, bound into every sealed value as associated
        /// data: a value sealed for one name never opens under another.
        /// For a [`SessionConfig`](crate::SessionConfig), a `__Host-` name
        /// also requires `Secure`, `Path=/` and no `Domain`, and a
        /// `__Secure-` name requires `Secure` (checked when it is built).
        ///
        /// Default: `__Host-session`.
        pub fn with_cookie_name(mut self, name: impl Into<String>) -> Self {
            self.$($field).+.name = name.into();
            self
        }

        /// The absolute lifetime: a session expires this long after it was
        /// issued (or regenerated), however active it is. Re-sealing never
        /// extends it. Whole seconds; at least 1 second. A
        /// [`SessionConfig`](crate::SessionConfig) also sends it as the
        /// `Max-Age` of a new session's cookie.
        ///
        /// Default: 24 hours.
        pub fn with_absolute_ttl(mut self, ttl: std::time::Duration) -> Self {
            self.$($field).+.absolute_ttl = ttl;
            self
        }

        /// The idle timeout: a session expires this long after its last
        /// activity. Whole seconds; at least 1 second.
        ///
        /// Default: 30 minutes.
        pub fn with_idle_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.$($field).+.idle_timeout = Some(timeout);
            self
        }

        /// No idle timeout: only the absolute lifetime ends a session.
        ///
        /// # Security
        ///
        /// A stolen cookie then stays usable for the whole absolute lifetime
        /// even if its owner went away. Keep the absolute lifetime short.
        ///
        /// Default: an idle timeout of 30 minutes.
        pub fn without_idle_timeout(mut self) -> Self {
            self.$($field).+.idle_timeout = None;
            self
        }

        /// How far in the future an issue or activity time may be before a
        /// value is refused, to absorb clock differences between servers of
        /// a fleet.
        ///
        /// Default: 60 seconds.
        pub fn with_clock_skew(mut self, skew: std::time::Duration) -> Self {
            self.$($field).+.clock_skew = skew;
            self
        }

        /// The clock that `seal`, `open` and session loading read (the
        /// `*_at` variants take the time as an argument instead). On
        /// `wasm32-unknown-unknown` the system clock is unavailable: pass a
        /// clock of your own (see the crate docs, "Edge runtimes").
        ///
        /// Default: [`SystemClock`](crate::SystemClock).
        pub fn with_clock(mut self, clock: impl crate::Clock + 'static) -> Self {
            self.$($field).+.clock = std::sync::Arc::new(clock);
            self
        }

        /// Refuses every session issued before `instant` (as
        /// [`OpenError::Revoked`](crate::OpenError::Revoked)): logs everyone
        /// out without rotating keys. Can also be moved later with
        /// [`Sealer::set_not_before`](crate::Sealer::set_not_before).
        ///
        /// Default: the Unix epoch (nothing refused).
        pub fn with_not_before(mut self, instant: crate::UnixSeconds) -> Self {
            self.$($field).+.not_before = instant;
            self
        }
    };
}
pub(crate) use shared_setters;
