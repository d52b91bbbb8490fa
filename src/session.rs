//! [`Session`]: the per-request state (data, flash, regenerate, destroy) and
//! the decision of whether a `Set-Cookie` goes out.

use core::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::config::{Rolling, SessionConfig};
use crate::error::{OpenError, SealError};
use crate::header::MAX_COOKIE_CANDIDATES;
use crate::meta::SessionMeta;

/// The `Cache-Control` value offered with every `Set-Cookie`: no shared
/// cache may store a response that carries one user's session.
pub const CACHE_CONTROL: &str = "private, no-store";
/// The `Vary` value offered with every `Set-Cookie` (append it to any `Vary`
/// the response already has).
pub const VARY: &str = "Cookie";

/// What the session layer seals: the application's data and a pending flash
/// message (postcard bytes of the application's flash type).
#[derive(Serialize)]
struct RecordRef<'a, T> {
    data: Option<&'a T>,
    flash: Option<&'a [u8]>,
}

#[derive(Deserialize)]
struct Record<T> {
    data: Option<T>,
    flash: Option<Vec<u8>>,
}

/// One request's session: load it with [`SessionConfig::load`], read and
/// change it, then [`finish`](Session::finish) it to get the `Set-Cookie`
/// headers for the response (often none).
///
/// The data is the application's own type `T`; a new session holds none
/// until the application stores some.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sealed_session::{FixedClock, Key, KeyId, Keyring, SessionConfig, UnixSeconds};
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Data { user: Option<String> }
///
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate()))
///     .with_clock(FixedClock::new(UnixSeconds::new(1_800_000_000)))
///     .build()?;
///
/// // Log in: regenerate against session fixation, then store the user.
/// let mut session = config.new_session::<Data>();
/// session.regenerate();
/// session.get_or_insert_default().user = Some("ada".into());
/// let response = session.finish()?;
/// assert_eq!(response.set_cookie_headers().len(), 1);
/// assert!(response.set_cookie_headers()[0].contains("; Max-Age=86400;"));
/// assert_eq!(response.cache_headers(), [("cache-control", "private, no-store"), ("vary", "Cookie")]);
///
/// // Log out: the response removes the cookie.
/// let cookie = response.set_cookie_headers()[0].split(';').next().unwrap_or_default().to_owned();
/// let mut session = config.load::<Data, _>(Some(cookie));
/// assert_eq!(session.get().and_then(|d| d.user.as_deref()), Some("ada"));
/// session.destroy();
/// let response = session.finish()?;
/// assert!(response.set_cookie_headers()[0].starts_with("__Host-session=; Max-Age=0;"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Session<T> {
    config: SessionConfig,
    now: UnixSeconds,
    data: Option<T>,
    meta: Option<SessionMeta>,
    flash_in: Option<Vec<u8>>,
    flash_out: Option<Vec<u8>>,
    modified: bool,
    regenerate: bool,
    destroyed: bool,
    touched: bool,
    load_error: Option<OpenError>,
    candidates_tried: usize,
    stale_cookie: bool,
}

/// What to do with the cookie at the end of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Emit {
    Nothing,
    SealNew,
    Reseal,
    Remove,
}

impl<T> Session<T> {
    pub(crate) fn fresh(config: SessionConfig, now: UnixSeconds) -> Self {
        Self {
            config,
            now,
            data: None,
            meta: None,
            flash_in: None,
            flash_out: None,
            modified: false,
            regenerate: false,
            destroyed: false,
            touched: false,
            load_error: None,
            candidates_tried: 0,
            stale_cookie: false,
        }
    }

    /// The data, if the session holds any.
    #[must_use]
    pub fn get(&self) -> Option<&T> {
        self.data.as_ref()
    }

