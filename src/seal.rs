//! [`Sealer`]: `seal` and `open` between an application's `T` and a cookie
//! value. Associated data, XChaCha20-Poly1305, and postcard only after
//! authentication.

use core::any::TypeId;
use core::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use arc_swap::ArcSwap;
use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::clock::{Clock, UnixSeconds};
use crate::error::{ConfigError, KeyringSwapError, OpenError, SchemaError, SealError};
use crate::format::{
    self, BASE64, DEFAULT_MAX_COOKIE_BYTES, ENVELOPE_OVERHEAD_BYTES, FORMAT_VERSION, HEADER_LEN,
    KEY_ID_LEN, NONCE_LEN, SESSION_ID_LEN, TAG_LEN, VERSION_LEN,
};
use crate::key::KeyId;
use crate::keyring::Keyring;
use crate::meta::{Opened, SessionId, SessionMeta};
use crate::schema::{Fingerprint, FINGERPRINT_LEN};
use crate::settings::{shared_setters, SealSettings};

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
/// most 10 bytes each, the session id and the type fingerprint.
const MAX_PLAIN_HEADER_LEN: usize = 3 * 10 + SESSION_ID_LEN + FINGERPRINT_LEN;

/// Envelopes up to this size are built and opened in a buffer on the stack;
/// larger ones (sessions of over ~400 bytes) in one on the heap. A typical
/// session's envelope is about 150 bytes.
const STACK_ENVELOPE_BYTES: usize = 512;

/// Larger envelopes are serialized in one pass into a heap buffer as large as
/// the cookie limit allows, as long as that is at most this size (the
/// default 4096-byte limit allows about 3 KB); beyond it, the plaintext is
/// measured first and the buffer allocated exactly.
const HEAP_ENVELOPE_BOUND_BYTES: usize = 16 * 1024;

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
    /// Swapped whole at run time; `seal` and `open` load it once each, so a
    /// request finishes with the keyring it started with.
    keyring: ArcSwap<Keyring>,
    name: Box<str>,
    absolute_ttl: StdDuration,
    idle_timeout: Option<StdDuration>,
    clock_skew: StdDuration,
    max_cookie_bytes: usize,
    clock: Arc<dyn Clock>,
    /// Sessions issued before this instant (Unix seconds) are refused.
    not_before: AtomicU64,
    /// Fingerprints of types given a schema name, and of their session
    /// records.
    schemas: Box<[NamedSchema]>,
}

/// A type whose fingerprint is its configured schema name.
#[derive(Debug, Clone, Copy)]
struct NamedSchema {
    type_id: TypeId,
    fingerprint: Fingerprint,
    record: Fingerprint,
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
    pub(crate) settings: SealSettings,
    max_cookie_bytes: usize,
    schemas: Vec<NamedSchema>,
}

impl SealerBuilder {
    shared_setters!(settings);

    /// The largest cookie, name plus value, in bytes. Sealing a larger value
    /// is an error; opening a larger one is refused before any decoding.
    ///
    /// Default: 4096, what browsers keep.
    pub fn with_max_cookie_bytes(mut self, limit: usize) -> Self {
        self.max_cookie_bytes = limit;
        self
    }

