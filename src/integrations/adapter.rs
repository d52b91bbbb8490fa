//! The adapter core every framework adapter is built on: the options
//! ([`SessionAdapter`]), the per-request steps (load from every `Cookie`
//! header, revocation check, rejection hook; then finish, `Set-Cookie` and
//! cache headers, error response) and the async-safe [`SessionHandle`].
//!
//! A framework adapter adds only its glue: where the request's `Cookie`
//! headers are, where the handle is stored for its extractor, how its
//! response headers are written ([`ResponseHeaders`]) and its default
//! responses ([`AdapterResponse`]).

use core::fmt;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::SessionConfig;
use crate::error::{CsrfError, OpenError, SealError};
use crate::key::KeyId;
use crate::meta::SessionMeta;
use crate::session::{ResponseCookies, Session};

type RevocationCheck<T> = Arc<dyn Fn(&T, &SessionMeta) -> bool + Send + Sync>;
type RespondTo<E, R> = Arc<dyn Fn(&E) -> R + Send + Sync>;
type RejectionHook = Arc<dyn Fn(&OpenError, Option<KeyId>) + Send + Sync>;

/// What an adapter does with `Cache-Control` and `Vary` on a response that
/// sets a session cookie. Responses without a `Set-Cookie` are never
/// touched.
///
/// A response that sets one user's session must not be stored by a shared
/// cache (a CDN or proxy would hand it, cookie and all, to the next
/// visitor), hence the default.
///
/// ```
/// use sealed_session::integrations::CachePolicy;
///
/// assert_eq!(CachePolicy::default(), CachePolicy::Overwrite);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CachePolicy {
    /// Sets `Cache-Control: private, no-store`, replacing any value the
    /// handler set, and adds `Cookie` to `Vary` (unless it already names
    /// it or is `*`).
    #[default]
    Overwrite,
    /// As [`Overwrite`](Self::Overwrite), but keeps the handler's
    /// `Cache-Control` when it already forbids storing (has a `no-store`
    /// directive, such as `no-store, max-age=0`).
    KeepNoStore,
    /// Keeps any `Cache-Control` the handler set, and sets
    /// `private, no-store` only when there is none; adds `Cookie` to
    /// `Vary` as the default does.
    ///
    /// # Security
    ///
    /// A handler that sets `public` or `max-age` on a page whose response
    /// also refreshes the session lets a shared cache store the cookie.
    KeepHandler,
    /// Writes neither `Cache-Control` nor `Vary`: the application sets
    /// them.
    ///
    /// # Security
    ///
    /// As for [`KeepHandler`](Self::KeepHandler), for every response.
    Off,
}

/// The framework's response type, as an adapter core needs it: the
/// default responses for an unsealable session and for a request that
/// needs a session and has none. Implemented for each framework's response
/// type behind its feature; not implementable outside this crate.
pub trait AdapterResponse: Sized + private::Sealed + 'static {
    /// The default response when the session cannot be sealed: `500
    /// Internal Server Error` with a short plain-text body naming no session
    /// content.
    fn seal_failed(err: &SealError) -> Self;
    /// The default response of a session-requiring extractor when the
    /// request has no session data: `401 Unauthorized`, empty.
    fn session_required() -> Self;
}

pub(crate) mod private {
    /// Keeps [`AdapterResponse`](super::AdapterResponse) implemented in
    /// this crate only.
    pub trait Sealed {}
}

