//! [`Sealer`]: `seal` and `open` between an application's `T` and a cookie
//! value. Associated data, XChaCha20-Poly1305, and postcard only after
//! authentication.

// Parsing path: cookie values or keyring lines reach this module, so nothing
// in it may panic. Each local exception names the invariant that rules it out.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::fmt;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use base64::Engine as _;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::clock::{Clock, SystemClock, UnixSeconds};
use crate::error::{ConfigError, OpenError, SealError};
use crate::format::{
    self, BASE64, DEFAULT_MAX_COOKIE_BYTES, ENVELOPE_OVERHEAD_BYTES, FORMAT_VERSION, HEADER_LEN,
    KEY_ID_LEN, NONCE_LEN, SESSION_ID_LEN, TAG_LEN, VERSION_LEN,
};
use crate::key::{Key, KeyId};
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
        let minimum = self.name.len()
            + format::encoded_len(ENVELOPE_OVERHEAD_BYTES + MAX_PLAIN_HEADER_LEN + 1);
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
            }),
        })
    }
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
        let mut fresh = Zeroizing::new([0u8; SESSION_ID_LEN]);
        crate::random::fill(&mut fresh[..]).map_err(|()| SealError::Random)?;
        let session_id = SessionId::from_bytes(*fresh);
        let expires_at = now
            .checked_add(self.inner.absolute_ttl)
            .ok_or(SealError::TimeOverflow)?;
        let stamp = Stamp {
            issued_at: now,
            last_active_at: now,
            expires_at,
            session_id: &session_id,
        };
        self.seal_stamped(payload, &stamp)
    }

    /// Seals `payload` as the **same** session `meta` describes, active now:
    /// the session id, issue time and absolute expiry are kept, the last
    /// activity becomes now, and the primary key is used. This is how a
    /// session is saved after a change, refreshed against the idle timeout,
    /// or moved to a new primary key.
    ///
    /// # Errors
    ///
    /// [`SealError::Expired`] if the session is past its absolute expiry,
    /// otherwise as [`Sealer::seal`].
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
        if now >= meta.expires_at {
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
        // The decoder asks for room for whole 3-byte groups.
        let mut buf = Zeroizing::new(vec![0u8; exact.div_ceil(3) * 3]);
        let len = BASE64
            .decode_slice(value.as_bytes(), &mut buf[..])
            .map_err(|_| OpenError::Malformed)?;
        let bytes = buf.get_mut(..len).ok_or(OpenError::Malformed)?;
        let envelope = format::parse(bytes)?;
        let key = inner
            .keyring
            .find(envelope.key_id)
            .ok_or(OpenError::UnknownKeyId)?;
        let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
        format::with_aad(
            envelope.version,
            envelope.key_id,
            inner.name.as_bytes(),
            |aad| {
                cipher.decrypt_inout_detached(
                    envelope.nonce.into(),
                    aad,
                    (&mut *envelope.body).into(),
                    envelope.tag.into(),
                )
            },
        )
        .map_err(|_| OpenError::AuthenticationFailed)?;
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

    /// Seals with the primary key and the given nonce. Only `seal_stamped`
    /// and the crate's own tests call this: the public API never takes a
    /// nonce.
    fn seal_with_nonce<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        stamp: &Stamp<'_>,
        nonce: &[u8; NONCE_LEN],
    ) -> Result<String, SealError> {
        let inner = &*self.inner;
        let plain = PlainRef {
            issued_at: stamp.issued_at.as_secs(),
            last_active_at: stamp.last_active_at.as_secs(),
            expires_at: stamp.expires_at.as_secs(),
            session_id: stamp.session_id.as_bytes(),
            payload,
        };
        let plain_len = postcard::serialize_with_flavor::<_, _, usize>(
            &plain,
            postcard::ser_flavors::Size::default(),
        )
        .map_err(|_| SealError::Serialize)?;
        let total = ENVELOPE_OVERHEAD_BYTES
            .checked_add(plain_len)
            .ok_or(SealError::Serialize)?;
        let value_len = format::encoded_len(total);
        let actual = inner.name.len().saturating_add(value_len);
        if actual > inner.max_cookie_bytes {
            return Err(SealError::TooLarge {
                actual,
                limit: inner.max_cookie_bytes,
            });
        }
        let (key_id, key) = inner.keyring.primary();
        let mut buf = Zeroizing::new(vec![0u8; total]);
        let (header, rest) = buf.split_at_mut(HEADER_LEN);
        let (body, tag_out) = rest.split_at_mut(plain_len);
        write_header(header, key_id, nonce);
        postcard::to_slice(&plain, body).map_err(|_| SealError::Serialize)?;
        let tag = seal_in_place(key, key_id, &inner.name, nonce, body).map_err(|()| {
            SealError::TooLarge {
                actual,
                limit: inner.max_cookie_bytes,
            }
        })?;
        tag_out.copy_from_slice(&tag);
        let mut out = String::with_capacity(value_len);
        BASE64.encode_string(&buf[..], &mut out);
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

/// Encrypts `body` in place under `key` and returns the tag.
///
/// XChaCha20-Poly1305 refuses only plaintexts over 256 GiB, which the size
/// limit rules out; that refusal is still reported, never ignored.
fn seal_in_place(
    key: &Key,
    key_id: KeyId,
    name: &str,
    nonce: &[u8; NONCE_LEN],
    body: &mut [u8],
) -> Result<[u8; TAG_LEN], ()> {
    let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
    format::with_aad(FORMAT_VERSION, key_id, name.as_bytes(), |aad| {
        cipher.encrypt_inout_detached(nonce.into(), aad, body.into())
    })
    .map(Into::into)
    .map_err(|_| ())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]
mod tests {
    //! Deterministic sealing for the test vectors: the only place a nonce is
    //! fixed. `SEALED_SESSION_WRITE_VECTORS=1 cargo test vectors` rewrites
    //! `tests/vectors/v1.json`; otherwise the file must match exactly.
    use super::*;
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

    fn valid_vector<T: Serialize + ?Sized>(
        id: u32,
        comment: &str,
        key_id: u32,
        name: &str,
        payload_type: &str,
        payload_json: Value,
        payload: &T,
    ) -> Value {
        let sealer = sealer(key_id, 0x00, name);
        let nonce: [u8; NONCE_LEN] = core::array::from_fn(|i| 0x40 + i as u8 + id as u8);
        let sid: [u8; SESSION_ID_LEN] = core::array::from_fn(|i| 0xA0 + i as u8);
        let session_id = SessionId::from_bytes(sid);
        let stamp = Stamp {
            issued_at: UnixSeconds::new(T0),
            last_active_at: UnixSeconds::new(T0 + 60),
            expires_at: UnixSeconds::new(T0 + 86_400),
            session_id: &session_id,
        };
        let value = sealer.seal_with_nonce(payload, &stamp, &nonce).unwrap();
        let plain = postcard::to_allocvec(&PlainRef {
            issued_at: T0,
            last_active_at: T0 + 60,
            expires_at: T0 + 86_400,
            session_id: &sid,
            payload,
        })
        .unwrap();
        let aad = format::with_aad(1, KeyId::new(key_id), name.as_bytes(), <[u8]>::to_vec);
        json!({
            "id": id,
            "comment": comment,
            "result": "valid",
            "key_id": key_id,
            "key_hex": hex(&key_bytes(0x00)),
            "cookie_name": name,
            "nonce_hex": hex(&nonce),
            "issued_at": T0,
            "last_active_at": T0 + 60,
            "expires_at": T0 + 86_400,
            "session_id_hex": hex(&sid),
            "payload_type": payload_type,
            "payload": payload_json,
            "payload_hex": hex(&postcard::to_allocvec(payload).unwrap()),
            "plaintext_hex": hex(&plain),
            "aad_hex": hex(&aad),
            "cookie_value": value,
        })
    }

    fn build_vectors() -> Value {
        let name = DEFAULT_COOKIE_NAME;
        let long: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
        let mut vectors = vec![
            valid_vector(1, "empty payload (unit)", 1, name, "unit", json!(null), &()),
            valid_vector(2, "u32 payload", 1, name, "u32", json!(42), &42u32),
            valid_vector(
                3,
                "string payload",
                1,
                name,
                "string",
                json!("hello, world"),
                "hello, world",
            ),
            valid_vector(
                4,
                "struct payload { user_id: u64, name: string, admin: bool }",
                1,
                name,
                "login",
                json!({"user_id": 7, "name": "ada", "admin": true}),
                &Login {
                    user_id: 7,
                    name: "ada",
                    admin: true,
                },
            ),
            valid_vector(
                5,
                "largest key id, short cookie name",
                u32::MAX,
                "sid",
                "u32",
                json!(1),
                &1u32,
            ),
            valid_vector(
                6,
                "300-byte payload: byte i is i mod 251 (two-byte length varint)",
                1,
                name,
                "bytes",
                json!(hex(&long)),
                &serde_bytes_like(&long),
            ),
        ];
        // Invalid vectors derive from vector 4 (key id 1, the default name).
        let base = vectors[3]["cookie_value"].as_str().unwrap().to_owned();
        let mut raw = BASE64.decode(&base).unwrap();
        let flip_last = {
            let mut v = raw.clone();
            let n = v.len();
            v[n - 1] ^= 0x01;
            BASE64.encode(v)
        };
        let unknown_id = {
            let mut v = raw.clone();
            v[1..5].copy_from_slice(&2u32.to_be_bytes());
            BASE64.encode(v)
        };
        let version2 = {
            raw[0] = 2;
            BASE64.encode(&raw)
        };
        let standard = base.replace('-', "+").replace('_', "/");
        assert_ne!(standard, base, "vector 4 must use a url-safe character");
        let invalid = |id: u32, comment: &str, value: &str, name: &str, now: u64, err: &str| {
            json!({
                "id": id,
                "comment": comment,
                "result": "invalid",
                "key_id": 1,
                "key_hex": hex(&key_bytes(0x00)),
                "cookie_name": name,
                "now": now,
                "cookie_value": value,
                "error": err,
            })
        };
        let t = T0 + 120;
        vectors.extend([
            invalid(
                101,
                "vector 4 with the last tag bit flipped",
                &flip_last,
                name,
                t,
                "authentication_failed",
            ),
            invalid(
                102,
                "vector 4 opened under another cookie name",
                &base,
                "__Host-other",
                t,
                "authentication_failed",
            ),
            invalid(
                103,
                "vector 4 with key id 2, not in the keyring",
                &unknown_id,
                name,
                t,
                "unknown_key_id",
            ),
            invalid(
                104,
                "vector 4 with version byte 2",
                &version2,
                name,
                t,
                "unsupported_version",
            ),
            invalid(
                105,
                "vector 4 with base64 padding appended",
                &format!("{base}="),
                name,
                t,
                "malformed",
            ),
            invalid(
                106,
                "vector 4 in the standard base64 alphabet",
                &standard,
                name,
                t,
                "malformed",
            ),
            invalid(
                107,
                "vector 4 one second before its idle deadline: opens",
                &base,
                name,
                T0 + 60 + 1799,
                "valid",
            ),
            invalid(
                108,
                "vector 4 at its idle deadline (last activity + 1800 s)",
                &base,
                name,
                T0 + 60 + 1800,
                "idle_timeout",
            ),
            invalid(
                109,
                "vector 4 opened 61 s before it was issued (skew allowance 60 s)",
                &base,
                name,
                T0 - 61,
                "issued_in_future",
            ),
            invalid(110, "empty value", "", name, t, "malformed"),
        ]);
        json!({
            "format_version": 1,
            "algorithm": "XChaCha20-Poly1305",
            "notes": "Valid vectors: seal with the given nonce and fields to get cookie_value exactly. Invalid vectors: open cookie_value with a keyring holding only key_id:key_hex, the given cookie_name, absolute lifetime 86400 s, idle timeout 1800 s, skew allowance 60 s, at time now; error names the expected outcome ('valid' means it must open).",
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
            if v["result"] == "valid" && v["id"].as_u64().unwrap() <= 4 {
                let value = v["cookie_value"].as_str().unwrap();
                assert!(doc.contains(value), "FORMAT.md lacks vector {}", v["id"]);
            }
        }
    }
}