    /// Identifies the payload type `T` by an application-chosen schema name
    /// ([`Fingerprint::from_name`], FORMAT.md §4.2) instead of its traced
    /// shape: for types that cannot be traced (see [`SchemaError`]), or to
    /// version a type by hand. A later call for the same type wins.
    ///
    /// # Security
    ///
    /// The name replaces the shape check: change it whenever `T` changes
    /// (for example `"app/session v2"` after `"app/session v1"`), or values
    /// of the old type are misread as the new one.
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use sealed_session::{Fingerprint, Key, KeyId, Keyring, Sealer};
    ///
    /// /// An address that must contain `@`: it refuses the trace's empty
    /// /// placeholder string, so it cannot be traced.
    /// #[derive(Serialize, Deserialize, PartialEq, Debug)]
    /// #[serde(try_from = "String", into = "String")]
    /// struct Email(String);
    /// # impl TryFrom<String> for Email {
    /// #     type Error = &'static str;
    /// #     fn try_from(s: String) -> Result<Self, Self::Error> {
    /// #         if s.contains('@') { Ok(Self(s)) } else { Err("not an address") }
    /// #     }
    /// # }
    /// # impl From<Email> for String { fn from(e: Email) -> String { e.0 } }
    /// # impl Clone for Email { fn clone(&self) -> Self { Self(self.0.clone()) } }
    ///
    /// assert!(Fingerprint::of::<Email>().is_err());
    /// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate()))
    ///     .with_schema_name::<Email>("example/email v1")
    ///     .build()?;
    /// assert_eq!(sealer.fingerprint::<Email>()?, Fingerprint::from_name("example/email v1"));
    /// let value = sealer.seal(&Email("ada@example.com".into()))?;
    /// assert_eq!(sealer.open::<Email>(&value)?.payload, Email("ada@example.com".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Default: every type is identified by its traced shape.
    pub fn with_schema_name<T: 'static>(mut self, name: &str) -> Self {
        let fingerprint = Fingerprint::from_name(name);
        let named = NamedSchema {
            type_id: TypeId::of::<T>(),
            fingerprint,
            record: fingerprint.session_record(),
        };
        self.schemas.retain(|s| s.type_id != named.type_id);
        self.schemas.push(named);
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
        let settings = self.settings;
        if !is_cookie_name(&settings.name) || settings.name.len() > usize::from(u16::MAX) {
            return Err(ConfigError::InvalidCookieName);
        }
        let lifetime_ok = |d: StdDuration| d.as_secs() >= 1 && d <= MAX_LIFETIME;
        if !lifetime_ok(settings.absolute_ttl)
            || !settings.idle_timeout.is_none_or(lifetime_ok)
            || settings.clock_skew > MAX_LIFETIME
        {
            return Err(ConfigError::InvalidLifetime);
        }
        let minimum = min_cookie_bytes(settings.name.len());
        if self.max_cookie_bytes < minimum {
            return Err(ConfigError::LimitTooSmall { minimum });
        }
        Ok(Sealer {
            inner: Arc::new(Inner {
                keyring: ArcSwap::from_pointee(self.keyring),
                name: settings.name.into_boxed_str(),
                absolute_ttl: StdDuration::from_secs(settings.absolute_ttl.as_secs()),
                idle_timeout: settings
                    .idle_timeout
                    .map(|d| StdDuration::from_secs(d.as_secs())),
                clock_skew: StdDuration::from_secs(settings.clock_skew.as_secs()),
                max_cookie_bytes: self.max_cookie_bytes,
                clock: settings.clock,
                not_before: AtomicU64::new(settings.not_before.as_secs()),
                schemas: self.schemas.into_boxed_slice(),
            }),
        })
    }
}

/// The smallest limit (name plus value) that holds any session with an
/// empty payload under a name of `name_len` bytes.
pub(crate) const fn min_cookie_bytes(name_len: usize) -> usize {
    name_len + format::encoded_len(ENVELOPE_OVERHEAD_BYTES + MAX_PLAIN_HEADER_LEN)
}

/// The timestamps a session described by `meta` is sealed again with at
/// `now` (FORMAT.md §6): issue time, sealed expiry and id kept, last
/// activity the later of `now` and the sealed one.
///
/// # Errors
///
/// [`SealError::Expired`] if `now` is at or past the session's effective
/// expiry or idle deadline.
fn reseal_stamp(meta: &SessionMeta, now: UnixSeconds) -> Result<Stamp<'_>, SealError> {
    if now >= meta.expires_at || meta.idle_expires_at.is_some_and(|idle| now >= idle) {
        return Err(SealError::Expired);
    }
    Ok(Stamp {
        issued_at: meta.issued_at,
        last_active_at: now.max(meta.last_active_at),
        expires_at: meta.sealed_expires_at,
        session_id: &meta.session_id,
    })
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

/// The plaintext as sealed: three timestamps, the session id, the type
/// fingerprint, the payload.
#[derive(Serialize)]
struct PlainRef<'a, T: ?Sized> {
    issued_at: u64,
    last_active_at: u64,
    expires_at: u64,
    session_id: &'a [u8; SESSION_ID_LEN],
    schema: &'a [u8; FINGERPRINT_LEN],
    payload: &'a T,
}

