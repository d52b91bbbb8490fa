//! [`Sealer`]: `seal` and `open` between an application's `T` and a cookie
//! value. Associated data, XChaCha20-Poly1305, and postcard only after
//! authentication.

use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::clock::{Clock, SystemClock, UnixSeconds};
use crate::error::{ConfigError, OpenError, SealError};
use crate::format::{
    self, BASE64, DEFAULT_MAX_COOKIE_BYTES, ENVELOPE_OVERHEAD_BYTES, FORMAT_VERSION, HEADER_LEN,
    KEY_ID_LEN, NONCE_LEN, SESSION_ID_LEN, TAG_LEN, VERSION_LEN,
};
use crate::key::KeyId;
use crate::keyring::Keyring;
use crate::meta::{Opened, SessionId, SessionMeta};

/// The default cookie name.
pub const DEFAULT_COOKIE_NAME: &str = "__Host-session";
/// The default absolute lifetime of a session: 24 hours.
pub const DEFAULT_ABSOLUTE_TTL: StdDuration = StdDuration::from_secs(24 * 60 * 60);
/// The default idle timeout: 30 minutes.
pub const DEFAULT_IDLE_TIMEOUT: StdDuration = StdDuration::from_secs(30 * 60);
/// The default clock-skew allowance: 60 seconds.
pub const DEFAULT_CLOCK_SKEW: StdDuration = StdDuration::from_secs(60);
/// The longest lifetime, idle timeout or skew allowance a configuration
/// accepts: 100 years.
pub const MAX_LIFETIME: StdDuration = StdDuration::from_secs(36_525 * 24 * 60 * 60);

/// The largest postcard header of the plaintext: three `u64` varints of at
/// most 10 bytes each and the session id.
const MAX_PLAIN_HEADER_LEN: usize = 3 * 10 + SESSION_ID_LEN;

/// Envelopes up to this size are built and opened in a buffer on the stack;
/// larger ones (sessions of over ~400 bytes) in one on the heap. A typical
/// session's envelope is about 150 bytes.
const STACK_ENVELOPE_BYTES: usize = 512;

/// Seals an application's data into cookie values and opens them again.
///
/// A `Sealer` is configured once, with the keyring, the cookie name (bound
/// into every value, so a value cannot be moved to another cookie), the
/// lifetimes and the size limit. It is cheap to clone (one reference count)
/// and `Send + Sync`, so one instance serves every thread.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sealed_session::{Key, KeyId, Keyring, Sealer};
///
/// #[derive(Serialize, Deserialize, PartialEq, Debug)]
/// struct Login { user_id: u64, name: String }
///
/// let keyring = Keyring::new(KeyId::new(1), Key::generate());
/// let sealer = Sealer::builder(keyring).build()?;
///
/// let value = sealer.seal(&Login { user_id: 7, name: "ada".into() })?;
/// let opened = sealer.open::<Login>(&value)?;
/// assert_eq!(opened.payload, Login { user_id: 7, name: "ada".into() });
///
/// // Anything else is refused.
/// let mut forged = value.clone();
/// forged.replace_range(60..61, if &value[60..61] == "A" { "B" } else { "A" });
/// assert!(sealer.open::<Login>(&forged).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Sealer {
    inner: Arc<Inner>,
}

struct Inner {
    keyring: Keyring,
    name: Box<str>,
    absolute_ttl: StdDuration,
    idle_timeout: Option<StdDuration>,
    clock_skew: StdDuration,
    max_cookie_bytes: usize,
    clock: Arc<dyn Clock>,
    /// Sessions issued before this instant (Unix seconds) are refused.
    not_before: AtomicU64,
}

/// Builds a [`Sealer`]; every setting has a safe default.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::{Key, KeyId, Keyring, Sealer};
///
/// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate()))
///     .with_cookie_name("__Host-app")
///     .with_absolute_ttl(Duration::from_secs(8 * 3600))
///     .with_idle_timeout(Duration::from_secs(15 * 60))
///     .build()?;
/// assert_eq!(sealer.cookie_name(), "__Host-app");
/// # Ok::<(), sealed_session::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct SealerBuilder {
    keyring: Keyring,
    name: String,
    absolute_ttl: StdDuration,
    idle_timeout: Option<StdDuration>,
    clock_skew: StdDuration,
    max_cookie_bytes: usize,
    clock: Arc<dyn Clock>,
    not_before: UnixSeconds,
}

impl SealerBuilder {
    /// The cookie name, which is bound into every sealed value as associated
    /// data: a value sealed for one name never opens under another.
    ///
    /// Default: `__Host-session`.
    pub fn with_cookie_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The absolute lifetime: a session expires this long after it was
    /// issued (or regenerated), however active it is. Re-sealing never
    /// extends it. Whole seconds; at least 1 second.
    ///
    /// Default: 24 hours.
    pub fn with_absolute_ttl(mut self, ttl: StdDuration) -> Self {
        self.absolute_ttl = ttl;
        self
    }

    /// The idle timeout: a session expires this long after its last
    /// activity. Whole seconds; at least 1 second.
    ///
    /// Default: 30 minutes.
    pub fn with_idle_timeout(mut self, timeout: StdDuration) -> Self {
        self.idle_timeout = Some(timeout);
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
        self.idle_timeout = None;
        self
    }

