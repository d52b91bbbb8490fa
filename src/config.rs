//! [`SessionConfig`]: the sealer, the cookie attributes and the save policy,
//! with secure defaults and cross-field checks done once, in `build`.

use core::fmt;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::cookie::{CookieAttributes, SameSite};
use crate::error::{ConfigError, KeyringSwapError, OpenError, SchemaError};
use crate::keyring::Keyring;
use crate::record::AnyData;
use crate::schema::Fingerprint;
use crate::seal::{Sealer, SealerBuilder};

/// The longest `Domain` or `Path` attribute value browsers keep (RFC 6265bis).
pub const MAX_ATTRIBUTE_VALUE_BYTES: usize = 1024;

/// When an unchanged, loaded session is sealed again to push its idle
/// deadline forward (express-session's `rolling`).
///
/// ```
/// use sealed_session::Rolling;
///
/// assert_eq!(Rolling::default(), Rolling::AfterIdlePercent(25));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rolling {
    /// Re-seal on every response that loaded a session (express-session's
    /// `rolling: true`): the most precise idle timeout, and a `Set-Cookie`
    /// on every response.
    EveryResponse,
    /// Re-seal once more than this percentage (1 to 99) of the idle timeout
    /// has passed since the last activity recorded in the cookie. Most
    /// responses then carry no `Set-Cookie`; the idle timeout takes effect
    /// between `100 - percent`% and 100% of its configured length after the
    /// user's real last request.
    AfterIdlePercent(u8),
}

impl Default for Rolling {
    fn default() -> Self {
        Self::AfterIdlePercent(25)
    }
}

/// Everything a web application configures once for its sessions: keys and
/// lifetimes (the [`Sealer`]), cookie attributes, and when a `Set-Cookie` is
/// sent. Cheap to clone and shareable across threads.
///
/// Built by [`SessionConfig::builder`] with secure defaults: cookie
/// `__Host-session`, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`, no
/// `Domain`, absolute lifetime 24 h, idle timeout 30 min, 4096-byte limit. A
/// built configuration is always valid.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Data { visits: u32 }
///
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
///
/// // First request: no cookie.
/// let mut session = config.load::<Data, _>(None::<&str>);
/// session.get_or_insert_default().visits += 1;
/// let response = session.finish()?;
/// let set_cookie = &response.set_cookie_headers()[0];
/// assert!(set_cookie.starts_with("__Host-session="));
/// assert!(set_cookie.ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"));
///
/// // Next request: the browser sends the cookie back.
/// let cookie = set_cookie.split(';').next().unwrap_or_default();
/// let session = config.load::<Data, _>(Some(cookie));
/// assert_eq!(session.get().map(|d| d.visits), Some(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct SessionConfig {
    inner: Arc<ConfigInner>,
}

pub(crate) struct ConfigInner {
    pub(crate) sealer: Sealer,
    /// The limit for each cookie, name plus value.
    pub(crate) cookie_limit: usize,
    /// The most cookies one session may use (1: no chunking).
    pub(crate) max_chunks: u8,
    pub(crate) attrs: CookieAttributes,
    pub(crate) save_uninitialized: bool,
    pub(crate) resave: bool,
    pub(crate) rolling: Rolling,
    /// Conversions from earlier session types, by the fingerprint of the
    /// record they open.
    pub(crate) migrations: Box<[Migration]>,
}

/// Converts data of one session type into the next.
type Convert = Arc<dyn Fn(AnyData) -> Option<AnyData> + Send + Sync>;
/// Decodes a session record of one type: its data, boxed, and its flash.
type DecodeOld = fn(&[u8]) -> Result<(Option<AnyData>, Option<Vec<u8>>), OpenError>;
/// The record fingerprint of one session type under a sealer's schema names.
type RecordFingerprint = fn(&Sealer) -> Result<Fingerprint, SchemaError>;

/// A migration as configured: fingerprints are resolved in `build`, once
/// every schema name is known.
#[derive(Clone)]
struct PendingMigration {
    from: RecordFingerprint,
    to: RecordFingerprint,
    names: (&'static str, &'static str),
    decode: DecodeOld,
    convert: Convert,
}