/// A framework's response header map, seen by the adapter core: the only
/// header writing an adapter provides.
pub(crate) trait ResponseHeaders {
    /// The framework's invalid-header-value error.
    type Error;
    /// Appends `name: value`.
    ///
    /// # Errors
    ///
    /// When `value` is not a valid header value (never for the values this
    /// crate renders).
    fn append(&mut self, name: Header, value: String) -> Result<(), Self::Error>;
    /// Appends `name: value` for a constant, valid value.
    fn append_static(&mut self, name: Header, value: &'static str);
    /// Replaces every `name` header with `name: value`.
    fn set_static(&mut self, name: Header, value: &'static str);
    /// Whether some `name` header value satisfies `test`.
    fn any(&self, name: Header, test: fn(&[u8]) -> bool) -> bool;
}

/// The headers the core writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Header {
    SetCookie,
    CacheControl,
    Vary,
}

/// The options of a framework adapter, with one set of builder methods for
/// every framework: `R` is the framework's response type. Use it through
/// its framework names, `integrations::axum::SessionLayer<T>`,
/// `integrations::actix::SessionMiddleware<T>` and
/// `integrations::rocket::SessionFairing<T>`.
///
/// Cheap to clone (one reference count): build it once and share it.
pub struct SessionAdapter<T, R> {
    shared: Arc<Shared<T, R>>,
}

struct Shared<T, R> {
    config: SessionConfig,
    revocation: Option<RevocationCheck<T>>,
    on_error: RespondTo<SealError, R>,
    on_rejected: Option<RejectionHook>,
    session_required: Option<Arc<dyn Fn() -> R + Send + Sync>>,
    cache: CachePolicy,
    _data: PhantomData<fn() -> T>,
}

impl<T, R> Clone for Shared<T, R> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            revocation: self.revocation.clone(),
            on_error: Arc::clone(&self.on_error),
            on_rejected: self.on_rejected.clone(),
            session_required: self.session_required.clone(),
            cache: self.cache,
            _data: PhantomData,
        }
    }
}

impl<T, R: AdapterResponse> SessionAdapter<T, R> {
    /// An adapter using `config`, with no revocation check, no rejection
    /// hook, the default error responses and [`CachePolicy::Overwrite`].
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self::with_default_error(config, R::seal_failed)
    }
}