    /// How far in the future an issue or activity time may be before a value
    /// is refused, to absorb clock differences between servers of a fleet.
    ///
    /// Default: 60 seconds.
    pub fn with_clock_skew(mut self, skew: StdDuration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// The largest cookie, name plus value, in bytes. Sealing a larger value
    /// is an error; opening a larger one is refused before any decoding.
    ///
    /// Default: 4096, what browsers keep.
    pub fn with_max_cookie_bytes(mut self, limit: usize) -> Self {
        self.max_cookie_bytes = limit;
        self
    }

    /// The clock that `seal` and `open` read (the `*_at` variants take the
    /// time as an argument instead).
    ///
    /// Default: [`SystemClock`].
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Refuses every session issued before `instant` (as
    /// [`OpenError::Revoked`]): logs everyone out without rotating keys.
    /// Can also be moved later with [`Sealer::set_not_before`].
    ///
    /// Default: the Unix epoch (nothing refused).
    pub fn with_not_before(mut self, instant: UnixSeconds) -> Self {
        self.not_before = instant;
        self
    }

    /// Checks the settings together and builds the sealer.
    ///
    /// # Errors
    ///
    /// [`ConfigError::InvalidCookieName`] for a name that is not an RFC 6265
    /// token, [`ConfigError::InvalidLifetime`] for a zero lifetime or one
    /// over 100 years, [`ConfigError::LimitTooSmall`] for a size limit that
    /// cannot hold an empty session.
    pub fn build(self) -> Result<Sealer, ConfigError> {
        if !is_cookie_name(&self.name) || self.name.len() > usize::from(u16::MAX) {
            return Err(ConfigError::InvalidCookieName);
        }
        let lifetime_ok = |d: StdDuration| d.as_secs() >= 1 && d <= MAX_LIFETIME;
        if !lifetime_ok(self.absolute_ttl)
            || !self.idle_timeout.is_none_or(lifetime_ok)
            || self.clock_skew > MAX_LIFETIME
        {
            return Err(ConfigError::InvalidLifetime);
        }
        let minimum = min_cookie_bytes(self.name.len());
        if self.max_cookie_bytes < minimum {
            return Err(ConfigError::LimitTooSmall { minimum });
        }
        Ok(Sealer {
            inner: Arc::new(Inner {
                keyring: self.keyring,
                name: self.name.into_boxed_str(),
                absolute_ttl: StdDuration::from_secs(self.absolute_ttl.as_secs()),
                idle_timeout: self
                    .idle_timeout
                    .map(|d| StdDuration::from_secs(d.as_secs())),
                clock_skew: StdDuration::from_secs(self.clock_skew.as_secs()),
                max_cookie_bytes: self.max_cookie_bytes,
                clock: self.clock,
                not_before: AtomicU64::new(self.not_before.as_secs()),
            }),
        })
    }
}

/// The smallest limit (name plus value) that holds any session with an
/// empty payload under a name of `name_len` bytes.
pub(crate) const fn min_cookie_bytes(name_len: usize) -> usize {
    name_len + format::encoded_len(ENVELOPE_OVERHEAD_BYTES + MAX_PLAIN_HEADER_LEN)
}

/// Whether `name` is an RFC 6265 cookie name (an RFC 2616 token).
pub(crate) fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'(' | b')'
                        | b'<'
                        | b'>'
                        | b'@'
                        | b','
                        | b';'
                        | b':'
                        | b'\\'
                        | b'"'
                        | b'/'
                        | b'['
                        | b']'
                        | b'?'
                        | b'='
                        | b'{'
                        | b'}'
                )
        })
}

/// The plaintext as sealed: three timestamps, the session id, the payload.
#[derive(Serialize)]
struct PlainRef<'a, T: ?Sized> {
    issued_at: u64,
    last_active_at: u64,
    expires_at: u64,
    session_id: &'a [u8; SESSION_ID_LEN],
    payload: &'a T,
}

/// The plaintext's fixed part, decoded before the payload.
#[derive(Deserialize)]
struct PlainHeader {
    issued_at: u64,
    last_active_at: u64,
    expires_at: u64,
    session_id: [u8; SESSION_ID_LEN],
}

/// The timestamps and id that go into one sealed value.
pub(crate) struct Stamp<'a> {
    pub(crate) issued_at: UnixSeconds,
    pub(crate) last_active_at: UnixSeconds,
    pub(crate) expires_at: UnixSeconds,
    pub(crate) session_id: &'a SessionId,
}

impl Sealer {
    /// Starts a configuration with `keyring` and safe defaults for the rest.
    pub fn builder(keyring: Keyring) -> SealerBuilder {
        SealerBuilder {
            keyring,
            name: DEFAULT_COOKIE_NAME.to_owned(),
            absolute_ttl: DEFAULT_ABSOLUTE_TTL,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            clock_skew: DEFAULT_CLOCK_SKEW,
            max_cookie_bytes: DEFAULT_MAX_COOKIE_BYTES,
            clock: Arc::new(SystemClock),
            not_before: UnixSeconds::EPOCH,
        }
    }

