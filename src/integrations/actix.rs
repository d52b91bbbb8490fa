//! actix-web integration: a [`SessionMiddleware`] that loads the session
//! before the handler and writes its `Set-Cookie` headers after it, and the
//! [`SessionHandle`] and [`RequireSession`] extractors. [`CsrfError`] and
//! [`SealError`] are `ResponseError`s (`403` and `500`), so a handler can use
//! `?` on them.
//!
//! actix-web re-exports its own `http` 0.2 types; the shared adapter core
//! writes into them through a small header trait.
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
//!     let visits = session.update(|data| {
//!         data.visits += 1;
//!         data.visits
//!     });
//!     format!("visit {visits}")
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
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, InvalidHeaderValue, CACHE_CONTROL, COOKIE, SET_COOKIE, VARY,
};
use actix_web::http::StatusCode;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::adapter::private::Sealed;
use super::adapter::{Header, ResponseHeaders};
use super::{AdapterResponse, SessionAdapter, SessionFuture};
use crate::error::{CsrfError, SealError};

pub use super::{CachePolicy, RequireSession, SessionHandle};

/// actix-web middleware that gives every request a
/// [`Session<T>`](crate::Session) and writes its cookies into the response:
/// `App::new().wrap(SessionMiddleware::<T>::new(config))`. Its options are
/// those of [`SessionAdapter`] (revocation check, error response, rejection
/// hook, [`CachePolicy`]).
///
/// After the handler, when the session has cookies to send, the middleware
/// appends each `Set-Cookie`, sets `Cache-Control: private, no-store`
/// (replacing the handler's value; see [`CachePolicy`] to keep a stricter
/// one, or to opt out) and adds `Cookie` to `Vary`. If sealing fails (most
/// often [`SealError::TooLarge`]: the session no longer fits a cookie), the
/// handler's response is replaced by a `500 Internal Server Error`, never a
/// cookie the browser would drop; see
/// [`with_error_response`](SessionAdapter::with_error_response). An error
/// that an inner service returns (rather than an error response) passes
/// through without cookies.
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
///
/// A custom response for an unsealable session:
///
/// ```
/// use actix_web::{http::StatusCode, test, web, App, HttpResponse};
/// use sealed_session::integrations::actix::{SessionHandle, SessionMiddleware};
/// use sealed_session::{Key, KeyId, Keyring, SealError, SessionConfig};
///
/// async fn hoard(session: SessionHandle<Vec<u8>>) -> &'static str {
///     session.insert(vec![0; 8_000]);
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
pub type SessionMiddleware<T> = SessionAdapter<T, HttpResponse>;

impl Sealed for HttpResponse {}

impl AdapterResponse for HttpResponse {
    fn seal_failed(err: &SealError) -> Self {
        err.error_response()
    }

    fn session_required() -> Self {
        HttpResponse::Unauthorized().finish()
    }
}

impl<S, B, T> Transform<S, ServiceRequest> for SessionAdapter<T, HttpResponse>
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
    type Future = SessionFuture<S::Future, T, HttpResponse>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let handle = self.middleware.start(request.headers().get_all(COOKIE));
        {
            let mut extensions = request.extensions_mut();
            if let Some(respond) = self.middleware.session_required() {
                extensions.insert(SessionRequiredResponse::<T>(respond, PhantomData));
            }
            extensions.insert(handle.clone());
        }
        SessionFuture {
            inner: self.service.call(request),
            handle,
            adapter: self.middleware.clone(),
        }
    }
}

impl<F, B, T> Future for SessionFuture<F, T, HttpResponse>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    T: Serialize + DeserializeOwned + 'static,
{
    type Output = Result<ServiceResponse<EitherBody<B>>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        Poll::Ready(Ok(
            match this.adapter.finish(this.handle, response.headers_mut()) {
                Ok(()) => response.map_into_left_body(),
                Err(replacement) => response.into_response(replacement).map_into_right_body(),
            },
        ))
    }
}

fn name(header: Header) -> HeaderName {
    match header {
        Header::SetCookie => SET_COOKIE,
        Header::CacheControl => CACHE_CONTROL,
        Header::Vary => VARY,
    }
}

