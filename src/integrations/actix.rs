//! actix-web integration: a [`SessionMiddleware`] that loads the session
//! before the handler and writes its `Set-Cookie` headers after it, and the
//! [`SessionHandle`] extractor.
//!
//! actix-web re-exports its own `http` 0.2 types, so this module does not
//! use [`integrations::http`](super::http).
//!
//! ```
//! use actix_web::{http::header, test, web, App};
//! use serde::{Deserialize, Serialize};
//! use sealed_session::integrations::actix::{SessionHandle, SessionMiddleware};
//! use sealed_session::{Key, KeyId, Keyring, SessionConfig};
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Data { visits: u32 }
//!
//! async fn count(session: SessionHandle<Data>) -> String {
//!     let mut session = session.lock();
//!     let data = session.get_or_insert_default();
//!     data.visits += 1;
//!     format!("visit {}", data.visits)
//! }
//!
//! # actix_web::rt::System::new().block_on(async {
//! let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
//! let app = test::init_service(
//!     App::new()
//!         .route("/", web::get().to(count))
//!         .wrap(SessionMiddleware::<Data>::new(config)),
//! )
//! .await;
//!
//! // First visit: the response sets the cookie.
//! let response = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! let set_cookie = response.headers().get(header::SET_COOKIE).ok_or("no cookie")?.to_str()?;
//! let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
//! assert_eq!(test::read_body(response).await, "visit 1");
//!
//! // The browser sends it back; a forged one starts over.
//! let again = test::TestRequest::get().uri("/").insert_header((header::COOKIE, cookie));
//! assert_eq!(test::call_and_read_body(&app, again.to_request()).await, "visit 2");
//! let forged = test::TestRequest::get().uri("/").insert_header((header::COOKIE, "__Host-session=forged"));
//! assert_eq!(test::call_and_read_body(&app, forged.to_request()).await, "visit 1");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::future::{ready, Future, Ready};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{
    HeaderMap, HeaderValue, InvalidHeaderValue, CACHE_CONTROL, COOKIE, SET_COOKIE, VARY,
};
use actix_web::http::StatusCode;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::SessionConfig;
use crate::error::SealError;
use crate::meta::SessionMeta;
use crate::session::{ResponseCookies, Session};

type RevocationCheck<T> = Arc<dyn Fn(&T, &SessionMeta) -> bool + Send + Sync>;
type ErrorResponse = Arc<dyn Fn(&SealError) -> HttpResponse + Send + Sync>;

/// actix-web middleware that gives every request a [`Session<T>`] and writes
/// its cookies into the response: `App::new().wrap(SessionMiddleware::<T>::new(config))`.
///
/// After the handler, when the session has cookies to send, the middleware
/// appends each `Set-Cookie`, sets `Cache-Control: private, no-store` and
/// adds `Cookie` to `Vary`. If sealing fails (most often
/// [`SealError::TooLarge`]: the session no longer fits a cookie), the
/// handler's response is replaced by a `500 Internal Server Error`, never a
/// cookie the browser would drop; see
/// [`with_error_response`](Self::with_error_response). An error that an
/// inner service returns (rather than an error response) passes through
/// without cookies.
///
/// It is cheap to clone, and `Send`, so one value can serve every worker:
///
/// ```
/// use actix_web::{web, App, HttpServer};
/// use sealed_session::integrations::actix::SessionMiddleware;
/// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let sessions = SessionMiddleware::<u32>::new(config);
/// let _server = HttpServer::new(move || {
///     App::new()
///         .wrap(sessions.clone())
///         .route("/", web::get().to(|| async { "hello" }))
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SessionMiddleware<T> {
    config: SessionConfig,
    revocation: Option<RevocationCheck<T>>,
    on_error: ErrorResponse,
    _data: PhantomData<fn() -> T>,
}

impl<T> SessionMiddleware<T> {
    /// Middleware using `config`.
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            revocation: None,
            on_error: Arc::new(default_error_response),
            _data: PhantomData,
        }
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
        self.revocation = Some(Arc::new(is_revoked));
        self
    }

    /// The response sent instead of the handler's when the session cannot be
    /// sealed.
    ///
    /// Default: `500 Internal Server Error` with a short plain-text body.
    ///
    /// ```
    /// use actix_web::{http::StatusCode, test, web, App, HttpResponse};
    /// use sealed_session::integrations::actix::{SessionHandle, SessionMiddleware};
    /// use sealed_session::{Key, KeyId, Keyring, SealError, SessionConfig};
    ///
    /// async fn hoard(session: SessionHandle<Vec<u8>>) -> &'static str {
    ///     session.lock().insert(vec![0; 8_000]);
    ///     "stored"
    /// }
    ///
    /// # actix_web::rt::System::new().block_on(async {
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let sessions = SessionMiddleware::<Vec<u8>>::new(config).with_error_response(|err| {
    ///     let status = match err {
    ///         SealError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
    ///         _ => StatusCode::INTERNAL_SERVER_ERROR,
    ///     };
    ///     HttpResponse::build(status).body("your basket is too big")
    /// });
    /// let app = test::init_service(App::new().route("/", web::get().to(hoard)).wrap(sessions)).await;
    /// let response = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
    /// assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    /// assert!(response.headers().get("set-cookie").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn with_error_response(
        mut self,
        respond: impl Fn(&SealError) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Arc::new(respond);
        self
    }
}