    /// Seals `payload` as a **new** session issued now: a fresh random
    /// session id, issued-at and last activity now, expiry after the absolute
    /// lifetime. Uses the primary key.
    ///
    /// # Errors
    ///
    /// [`SealError::TooLarge`] if the cookie would exceed the size limit (it
    /// is never truncated), [`SealError::Serialize`] if postcard cannot
    /// serialize the payload, [`SealError::Random`] if the operating system's
    /// random number generator fails, [`SealError::TimeOverflow`] if the
    /// expiry does not fit in 64 bits.
    pub fn seal<T: Serialize + ?Sized>(&self, payload: &T) -> Result<String, SealError> {
        self.seal_at(payload, self.now())
    }

    /// [`Sealer::seal`] at the time `now` rather than the clock's.
    ///
    /// # Errors
    ///
    /// As [`Sealer::seal`].
    pub fn seal_at<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        now: UnixSeconds,
    ) -> Result<String, SealError> {
        let expires_at = now
            .checked_add(self.inner.absolute_ttl)
            .ok_or(SealError::TimeOverflow)?;
        // The session id and the nonce in one draw: one system call.
        let mut fresh = Zeroizing::new([0u8; SESSION_ID_LEN + NONCE_LEN]);
        crate::random::fill(&mut fresh[..]).map_err(|()| SealError::Random)?;
        let (id_bytes, nonce_bytes) = fresh.split_at(SESSION_ID_LEN);
        let mut id = [0u8; SESSION_ID_LEN];
        id.copy_from_slice(id_bytes);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(nonce_bytes);
        let session_id = SessionId::from_bytes(id);
        id.zeroize();
        let stamp = Stamp {
            issued_at: now,
            last_active_at: now,
            expires_at,
            session_id: &session_id,
        };
        self.seal_with_nonce(payload, &stamp, &nonce)
    }

    /// Seals a new session issued at `now` under the given id (drawn earlier,
    /// for example for a CSRF token).
    pub(crate) fn seal_new_with_id<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        session_id: &SessionId,
        now: UnixSeconds,
    ) -> Result<String, SealError> {
        let expires_at = now
            .checked_add(self.inner.absolute_ttl)
            .ok_or(SealError::TimeOverflow)?;
        let stamp = Stamp {
            issued_at: now,
            last_active_at: now,
            expires_at,
            session_id,
        };
        self.seal_stamped(payload, &stamp)
    }

    /// Seals `payload` as the **same** session `meta` describes, active now:
    /// the session id, issue time and absolute expiry are kept, the last
    /// activity becomes the later of now and the sealed last activity, and
    /// the primary key is used. This is how a
    /// session is saved after a change, refreshed against the idle timeout,
    /// or moved to a new primary key.
    ///
    /// # Errors
    ///
    /// [`SealError::Expired`] if the session is past its absolute expiry or
    /// its idle deadline at `now` (a session that timed out is not brought
    /// back), otherwise as [`Sealer::seal`].
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, Sealer, UnixSeconds};
    ///
    /// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let t0 = UnixSeconds::new(1_800_000_000);
    /// let first = sealer.open_at::<u32>(&sealer.seal_at(&1u32, t0)?, t0)?;
    /// let later = UnixSeconds::new(1_800_000_900);
    /// let value = sealer.reseal_at(&2u32, &first.meta, later)?;
    /// let second = sealer.open_at::<u32>(&value, later)?;
    /// assert_eq!(second.payload, 2);
    /// assert!(second.meta.session_id().ct_eq(first.meta.session_id()));
    /// assert_eq!(second.meta.issued_at(), t0);
    /// assert_eq!(second.meta.last_active_at(), later);
    /// assert_eq!(second.meta.expires_at(), first.meta.expires_at());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reseal_at<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        meta: &SessionMeta,
        now: UnixSeconds,
    ) -> Result<String, SealError> {
        if now >= meta.expires_at || meta.idle_expires_at.is_some_and(|idle| now >= idle) {
            return Err(SealError::Expired);
        }
        let stamp = Stamp {
            issued_at: meta.issued_at,
            last_active_at: now.max(meta.last_active_at),
            expires_at: meta.expires_at,
            session_id: &meta.session_id,
        };
        self.seal_stamped(payload, &stamp)
    }

    /// [`Sealer::reseal_at`] at the clock's time.
    ///
    /// # Errors
    ///
    /// As [`Sealer::reseal_at`].
    pub fn reseal<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        meta: &SessionMeta,
    ) -> Result<String, SealError> {
        self.reseal_at(payload, meta, self.now())
    }

    /// Opens a cookie value sealed by this configuration, at the clock's time.
    ///
    /// The value is authenticated before anything in it is decoded; then the
    /// timestamps are checked (absolute expiry, idle timeout, issue time not
    /// in the future beyond the skew allowance), and only then is the payload
    /// decoded as `T`, with no bytes left over.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] saying why; treat every one as "no session".
    pub fn open<T: DeserializeOwned>(&self, value: &str) -> Result<Opened<T>, OpenError> {
        self.open_at(value, self.now())
    }

    /// [`Sealer::open`] at the time `now` rather than the clock's.
    ///
    /// Boundaries, for a session issued at `i`, last active at `a`, expiring
    /// at `e`, with idle timeout `t` and skew allowance `s`: it opens while
    /// `now < e` and `now < a + t`, and while `i <= now + s` and
    /// `a <= now + s`.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] saying why; treat every one as "no session".
    pub fn open_at<T: DeserializeOwned>(
        &self,
        value: &str,
        now: UnixSeconds,
    ) -> Result<Opened<T>, OpenError> {
        let inner = &*self.inner;
        let actual = inner.name.len().saturating_add(value.len());
        if actual > inner.max_cookie_bytes {
            return Err(OpenError::TooLarge {
                actual,
                limit: inner.max_cookie_bytes,
            });
        }
        let exact = format::decoded_len(value.len()).ok_or(OpenError::Malformed)?;
        if exact < ENVELOPE_OVERHEAD_BYTES {
            return Err(OpenError::Malformed);
        }
        // The decoder asks for room for whole 3-byte groups. The buffer holds
        // the plaintext once the tag verifies, so it is zeroized on drop.
        let room = exact.div_ceil(3) * 3;
        let mut stack = Wiped([0u8; STACK_ENVELOPE_BYTES]);
        let mut heap = Wiped(Vec::new());
        let buf: &mut [u8] = match stack.0.get_mut(..room) {
            Some(buf) => buf,
            None => {
                heap.0.resize(room, 0);
                &mut heap.0
            }
        };
        let len = BASE64
            .decode_slice(value.as_bytes(), &mut *buf)
            .map_err(|_| OpenError::Malformed)?;
        let bytes = buf.get_mut(..len).ok_or(OpenError::Malformed)?;
        let envelope = format::parse(bytes)?;
        let key = inner
            .keyring
            .find(envelope.key_id)
            .ok_or(OpenError::UnknownKeyId)?;
        format::with_aad(
            envelope.version,
            envelope.key_id,
            inner.name.as_bytes(),
            |aad| {
                crate::cipher::open(
                    key.as_bytes(),
                    envelope.nonce,
                    aad,
                    &mut *envelope.body,
                    envelope.tag,
                )
            },
        )
        .map_err(|()| OpenError::AuthenticationFailed)?;
        // Authenticated from here on.
        let plain: &[u8] = envelope.body;
        let (header, rest) = postcard::take_from_bytes::<PlainHeader>(plain)
            .map_err(|_| OpenError::PayloadMismatch)?;
        let meta = self.check_times(&header, envelope.key_id, now)?;
        let (payload, extra) =
            postcard::take_from_bytes::<T>(rest).map_err(|_| OpenError::PayloadMismatch)?;
        if !extra.is_empty() {
            return Err(OpenError::PayloadMismatch);
        }
        Ok(Opened { payload, meta })
    }

    /// The cookie name bound into every value.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.inner.name
    }

    /// The keyring.
    #[must_use]
    pub fn keyring(&self) -> &Keyring {
        &self.inner.keyring
    }

    /// The absolute lifetime of a session.
    #[must_use]
    pub fn absolute_ttl(&self) -> StdDuration {
        self.inner.absolute_ttl
    }

    /// The idle timeout, if any.
    #[must_use]
    pub fn idle_timeout(&self) -> Option<StdDuration> {
        self.inner.idle_timeout
    }

    /// The clock-skew allowance.
    #[must_use]
    pub fn clock_skew(&self) -> StdDuration {
        self.inner.clock_skew
    }

    /// The largest cookie, name plus value, in bytes.
    #[must_use]
    pub fn max_cookie_bytes(&self) -> usize {
        self.inner.max_cookie_bytes
    }

    /// Sessions issued before this instant are refused as
    /// [`OpenError::Revoked`].
    #[must_use]
    pub fn not_before(&self) -> UnixSeconds {
        UnixSeconds::new(self.inner.not_before.load(Ordering::Relaxed))
    }

    /// Refuses, from now on, every session issued before `instant`: logs
    /// everyone out at once without rotating keys (on this instance; set the
    /// same instant on every server of a fleet, for example through
    /// [`SealerBuilder::with_not_before`] from shared configuration).
    /// Visible to every clone of this sealer.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, OpenError, Sealer, UnixSeconds};
    ///
    /// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let t0 = UnixSeconds::new(1_800_000_000);
    /// let value = sealer.seal_at(&"ada", t0)?;
    /// sealer.set_not_before(UnixSeconds::new(1_800_000_001));
    /// assert_eq!(sealer.open_at::<String>(&value, t0).err(), Some(OpenError::Revoked));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_not_before(&self, instant: UnixSeconds) {
        self.inner
            .not_before
            .store(instant.as_secs(), Ordering::Relaxed);
    }

    /// The current time by the configured clock.
    #[must_use]
    pub fn now(&self) -> UnixSeconds {
        self.inner.clock.now()
    }

    /// Seals with the primary key and a fresh random nonce.
    pub(crate) fn seal_stamped<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        stamp: &Stamp<'_>,
    ) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::random::fill(&mut nonce).map_err(|()| SealError::Random)?;
        self.seal_with_nonce(payload, stamp, &nonce)
    }

    /// Seals with the primary key and the given nonce. Only `seal_at`,
    /// `seal_stamped` and the crate's own tests call this: the public API
    /// never takes a nonce.
    ///
    /// The plaintext is serialized straight into a stack buffer; only when it
    /// does not fit is its size measured and a heap buffer used. Either
    /// buffer is zeroized on drop, whatever happens in between.
    fn seal_with_nonce<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        stamp: &Stamp<'_>,
        nonce: &[u8; NONCE_LEN],
    ) -> Result<String, SealError> {
        let plain = PlainRef {
            issued_at: stamp.issued_at.as_secs(),
            last_active_at: stamp.last_active_at.as_secs(),
            expires_at: stamp.expires_at.as_secs(),
            session_id: stamp.session_id.as_bytes(),
            payload,
        };
        let mut stack = Wiped([0u8; STACK_ENVELOPE_BYTES]);
        let room = stack
            .0
            .get_mut(HEADER_LEN..STACK_ENVELOPE_BYTES - TAG_LEN)
            .ok_or(SealError::Serialize)?;
        let plain_len = match postcard::to_slice(&plain, room) {
            Ok(body) => Some(body.len()),
            Err(postcard::Error::SerializeBufferFull) => None,
            Err(_) => return Err(SealError::Serialize),
        };
        if let Some(plain_len) = plain_len {
            let envelope = stack
                .0
                .get_mut(..ENVELOPE_OVERHEAD_BYTES + plain_len)
                .ok_or(SealError::Serialize)?;
            return self.finish_envelope(envelope, plain_len, nonce);
        }
        let plain_len = postcard::serialize_with_flavor::<_, _, usize>(
            &plain,
            postcard::ser_flavors::Size::default(),
        )
        .map_err(|_| SealError::Serialize)?;
        let total = ENVELOPE_OVERHEAD_BYTES
            .checked_add(plain_len)
            .ok_or(SealError::Serialize)?;
        self.check_size(total)?;
        let mut heap = Wiped(vec![0u8; total]);
        let body = heap
            .0
            .get_mut(HEADER_LEN..HEADER_LEN + plain_len)
            .ok_or(SealError::Serialize)?;
        postcard::to_slice(&plain, body).map_err(|_| SealError::Serialize)?;
        self.finish_envelope(&mut heap.0, plain_len, nonce)
    }

    /// Fails with [`SealError::TooLarge`] if an envelope of `total` bytes
    /// makes a cookie over the limit; returns the value's length otherwise.
    fn check_size(&self, total: usize) -> Result<usize, SealError> {
        let inner = &*self.inner;
        let value_len = format::encoded_len(total);
        let actual = inner.name.len().saturating_add(value_len);
        if actual > inner.max_cookie_bytes {
            return Err(SealError::TooLarge {
                actual,
                limit: inner.max_cookie_bytes,
            });
        }
        Ok(value_len)
    }

    /// Completes `envelope`, whose plaintext of `plain_len` bytes is in
    /// place after the header: writes the header, encrypts, appends the tag
    /// and encodes it as the cookie value.
    fn finish_envelope(
        &self,
        envelope: &mut [u8],
        plain_len: usize,
        nonce: &[u8; NONCE_LEN],
    ) -> Result<String, SealError> {
        let inner = &*self.inner;
        let value_len = self.check_size(envelope.len())?;
        let (key_id, key) = inner.keyring.primary();
        let (header, rest) = envelope.split_at_mut(HEADER_LEN);
        let (body, tag_out) = rest.split_at_mut(plain_len);
        write_header(header, key_id, nonce);
        // XChaCha20-Poly1305 refuses only plaintexts over 256 GiB, which the
        // size limit rules out; that refusal is still reported, never ignored.
        let tag = format::with_aad(FORMAT_VERSION, key_id, inner.name.as_bytes(), |aad| {
            crate::cipher::seal(key.as_bytes(), nonce, aad, body)
        })
        .map_err(|()| SealError::TooLarge {
            actual: inner.name.len().saturating_add(value_len),
            limit: inner.max_cookie_bytes,
        })?;
        tag_out.copy_from_slice(&tag);
        let mut out = String::with_capacity(value_len);
        BASE64.encode_string(&*envelope, &mut out);
        Ok(out)
    }

    fn check_times(
        &self,
        header: &PlainHeader,
        key_id: KeyId,
        now: UnixSeconds,
    ) -> Result<SessionMeta, OpenError> {
        let inner = &*self.inner;
        let issued_at = UnixSeconds::new(header.issued_at);
        let last_active_at = UnixSeconds::new(header.last_active_at);
        let sealed_expiry = UnixSeconds::new(header.expires_at);
        if last_active_at < issued_at || sealed_expiry <= issued_at {
            return Err(OpenError::InvalidTimestamps);
        }
        let horizon = now
            .checked_add(inner.clock_skew)
            .unwrap_or(UnixSeconds::new(u64::MAX));
        if issued_at > horizon || last_active_at > horizon {
            return Err(OpenError::IssuedInFuture);
        }
        if issued_at.as_secs() < inner.not_before.load(Ordering::Relaxed) {
            return Err(OpenError::Revoked);
        }
        let configured_expiry = issued_at
            .checked_add(inner.absolute_ttl)
            .unwrap_or(UnixSeconds::new(u64::MAX));
        let expires_at = sealed_expiry.min(configured_expiry);
        if now >= expires_at {
            return Err(OpenError::Expired);
        }
        let idle_expires_at = inner.idle_timeout.map(|t| {
            last_active_at
                .checked_add(t)
                .unwrap_or(UnixSeconds::new(u64::MAX))
                .min(expires_at)
        });
        if idle_expires_at.is_some_and(|idle| now >= idle) {
            return Err(OpenError::IdleTimeout);
        }
        Ok(SessionMeta {
            session_id: SessionId::from_bytes(header.session_id),
            issued_at,
            last_active_at,
            expires_at,
            idle_expires_at,
            key_id,
            needs_reseal: key_id != inner.keyring.primary_id(),
        })
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Sealer")
            .field("cookie_name", &inner.name)
            .field("keyring", &inner.keyring)
            .field("absolute_ttl", &inner.absolute_ttl)
            .field("idle_timeout", &inner.idle_timeout)
            .field("clock_skew", &inner.clock_skew)
            .field("max_cookie_bytes", &inner.max_cookie_bytes)
            .field("not_before", &self.not_before())
            .finish_non_exhaustive()
    }
}