    /// The data for changing; marks the session modified.
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.modified = true;
        self.data.as_mut()
    }

    /// Stores `data`, returning what was there; marks the session modified.
    pub fn insert(&mut self, data: T) -> Option<T> {
        self.modified = true;
        self.data.replace(data)
    }

    /// The data, stored first from `make` if there is none; marks the
    /// session modified.
    pub fn get_or_insert_with(&mut self, make: impl FnOnce() -> T) -> &mut T {
        self.modified = true;
        self.data.get_or_insert_with(make)
    }

    /// The data, stored first as `T::default()` if there is none; marks the
    /// session modified.
    pub fn get_or_insert_default(&mut self) -> &mut T
    where
        T: Default,
    {
        self.get_or_insert_with(T::default)
    }

    /// Removes and returns the data, keeping the session (and its id);
    /// marks the session modified.
    pub fn take(&mut self) -> Option<T> {
        self.modified = true;
        self.data.take()
    }

    /// Gives the session a new random id and a new issue time (so a new
    /// absolute lifetime), keeping its data. Call it right after a login or
    /// any change of privilege: a session id an attacker planted before the
    /// login (session fixation) is then worthless, and CSRF tokens of the
    /// old id stop working.
    pub fn regenerate(&mut self) {
        self.regenerate = true;
        self.modified = true;
    }

    /// Ends the session (logout): drops its data and pending flash, and
    /// makes [`finish`](Self::finish) send a removal cookie. Storing data
    /// afterwards starts a new session with a new id instead.
    ///
    /// # Security
    ///
    /// Removal happens in the browser. A copy of the cookie taken before
    /// stays valid until it expires; see SECURITY.md for server-side
    /// revocation.
    pub fn destroy(&mut self) {
        self.destroyed = true;
        self.data = None;
        self.meta = None;
        self.flash_in = None;
        self.flash_out = None;
        self.modified = false;
        self.regenerate = false;
        self.touched = false;
    }

    /// Asks for the session to be sealed again at the end of this request
    /// even if unchanged, pushing its idle deadline forward
    /// (express-session's `touch`). Never extends the absolute lifetime.
    pub fn touch(&mut self) {
        self.touched = true;
    }

    /// Stores a flash message for a following request (replacing any
    /// pending one); marks the session modified.
    ///
    /// # Errors
    ///
    /// [`SealError::Serialize`] if postcard cannot serialize the message.
    pub fn set_flash<F: Serialize + ?Sized>(&mut self, message: &F) -> Result<(), SealError> {
        let bytes = postcard::to_allocvec(message).map_err(|_| SealError::Serialize)?;
        self.flash_out = Some(bytes);
        self.modified = true;
        Ok(())
    }

    /// Reads and removes the flash message set by an earlier request, so it
    /// is shown exactly once; marks the session modified if there was one.
    ///
    /// # Errors
    ///
    /// [`OpenError::PayloadMismatch`] if the message does not decode as `F`
    /// (it is removed all the same).
    pub fn take_flash<F: DeserializeOwned>(&mut self) -> Result<Option<F>, OpenError> {
        let Some(bytes) = self.flash_in.take() else {
            return Ok(None);
        };
        self.modified = true;
        match postcard::take_from_bytes::<F>(&bytes) {
            Ok((message, [])) => Ok(Some(message)),
            _ => Err(OpenError::PayloadMismatch),
        }
    }

    /// Whether a flash message from an earlier request is waiting.
    #[must_use]
    pub fn has_flash(&self) -> bool {
        self.flash_in.is_some()
    }

    /// Whether no valid cookie was loaded (a first visit, or the cookie did
    /// not open), or the session was destroyed.
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.meta.is_none()
    }

    /// Whether anything asked for the session to be saved.
    #[must_use]
    pub fn is_modified(&self) -> bool {
        self.modified
    }

    /// Whether [`destroy`](Self::destroy) was called.
    #[must_use]
    pub fn is_destroyed(&self) -> bool {
        self.destroyed
    }

    /// The metadata of the loaded cookie (issue time, last activity,
    /// expiry, key id), or `None` for a new session.
    #[must_use]
    pub fn meta(&self) -> Option<&SessionMeta> {
        self.meta.as_ref()
    }

    /// Why the request's cookie did not open, if it had one that did not:
    /// for logs and metrics only (see [`OpenError`]). With several
    /// candidates, an error found after authentication (such as
    /// [`OpenError::Expired`]) is preferred over one before it.
    #[must_use]
    pub fn load_error(&self) -> Option<&OpenError> {
        self.load_error.as_ref()
    }

    /// The time this request is handled at.
    #[must_use]
    pub fn now(&self) -> UnixSeconds {
        self.now
    }

    /// The configuration this session was loaded with.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Ends the request: seals the session if the save policy asks for it
    /// and returns the `Set-Cookie` headers to send (possibly none).
    ///
    /// The policy, in order: a destroyed session not written again sends a
    /// removal cookie; a regenerated session is sealed new; a loaded session
    /// is sealed again if modified, touched, `resave` is on, it was sealed
    /// with an older key, or [`Rolling`] says its idle deadline is due for a
    /// refresh; a new session is sealed if written to, or if
    /// `save_uninitialized` is on; a request whose cookie was ours but dead
    /// (expired, idle, undecodable) gets a removal cookie. `Max-Age` is the
    /// session's remaining absolute lifetime.
    ///
    /// # Errors
    ///
    /// [`SealError::TooLarge`] with the actual and allowed sizes if the
    /// cookie would not fit (nothing is truncated: store less, or answer
    /// with an error page), and the other [`SealError`]s of sealing.
    pub fn finish(self) -> Result<ResponseCookies, SealError>
    where
        T: Serialize,
    {
        let inner = self.config.inner();
        let sealer = &inner.sealer;
        let emit = self.decide();
        let flash = match &self.flash_out {
            Some(out) => Some(out.as_slice()),
            None => self.flash_in.as_deref(),
        };
        let record = RecordRef {
            data: self.data.as_ref(),
            flash,
        };
        let name = sealer.cookie_name();
        let header = match (emit, &self.meta) {
            (Emit::Nothing, _) => return Ok(ResponseCookies::default()),
            (Emit::Remove, _) => crate::cookie::render_removal(name, &inner.attrs),
            (Emit::Reseal, Some(meta)) => {
                let value = sealer.reseal_at(&record, meta, self.now)?;
                let max_age = meta
                    .expires_at()
                    .as_secs()
                    .saturating_sub(self.now.as_secs());
                crate::cookie::render(name, &value, max_age, &inner.attrs)
            }
            (Emit::SealNew | Emit::Reseal, _) => {
                let value = sealer.seal_at(&record, self.now)?;
                crate::cookie::render(name, &value, sealer.absolute_ttl().as_secs(), &inner.attrs)
            }
        };
        Ok(ResponseCookies {
            set_cookies: vec![header],
        })
    }

    fn decide(&self) -> Emit {
        let inner = self.config.inner();
        match &self.meta {
            Some(meta) => {
                if self.regenerate {
                    Emit::SealNew
                } else if self.modified
                    || self.touched
                    || inner.resave
                    || meta.needs_reseal()
                    || self.rolling_due(meta)
                {
                    Emit::Reseal
                } else {
                    Emit::Nothing
                }
            }
            None => {
                if self.modified || (inner.save_uninitialized && !self.destroyed) {
                    Emit::SealNew
                } else if self.destroyed || self.stale_cookie {
                    Emit::Remove
                } else {
                    Emit::Nothing
                }
            }
        }
    }

    fn rolling_due(&self, meta: &SessionMeta) -> bool {
        let inner = self.config.inner();
        match inner.rolling {
            Rolling::EveryResponse => true,
            Rolling::AfterIdlePercent(percent) => inner.sealer.idle_timeout().is_some_and(|idle| {
                let elapsed = self
                    .now
                    .as_secs()
                    .saturating_sub(meta.last_active_at().as_secs());
                u128::from(elapsed) * 100 > u128::from(idle.as_secs()) * u128::from(percent)
            }),
        }
    }
}