/// The plaintext's fixed part, decoded before the payload.
#[derive(Deserialize)]
struct PlainHeader {
    issued_at: u64,
    last_active_at: u64,
    expires_at: u64,
    session_id: [u8; SESSION_ID_LEN],
    schema: [u8; FINGERPRINT_LEN],
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
            settings: SealSettings::default(),
            max_cookie_bytes: DEFAULT_MAX_COOKIE_BYTES,
            schemas: Vec::new(),
        }
    }

    /// The [`Fingerprint`] this sealer seals and expects for values of type
    /// `T`: its configured schema name if it has one
    /// ([`SealerBuilder::with_schema_name`]), otherwise its traced shape
    /// (computed once per process, then looked up without allocating).
    ///
    /// # Errors
    ///
    /// A [`SchemaError`] if `T` cannot be traced and has no schema name.
    pub fn fingerprint<T: DeserializeOwned + 'static>(&self) -> Result<Fingerprint, SchemaError> {
        match self.named_schema(TypeId::of::<T>()) {
            Some(named) => Ok(named.fingerprint),
            None => Fingerprint::of::<T>(),
        }
    }

    /// The fingerprint of the session layer's record holding data of type
    /// `T` (FORMAT.md §11).
    pub(crate) fn record_fingerprint<T: DeserializeOwned + 'static>(
        &self,
    ) -> Result<Fingerprint, SchemaError> {
        /// A key of the fingerprint table distinct from `T`'s own.
        struct RecordOf<T>(core::marker::PhantomData<T>);
        match self.named_schema(TypeId::of::<T>()) {
            Some(named) => Ok(named.record),
            None => crate::schema::cached(TypeId::of::<RecordOf<T>>(), || {
                Fingerprint::of::<T>().map(Fingerprint::session_record)
            }),
        }
    }

    fn named_schema(&self, type_id: TypeId) -> Option<&NamedSchema> {
        self.inner.schemas.iter().find(|s| s.type_id == type_id)
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
    /// expiry does not fit in 64 bits, [`SealError::UnsupportedType`] if `T`
    /// has no [`Fingerprint`].
    pub fn seal<T>(&self, payload: &T) -> Result<String, SealError>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        self.seal_at(payload, self.now())
    }

    /// [`Sealer::seal`] at the time `now` rather than the clock's.
    ///
    /// # Errors
    ///
    /// As [`Sealer::seal`].
    pub fn seal_at<T>(&self, payload: &T, now: UnixSeconds) -> Result<String, SealError>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let schema = self
            .fingerprint::<T>()
            .map_err(SealError::UnsupportedType)?;
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
        self.seal_with_nonce(payload, schema, &stamp, &nonce)
    }

    /// Seals a new session issued at `now` under the given id (drawn earlier,
    /// for example for a CSRF token).
    pub(crate) fn seal_new_with_id<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        schema: Fingerprint,
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
        self.seal_stamped(payload, schema, &stamp)
    }

    /// Seals `payload` as the **same** session `meta` describes, active now:
    /// the session id, issue time and the expiry sealed in the value are
    /// kept (opening still caps the expiry at the issue time plus the
    /// configured absolute lifetime, so [`SessionMeta::expires_at`] may be
    /// earlier), the last activity becomes the later of now and the sealed
    /// last activity, and the primary key is used. This is how a
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
    pub fn reseal_at<T>(
        &self,
        payload: &T,
        meta: &SessionMeta,
        now: UnixSeconds,
    ) -> Result<String, SealError>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let schema = self
            .fingerprint::<T>()
            .map_err(SealError::UnsupportedType)?;
        self.reseal_with_schema(payload, schema, meta, now)
    }

    /// [`Sealer::reseal_at`] with the fingerprint given.
    pub(crate) fn reseal_with_schema<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        schema: Fingerprint,
        meta: &SessionMeta,
        now: UnixSeconds,
    ) -> Result<String, SealError> {
        self.seal_stamped(payload, schema, &reseal_stamp(meta, now)?)
    }

    /// [`Sealer::reseal_at`] at the clock's time.
    ///
    /// # Errors
    ///
    /// As [`Sealer::reseal_at`].
    pub fn reseal<T>(&self, payload: &T, meta: &SessionMeta) -> Result<String, SealError>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        self.reseal_at(payload, meta, self.now())
    }

    /// Opens a cookie value sealed by this configuration, at the clock's time.
    ///
    /// The value is authenticated before anything in it is decoded; then the
    /// timestamps are checked (absolute expiry, idle timeout, issue time not
    /// in the future beyond the skew allowance), then the type fingerprint
    /// sealed with the value is compared with `T`'s ([`Sealer::fingerprint`]),
    /// and only then is the payload decoded as `T`, with no bytes left over.
    ///
    /// # Errors
    ///
    /// An [`OpenError`] saying why; treat every one as "no session".
    /// [`OpenError::SchemaMismatch`] means the value was sealed as another
    /// type; [`OpenError::UnsupportedType`] that `T` has no fingerprint.
    pub fn open<T: DeserializeOwned + 'static>(&self, value: &str) -> Result<Opened<T>, OpenError> {
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
    pub fn open_at<T: DeserializeOwned + 'static>(
        &self,
        value: &str,
        now: UnixSeconds,
    ) -> Result<Opened<T>, OpenError> {
        let expected = self
            .fingerprint::<T>()
            .map_err(OpenError::UnsupportedType)?;
        let (payload, meta) = self.open_with(value, now, |schema, rest| {
            if schema != expected {
                return Err(OpenError::SchemaMismatch);
            }
            decode_exact::<T>(rest)
        })?;
        Ok(Opened { payload, meta })
    }

    /// Opens `value` up to its payload: authenticates, checks the times,
    /// then hands the sealed type fingerprint and the payload bytes to
    /// `decode`, which compares the one and decodes the other.
    pub(crate) fn open_with<R>(
        &self,
        value: &str,
        now: UnixSeconds,
        decode: impl FnOnce(Fingerprint, &[u8]) -> Result<R, OpenError>,
    ) -> Result<(R, SessionMeta), OpenError> {
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
        // One load of the keyring (no lock, no allocation), held only while
        // the key is in use: a swap meanwhile does not affect this request.
        let keyring = inner.keyring.load();
        let key = keyring
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
        .unwrap_or(Err(()))
        .map_err(|()| OpenError::AuthenticationFailed)?;
        let primary_id = keyring.primary_id();
        drop(keyring);
        // Authenticated from here on.
        let plain: &[u8] = envelope.body;
        let (header, rest) = postcard::take_from_bytes::<PlainHeader>(plain)
            .map_err(|_| OpenError::PayloadMismatch)?;
        let meta = self.check_times(&header, envelope.key_id, primary_id, now)?;
        let payload = decode(Fingerprint::from_bytes(header.schema), rest)?;
        Ok((payload, meta))
    }

    /// The cookie name bound into every value.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        &self.inner.name
    }

    /// The keyring in use now. It is a snapshot: a later
    /// [`replace_keyring`](Self::replace_keyring) does not change it, and
    /// holding it keeps its keys in memory, so drop it when done.
    #[must_use]
    pub fn keyring(&self) -> Arc<Keyring> {
        self.inner.keyring.load_full()
    }

    /// Replaces the keyring at run time, for this sealer and every clone of
    /// it (the [`SessionConfig`](crate::SessionConfig) and framework layers
    /// built on it included): the way a running server picks up a step of a
    /// key rotation without a restart.
    ///
    /// Requests already sealing or opening finish with the keyring they
    /// started with; later ones use `new`. The replaced keyring's keys are
    /// zeroized once the last of those requests (and any
    /// [`keyring`](Self::keyring) snapshot) drops it.
    ///
    /// # Errors
    ///
    /// The swap is refused, and the running keyring kept, when it would
    /// leave a value this server sealed a moment ago unable to open:
    /// [`KeyringSwapError::PrimaryMissing`] if `new` lacks the running
    /// primary key (as when one step promotes a new key and drops the old
    /// one), [`KeyringSwapError::KeyChanged`] if `new` holds other key bytes
    /// under an id of the running keyring. Key bytes are compared in
    /// constant time. After a key compromise, when logging everyone out is
    /// the point, use [`dangerous_force_replace_keyring`](Self::dangerous_force_replace_keyring).
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, Sealer, UnixSeconds};
    ///
    /// let old = Key::generate();
    /// let old_text = old.to_base64();
    /// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), old)).build()?;
    /// let t0 = UnixSeconds::new(1_800_000_000);
    /// let value = sealer.seal_at(&String::from("ada"), t0)?;
    ///
    /// // Add key 2 and promote it in one swap: key 1 still opens.
    /// let new_text = Key::generate().to_base64();
    /// let line = format!("2:{},1:{}", new_text.as_str(), old_text.as_str());
    /// sealer.replace_keyring(Keyring::parse(&line)?)?;
    /// let opened = sealer.open_at::<String>(&value, t0)?;
    /// assert!(opened.meta.needs_reseal());
    /// assert_eq!(sealer.keyring().primary_id(), KeyId::new(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_keyring(&self, new: Keyring) -> Result<(), KeyringSwapError> {
        self.swap_keyring(new).map(drop)
    }

    /// Replaces the keyring at run time without the checks of
    /// [`replace_keyring`](Self::replace_keyring).
    ///
    /// # Security
    ///
    /// Values sealed with a key that `new` lacks are refused from now on
    /// (as [`OpenError::UnknownKeyId`]), and values under an id whose key
    /// changed fail authentication: their sessions are logged out. That is
    /// the point after a key compromise; anywhere else, prefer the checked
    /// swap and the add, promote, drop steps.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, OpenError, Sealer, UnixSeconds};
    ///
    /// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let t0 = UnixSeconds::new(1_800_000_000);
    /// let value = sealer.seal_at(&String::from("ada"), t0)?;
    /// sealer.dangerous_force_replace_keyring(Keyring::new(KeyId::new(2), Key::generate()));
    /// assert_eq!(sealer.open_at::<String>(&value, t0).err(), Some(OpenError::UnknownKeyId));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn dangerous_force_replace_keyring(&self, new: Keyring) {
        self.inner.keyring.store(Arc::new(new));
    }

    /// The checked swap; returns the keyring it replaced.
    pub(crate) fn swap_keyring(&self, new: Keyring) -> Result<Arc<Keyring>, KeyringSwapError> {
        let new = Arc::new(new);
        loop {
            let current = self.inner.keyring.load();
            current.check_replacement(&new)?;
            let previous = self
                .inner
                .keyring
                .compare_and_swap(&current, Arc::clone(&new));
            // Another swap may have happened since the check: check again
            // against that one.
            if Arc::ptr_eq(&previous, &current) {
                return Ok(arc_swap::Guard::into_inner(previous));
            }
        }
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
    /// let value = sealer.seal_at(&String::from("ada"), t0)?;
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
        schema: Fingerprint,
        stamp: &Stamp<'_>,
    ) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::random::fill(&mut nonce).map_err(|()| SealError::Random)?;
        self.seal_with_nonce(payload, schema, stamp, &nonce)
    }

    /// Seals with the primary key and the given nonce. Only `seal_at`,
    /// `seal_stamped` and the crate's own tests call this: the public API
    /// never takes a nonce.
    ///
    /// The plaintext is serialized straight into a stack buffer; only when it
    /// does not fit is a heap buffer used (see
    /// `HEAP_ENVELOPE_BOUND_BYTES`). Either
    /// buffer is zeroized on drop, whatever happens in between.
    fn seal_with_nonce<T: Serialize + ?Sized>(
        &self,
        payload: &T,
        schema: Fingerprint,
        stamp: &Stamp<'_>,
        nonce: &[u8; NONCE_LEN],
    ) -> Result<String, SealError> {
        let schema = schema.to_bytes();
        let plain = PlainRef {
            issued_at: stamp.issued_at.as_secs(),
            last_active_at: stamp.last_active_at.as_secs(),
            expires_at: stamp.expires_at.as_secs(),
            session_id: stamp.session_id.as_bytes(),
            schema: &schema,
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
        // Too large for the stack. The cookie limit bounds the envelope: when
        // that bound is modest, serialize once into a buffer of that size
        // (truncated to what was written, so only those bytes are wiped).
        let bound = self.max_envelope_len();
        if bound <= HEAP_ENVELOPE_BOUND_BYTES {
            let mut heap = Wiped(vec![0u8; bound]);
            let room = heap
                .0
                .get_mut(HEADER_LEN..bound.saturating_sub(TAG_LEN))
                .ok_or_else(|| self.too_large(bound))?;
            match postcard::to_slice(&plain, room) {
                Ok(body) => {
                    let plain_len = body.len();
                    heap.0.truncate(ENVELOPE_OVERHEAD_BYTES + plain_len);
                    return self.finish_envelope(&mut heap.0, plain_len, nonce);
                }
                // Over the limit: measured below, for the error's figures.
                Err(postcard::Error::SerializeBufferFull) => {}
                Err(_) => return Err(SealError::Serialize),
            }
        }
        // A limit raised for chunked sessions: measure first, then allocate
        // exactly (a growing buffer would leave unwiped copies behind).
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

    /// The longest envelope whose cookie (name plus base64url value) fits
    /// the size limit.
    fn max_envelope_len(&self) -> usize {
        let inner = &*self.inner;
        let value = inner.max_cookie_bytes.saturating_sub(inner.name.len());
        value / 4 * 3 + value % 4 * 3 / 4
    }

    /// The error for an envelope that cannot fit, with its figures.
    fn too_large(&self, total: usize) -> SealError {
        let inner = &*self.inner;
        SealError::TooLarge {
            actual: inner.name.len().saturating_add(format::encoded_len(total)),
            limit: inner.max_cookie_bytes,
        }
    }

    /// Fails with [`SealError::TooLarge`] if an envelope of `total` bytes
    /// makes a cookie over the limit; returns the value's length otherwise.
    fn check_size(&self, total: usize) -> Result<usize, SealError> {
        let inner = &*self.inner;
        let value_len = format::encoded_len(total);
        if inner.name.len().saturating_add(value_len) > inner.max_cookie_bytes {
            return Err(self.too_large(total));
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
        let total = envelope.len();
        let value_len = self.check_size(total)?;
        let keyring = inner.keyring.load();
        let (key_id, key) = keyring.primary();
        let (header, rest) = envelope.split_at_mut(HEADER_LEN);
        let (body, tag_out) = rest.split_at_mut(plain_len);
        write_header(header, key_id, nonce);
        // XChaCha20-Poly1305 refuses only plaintexts over 256 GiB, which the
        // size limit rules out; that refusal is still reported, never ignored.
        let tag = format::with_aad(FORMAT_VERSION, key_id, inner.name.as_bytes(), |aad| {
            crate::cipher::seal(key.as_bytes(), nonce, aad, body)
        })
        .unwrap_or(Err(()))
        .map_err(|()| self.too_large(total))?;
        tag_out.copy_from_slice(&tag);
        let mut out = String::with_capacity(value_len);
        BASE64.encode_string(&*envelope, &mut out);
        Ok(out)
    }

    fn check_times(
        &self,
        header: &PlainHeader,
        key_id: KeyId,
        primary_id: KeyId,
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
            sealed_expires_at: sealed_expiry,
            idle_expires_at,
            key_id,
            needs_reseal: key_id != primary_id,
        })
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Sealer")
            .field("cookie_name", &inner.name)
            .field("keyring", &**inner.keyring.load())
            .field("absolute_ttl", &inner.absolute_ttl)
            .field("idle_timeout", &inner.idle_timeout)
            .field("clock_skew", &inner.clock_skew)
            .field("max_cookie_bytes", &inner.max_cookie_bytes)
            .field("not_before", &self.not_before())
            .finish_non_exhaustive()
    }
}