impl fmt::Debug for PendingMigration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Migration")
            .field("from", &self.names.0)
            .field("to", &self.names.1)
            .finish_non_exhaustive()
    }
}

/// A migration with the record fingerprints of both its types.
pub(crate) struct Migration {
    pub(crate) from: Fingerprint,
    pub(crate) to: Fingerprint,
    names: (&'static str, &'static str),
    pub(crate) decode: DecodeOld,
    pub(crate) convert: Convert,
}

/// Builds a [`SessionConfig`]; every setting has a safe default, stated at
/// the end of its documentation.
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionConfigBuilder {
    sealer: SealerBuilder,
    cookie_limit: usize,
    max_chunks: u8,
    attrs: CookieAttributes,
    save_uninitialized: bool,
    resave: bool,
    rolling: Rolling,
    migrations: Vec<PendingMigration>,
}

impl SessionConfig {
    /// Starts a configuration with `keyring` and secure defaults for the
    /// rest.
    pub fn builder(keyring: Keyring) -> SessionConfigBuilder {
        SessionConfigBuilder {
            sealer: Sealer::builder(keyring),
            cookie_limit: crate::format::DEFAULT_MAX_COOKIE_BYTES,
            max_chunks: 1,
            attrs: CookieAttributes::default(),
            save_uninitialized: false,
            resave: false,
            rolling: Rolling::default(),
            migrations: Vec::new(),
        }
    }