impl<T, R> SessionAdapter<T, R> {
    /// An adapter whose error response is `on_error`, for an `R` that is
    /// not a framework's response (the tower-sessions layer, which serves
    /// any response body, takes the [`SealError`] itself).
    pub(crate) fn with_default_error(
        config: SessionConfig,
        on_error: impl Fn(&SealError) -> R + Send + Sync + 'static,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                revocation: None,
                on_error: Arc::new(on_error),
                on_rejected: None,
                session_required: None,
                cache: CachePolicy::default(),
                _data: PhantomData,
            }),
        }
    }

    fn shared_mut(&mut self) -> &mut Shared<T, R> {
        Arc::make_mut(&mut self.shared)
    }

    /// Runs `is_revoked` on every loaded session before the handler; see
    /// [`Session::revoke_if`].
    ///
    /// Default: no check.
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use sealed_session::integrations::actix::SessionMiddleware;
    /// use sealed_session::{Key, KeyId, Keyring, SessionConfig, UnixSeconds};
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Data { user: String }
    ///
    /// // Sessions issued before a user's last password change are void.
    /// fn password_changed_at(_user: &str) -> UnixSeconds { UnixSeconds::new(1_800_000_000) }
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let _sessions = SessionMiddleware::<Data>::new(config)
    ///     .with_revocation_check(|data, meta| meta.issued_at() < password_changed_at(&data.user));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_revocation_check(
        mut self,
        is_revoked: impl Fn(&T, &SessionMeta) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.shared_mut().revocation = Some(Arc::new(is_revoked));
        self
    }

    /// The response sent instead of the handler's when the session cannot be
    /// sealed (most often [`SealError::TooLarge`]: the session no longer
    /// fits a cookie). The handler's response is then dropped, never sent
    /// with a cookie the browser would drop.
    ///
    /// Default: `500 Internal Server Error` with a short plain-text body.
    #[must_use]
    pub fn with_error_response(
        mut self,
        respond: impl Fn(&SealError) -> R + Send + Sync + 'static,
    ) -> Self {
        self.shared_mut().on_error = Arc::new(respond);
        self
    }

    /// Calls `hook` once per request whose session cookie was refused, with
    /// the reason and the key id the cookie named when it could be read
    /// ([`Session::load_error_key_id`]); also for sessions the
    /// [revocation check](Self::with_revocation_check) refused. For counting
    /// rejections by reason ([`OpenError::as_str`]): a jump in
    /// `unknown_key_id` after a deploy means a key went missing from the
    /// keyring. Never given the cookie's value.
    ///
    /// Default: none.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use std::sync::Arc;
    /// use sealed_session::integrations::axum::SessionLayer;
    /// use sealed_session::{Key, KeyId, Keyring, OpenError, SessionConfig};
    ///
    /// let unknown_key = Arc::new(AtomicU64::new(0));
    /// let counter = Arc::clone(&unknown_key);
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let _layer = SessionLayer::<u32>::new(config).on_rejected(move |err, _key_id| {
    ///     if *err == OpenError::UnknownKeyId {
    ///         counter.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn on_rejected(
        mut self,
        hook: impl Fn(&OpenError, Option<KeyId>) + Send + Sync + 'static,
    ) -> Self {
        self.shared_mut().on_rejected = Some(Arc::new(hook));
        self
    }

    /// The response of the framework's session-requiring extractor
    /// (`RequireSession`) when the request holds no session data.
    ///
    /// Default: `401 Unauthorized` with an empty body.
    #[must_use]
    pub fn with_session_required_response(
        mut self,
        respond: impl Fn() -> R + Send + Sync + 'static,
    ) -> Self {
        self.shared_mut().session_required = Some(Arc::new(respond));
        self
    }

    /// What happens to `Cache-Control` and `Vary` on responses that set a
    /// session cookie; see [`CachePolicy`].
    ///
    /// Default: [`CachePolicy::Overwrite`] (`Cache-Control: private,
    /// no-store`, `Vary: Cookie`).
    #[must_use]
    pub fn with_cache_policy(mut self, policy: CachePolicy) -> Self {
        self.shared_mut().cache = policy;
        self
    }

    /// The session configuration.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        &self.shared.config
    }

    /// Starts a request: loads the session from every `Cookie` header,
    /// runs the revocation check and the rejection hook.
    pub(crate) fn start<H: AsRef<[u8]>>(
        &self,
        cookie_headers: impl IntoIterator<Item = H>,
    ) -> SessionHandle<T>
    where
        T: DeserializeOwned + 'static,
    {
        let shared = &*self.shared;
        let mut session: Session<T> = shared.config.load(cookie_headers);
        if let Some(check) = &shared.revocation {
            session.revoke_if(|data, meta| check(data, meta));
        }
        if let (Some(hook), Some(err)) = (&shared.on_rejected, session.load_error()) {
            hook(err, session.load_error_key_id());
        }
        SessionHandle::new(session)
    }

    /// Ends a request: writes the session's `Set-Cookie` headers and the
    /// cache headers into `headers`, or gives the error response that
    /// replaces the handler's.
    pub(crate) fn finish(
        &self,
        handle: &SessionHandle<T>,
        headers: &mut impl ResponseHeaders,
    ) -> Result<(), R>
    where
        T: Serialize + DeserializeOwned + 'static,
    {
        let on_error = |err: SealError| (self.shared.on_error)(&err);
        let cookies = handle.lock().response_cookies().map_err(on_error)?;
        // A rendered cookie is printable ASCII: a framework refusing it is
        // reported as unsealable rather than dropped.
        write(cookies, self.shared.cache, headers).map_err(|_| on_error(SealError::Serialize))
    }

    /// The response for a request that needs a session and has none.
    // The tower-sessions layer has no session-requiring extractor.
    #[cfg_attr(
        not(any(feature = "axum", feature = "actix-web", feature = "rocket")),
        allow(dead_code)
    )]
    pub(crate) fn session_required(&self) -> Option<Arc<dyn Fn() -> R + Send + Sync>> {
        self.shared.session_required.clone()
    }
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
pin_project_lite::pin_project! {
    /// The response future of an adapter's service: the inner service's
    /// future, then the session's cookies written into its response (or the
    /// error response instead). Named only in trait bounds; no allocation.
    pub struct SessionFuture<F, T, R> {
        #[pin]
        pub(crate) inner: F,
        pub(crate) handle: SessionHandle<T>,
        pub(crate) adapter: SessionAdapter<T, R>,
    }
}

#[cfg(any(feature = "axum", feature = "actix-web"))]
impl<F, T, R> fmt::Debug for SessionFuture<F, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionFuture").finish_non_exhaustive()
    }
}