fn write_header(header: &mut [u8], key_id: KeyId, nonce: &[u8; NONCE_LEN]) {
    let (version, rest) = header.split_at_mut(VERSION_LEN);
    let (id, nonce_out) = rest.split_at_mut(KEY_ID_LEN);
    version.copy_from_slice(&[FORMAT_VERSION]);
    id.copy_from_slice(&key_id.get().to_be_bytes());
    nonce_out.copy_from_slice(nonce);
}

/// A buffer that is zeroized when dropped, on every path out of a function
/// (unlike `Zeroizing`, it clears the bytes with one bulk write).
struct Wiped<B: AsMut<[u8]>>(B);

impl<B: AsMut<[u8]>> Drop for Wiped<B> {
    fn drop(&mut self) {
        self.0.as_mut().zeroize();
    }
}

#[cfg(test)]
mod tests {
    //! Deterministic sealing for the test vectors: the only place a nonce is
    //! fixed. `SEALED_SESSION_WRITE_VECTORS=1 cargo test vectors` rewrites
    //! `tests/vectors/v1.json`; otherwise the file must match exactly.
    use super::*;
    use crate::key::Key;
    use serde_json::{json, Value};

    #[derive(Serialize)]
    struct Login<'a> {
        user_id: u64,
        name: &'a str,
        admin: bool,
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn key_bytes(seed: u8) -> [u8; 32] {
        core::array::from_fn(|i| seed.wrapping_add(i as u8))
    }

