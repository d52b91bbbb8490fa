//! axum (tower) integration: a [`SessionLayer`] that loads the session before
//! the handler and writes its `Set-Cookie` headers after it, and the
//! [`SessionHandle`] and [`RequireSession`] extractors. [`CsrfError`] and
//! [`SealError`] are responses (`403` and `500`), so a handler can use `?`
//! on them.
//!
//! After the handler, when the session has cookies to send, the layer
//! appends each `Set-Cookie`, sets `Cache-Control: private, no-store`
//! (replacing the handler's value) and adds `Cookie` to `Vary`; see
//! [`CachePolicy`] to keep a stricter value the handler set, or to opt out.
//!
//! ```
//! use axum::{routing::get, Router};
//! use serde::{Deserialize, Serialize};
//! use sealed_session::integrations::axum::{SessionHandle, SessionLayer};
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
//! let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
//! let _app: Router = Router::new()
//!     .route("/", get(count))
//!     .layer(SessionLayer::<Data>::new(config));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::header::COOKIE;
use http::request::Parts;
use http::{Request, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower_layer::Layer;
use tower_service::Service;

use super::adapter::private::Sealed;
use super::{AdapterResponse, SessionAdapter, SessionFuture};
use crate::error::{CsrfError, SealError};

pub use super::{CachePolicy, RequireSession, SessionHandle};

/// A tower [`Layer`] that gives every request a [`Session<T>`](crate::Session)
/// and writes its cookies into the response; its options are those of
/// [`SessionAdapter`] (revocation check, error response, rejection hook,
/// [`CachePolicy`]).
///
/// If sealing fails at the end of the request (most often
/// [`SealError::TooLarge`]: the session no longer fits a cookie), the
/// handler's response is replaced by a `500 Internal Server Error`, never a
/// cookie the browser would drop; see
/// [`with_error_response`](SessionAdapter::with_error_response).
pub type SessionLayer<T> = SessionAdapter<T, Response>;

impl Sealed for Response {}

impl AdapterResponse for Response {
    fn seal_failed(err: &SealError) -> Self {
        err.clone().into_response()
    }

    fn session_required() -> Self {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

impl<S, T> Layer<S> for SessionAdapter<T, Response> {
    type Service = SessionService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`SessionLayer`].
pub struct SessionService<S, T> {
    inner: S,
    layer: SessionLayer<T>,
}

impl<S: Clone, T> Clone for SessionService<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S, T> fmt::Debug for SessionService<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionService")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S, T> Service<Request<Body>> for SessionService<S, T>
where
    S: Service<Request<Body>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    T: Serialize + DeserializeOwned + Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = SessionFuture<S::Future, T, Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let handle = self.layer.start(request.headers().get_all(COOKIE));
        let extensions = request.extensions_mut();
        if let Some(respond) = self.layer.session_required() {
            extensions.insert(SessionRequiredResponse::<T>(respond, PhantomData));
        }
        extensions.insert(handle.clone());
        // The clone that was made ready by `poll_ready` serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        SessionFuture {
            inner: inner.call(request),
            handle,
            adapter: self.layer.clone(),
        }
    }
}

impl<F, E, T> Future for SessionFuture<F, T, Response>
where
    F: Future<Output = Result<Response, E>>,
    T: Serialize + DeserializeOwned + 'static,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = ready!(this.inner.poll(cx))?;
        Poll::Ready(Ok(
            match this.adapter.finish(this.handle, response.headers_mut()) {
                Ok(()) => response,
                Err(replacement) => replacement,
            },
        ))
    }
}

/// The response configured with
/// [`with_session_required_response`](SessionAdapter::with_session_required_response),
/// carried to [`RequireSession`] in the request's extensions.
struct SessionRequiredResponse<T>(
    Arc<dyn Fn() -> Response + Send + Sync>,
    PhantomData<fn() -> T>,
);

impl<T> Clone for SessionRequiredResponse<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0), PhantomData)
    }
}

/// The rejection when a handler asks for a [`SessionHandle<T>`] but no
/// [`SessionLayer<T>`] for that `T` wraps it: a `500`, since it is a
/// programming error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionLayer;

impl fmt::Display for MissingSessionLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no session layer for this session type wraps the handler")
    }
}

impl std::error::Error for MissingSessionLayer {}

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

impl<S, T> FromRequestParts<S> for SessionHandle<T>
where
    S: Send + Sync,
    T: Send + 'static,
{
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or(MissingSessionLayer)
    }
}

/// The axum extractor: rejects the request with `401 Unauthorized` when the
/// session holds no data, or with the response set by
/// [`with_session_required_response`](SessionAdapter::with_session_required_response).
///
/// ```
/// use axum::{http::StatusCode, routing::get, Router};
/// use tower::ServiceExt as _;
/// use serde::{Deserialize, Serialize};
/// use sealed_session::integrations::axum::{RequireSession, SessionLayer};
/// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
///
/// #[derive(Serialize, Deserialize, Clone)]
/// struct User { name: String }
///
/// async fn account(session: RequireSession<User>) -> String {
///     session.with(|s| s.get().map(|u| u.name.clone())).unwrap_or_default()
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let app = Router::new()
///     .route("/account", get(account))
///     .layer(SessionLayer::<User>::new(config));
/// let response = app.oneshot(http::Request::get("/account").body(axum::body::Body::empty())?).await?;
/// assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
impl<S, T> FromRequestParts<S> for RequireSession<T>
where
    S: Send + Sync,
    T: Send + 'static,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let handle = SessionHandle::<T>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        if handle.has_data() {
            return Ok(Self(handle));
        }
        Err(match parts.extensions.get::<SessionRequiredResponse<T>>() {
            Some(respond) => (respond.0)(),
            None => Response::session_required(),
        })
    }
}

/// A refused CSRF token is a `403 Forbidden` with a plain-text body that
/// does not say which check failed.
impl IntoResponse for CsrfError {
    fn into_response(self) -> Response {
        (StatusCode::FORBIDDEN, super::CSRF_ERROR_TEXT).into_response()
    }
}

/// A session that cannot be sealed is a `500 Internal Server Error` with a
/// short plain-text body naming no session content (the layer's default
/// error response).
impl IntoResponse for SealError {
    fn into_response(self) -> Response {
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            super::seal_error_text(&self),
        )
            .into_response()
    }
}