impl<T, R> Clone for SessionAdapter<T, R> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T, R> fmt::Debug for SessionAdapter<T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &*self.shared;
        f.debug_struct("SessionAdapter")
            .field("config", &shared.config)
            .field("revocation_check", &shared.revocation.is_some())
            .field("on_rejected", &shared.on_rejected.is_some())
            .field("cache_policy", &shared.cache)
            .finish_non_exhaustive()
    }
}

/// Writes `cookies` into `headers` with the cache policy; writes nothing
/// when `cookies` is empty.
pub(crate) fn write<H: ResponseHeaders>(
    cookies: ResponseCookies,
    policy: CachePolicy,
    headers: &mut H,
) -> Result<(), H::Error> {
    if cookies.is_empty() {
        return Ok(());
    }
    for value in cookies.into_set_cookie_headers() {
        headers.append(Header::SetCookie, value)?;
    }
    let keep = match policy {
        CachePolicy::Off => return Ok(()),
        CachePolicy::Overwrite => false,
        CachePolicy::KeepNoStore => headers.any(Header::CacheControl, has_no_store),
        CachePolicy::KeepHandler => headers.any(Header::CacheControl, |_| true),
    };
    if !keep {
        headers.set_static(Header::CacheControl, crate::session::CACHE_CONTROL);
    }
    if !headers.any(Header::Vary, crate::session::vary_covers_cookie) {
        headers.append_static(Header::Vary, crate::session::VARY);
    }
    Ok(())
}

/// Whether a `Cache-Control` value has the `no-store` directive.
fn has_no_store(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|item| item.trim_ascii().eq_ignore_ascii_case(b"no-store"))
}

/// The request's session, taken by a handler through its framework's
/// extractor. Clones share one session.
///
/// Every method locks, acts and releases before it returns: none hands out
/// a guard or a reference into the session, so a handler can hold the
/// handle across any `.await` (the natural login handler, which reads a
/// form, awaits a lookup, then regenerates and stores the user, compiles
/// as written). Reads return owned values ([`get`](Self::get) clones);
/// [`with`](Self::with), [`with_mut`](Self::with_mut) and
/// [`update`](Self::update) run a closure under the lock for anything else.
///
/// ```
/// # #![allow(dead_code)]
/// use serde::{Deserialize, Serialize};
/// use sealed_session::integrations::SessionHandle;
///
/// #[derive(Serialize, Deserialize, Default, Clone)]
/// struct Data { user: Option<String>, visits: u32 }
///
/// async fn find_user(name: &str) -> Option<String> { Some(name.to_owned()) }
///
/// async fn login(session: SessionHandle<Data>, name: String) -> &'static str {
///     let Some(user) = find_user(&name).await else { return "unknown user" };
///     session.regenerate(); // a new, empty session: against fixation
///     session.update(|data| data.user = Some(user));
///     "welcome"
/// }
///
/// // The handler's future is `Send`, as axum and tokio require.
/// fn assert_send<F: std::future::Future + Send>(_: F) {}
/// fn check(session: SessionHandle<Data>) {
///     assert_send(login(session, "ada".into()));
/// }
/// ```
///
/// The closures are synchronous: awaiting inside one does not compile,
/// which keeps the lock from being held across an `.await`:
///
/// ```compile_fail,E0728
/// use sealed_session::integrations::SessionHandle;
///
/// async fn lookup() -> u32 { 1 }
///
/// async fn handler(session: SessionHandle<u32>) {
///     session.update(|n| *n = lookup().await); // error: `await` outside of an async block
/// }
/// ```
///
/// and nothing borrowed from the session outlives the closure:
///
/// ```compile_fail
/// use sealed_session::integrations::SessionHandle;
///
/// fn peek(session: &SessionHandle<String>) -> Option<&String> {
///     session.with(|s| s.get()) // error: the reference would escape the lock
/// }
/// ```
pub struct SessionHandle<T> {
    session: Arc<Mutex<Session<T>>>,
}