    fn sealer(key_id: u32, seed: u8, name: &str) -> Sealer {
        let ring = Keyring::new(
            KeyId::new(key_id),
            Key::from_bytes(key_bytes(seed)).unwrap(),
        );
        Sealer::builder(ring)
            .with_cookie_name(name)
            .build()
            .unwrap()
    }

    const T0: u64 = 1_800_000_000;
    const DAY: u64 = 86_400;

    fn nonce_for(id: u32) -> [u8; NONCE_LEN] {
        core::array::from_fn(|i| 0x40 + i as u8 + id as u8)
    }

    fn sid() -> [u8; SESSION_ID_LEN] {
        core::array::from_fn(|i| 0xA0 + i as u8)
    }

    /// Seals with explicit timestamps and the nonce of vector `id`.
    fn seal_fixed<T: Serialize + ?Sized>(
        id: u32,
        sealer: &Sealer,
        times: (u64, u64, u64),
        payload: &T,
    ) -> String {
        let session_id = SessionId::from_bytes(sid());
        let stamp = Stamp {
            issued_at: UnixSeconds::new(times.0),
            last_active_at: UnixSeconds::new(times.1),
            expires_at: UnixSeconds::new(times.2),
            session_id: &session_id,
        };
        sealer
            .seal_with_nonce(payload, &stamp, &nonce_for(id))
            .unwrap()
    }

