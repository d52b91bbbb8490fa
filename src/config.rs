//! [`SessionConfig`]: the sealer, the cookie attributes and the save policy,
//! with secure defaults and cross-field checks done once, in `build`.

use core::fmt;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use serde::de::DeserializeOwned;

use crate::chunk::ChunkSlots;
use crate::clock::{Clock, UnixSeconds};
use crate::cookie::{CookieAttributes, SameSite};
use crate::error::ConfigError;
use crate::keyring::Keyring;
use crate::seal::{Sealer, SealerBuilder};
use crate::session::Session;

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
}

/// Builds a [`SessionConfig`]; every setting has a safe default, stated at
/// the end of its documentation.
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionConfigBuilder {
    sealer: SealerBuilder,
    name: String,
    cookie_limit: usize,
    max_chunks: u8,
    attrs: CookieAttributes,
    save_uninitialized: bool,
    resave: bool,
    rolling: Rolling,
}

impl SessionConfig {
    /// Starts a configuration with `keyring` and secure defaults for the
    /// rest.
    pub fn builder(keyring: Keyring) -> SessionConfigBuilder {
        SessionConfigBuilder {
            sealer: Sealer::builder(keyring),
            name: crate::seal::DEFAULT_COOKIE_NAME.to_owned(),
            cookie_limit: crate::format::DEFAULT_MAX_COOKIE_BYTES,
            max_chunks: 1,
            attrs: CookieAttributes::default(),
            save_uninitialized: false,
            resave: false,
            rolling: Rolling::default(),
        }
    }

    /// Loads the session of a request from its raw `Cookie` header values
    /// (pass every `Cookie` header of the request; HTTP/2 may split them),
    /// at the clock's time.
    ///
    /// Never fails: a missing cookie, or cookies that do not open, give a
    /// new empty session, with the reason in [`Session::load_error`].
    /// Several cookies with the session's name are each tried (at most
    /// [`MAX_COOKIE_CANDIDATES`](crate::MAX_COOKIE_CANDIDATES)); the first
    /// that opens wins.
    pub fn load<T, H>(&self, cookie_headers: impl IntoIterator<Item = H>) -> Session<T>
    where
        T: DeserializeOwned,
        H: AsRef<[u8]>,
    {
        self.load_at(cookie_headers, self.inner.sealer.now())
    }

    /// [`SessionConfig::load`] at the time `now`.
    pub fn load_at<T, H>(
        &self,
        cookie_headers: impl IntoIterator<Item = H>,
        now: UnixSeconds,
    ) -> Session<T>
    where
        T: DeserializeOwned,
        H: AsRef<[u8]>,
    {
        let mut session = Session::fresh(self.clone(), now);
        if self.inner.max_chunks > 1 {
            // Chunks may sit in any header: look at them all first.
            let headers: Vec<H> = cookie_headers.into_iter().collect();
            let name = self.cookie_name();
            let mut slots = ChunkSlots::default();
            for header in &headers {
                for (cookie, value) in crate::header::cookie_pairs(header.as_ref()) {
                    slots.offer(name, cookie, value, self.inner.cookie_limit);
                }
            }
            session.note_chunks(slots.present());
            for header in &headers {
                if !self.try_header(&mut session, header.as_ref(), Some(&slots)) {
                    break;
                }
            }
        } else {
            for header in cookie_headers {
                if !self.try_header(&mut session, header.as_ref(), None) {
                    break;
                }
            }
        }
        session
    }

    /// Tries the candidates of one header; returns whether to go on.
    fn try_header<T: DeserializeOwned>(
        &self,
        session: &mut Session<T>,
        header: &[u8],
        slots: Option<&ChunkSlots>,
    ) -> bool {
        for value in crate::header::cookie_values(header, self.cookie_name()) {
            let assembled = slots.map(|s| {
                s.assemble(
                    self.cookie_name(),
                    value,
                    self.inner.cookie_limit,
                    self.inner.max_chunks,
                )
            });
            let go_on = match assembled {
                None => session.try_candidate(value),
                Some(Ok(whole)) => session.try_candidate(&whole),
                Some(Err(err)) => session.note_failure(err),
            };
            if !go_on {
                return false;
            }
        }
        true
    }