impl<T> SessionHandle<T> {
    pub(crate) fn new(session: Session<T>) -> Self {
        Self {
            session: Arc::new(Mutex::new(session)),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Session<T>> {
        // A closure that panicked under the lock left the session as it
        // was; using it is as safe as before the panic.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the data, if the session holds any.
    #[must_use]
    pub fn get(&self) -> Option<T>
    where
        T: Clone,
    {
        self.lock().get().cloned()
    }

    /// Runs `f` on the session, under the lock, and returns its result:
    /// for reading parts of the data without cloning all of it.
    ///
    /// ```
    /// # #![allow(dead_code)]
    /// # use sealed_session::integrations::SessionHandle;
    /// # struct Data { user: Option<String> }
    /// fn user(session: &SessionHandle<Data>) -> Option<String> {
    ///     session.with(|s| s.get().and_then(|d| d.user.clone()))
    /// }
    /// ```
    pub fn with<U>(&self, f: impl FnOnce(&Session<T>) -> U) -> U {
        f(&self.lock())
    }

    /// Runs `f` on the session for changing it, under the lock: anything
    /// [`Session`] offers that the handle has no method for.
    pub fn with_mut<U>(&self, f: impl FnOnce(&mut Session<T>) -> U) -> U {
        f(&mut self.lock())
    }

    /// Runs `f` on the data, stored first as `T::default()` if there is
    /// none, and marks the session modified; see
    /// [`Session::get_or_insert_default`].
    pub fn update<U>(&self, f: impl FnOnce(&mut T) -> U) -> U
    where
        T: Default,
    {
        f(self.lock().get_or_insert_default())
    }

    /// Stores `data`, returning what was there; see [`Session::insert`].
    pub fn insert(&self, data: T) -> Option<T> {
        self.lock().insert(data)
    }

    /// Removes and returns the data; see [`Session::take`].
    pub fn take(&self) -> Option<T> {
        self.lock().take()
    }

    /// Starts the session over with a new id and no data (express-session's
    /// `regenerate`); see [`Session::regenerate`].
    pub fn regenerate(&self) {
        self.lock().regenerate();
    }

    /// A new id, keeping the data (actix-session's `renew`); see
    /// [`Session::renew`].
    pub fn renew(&self) {
        self.lock().renew();
    }

    /// Ends the session (logout); see [`Session::destroy`].
    pub fn destroy(&self) {
        self.lock().destroy();
    }

    /// Asks for a re-seal even if unchanged; see [`Session::touch`].
    pub fn touch(&self) {
        self.lock().touch();
    }

    /// Stores a flash message for a following request; see
    /// [`Session::set_flash`].
    ///
    /// # Errors
    ///
    /// As [`Session::set_flash`].
    pub fn set_flash<F: Serialize + ?Sized>(&self, message: &F) -> Result<(), SealError> {
        self.lock().set_flash(message)
    }

    /// Reads and removes the flash message of an earlier request; see
    /// [`Session::take_flash`].
    ///
    /// # Errors
    ///
    /// As [`Session::take_flash`].
    pub fn take_flash<F: DeserializeOwned>(&self) -> Result<Option<F>, OpenError> {
        self.lock().take_flash()
    }

    /// A new CSRF token; see [`Session::csrf_token`].
    ///
    /// # Errors
    ///
    /// As [`Session::csrf_token`].
    pub fn csrf_token(&self) -> Result<String, SealError> {
        self.lock().csrf_token()
    }

    /// Checks a CSRF token; see [`Session::verify_csrf`]. With the `axum`,
    /// `actix-web` or `rocket` feature, [`CsrfError`] is a `403` response,
    /// so a handler can end with `session.verify_csrf(&form.csrf)?`.
    ///
    /// # Errors
    ///
    /// As [`Session::verify_csrf`].
    pub fn verify_csrf(&self, token: &str) -> Result<(), CsrfError> {
        self.lock().verify_csrf(token)
    }

    /// A copy of the loaded cookie's metadata; see [`Session::meta`].
    #[must_use]
    pub fn meta(&self) -> Option<SessionMeta> {
        self.lock().meta().cloned()
    }

    /// Whether the session holds data.
    #[must_use]
    pub fn has_data(&self) -> bool {
        self.lock().get().is_some()
    }

    /// Whether no valid cookie was loaded; see [`Session::is_new`].
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.lock().is_new()
    }

    /// Why the request's cookie was refused, if it was; see
    /// [`Session::load_error`].
    #[must_use]
    pub fn load_error(&self) -> Option<OpenError> {
        self.lock().load_error().cloned()
    }
}

/// An extractor for handlers that need a session holding data (a logged-in
/// user, say): with axum, actix-web or Rocket it refuses a request whose
/// session holds none with `401 Unauthorized`, or with the response set by
/// [`with_session_required_response`](SessionAdapter::with_session_required_response).
/// Derefs to the [`SessionHandle`].
pub struct RequireSession<T>(pub SessionHandle<T>);

impl<T> RequireSession<T> {
    /// The handle.
    #[must_use]
    pub fn into_inner(self) -> SessionHandle<T> {
        self.0
    }
}

impl<T> core::ops::Deref for RequireSession<T> {
    type Target = SessionHandle<T>;

    fn deref(&self) -> &SessionHandle<T> {
        &self.0
    }
}

impl<T> fmt::Debug for RequireSession<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RequireSession").field(&self.0).finish()
    }
}