impl ResponseHeaders for HeaderMap {
    type Error = InvalidHeaderValue;

    fn append(&mut self, header: Header, value: String) -> Result<(), InvalidHeaderValue> {
        HeaderMap::append(self, name(header), HeaderValue::try_from(value)?);
        Ok(())
    }

    fn append_static(&mut self, header: Header, value: &'static str) {
        HeaderMap::append(self, name(header), HeaderValue::from_static(value));
    }

    fn set_static(&mut self, header: Header, value: &'static str) {
        self.insert(name(header), HeaderValue::from_static(value));
    }

    fn any(&self, header: Header, test: fn(&[u8]) -> bool) -> bool {
        self.get_all(name(header)).any(|v| test(v.as_bytes()))
    }
}

/// The response configured with
/// [`with_session_required_response`](SessionAdapter::with_session_required_response),
/// carried to [`RequireSession`] in the request's extensions.
struct SessionRequiredResponse<T>(
    Arc<dyn Fn() -> HttpResponse + Send + Sync>,
    PhantomData<fn() -> T>,
);

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
///     session.get().unwrap_or_default().to_string()
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

/// The actix-web extractor: refuses the request with `401 Unauthorized` when
/// the session holds no data, or with the response set by
/// [`with_session_required_response`](SessionAdapter::with_session_required_response).
///
/// ```
/// use actix_web::{http::StatusCode, test, web, App};
/// use sealed_session::integrations::actix::{RequireSession, SessionMiddleware};
/// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
///
/// async fn account(session: RequireSession<String>) -> String {
///     session.get().unwrap_or_default()
/// }
///
/// # actix_web::rt::System::new().block_on(async {
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let app = test::init_service(
///     App::new()
///         .route("/account", web::get().to(account))
///         .wrap(SessionMiddleware::<String>::new(config)),
/// )
/// .await;
/// let response = test::call_service(&app, test::TestRequest::get().uri("/account").to_request()).await;
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl<T: 'static> FromRequest for RequireSession<T> {
    type Error = SessionRequired;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let extensions = request.extensions();
        let Some(handle) = extensions.get::<SessionHandle<T>>() else {
            return ready(Err(SessionRequired {
                response: None,
                missing_middleware: true,
            }));
        };
        if handle.has_data() {
            return ready(Ok(Self(handle.clone())));
        }
        let response = extensions
            .get::<SessionRequiredResponse<T>>()
            .map(|respond| Arc::clone(&respond.0));
        ready(Err(SessionRequired {
            response,
            missing_middleware: false,
        }))
    }
}

/// The error of [`RequireSession`]: the request has no session data (a
/// `401`, or the configured response), or no [`SessionMiddleware<T>`]
/// wraps the handler (a `500`).
pub struct SessionRequired {
    response: Option<Arc<dyn Fn() -> HttpResponse + Send + Sync>>,
    missing_middleware: bool,
}

impl fmt::Debug for SessionRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRequired")
            .field("missing_middleware", &self.missing_middleware)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for SessionRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.missing_middleware {
            fmt::Display::fmt(&MissingSessionMiddleware, f)
        } else {
            f.write_str("this request needs a session")
        }
    }
}

impl ResponseError for SessionRequired {
    fn status_code(&self) -> StatusCode {
        if self.missing_middleware {
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            StatusCode::UNAUTHORIZED
        }
    }

    fn error_response(&self) -> HttpResponse {
        match (&self.response, self.missing_middleware) {
            (_, true) => MissingSessionMiddleware.error_response(),
            (Some(respond), false) => respond(),
            (None, false) => HttpResponse::session_required(),
        }
    }
}

/// A refused CSRF token is a `403 Forbidden` with a plain-text body that
/// does not say which check failed.
impl ResponseError for CsrfError {
    fn status_code(&self) -> StatusCode {
        StatusCode::FORBIDDEN
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body(super::CSRF_ERROR_TEXT)
    }
}

/// A session that cannot be sealed is a `500 Internal Server Error` with a
/// short plain-text body naming no session content (the middleware's
/// default error response).
impl ResponseError for SealError {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::InternalServerError()
            .content_type("text/plain; charset=utf-8")
            .body(super::seal_error_text(self))
    }
}