/// Decodes the whole of `bytes` as `T` (FORMAT.md §5 step 8).
pub(crate) fn decode_exact<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, OpenError> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((payload, [])) => Ok(payload),
        _ => Err(OpenError::PayloadMismatch),
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
mod vectors;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::key::Key;

    fn key(seed: u8) -> Key {
        let mut bytes = [seed; 32];
        bytes[0] = seed.wrapping_add(1);
        Key::from_bytes(bytes).unwrap()
    }

    /// A request in flight holds the keyring it loaded across a swap; the
    /// replaced ring is freed (its keys zeroized) when that request ends.
    #[test]
    fn a_request_in_flight_keeps_its_keyring_until_it_ends() {
        let sealer = Sealer::builder(Keyring::new(KeyId::new(1), key(1)))
            .build()
            .unwrap();
        let in_flight = sealer.inner.keyring.load();
        let weak = Arc::downgrade(&*in_flight);
        let next = Keyring::clone(&in_flight)
            .with_old_key(KeyId::new(2), key(2))
            .unwrap()
            .with_primary(KeyId::new(2))
            .unwrap();
        sealer.replace_keyring(next).unwrap();
        assert_eq!(in_flight.primary_id(), KeyId::new(1));
        assert_eq!(sealer.keyring().primary_id(), KeyId::new(2));
        assert!(weak.upgrade().is_some());
        drop(in_flight);
        assert!(weak.upgrade().is_none());
    }
}