impl<T> Clone for SessionHandle<T> {
    fn clone(&self) -> Self {
        Self {
            session: Arc::clone(&self.session),
        }
    }
}

impl<T> fmt::Debug for SessionHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionHandle").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Map(Vec<(Header, String)>);

    impl ResponseHeaders for Map {
        type Error = ();

        fn append(&mut self, name: Header, value: String) -> Result<(), ()> {
            self.0.push((name, value));
            Ok(())
        }
        fn append_static(&mut self, name: Header, value: &'static str) {
            self.0.push((name, value.to_owned()));
        }
        fn set_static(&mut self, name: Header, value: &'static str) {
            self.0.retain(|(n, _)| *n != name);
            self.0.push((name, value.to_owned()));
        }
        fn any(&self, name: Header, test: fn(&[u8]) -> bool) -> bool {
            self.0.iter().any(|(n, v)| *n == name && test(v.as_bytes()))
        }
    }

    fn cookies() -> ResponseCookies {
        let config =
            SessionConfig::builder(crate::Keyring::new(KeyId::new(1), crate::Key::generate()))
                .build()
                .unwrap();
        let mut session = config.new_session::<u32>();
        session.insert(1);
        session.finish().unwrap()
    }

    fn cache_control(policy: CachePolicy, handler: Option<&str>) -> Vec<String> {
        let mut map = Map::default();
        if let Some(value) = handler {
            map.0.push((Header::CacheControl, value.to_owned()));
        }
        write(cookies(), policy, &mut map).unwrap();
        assert_eq!(
            map.0
                .iter()
                .filter(|(n, _)| *n == Header::SetCookie)
                .count(),
            1
        );
        map.0
            .into_iter()
            .filter(|(n, _)| *n == Header::CacheControl)
            .map(|(_, v)| v)
            .collect()
    }

    #[test]
    fn cache_policies() {
        use CachePolicy::*;
        let ours = ["private, no-store"];
        assert_eq!(cache_control(Overwrite, None), ours);
        assert_eq!(cache_control(Overwrite, Some("public, max-age=60")), ours);
        assert_eq!(cache_control(Overwrite, Some("no-store")), ours);
        assert_eq!(cache_control(KeepNoStore, Some("public")), ours);
        assert_eq!(cache_control(KeepNoStore, None), ours);
        assert_eq!(
            cache_control(KeepNoStore, Some("max-age=0 , No-Store")),
            ["max-age=0 , No-Store"]
        );
        assert_eq!(cache_control(KeepNoStore, Some("no-storex")), ours);
        assert_eq!(cache_control(KeepHandler, Some("public")), ["public"]);
        assert_eq!(cache_control(KeepHandler, None), ours);
        assert_eq!(cache_control(Off, None), Vec::<String>::new());
        assert_eq!(cache_control(Off, Some("public")), ["public"]);
    }

    #[test]
    fn off_writes_no_vary_and_nothing_without_cookies() {
        let mut map = Map::default();
        write(cookies(), CachePolicy::Off, &mut map).unwrap();
        assert!(!map.any(Header::Vary, |_| true));
        let mut map = Map::default();
        write(ResponseCookies::default(), CachePolicy::Overwrite, &mut map).unwrap();
        assert!(map.0.is_empty());
    }
}
