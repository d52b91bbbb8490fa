//! [`Session`]: the per-request state (data, flash, regenerate, destroy) and
//! the decision of whether a `Set-Cookie` goes out.

use core::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::UnixSeconds;
use crate::config::{Rolling, SessionConfig};
use crate::error::{CsrfError, OpenError, SealError};
use crate::header::MAX_COOKIE_CANDIDATES;
use crate::key::KeyId;
use crate::meta::{SessionId, SessionMeta};
pub(crate) use crate::record::Record;
use crate::record::RecordRef;

/// The `Cache-Control` value offered with every `Set-Cookie`: no shared
/// cache may store a response that carries one user's session.
pub const CACHE_CONTROL: &str = "private, no-store";
/// The `Vary` value offered with every `Set-Cookie` (append it to any `Vary`
/// the response already has).
pub const VARY: &str = "Cookie";

/// Whether a `Vary` header value already covers `Cookie` (names it, in any
/// case, or is `*`), so adapters append `Vary: Cookie` only when needed.
#[cfg_attr(not(any(feature = "http", feature = "actix-web")), allow(dead_code))]
pub(crate) fn vary_covers_cookie(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .map(|item| item.trim_ascii())
        .any(|item| item == b"*" || item.eq_ignore_ascii_case(b"cookie"))
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
/// // Log in: regenerate against session fixation (it starts the session
/// // over, empty), then store the user.
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
///
/// # Changing your session type
///
/// Every cookie carries an authenticated [fingerprint](crate::Fingerprint)
/// of the type it was sealed as (FORMAT.md §4.1, §11): field names and
/// order, types, enum variants, nested types. A cookie of another type is
/// never decoded as `T`; without a migration it gives a new session whose
/// [`load_error`](Self::load_error) is
/// [`SchemaMismatch`](OpenError::SchemaMismatch).
///
/// Safe changes keep the serde shape and names: renaming a Rust field or
/// type while keeping its serde name (`#[serde(rename = "...")]`), methods,
/// `Box<str>` for `String`. Every other change needs a migration, or logs
/// everyone out: fields reordered, renamed, added (even an `Option` with
/// `#[serde(default)]`) or removed, an integer widened, an enum variant
/// added, a nested type changed.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sealed_session::{Key, KeyId, Keyring, OpenError, SessionConfig};
///
/// // Safe: the serde name stays `user_id`.
/// #[derive(Serialize, Deserialize)]
/// struct Before { user_id: u64 }
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// #[serde(rename = "Before")]
/// struct Renamed { #[serde(rename = "user_id")] uid: u64 }
///
/// // Needs a migration: a field added.
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct After { user_id: u64, admin: bool }
///
/// let keyring = Keyring::new(KeyId::new(1), Key::generate());
/// let config = SessionConfig::builder(keyring.clone()).build()?;
/// let mut session = config.new_session::<Before>();
/// session.insert(Before { user_id: 7 });
/// let set_cookie = session.finish()?.into_set_cookie_headers().remove(0);
/// let cookie = set_cookie.split(';').next().unwrap_or_default();
///
/// assert_eq!(config.load::<Renamed, _>(Some(cookie)).get(), Some(&Renamed { uid: 7 }));
///
/// let refused = config.load::<After, _>(Some(cookie));
/// assert_eq!(refused.load_error(), Some(&OpenError::SchemaMismatch));
///
/// let migrating = SessionConfig::builder(keyring)
///     .with_migration(|old: Before| After { user_id: old.user_id, admin: false })
///     .build()?;
/// let session = migrating.load::<After, _>(Some(cookie));
/// assert_eq!(session.get(), Some(&After { user_id: 7, admin: false }));
/// assert!(session.is_migrated()); // sealed again as `After` by `finish`
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
    /// The key id the cookie behind `load_error` named, when it was read.
    load_error_key_id: Option<KeyId>,
    candidates_tried: usize,
    stale_cookie: bool,
    /// The id a new or regenerated session will be sealed under, drawn as
    /// soon as something (a CSRF token) needs it.
    pending_id: Option<SessionId>,
    /// Bit `i` set: the request carried the chunk cookie `NAME.i`.
    chunks_present: u16,
    /// The cookie was sealed as an earlier type and migrated.
    migrated: bool,
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
            load_error_key_id: None,
            candidates_tried: 0,
            stale_cookie: false,
            pending_id: None,
            chunks_present: 0,
            migrated: false,
        }
    }

    /// The data, if the session holds any.
    #[must_use]
    pub fn get(&self) -> Option<&T> {
        self.data.as_ref()
    }

    /// The data for changing; marks the session modified if it holds data
    /// (whether or not the caller then changes it).
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.modified |= self.data.is_some();
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
    /// marks the session modified if there was data.
    pub fn take(&mut self) -> Option<T> {
        self.modified |= self.data.is_some();
        self.data.take()
    }

    /// Starts the session over, as express-session's `regenerate` does: a
    /// new random id, a new issue time (so a new absolute lifetime and a new
    /// CSRF secret) and **no data**: the data, and any flash message, of the
    /// session before are dropped. Call it right before a login or any
    /// change of privilege, then store the logged-in state: a session an
    /// attacker planted before the login (session fixation), and anything
    /// stored in it, is then worthless, and CSRF tokens of the old id stop
    /// working. To keep the data under a new id, use [`renew`](Self::renew).
    ///
    /// On a loaded session the response always carries the new cookie (an
    /// empty session if nothing is stored afterwards); on a new session
    /// that nothing is stored in, it sends nothing.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let mut session = config.new_session::<Vec<String>>();
    /// session.insert(vec!["planted before login".into()]);
    /// session.regenerate();
    /// assert_eq!(session.get(), None);
    /// session.insert(vec!["user ada".into()]);
    /// assert_eq!(session.get().map(Vec::len), Some(1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn regenerate(&mut self) {
        self.renew();
        self.data = None;
        self.flash_in = None;
        self.flash_out = None;
    }

    /// Gives the session a new random id and a new issue time (so a new
    /// absolute lifetime and a new CSRF secret), **keeping** its data and
    /// flash message (actix-session's `renew`). For a login, prefer
    /// [`regenerate`](Self::regenerate), which also drops what was stored
    /// before it.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let mut session = config.new_session::<u32>();
    /// session.insert(7);
    /// session.renew();
    /// assert_eq!(session.get(), Some(&7));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn renew(&mut self) {
        self.regenerate = true;
        self.modified |= self.meta.is_some();
        self.pending_id = None;
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
        self.pending_id = None;
    }

    /// Ends the session as [revoked](OpenError::Revoked) if `is_revoked`
    /// says so, as if its cookie had not opened: the data is dropped, the
    /// response removes the cookie, and [`load_error`](Self::load_error)
    /// reports [`OpenError::Revoked`]. Returns whether it was revoked.
    ///
    /// This is the hook for per-user revocation without a session store:
    /// keep a generation number (or a "logged out everywhere at" instant) in
    /// the user's own record, copy it into the session at login, and compare
    /// here on each request; bumping it logs that user out of every device.
    /// Only a loaded session holding data is checked; the closure is not
    /// called for a new session or one without data (there is no user to
    /// check).
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use sealed_session::{Key, KeyId, Keyring, OpenError, SessionConfig};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Data { user_id: u64, generation: u32 }
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let mut session = config.new_session::<Data>();
    /// session.insert(Data { user_id: 7, generation: 1 });
    /// let set_cookie = session.finish()?.into_set_cookie_headers().remove(0);
    /// let cookie = set_cookie.split(';').next().unwrap_or_default();
    ///
    /// let current_generation = 2; // the user logged out everywhere since
    /// let mut session = config.load::<Data, _>(Some(cookie));
    /// assert!(session.revoke_if(|data, _meta| data.generation < current_generation));
    /// assert!(session.get().is_none());
    /// assert_eq!(session.load_error(), Some(&OpenError::Revoked));
    /// assert!(session.finish()?.set_cookie_headers()[0].contains("Max-Age=0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoke_if(&mut self, is_revoked: impl FnOnce(&T, &SessionMeta) -> bool) -> bool {
        let revoked = match (&self.data, &self.meta) {
            (Some(data), Some(meta)) => is_revoked(data, meta),
            _ => false,
        };
        if revoked {
            let key_id = self.meta.as_ref().map(SessionMeta::key_id);
            trace_refused(&OpenError::Revoked, key_id);
            self.destroy();
            self.destroyed = false;
            self.stale_cookie = true;
            self.load_error = Some(OpenError::Revoked);
            self.load_error_key_id = key_id;
        }
        revoked
    }

    /// A new CSRF token for this session, to put in a form's hidden field or
    /// a header. Every call gives a different string (masked with fresh
    /// randomness); all of them verify until the session is regenerated or
    /// destroyed. A new session gets its id now and is saved at the end of
    /// the request, so the token stays valid on the next one.
    ///
    /// # Errors
    ///
    /// [`SealError::Random`] if the operating system's random number
    /// generator fails.
    pub fn csrf_token(&mut self) -> Result<String, SealError> {
        let needs_new = self.regenerate || self.meta.is_none();
        if needs_new && self.pending_id.is_none() {
            self.pending_id = Some(SessionId::generate()?);
            self.modified = true;
        }
        match self.csrf_secret() {
            Some(id) => crate::csrf::mint(id.as_bytes()),
            None => Err(SealError::Random),
        }
    }

    /// Checks a CSRF token sent back by the client, in constant time.
    ///
    /// # Errors
    ///
    /// [`CsrfError::NoSession`] if the session has no id yet (a new
    /// session that never rendered a token), [`CsrfError::Malformed`] for
    /// anything that is not a token, [`CsrfError::Mismatch`] for a token of
    /// another session or of this one before [`regenerate`](Self::regenerate)
    /// (right after `regenerate`, until a new token is rendered, every
    /// well-formed token is a mismatch).
    pub fn verify_csrf(&self, token: &str) -> Result<(), CsrfError> {
        if self.regenerate && self.pending_id.is_none() {
            // Regenerated, and no token of the new id was made yet: every
            // token the client can hold belongs to the old id.
            crate::csrf::verify(&[0; crate::format::SESSION_ID_LEN], token)?;
            return Err(CsrfError::Mismatch);
        }
        let id = self.csrf_secret().ok_or(CsrfError::NoSession)?;
        crate::csrf::verify(id.as_bytes(), token)
    }

    /// The id CSRF tokens are bound to right now.
    fn csrf_secret(&self) -> Option<&SessionId> {
        if self.regenerate || self.meta.is_none() {
            self.pending_id.as_ref()
        } else {
            self.meta.as_ref().map(SessionMeta::session_id)
        }
    }

    /// Asks for the session to be sealed again at the end of this request
    /// even if unchanged, pushing its idle deadline forward
    /// (express-session's `touch`). Never extends the absolute lifetime.
    pub fn touch(&mut self) {
        self.touched = true;
    }

    /// Stores a flash message for a following request (replacing any
    /// pending one); marks the session modified. The message's type is the
    /// application's; the reader must ask for the same type.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let mut session = config.new_session::<()>();
    /// session.set_flash("Saved.")?;
    /// let set_cookie = session.finish()?.into_set_cookie_headers().remove(0);
    /// let cookie = set_cookie.split(';').next().unwrap_or_default();
    ///
    /// let mut next = config.load::<(), _>(Some(cookie));
    /// assert_eq!(next.take_flash::<String>()?.as_deref(), Some("Saved."));
    /// assert_eq!(next.take_flash::<String>()?, None); // read once
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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

    /// Whether the request's cookie was sealed as an earlier session type
    /// and converted by a migration
    /// ([`SessionConfigBuilder::with_migration`](crate::SessionConfigBuilder::with_migration)).
    /// Such a session is sealed again, as the current type, in this
    /// response.
    #[must_use]
    pub fn is_migrated(&self) -> bool {
        self.migrated
    }

    /// The key id named by the cookie behind [`load_error`](Self::load_error),
    /// when it could be read: for a value that failed authentication or
    /// named an unknown key this is only what the client sent; for an
    /// error after authentication it is the key that sealed it. `None` for
    /// values too short or not base64url, and for chunk mismatches. For
    /// logs and metrics only, like the error.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, OpenError, SessionConfig};
    ///
    /// let old = SessionConfig::builder(Keyring::new(KeyId::new(7), Key::generate())).build()?;
    /// let mut session = old.new_session::<u32>();
    /// session.insert(1);
    /// let set_cookie = session.finish()?.into_set_cookie_headers().remove(0);
    /// let cookie = set_cookie.split(';').next().unwrap_or_default();
    ///
    /// // A deploy that lost key 7.
    /// let new = SessionConfig::builder(Keyring::new(KeyId::new(8), Key::generate())).build()?;
    /// let session = new.load::<u32, _>(Some(cookie));
    /// assert_eq!(session.load_error(), Some(&OpenError::UnknownKeyId));
    /// assert_eq!(session.load_error_key_id(), Some(KeyId::new(7)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn load_error_key_id(&self) -> Option<KeyId> {
        self.load_error_key_id
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
    /// (expired, idle, revoked) gets a removal cookie, and so does a
    /// destroyed session if the request carried a cookie of ours. `Max-Age` is the
    /// session's remaining absolute lifetime.
    ///
    /// # Errors
    ///
    /// [`SealError::TooLarge`] with the actual and allowed sizes if the
    /// cookie would not fit (nothing is truncated: store less, or answer
    /// with an error page), and the other [`SealError`]s of sealing.
    pub fn finish(self) -> Result<ResponseCookies, SealError>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        self.response_cookies()
    }

    /// [`finish`](Self::finish) without consuming the session, for adapters
    /// that hold it behind a shared handle. Each call seals anew (with a new
    /// nonce): call it once per response.
    ///
    /// # Errors
    ///
    /// As [`finish`](Self::finish).
    pub fn response_cookies(&self) -> Result<ResponseCookies, SealError>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let result = self.seal_cookies();
        #[cfg(feature = "tracing")]
        if let Err(SealError::TooLarge { actual, limit }) = &result {
            tracing::warn!(actual, limit, "session too large for its cookie");
        }
        result
    }

    fn seal_cookies(&self) -> Result<ResponseCookies, SealError>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let inner = self.config.inner();
        let sealer = &inner.sealer;
        let emit = self.decide();
        let schema = || {
            sealer
                .record_fingerprint::<T>()
                .map_err(SealError::UnsupportedType)
        };
        let flash = match &self.flash_out {
            Some(out) => Some(out.as_slice()),
            None => self.flash_in.as_deref(),
        };
        let record = RecordRef {
            data: self.data.as_ref(),
            flash,
        };
        let name = sealer.cookie_name();
        let attrs = &inner.attrs;
        let (value, max_age) = match (emit, &self.meta) {
            (Emit::Nothing, _) => return Ok(ResponseCookies::default()),
            (Emit::Remove, _) => {
                let mut out = vec![crate::cookie::render_removal(name, attrs)];
                self.remove_chunks_from(1, 0, &mut out);
                return Ok(ResponseCookies { set_cookies: out });
            }
            (Emit::Reseal, Some(meta)) => {
                #[cfg(feature = "tracing")]
                if meta.needs_reseal() {
                    tracing::debug!(
                        from_key_id = meta.key_id().get(),
                        "session re-sealed under the primary key"
                    );
                }
                let value = sealer.reseal_with_schema(&record, schema()?, meta, self.now)?;
                let max_age = meta
                    .expires_at()
                    .as_secs()
                    .saturating_sub(self.now.as_secs());
                (value, max_age)
            }
            (Emit::SealNew | Emit::Reseal, _) => {
                let value = match &self.pending_id {
                    Some(id) => sealer.seal_new_with_id(&record, schema()?, id, self.now)?,
                    None => {
                        let id = SessionId::generate()?;
                        sealer.seal_new_with_id(&record, schema()?, &id, self.now)?
                    }
                };
                (value, sealer.absolute_ttl().as_secs())
            }
        };
        let parts = crate::chunk::split(name, &value, inner.cookie_limit, inner.max_chunks).ok_or(
            SealError::TooLarge {
                actual: name.len() + value.len(),
                limit: sealer.max_cookie_bytes(),
            },
        )?;
        let mut out = Vec::with_capacity(parts.len());
        for (cookie, text) in &parts {
            out.push(crate::cookie::render(cookie, text, max_age, attrs));
        }
        if parts.len() > 1 {
            // A chunked value announces its count, and extra chunks make it
            // fail: remove every higher chunk, even one this request did not
            // carry (another tab's response may have set it).
            self.remove_chunks_from(parts.len(), inner.max_chunks, &mut out);
        } else {
            self.remove_chunks_from(1, 0, &mut out);
        }
        Ok(ResponseCookies { set_cookies: out })
    }

    /// Adds removal cookies for every chunk cookie `NAME.i` with
    /// `i >= first` that the request carried, and for every one below
    /// `up_to` whether carried or not.
    fn remove_chunks_from(&self, first: usize, up_to: u8, out: &mut Vec<String>) {
        let inner = self.config.inner();
        for index in crate::chunk::stale_indices(first, up_to, self.chunks_present) {
            let chunk = crate::chunk::chunk_name(inner.sealer.cookie_name(), index);
            out.push(crate::cookie::render_removal(&chunk, &inner.attrs));
        }
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
                } else if (self.destroyed || self.stale_cookie) && self.had_cookie() {
                    Emit::Remove
                } else {
                    Emit::Nothing
                }
            }
        }
    }

    /// Whether the request carried any cookie of ours (a candidate or a
    /// chunk), so that a removal cookie has something to remove.
    fn had_cookie(&self) -> bool {
        self.candidates_tried > 0 || self.chunks_present != 0
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

impl<T: DeserializeOwned + 'static> Session<T> {
    /// Records which chunk cookies the request carried.
    pub(crate) fn note_chunks(&mut self, present: u16) {
        self.chunks_present = present;
    }

    /// Records a candidate that failed before it could be opened; returns
    /// whether to go on trying.
    pub(crate) fn note_failure(&mut self, err: OpenError) -> bool {
        if self.candidates_tried >= MAX_COOKIE_CANDIDATES {
            return false;
        }
        self.candidates_tried += 1;
        self.record_error(err, None);
        self.candidates_tried < MAX_COOKIE_CANDIDATES
    }

    fn record_error(&mut self, err: OpenError, key_id: Option<KeyId>) {
        trace_refused(&err, key_id);
        // Only a cookie that is ours and definitely dead is removed. A
        // payload of another type or a time in the future may come from a
        // peer server running another version or with another clock.
        if matches!(
            err,
            OpenError::Expired | OpenError::IdleTimeout | OpenError::Revoked
        ) {
            self.stale_cookie = true;
        }
        let better = match &self.load_error {
            None => true,
            Some(old) => !old.is_authenticated() && err.is_authenticated(),
        };
        if better {
            self.load_error = Some(err);
            self.load_error_key_id = key_id;
        }
    }

    /// Tries one candidate cookie value; returns whether to go on trying.
    pub(crate) fn try_candidate(&mut self, value: &str) -> bool {
        if self.meta.is_some() || self.candidates_tried >= MAX_COOKIE_CANDIDATES {
            return false;
        }
        self.candidates_tried += 1;
        let sealer = self.config.sealer();
        let opened = match sealer.record_fingerprint::<T>() {
            Ok(current) => sealer.open_with(value, self.now, |schema, rest| {
                if schema == current {
                    let record = crate::seal::decode_exact::<Record<T>>(rest)?;
                    Ok((record, false))
                } else {
                    let record = self.config.migrate::<T>(schema, current, rest)?;
                    Ok((record, true))
                }
            }),
            Err(err) => Err(OpenError::UnsupportedType(err)),
        };
        match opened {
            Ok(((record, migrated), meta)) => {
                self.data = record.data;
                self.flash_in = record.flash;
                self.meta = Some(meta);
                self.load_error = None;
                self.load_error_key_id = None;
                self.stale_cookie = false;
                // Sealed again as the current type in this response.
                self.migrated = migrated;
                self.modified |= migrated;
                false
            }
            Err(err) => {
                let key_id = match err {
                    OpenError::TooLarge { .. }
                    | OpenError::Malformed
                    | OpenError::UnsupportedVersion => None,
                    _ => crate::format::claimed_key_id(value),
                };
                self.record_error(err, key_id);
                self.candidates_tried < MAX_COOKIE_CANDIDATES
            }
        }
    }
}