impl<T> Clone for SessionMiddleware<T> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            revocation: self.revocation.clone(),
            on_error: Arc::clone(&self.on_error),
            _data: PhantomData,
        }
    }
}

impl<T> fmt::Debug for SessionMiddleware<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("config", &self.config)
            .field("revocation_check", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, B, T> Transform<S, ServiceRequest> for SessionMiddleware<T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody,
    T: Serialize + DeserializeOwned + Send + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = SessionService<S, T>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service,
            middleware: self.clone(),
        }))
    }
}

/// The service that [`SessionMiddleware`] wraps around the inner one; it is
/// named only in trait bounds.
pub struct SessionService<S, T> {
    service: S,
    middleware: SessionMiddleware<T>,
}

impl<S, T> fmt::Debug for SessionService<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("middleware", &self.middleware)
            .finish_non_exhaustive()
    }
}

impl<S, B, T> Service<ServiceRequest> for SessionService<S, T>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    S::Future: 'static,
    B: MessageBody,
    T: Serialize + DeserializeOwned + Send + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Error>>>>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let mut session: Session<T> = self
            .middleware
            .config
            .load(request.headers().get_all(COOKIE));
        if let Some(check) = &self.middleware.revocation {
            session.revoke_if(|data, meta| check(data, meta));
        }
        let handle = SessionHandle {
            session: Arc::new(Mutex::new(session)),
        };
        request.extensions_mut().insert(handle.clone());
        let on_error = Arc::clone(&self.middleware.on_error);
        let response = self.service.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            let cookies = handle.lock().response_cookies();
            let failure = match cookies {
                Ok(cookies) => apply(&cookies, response.headers_mut())
                    .err()
                    .map(|_| SealError::Serialize),
                Err(err) => Some(err),
            };
            Ok(match failure {
                None => response.map_into_left_body(),
                Some(err) => response.into_response(on_error(&err)).map_into_right_body(),
            })
        })
    }
}

/// Writes `cookies` into actix response headers, as
/// [`integrations::http::apply`](super::http) does for `http` 1.
fn apply(cookies: &ResponseCookies, headers: &mut HeaderMap) -> Result<(), InvalidHeaderValue> {
    if cookies.is_empty() {
        return Ok(());
    }
    for value in cookies.set_cookie_headers() {
        headers.append(SET_COOKIE, HeaderValue::from_str(value)?);
    }
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(crate::session::CACHE_CONTROL),
    );
    let varies = headers
        .get_all(VARY)
        .any(|v| crate::session::vary_covers_cookie(v.as_bytes()));
    if !varies {
        headers.append(VARY, HeaderValue::from_static(crate::session::VARY));
    }
    Ok(())
}

fn default_error_response(err: &SealError) -> HttpResponse {
    HttpResponse::InternalServerError()
        .content_type("text/plain; charset=utf-8")
        .body(super::seal_error_text(err))
}

/// The request's session, extracted in a handler. Clones share one session.
///
/// Lock it briefly and never across an `.await`:
/// `let mut session = handle.lock(); …; drop(session);`.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use sealed_session::integrations::actix::SessionHandle;
///
/// #[derive(Serialize, Deserialize, Default)]
/// struct Data { user: Option<String> }
///
/// async fn login(session: SessionHandle<Data>) -> &'static str {
///     let mut session = session.lock();
///     session.regenerate(); // against session fixation
///     session.get_or_insert_default().user = Some("ada".into());
///     "welcome"
/// }
/// # let _ = actix_web::web::post().to(login);
/// ```
pub struct SessionHandle<T> {
    session: Arc<Mutex<Session<T>>>,
}

impl<T> SessionHandle<T> {
    /// Locks the session for reading or changing it.
    pub fn lock(&self) -> MutexGuard<'_, Session<T>> {
        // A handler that panicked while holding the lock left the session
        // as it was; using it is as safe as before the panic.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
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

impl<T: 'static> FromRequest for SessionHandle<T> {
    type Error = MissingSessionMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            request
                .extensions()
                .get::<Self>()
                .cloned()
                .ok_or(MissingSessionMiddleware),
        )
    }
}

/// The error when a handler asks for a [`SessionHandle<T>`] but no
/// [`SessionMiddleware<T>`] for that `T` wraps it: a `500`, since it is a
/// programming error.
///
/// ```
/// use actix_web::{http::StatusCode, test, web, App};
/// use sealed_session::integrations::actix::SessionHandle;
///
/// async fn count(session: SessionHandle<u32>) -> String {
///     session.lock().get().copied().unwrap_or_default().to_string()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// // No `.wrap(SessionMiddleware::<u32>::new(config))`.
/// let app = test::init_service(App::new().route("/", web::get().to(count))).await;
/// let response = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
/// assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionMiddleware;

impl fmt::Display for MissingSessionMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no session middleware for this session type wraps the handler")
    }
}

impl std::error::Error for MissingSessionMiddleware {}

impl ResponseError for MissingSessionMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}