    #[allow(clippy::too_many_arguments)]
    fn seal_vector<T: Serialize + ?Sized>(
        id: u32,
        comment: &str,
        key_id: u32,
        name: &str,
        times: (u64, u64, u64),
        payload_type: &str,
        payload_json: Value,
        payload: &T,
    ) -> Value {
        let sealer = sealer(key_id, 0x00, name);
        let value = seal_fixed(id, &sealer, times, payload);
        let plain = postcard::to_allocvec(&PlainRef {
            issued_at: times.0,
            last_active_at: times.1,
            expires_at: times.2,
            session_id: &sid(),
            payload,
        })
        .unwrap();
        let aad = format::with_aad(1, KeyId::new(key_id), name.as_bytes(), <[u8]>::to_vec);
        json!({
            "id": id,
            "kind": "seal",
            "comment": comment,
            "key_id": key_id,
            "key_hex": hex(&key_bytes(0x00)),
            "cookie_name": name,
            "nonce_hex": hex(&nonce_for(id)),
            "issued_at": times.0,
            "last_active_at": times.1,
            "expires_at": times.2,
            "session_id_hex": hex(&sid()),
            "payload_type": payload_type,
            "payload": payload_json,
            "payload_hex": hex(&postcard::to_allocvec(payload).unwrap()),
            "plaintext_hex": hex(&plain),
            "aad_hex": hex(&aad),
            "cookie_value": value,
            "now": times.1 + 60,
        })
    }