    /// Loads the session from a cookie value that a framework has already
    /// extracted (`None` when the request has no such cookie), at the
    /// clock's time.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, OpenError, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let session = config.load_value::<u32>(Some("garbage"));
    /// assert!(session.is_new());
    /// assert_eq!(session.load_error(), Some(&OpenError::Malformed));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_value<T: DeserializeOwned>(&self, value: Option<&str>) -> Session<T> {
        self.load_values_at(value, self.inner.sealer.now())
    }

    /// Loads the session from already extracted cookie values (every value
    /// sent under the session's name, in header order) at the time `now`.
    pub fn load_values_at<'a, T: DeserializeOwned>(
        &self,
        values: impl IntoIterator<Item = &'a str>,
        now: UnixSeconds,
    ) -> Session<T> {
        let mut session = Session::fresh(self.clone(), now);
        for value in values {
            // With chunking on, the sealer's own limit is the chunked
            // capacity: the per-cookie limit is checked here.
            let go_on = match crate::chunk::check_fits(
                self.cookie_name(),
                value,
                self.inner.cookie_limit,
            ) {
                Ok(()) => session.try_candidate(value),
                Err(err) => session.note_failure(err),
            };
            if !go_on {
                break;
            }
        }
        session
    }

    /// A new, empty session at the clock's time, as for a request without
    /// a cookie.
    #[must_use]
    pub fn new_session<T: DeserializeOwned>(&self) -> Session<T> {
        Session::fresh(self.clone(), self.inner.sealer.now())
    }

    /// The sealer underneath, for direct `seal`/`open`.
    #[must_use]
    pub fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    /// The cookie name.
    #[must_use]
    pub fn cookie_name(&self) -> &str {
        self.inner.sealer.cookie_name()
    }

    /// The removal cookie for this configuration's session cookie (same
    /// name, domain and path), for clearing a session outside the
    /// [`Session`] flow.
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
            .finish_non_exhaustive()
    }
}

impl SessionConfigBuilder {
    /// The cookie name. A `__Host-` name requires `Secure`, `Path=/` and no
    /// `Domain`; a `__Secure-` name requires `Secure` (checked in `build`).
    /// The name is bound into every sealed value.
    ///
    /// Default: `__Host-session`.
    pub fn with_cookie_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The absolute lifetime of a session; see
    /// [`SealerBuilder::with_absolute_ttl`]. Also the `Max-Age` of a new
    /// session's cookie.
    ///
    /// Default: 24 hours.
    pub fn with_absolute_ttl(mut self, ttl: StdDuration) -> Self {
        self.sealer = self.sealer.with_absolute_ttl(ttl);
        self
    }

    /// The idle timeout; see [`SealerBuilder::with_idle_timeout`].
    ///
    /// Default: 30 minutes.
    pub fn with_idle_timeout(mut self, timeout: StdDuration) -> Self {
        self.sealer = self.sealer.with_idle_timeout(timeout);
        self
    }

    /// No idle timeout; see [`SealerBuilder::without_idle_timeout`].
    ///
    /// # Security
    ///
    /// A stolen cookie stays usable for the whole absolute lifetime.
    ///
    /// Default: an idle timeout of 30 minutes.
    pub fn without_idle_timeout(mut self) -> Self {
        self.sealer = self.sealer.without_idle_timeout();
        self
    }

    /// The clock-skew allowance; see [`SealerBuilder::with_clock_skew`].
    ///
    /// Default: 60 seconds.
    pub fn with_clock_skew(mut self, skew: StdDuration) -> Self {
        self.sealer = self.sealer.with_clock_skew(skew);
        self
    }

    /// The largest cookie, name plus value, in bytes: the limit browsers
    /// enforce per cookie. A session that does not fit is an error from
    /// [`Session::finish`], unless chunking spreads it over several cookies.
    /// Every cookie a request carries for the session, chunk cookies
    /// included, is held to it when loading (UTF-8 bytes, name plus value):
    /// a larger one is refused as [`OpenError::TooLarge`](crate::OpenError::TooLarge)
    /// or, for a chunk, makes the session a chunk mismatch. At least the
    /// name's length plus 122, at most 4096 (larger cookies are silently
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

    /// Refuses every session issued before `instant`: logs everyone out
    /// without rotating keys; see [`SealerBuilder::with_not_before`].
    ///
    /// Default: the Unix epoch (nothing refused).
    pub fn with_not_before(mut self, instant: UnixSeconds) -> Self {
        self.sealer = self.sealer.with_not_before(instant);
        self
    }

    /// The clock; see [`SealerBuilder::with_clock`].
    ///
    /// Default: the system clock.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.sealer = self.sealer.with_clock(clock);
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

    /// Checks every setting together and builds the configuration.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first rule broken: an invalid cookie
    /// name, `Domain` or `Path`; a prefix whose requirements are not met;
    /// `SameSite=None` or `Partitioned` without `Secure`; a rolling
    /// percentage outside 1 to 99; and the [`Sealer`]'s own checks.
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
        let name = self.name;
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
        let sealer = self
            .sealer
            .with_cookie_name(name)
            .with_max_cookie_bytes(total)
            .build()?;
        Ok(SessionConfig {
            inner: Arc::new(ConfigInner {
                sealer,
                cookie_limit: self.cookie_limit,
                max_chunks: self.max_chunks,
                attrs,
                save_uninitialized: self.save_uninitialized,
                resave: self.resave,
                rolling: self.rolling,
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