impl<T: DeserializeOwned> Session<T> {
    /// Tries one candidate cookie value; returns whether to go on trying.
    pub(crate) fn try_candidate(&mut self, value: &str) -> bool {
        if self.meta.is_some() || self.candidates_tried >= MAX_COOKIE_CANDIDATES {
            return false;
        }
        self.candidates_tried += 1;
        match self.config.sealer().open_at::<Record<T>>(value, self.now) {
            Ok(opened) => {
                self.data = opened.payload.data;
                self.flash_in = opened.payload.flash;
                self.meta = Some(opened.meta);
                self.load_error = None;
                self.stale_cookie = false;
                false
            }
            Err(err) => {
                if err.is_authenticated() {
                    self.stale_cookie = true;
                }
                let better = match &self.load_error {
                    None => true,
                    Some(old) => !old.is_authenticated() && err.is_authenticated(),
                };
                if better {
                    self.load_error = Some(err);
                }
                self.candidates_tried < MAX_COOKIE_CANDIDATES
            }
        }
    }
}

impl<T> fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("cookie_name", &self.config.cookie_name())
            .field("now", &self.now)
            .field("has_data", &self.data.is_some())
            .field("meta", &self.meta)
            .field("modified", &self.modified)
            .field("regenerate", &self.regenerate)
            .field("destroyed", &self.destroyed)
            .field("load_error", &self.load_error)
            .finish_non_exhaustive()
    }
}

/// The headers a finished [`Session`] asks the response to carry.
///
/// When it holds a `Set-Cookie`, also send its [cache
/// headers](Self::cache_headers) so no shared cache stores one user's
/// session. Its `Debug` output names the cookies but hides their values,
/// which are bearer credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ResponseCookies {
    set_cookies: Vec<String>,
}

impl ResponseCookies {
    /// The `Set-Cookie` header values, in order.
    #[must_use]
    pub fn set_cookie_headers(&self) -> &[String] {
        &self.set_cookies
    }

    /// The `Set-Cookie` header values, by value.
    #[must_use]
    pub fn into_set_cookie_headers(self) -> Vec<String> {
        self.set_cookies
    }

    /// Whether there is nothing to send.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.set_cookies.is_empty()
    }

    /// `Cache-Control: private, no-store` (set it, replacing any other
    /// value) and `Vary: Cookie` (append it) when a `Set-Cookie` goes out;
    /// nothing otherwise.
    #[must_use]
    pub fn cache_headers(&self) -> &'static [(&'static str, &'static str)] {
        if self.set_cookies.is_empty() {
            &[]
        } else {
            &[("cache-control", CACHE_CONTROL), ("vary", VARY)]
        }
    }

    /// Every header to add, lower-case names: each `set-cookie`, then the
    /// cache headers.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> + '_ {
        self.set_cookies
            .iter()
            .map(|v| ("set-cookie", v.as_str()))
            .chain(self.cache_headers().iter().copied())
    }
}

impl fmt::Debug for ResponseCookies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self
            .set_cookies
            .iter()
            .map(|c| c.split('=').next().unwrap_or_default())
            .collect();
        f.debug_struct("ResponseCookies")
            .field("set_cookie_names", &names)
            .finish_non_exhaustive()
    }
}
