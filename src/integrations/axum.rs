//! axum (tower) integration: a [`SessionLayer`] that loads the session before
//! the handler and writes its `Set-Cookie` headers after it, and the
//! [`SessionHandle`] extractor.
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
//!     let mut session = session.lock();
//!     let data = session.get_or_insert_default();
//!     data.visits += 1;
//!     format!("visit {}", data.visits)
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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Request, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tower_layer::Layer;
use tower_service::Service;

use crate::config::SessionConfig;
use crate::error::SealError;
use crate::meta::SessionMeta;
use crate::session::Session;

type RevocationCheck<T> = Arc<dyn Fn(&T, &SessionMeta) -> bool + Send + Sync>;
type ErrorResponse = Arc<dyn Fn(&SealError) -> Response + Send + Sync>;

/// A tower [`Layer`] that gives every request a [`Session<T>`] and writes its
/// cookies into the response.
///
/// If sealing fails at the end of the request (most often
/// [`SealError::TooLarge`]: the session no longer fits a cookie), the
/// handler's response is replaced by a `500 Internal Server Error`, never a
/// cookie the browser would drop; see
/// [`with_error_response`](Self::with_error_response).
pub struct SessionLayer<T> {
    config: SessionConfig,
    revocation: Option<RevocationCheck<T>>,
    on_error: ErrorResponse,
    _data: PhantomData<fn() -> T>,
}

impl<T> SessionLayer<T> {
    /// A layer using `config`.
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
    #[must_use]
    pub fn with_error_response(
        mut self,
        respond: impl Fn(&SealError) -> Response + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Arc::new(respond);
        self
    }
}

impl<T> Clone for SessionLayer<T> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
            revocation: self.revocation.clone(),
            on_error: Arc::clone(&self.on_error),
            _data: PhantomData,
        }
    }
}

impl<T> fmt::Debug for SessionLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionLayer")
            .field("config", &self.config)
            .field("revocation_check", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

impl<S, T> Layer<S> for SessionLayer<T> {
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
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let mut session: Session<T> = super::http::load(&self.layer.config, request.headers());
        if let Some(check) = &self.layer.revocation {
            session.revoke_if(|data, meta| check(data, meta));
        }
        let handle = SessionHandle {
            session: Arc::new(Mutex::new(session)),
        };
        request.extensions_mut().insert(handle.clone());
        let on_error = Arc::clone(&self.layer.on_error);
        // The clone that was made ready by `poll_ready` serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            let cookies = handle.lock().response_cookies();
            let failure = match cookies {
                Ok(cookies) => super::http::apply(&cookies, response.headers_mut())
                    .err()
                    .map(|_| SealError::Serialize),
                Err(err) => Some(err),
            };
            Ok(match failure {
                None => response,
                Some(err) => on_error(&err),
            })
        })
    }
}

fn default_error_response(err: &SealError) -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        super::seal_error_text(err),
    )
        .into_response()
}

/// The request's session, extracted in a handler. Clones share one session.
///
/// Lock it briefly and never across an `.await`:
/// `let mut session = handle.lock(); …; drop(session);`.
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