    /// An opening case under the default settings unless `idle` says
    /// otherwise.
    fn open_vector(
        id: u32,
        comment: &str,
        name: &str,
        value: &str,
        now: u64,
        idle: Option<u64>,
        expect: &str,
    ) -> Value {
        json!({
            "id": id,
            "kind": "open",
            "comment": comment,
            "key_id": 1,
            "key_hex": hex(&key_bytes(0x00)),
            "cookie_name": name,
            "absolute_ttl": DAY,
            "idle_timeout": idle,
            "clock_skew": 60,
            "max_cookie_bytes": 4096,
            "payload_type": "login",
            "now": now,
            "cookie_value": value,
            "expect": expect,
        })
    }

    fn build_vectors() -> Value {
        let name = DEFAULT_COOKIE_NAME;
        let std_times = (T0, T0 + 60, T0 + DAY);
        let long: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let login = Login {
            user_id: 7,
            name: "ada",
            admin: true,
        };
        let login_json = json!({"user_id": 7, "name": "ada", "admin": true});
        let mut vectors = vec![
            seal_vector(
                1,
                "empty payload (unit)",
                1,
                name,
                std_times,
                "unit",
                json!(null),
                &(),
            ),
            seal_vector(
                2,
                "u32 payload",
                1,
                name,
                std_times,
                "u32",
                json!(42),
                &42u32,
            ),
            seal_vector(
                3,
                "string payload",
                1,
                name,
                std_times,
                "string",
                json!("hello, world"),
                "hello, world",
            ),
            seal_vector(
                4,
                "struct payload { user_id: u64, name: string, admin: bool }",
                1,
                name,
                std_times,
                "login",
                login_json.clone(),
                &login,
            ),
            seal_vector(
                5,
                "largest key id, short cookie name",
                u32::MAX,
                "sid",
                std_times,
                "u32",
                json!(1),
                &1u32,
            ),
            seal_vector(
                6,
                "300-byte payload: byte i is i mod 251 (two-byte length varint)",
                1,
                name,
                std_times,
                "bytes",
                json!(hex(&long)),
                &serde_bytes_like(&long),
            ),
            seal_vector(
                7,
                "issued and last active at the same instant",
                1,
                name,
                (T0, T0, T0 + DAY),
                "login",
                login_json,
                &login,
            ),
        ];
        // Opening cases derive from vector 4 (key id 1, the default name).
        let base = vectors[3]["cookie_value"].as_str().unwrap().to_owned();
        let v7 = vectors[6]["cookie_value"].as_str().unwrap().to_owned();
        let raw = BASE64.decode(&base).unwrap();
        let reencode = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut v = raw.clone();
            edit(&mut v);
            BASE64.encode(v)
        };
        let flip_last = reencode(&|v| {
            let n = v.len();
            v[n - 1] ^= 0x01;
        });
        let unknown_id = reencode(&|v| v[1..5].copy_from_slice(&2u32.to_be_bytes()));
        let version2 = reencode(&|v| v[0] = 2);
        let standard = base.replace('-', "+").replace('_', "/");
        assert_ne!(standard, base, "vector 4 must use a url-safe character");
        assert_ne!(base.len() % 4, 0, "vector 4 must end in a partial group");
        let trailing_bits = {
            let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            let last = *base.as_bytes().last().unwrap();
            let pos = alphabet.iter().position(|&c| c == last).unwrap();
            let mut text = base.clone();
            text.pop();
            text.push(alphabet[pos | 1] as char);
            assert_ne!(text, base);
            text
        };
        let too_short = BASE64.encode([1u8; ENVELOPE_OVERHEAD_BYTES - 1]);
        let empty_body = BASE64.encode(
            [
                &[1u8, 0, 0, 0, 1][..],
                &nonce_for(0)[..],
                &[0u8; TAG_LEN][..],
            ]
            .concat(),
        );
        let four_k_plus_one = format!("{base}{}", &base[..(5 - base.len() % 4) % 4]);
        assert_eq!(four_k_plus_one.len() % 4, 1);
        let key1 = sealer(1, 0x00, name);
        let backwards = seal_fixed(116, &key1, (T0, T0 - 1, T0 + DAY), &login);
        let extra_byte = seal_fixed(117, &key1, std_times, &(&login, 0u8));
        let long_expiry = seal_fixed(118, &key1, (T0, T0, T0 + 2 * DAY), &login);
        let at = T0 + 120;
        let idle = Some(1800);
        vectors.extend([
            open_vector(
                101,
                "vector 4 with the last tag bit flipped",
                name,
                &flip_last,
                at,
                idle,
                "authentication_failed",
            ),
            open_vector(
                102,
                "vector 4 opened under another cookie name",
                "__Host-other",
                &base,
                at,
                idle,
                "authentication_failed",
            ),
            open_vector(
                103,
                "vector 4 with key id 2, not in the keyring",
                name,
                &unknown_id,
                at,
                idle,
                "unknown_key_id",
            ),
            open_vector(
                104,
                "vector 4 with version byte 2",
                name,
                &version2,
                at,
                idle,
                "unsupported_version",
            ),
            open_vector(
                105,
                "vector 4 with base64 padding appended",
                name,
                &format!("{base}="),
                at,
                idle,
                "malformed",
            ),
            open_vector(
                106,
                "vector 4 in the standard base64 alphabet",
                name,
                &standard,
                at,
                idle,
                "malformed",
            ),
            open_vector(
                107,
                "vector 4 one second before its idle deadline",
                name,
                &base,
                T0 + 60 + 1799,
                idle,
                "valid",
            ),
            open_vector(
                108,
                "vector 4 at its idle deadline (last activity + 1800 s)",
                name,
                &base,
                T0 + 60 + 1800,
                idle,
                "idle_timeout",
            ),
            open_vector(
                109,
                "vector 4 opened 61 s before its last activity (last_active_at > now + skew)",
                name,
                &base,
                T0 - 1,
                idle,
                "issued_in_future",
            ),
            open_vector(110, "empty value", name, "", at, idle, "malformed"),
            open_vector(
                111,
                "4083 characters: name plus value is 4097 bytes",
                name,
                &"A".repeat(4083),
                at,
                idle,
                "too_large",
            ),
            open_vector(
                112,
                "vector 4 extended to a length of 4k + 1 characters",
                name,
                &four_k_plus_one,
                at,
                idle,
                "malformed",
            ),
            open_vector(
                113,
                "vector 4 with non-zero unused bits in its last character",
                name,
                &trailing_bits,
                at,
                idle,
                "malformed",
            ),
            open_vector(
                114,
                "44-byte envelope, one short of the smallest",
                name,
                &too_short,
                at,
                idle,
                "malformed",
            ),
            open_vector(
                115,
                "45-byte envelope: version 1, key id 1, empty ciphertext, zero tag",
                name,
                &empty_body,
                at,
                idle,
                "authentication_failed",
            ),
            open_vector(
                116,
                "sealed with last_active_at one second before issued_at",
                name,
                &backwards,
                at,
                idle,
                "invalid_timestamps",
            ),
            open_vector(
                117,
                "sealed with one byte after the payload",
                name,
                &extra_byte,
                at,
                idle,
                "payload_mismatch",
            ),
            open_vector(
                118,
                "sealed expiry 2 days after issue, no idle timeout, 1 s before issue + ttl",
                name,
                &long_expiry,
                T0 + DAY - 1,
                None,
                "valid",
            ),
            open_vector(
                119,
                "sealed expiry 2 days after issue, no idle timeout, at issue + ttl",
                name,
                &long_expiry,
                T0 + DAY,
                None,
                "expired",
            ),
            open_vector(
                120,
                "vector 4 at its sealed expiry (checked before the idle timeout)",
                name,
                &base,
                T0 + DAY,
                idle,
                "expired",
            ),
            open_vector(
                121,
                "vector 7 opened 60 s before it was issued",
                name,
                &v7,
                T0 - 60,
                idle,
                "valid",
            ),
            open_vector(
                122,
                "vector 7 opened 61 s before it was issued",
                name,
                &v7,
                T0 - 61,
                idle,
                "issued_in_future",
            ),
        ]);
        json!({
            "format_version": 1,
            "algorithm": "XChaCha20-Poly1305",
            "notes": "kind 'seal': sealing payload_hex (the postcard encoding of payload, a value of payload_type) with nonce_hex and the given fields gives cookie_value exactly, and it opens at now under the default settings (absolute lifetime 86400 s, idle timeout 1800 s, skew allowance 60 s, limit 4096). kind 'open': opening cookie_value at now, with a keyring holding only key_id:key_hex, the given cookie_name and settings (idle_timeout null means none), decoding the payload as payload_type, gives expect: 'valid' or the outcome identifier of FORMAT.md section 5. payload_type: unit = (), u32, string, login = struct { user_id: u64, name: string, admin: bool }, bytes = a byte sequence (payload given as hex of its bytes, without the length prefix).",
            "vectors": vectors,
        })
    }

    /// Serializes a byte slice as postcard bytes (length varint, then bytes).
    fn serde_bytes_like(bytes: &[u8]) -> impl Serialize + '_ {
        struct B<'a>(&'a [u8]);
        impl Serialize for B<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        B(bytes)
    }

    #[test]
    fn vectors_match_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/v1.json");
        let built = build_vectors();
        let text = serde_json::to_string_pretty(&built).unwrap() + "\n";
        if std::env::var_os("SEALED_SESSION_WRITE_VECTORS").is_some() {
            std::fs::write(path, &text).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).expect("tests/vectors/v1.json exists");
        assert_eq!(
            on_disk, text,
            "vectors changed: released vectors are frozen"
        );
    }

    #[test]
    fn format_md_reproduces_vectors() {
        let doc = include_str!("../FORMAT.md");
        for v in build_vectors()["vectors"].as_array().unwrap() {
            if v["kind"] == "seal" && v["id"].as_u64().unwrap() <= 4 {
                let value = v["cookie_value"].as_str().unwrap();
                assert!(doc.contains(value), "FORMAT.md lacks vector {}", v["id"]);
            }
        }
    }
}