    /// The sealer underneath, for direct `seal`/`open`, and the handle for
    /// the keyring at run time ([`Sealer::keyring`],
    /// [`Sealer::dangerous_force_replace_keyring`]): every clone of this
    /// configuration, and every framework layer built from it, shares it.
    #[must_use]
    pub fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    /// Replaces the keyring of this configuration at run time, for every
    /// clone of it and every framework layer built from it; see
    /// [`Sealer::replace_keyring`].
    ///
    /// # Errors
    ///
    /// As [`Sealer::replace_keyring`]: a swap that would leave values sealed
    /// a moment ago unable to open is refused, and the running keyring kept.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, KeyringSwapError, SessionConfig};
    ///
    /// let old = Key::generate();
    /// let old_text = old.to_base64();
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), old)).build()?;
    /// let same_config = config.clone();
    ///
    /// let new_text = Key::generate().to_base64();
    /// let promoted = format!("2:{},1:{}", new_text.as_str(), old_text.as_str());
    /// config.replace_keyring(Keyring::parse(&promoted)?)?;
    /// assert_eq!(same_config.sealer().keyring().primary_id(), KeyId::new(2));
    ///
    /// // Dropping key 2, the running primary, is refused.
    /// let err = config.replace_keyring(Keyring::parse(&format!("1:{}", old_text.as_str()))?);
    /// assert_eq!(err, Err(KeyringSwapError::PrimaryMissing { id: KeyId::new(2) }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replace_keyring(&self, new: Keyring) -> Result<(), KeyringSwapError> {
        self.inner.sealer.replace_keyring(new)
    }

    /// The cookie name.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        self.inner.sealer.cookie_name()
    }

    /// The removal cookie for this configuration's session cookie (same
    /// name, domain and path), for clearing a session outside the
    /// [`Session`](crate::Session) flow.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// assert_eq!(
    ///     config.removal_cookie(),
    ///     "__Host-session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn removal_cookie(&self) -> String {
        crate::cookie::render_removal(self.cookie_name(), &self.inner.attrs)
    }

    pub(crate) fn inner(&self) -> &ConfigInner {
        &self.inner
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("SessionConfig")
            .field("sealer", &inner.sealer)
            .field("attributes", &inner.attrs)
            .field("save_uninitialized", &inner.save_uninitialized)
            .field("resave", &inner.resave)
            .field("rolling", &inner.rolling)
            .field("cookie_limit", &inner.cookie_limit)
            .field("max_chunks", &inner.max_chunks)
            .field(
                "migrations",
                &inner.migrations.iter().map(|m| m.names).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl SessionConfigBuilder {
    crate::settings::shared_setters!(sealer.settings);

    /// The largest cookie, name plus value, in bytes: the limit browsers
    /// enforce per cookie. A session that does not fit is an error from
    /// [`Session::finish`](crate::Session::finish), unless chunking spreads it over several cookies.
    /// Every cookie a request carries for the session, chunk cookies
    /// included, is held to it when loading (UTF-8 bytes, name plus value):
    /// a larger one is refused as [`OpenError::TooLarge`](crate::OpenError::TooLarge)
    /// or, for a chunk, makes the session a chunk mismatch. At least the
    /// name's length plus 132, at most 4096 (larger cookies are silently
    /// dropped by browsers).
    ///
    /// Default: 4096.
    pub fn with_max_cookie_bytes(mut self, limit: usize) -> Self {
        self.cookie_limit = limit;
        self
    }

    /// Lets a session too large for one cookie spread over up to
    /// `max_chunks` cookies (2 to 9): `NAME`, then `NAME.1`, `NAME.2`, …
    /// (FORMAT.md §12). The chunks are authenticated as one unit; stale
    /// chunks are removed when a session shrinks. Needs
    /// [`SessionConfig::load`] with the raw `Cookie` headers, which sees
    /// every chunk.
    ///
    /// Browsers keep about 180 cookies per site, but many servers and
    /// proxies refuse request headers over 8 to 16 KiB in all: check yours
    /// before allowing more than 2 or 3 chunks.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate()))
    ///     .with_chunking(3)
    ///     .build()?;
    /// let mut session = config.new_session::<Vec<u8>>();
    /// session.insert(vec![7; 5000]);
    /// let cookies = session.finish()?;
    /// let names: Vec<&str> = cookies.set_cookie_headers().iter()
    ///     .map(|c| c.split('=').next().unwrap_or_default()).collect();
    /// assert_eq!(names, ["__Host-session", "__Host-session.1", "__Host-session.2"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Default: off (one cookie).
    pub fn with_chunking(mut self, max_chunks: u8) -> Self {
        self.max_chunks = max_chunks;
        self
    }

    /// The `Domain` attribute: the cookie is then also sent to every
    /// subdomain. Not allowed with a `__Host-` name.
    ///
    /// # Security
    ///
    /// Every subdomain receives (and can overwrite) the session cookie.
    ///
    /// Default: none (the cookie goes to the exact host only).
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.attrs.domain = Some(domain.into());
        self
    }

    /// The `Path` attribute. Must start with `/`; a `__Host-` name requires
    /// `/`.
    ///
    /// Default: `/`.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.attrs.path = path.into();
        self
    }

    /// The `SameSite` attribute; `None` requires `Secure`.
    ///
    /// Default: [`SameSite::Lax`].
    pub fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.attrs.same_site = same_site;
        self
    }

    /// The `Partitioned` attribute (CHIPS): in a cross-site frame, the
    /// cookie is kept per top-level site. Requires `Secure`.
    ///
    /// Default: off.
    pub fn with_partitioned(mut self, partitioned: bool) -> Self {
        self.attrs.partitioned = partitioned;
        self
    }

    /// Leaves out `Secure`, so the cookie is also sent over plain HTTP.
    /// Needs a cookie name without the `__Host-` or `__Secure-` prefix.
    ///
    /// # Security
    ///
    /// Anyone on the network path of a plain-HTTP request reads the
    /// cookie and can replay it. Only for development on hosts a browser
    /// does not treat as secure; `http://localhost` does not need it.
    ///
    /// Default: `Secure` is on.
    pub fn dangerous_insecure_cookies(mut self) -> Self {
        self.attrs.secure = false;
        self
    }

    /// Leaves out `HttpOnly`, so page scripts can read the cookie.
    ///
    /// # Security
    ///
    /// Any script injection (XSS) can then steal the session.
    ///
    /// Default: `HttpOnly` is on.
    pub fn dangerous_script_readable_cookies(mut self) -> Self {
        self.attrs.http_only = false;
        self
    }

    /// Whether a new session that nobody wrote to is still sent as a cookie
    /// (express-session's `saveUninitialized`). Off, nothing is sent until
    /// the application stores something: no cookie for bots, no consent
    /// question for a cookie that holds nothing.
    ///
    /// Default: `false`.
    pub fn with_save_uninitialized(mut self, save: bool) -> Self {
        self.save_uninitialized = save;
        self
    }

    /// Whether a loaded session nobody changed is sealed again on every
    /// response (express-session's `resave`); this also refreshes its idle
    /// deadline. Off, an unchanged session is sealed again only when
    /// [`Rolling`] or key rotation asks for it.
    ///
    /// Default: `false`.
    pub fn with_resave(mut self, resave: bool) -> Self {
        self.resave = resave;
        self
    }

    /// When an unchanged session is sealed again to refresh its idle
    /// deadline (express-session's `rolling`). Refreshing never extends the
    /// absolute lifetime.
    ///
    /// Default: [`Rolling::AfterIdlePercent(25)`](Rolling::AfterIdlePercent).
    pub fn with_rolling(mut self, rolling: Rolling) -> Self {
        self.rolling = rolling;
        self
    }

    /// Identifies the session type `T` by an application-chosen schema
    /// name instead of its traced shape; see
    /// [`SealerBuilder::with_schema_name`] (the session layer seals the
    /// record of FORMAT.md §11 under a fingerprint derived from it).
    ///
    /// # Security
    ///
    /// Change the name whenever `T` changes, or cookies of the old type are
    /// misread as the new one.
    ///
    /// Default: every type is identified by its traced shape.
    pub fn with_schema_name<T: 'static>(mut self, name: &str) -> Self {
        self.sealer = self.sealer.with_schema_name::<T>(name);
        self
    }

    /// Accepts cookies sealed as the earlier session type `Old`, converting
    /// their data with `convert` into `New`. Such a cookie is chosen by its
    /// type fingerprint (never by trying to decode it), opened as `Old`,
    /// converted, used as the current type, and sealed again as the current
    /// type in the same response
    /// ([`Session::is_migrated`](crate::Session::is_migrated)). Migrations
    /// compose: with `V1 → V2` and `V2 → V3`, a `V1` cookie loads as `V3`.
    /// The flash message is carried over as is.
    ///
    /// A cookie of a type no migration starts from gives a new session,
    /// with [`OpenError::SchemaMismatch`] as its
    /// [`load_error`](crate::Session::load_error).
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// #[serde(rename = "Data")]
    /// struct DataV1 { user_id: u64 }
    /// #[derive(Serialize, Deserialize)]
    /// struct Data { user_id: u64, theme: Option<String> }
    ///
    /// let keyring = Keyring::new(KeyId::new(1), Key::generate());
    /// let old = SessionConfig::builder(keyring.clone()).build()?;
    /// let mut session = old.new_session::<DataV1>();
    /// session.insert(DataV1 { user_id: 7 });
    /// let set_cookie = session.finish()?.into_set_cookie_headers().remove(0);
    /// let cookie = set_cookie.split(';').next().unwrap_or_default();
    ///
    /// // The next deploy: the type gained a field.
    /// let new = SessionConfig::builder(keyring)
    ///     .with_migration(|old: DataV1| Data { user_id: old.user_id, theme: None })
    ///     .build()?;
    /// let session = new.load::<Data, _>(Some(cookie));
    /// assert_eq!(session.get().map(|d| d.user_id), Some(7));
    /// assert!(session.is_migrated());
    /// assert_eq!(session.finish()?.set_cookie_headers().len(), 1); // sealed as `Data`
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// Default: no migrations.
    pub fn with_migration<Old, New>(
        mut self,
        convert: impl Fn(Old) -> New + Send + Sync + 'static,
    ) -> Self
    where
        Old: DeserializeOwned + 'static,
        New: DeserializeOwned + 'static,
    {
        let convert: Convert = Arc::new(move |old: AnyData| {
            old.downcast::<Old>()
                .ok()
                .map(|old| Box::new(convert(*old)) as AnyData)
        });
        self.migrations.push(PendingMigration {
            from: Sealer::record_fingerprint::<Old>,
            to: Sealer::record_fingerprint::<New>,
            names: (core::any::type_name::<Old>(), core::any::type_name::<New>()),
            decode: crate::record::decode_old::<Old>,
            convert,
        });
        self
    }

    /// Checks every setting together and builds the configuration.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first rule broken: an invalid cookie
    /// name, `Domain` or `Path`; a prefix whose requirements are not met;
    /// `SameSite=None` or `Partitioned` without `Secure`; a rolling
    /// percentage outside 1 to 99; a migration type without a fingerprint,
    /// two migrations from one type, or one from a type to itself; and the
    /// [`Sealer`]'s own checks.
    ///
    /// ```
    /// use sealed_session::{ConfigError, Key, KeyId, Keyring, SessionConfig};
    ///
    /// let ring = Keyring::new(KeyId::new(1), Key::generate());
    /// let err = SessionConfig::builder(ring).with_domain("example.com").build();
    /// assert_eq!(err.err(), Some(ConfigError::HostPrefixRequirements));
    /// ```
    pub fn build(self) -> Result<SessionConfig, ConfigError> {
        let attrs = self.attrs;
        let name = self.sealer.settings.name.clone();
        if starts_with_ignore_case(&name, "__Host-")
            && (!attrs.secure || attrs.path != "/" || attrs.domain.is_some())
        {
            return Err(ConfigError::HostPrefixRequirements);
        }
        if starts_with_ignore_case(&name, "__Secure-") && !attrs.secure {
            return Err(ConfigError::SecurePrefixRequiresSecure);
        }
        if attrs.same_site == SameSite::None && !attrs.secure {
            return Err(ConfigError::SameSiteNoneRequiresSecure);
        }
        if attrs.partitioned && !attrs.secure {
            return Err(ConfigError::PartitionedRequiresSecure);
        }
        if let Some(domain) = &attrs.domain {
            if !is_domain(domain) {
                return Err(ConfigError::InvalidDomain);
            }
        }
        if !is_path(&attrs.path) {
            return Err(ConfigError::InvalidPath);
        }
        if let Rolling::AfterIdlePercent(p) = self.rolling {
            if !(1..=99).contains(&p) {
                return Err(ConfigError::InvalidRolling);
            }
        }
        if !(1..=crate::chunk::MAX_CHUNKS).contains(&self.max_chunks) {
            return Err(ConfigError::InvalidChunking);
        }
        let minimum = crate::seal::min_cookie_bytes(name.len());
        if self.cookie_limit < minimum {
            return Err(ConfigError::LimitTooSmall { minimum });
        }
        if self.cookie_limit > crate::format::DEFAULT_MAX_COOKIE_BYTES {
            return Err(ConfigError::LimitTooLarge {
                maximum: crate::format::DEFAULT_MAX_COOKIE_BYTES,
            });
        }
        let total = crate::chunk::capacity(name.len(), self.cookie_limit, self.max_chunks);
        let sealer = self.sealer.with_max_cookie_bytes(total).build()?;
        let mut migrations: Vec<Migration> = Vec::with_capacity(self.migrations.len());
        for pending in self.migrations {
            let from = (pending.from)(&sealer).map_err(ConfigError::UnsupportedType)?;
            let to = (pending.to)(&sealer).map_err(ConfigError::UnsupportedType)?;
            if from == to || migrations.iter().any(|m| m.from == from) {
                return Err(ConfigError::AmbiguousMigration);
            }
            migrations.push(Migration {
                from,
                to,
                names: pending.names,
                decode: pending.decode,
                convert: pending.convert,
            });
        }
        Ok(SessionConfig {
            inner: Arc::new(ConfigInner {
                sealer,
                cookie_limit: self.cookie_limit,
                max_chunks: self.max_chunks,
                attrs,
                save_uninitialized: self.save_uninitialized,
                resave: self.resave,
                rolling: self.rolling,
                migrations: migrations.into_boxed_slice(),
            }),
        })
    }
}

fn starts_with_ignore_case(name: &str, prefix: &str) -> bool {
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// A `Domain` value: a host name of ASCII letters, digits, `-` and `.`
/// (one leading dot allowed, as older servers write it), at most 1024 bytes.
fn is_domain(domain: &str) -> bool {
    let host = domain.strip_prefix('.').unwrap_or(domain);
    !host.is_empty()
        && domain.len() <= MAX_ATTRIBUTE_VALUE_BYTES
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !host.starts_with('.')
        && !host.contains("..")
}

/// A `Path` value: starts with `/`, printable ASCII without `;`, at most 1024
/// bytes.
fn is_path(path: &str) -> bool {
    path.starts_with('/')
        && path.len() <= MAX_ATTRIBUTE_VALUE_BYTES
        && path.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}