/// One event per refused cookie (with the `tracing` feature): the reason and
/// the key id when known, never the value.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn trace_refused(err: &OpenError, key_id: Option<KeyId>) {
    #[cfg(feature = "tracing")]
    match key_id {
        Some(id) => tracing::info!(
            reason = err.as_str(),
            key_id = id.get(),
            "session cookie refused"
        ),
        None => tracing::info!(reason = err.as_str(), "session cookie refused"),
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
            .field("migrated", &self.migrated)
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

#[cfg(all(test, feature = "tracing"))]
mod tracing_tests {
    use core::fmt::Write as _;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    use crate::{Key, KeyId, Keyring, OpenError, SealError, SessionConfig};

    /// Records each event as `message field=value ...`, on this thread only
    /// (installed with `with_default`).
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<String>>>);

    struct Line(String);

    impl Visit for Line {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut line = Line(event.metadata().level().to_string());
            event.record(&mut line);
            self.0.lock().unwrap().push(line.0);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn events(run: impl FnOnce()) -> Vec<String> {
        let capture = Capture::default();
        tracing::subscriber::with_default(capture.clone(), run);
        let lines = capture.0.lock().unwrap().clone();
        lines
    }

    use super::fmt;

    #[test]
    fn refused_rotated_and_oversize_sessions_are_events_without_values() {
        let old_text = Key::generate().to_base64().to_string();
        let old_key = || Key::from_base64(&old_text).unwrap();
        let old = SessionConfig::builder(Keyring::new(KeyId::new(7), old_key()))
            .build()
            .unwrap();
        let mut session = old.new_session::<String>();
        session.insert("secret data".to_owned());
        let set_cookie = session
            .finish()
            .unwrap()
            .into_set_cookie_headers()
            .remove(0);
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let value = cookie.split_once('=').unwrap().1.to_owned();

        // A deploy that lost key 7, then one that keeps it as an old key.
        let lost = SessionConfig::builder(Keyring::new(KeyId::new(8), Key::generate()))
            .build()
            .unwrap();
        let rotated = SessionConfig::builder(
            Keyring::new(KeyId::new(8), Key::generate())
                .with_old_key(KeyId::new(7), old_key())
                .unwrap(),
        )
        .build()
        .unwrap();
        let mut too_large = None;
        let seen = events(|| {
            let session = lost.load::<String, _>(Some(&cookie));
            assert_eq!(session.load_error(), Some(&OpenError::UnknownKeyId));
            let session = lost.load::<String, _>(Some("__Host-session=garbage"));
            assert_eq!(session.load_error(), Some(&OpenError::Malformed));
            let session = rotated.load::<String, _>(Some(&cookie));
            assert!(session.finish().unwrap().set_cookie_headers().len() == 1);
            let mut session = rotated.new_session::<String>();
            session.insert("x".repeat(5000));
            too_large = session.finish().err();
        });
        let Some(SealError::TooLarge { actual, limit }) = too_large else {
            panic!("expected TooLarge, got {too_large:?}");
        };
        let oversize =
            format!("WARN message=session too large for its cookie actual={actual} limit={limit}");
        assert_eq!(
            seen,
            [
                "INFO message=session cookie refused reason=\"unknown_key_id\" key_id=7",
                "INFO message=session cookie refused reason=\"malformed\"",
                "DEBUG message=session re-sealed under the primary key from_key_id=7",
                &oversize,
            ]
        );
        for line in &seen {
            assert!(!line.contains(&value) && !line.contains("secret"), "{line}");
        }
    }
}
