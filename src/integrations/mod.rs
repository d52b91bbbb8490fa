//! Thin framework adapters on one core. The core ([`SessionAdapter`],
//! [`SessionHandle`], [`CachePolicy`]) loads a [`Session`](crate::Session)
//! from the request's `Cookie` headers, runs the revocation check and the
//! rejection hook, and after the handler writes the `Set-Cookie` and cache
//! headers or the error response. Each adapter adds only its framework's
//! glue: `http` (any `HeaderMap`), `axum` (a tower layer and extractors),
//! `actix` (a middleware and extractors), `rocket` (a fairing and request
//! guards), `tower_sessions` (a layer providing tower-sessions' `Session`,
//! whose record is the sealed session's data).

#[cfg(any(feature = "http", feature = "actix-web", feature = "rocket"))]
#[cfg_attr(
    not(any(
        feature = "axum",
        feature = "actix-web",
        feature = "rocket",
        feature = "tower-sessions"
    )),
    allow(dead_code)
)]
mod adapter;

#[cfg(any(feature = "http", feature = "actix-web", feature = "rocket"))]
pub use adapter::{AdapterResponse, CachePolicy, RequireSession, SessionAdapter, SessionHandle};

#[cfg(any(feature = "axum", feature = "actix-web"))]
pub use adapter::SessionFuture;

#[cfg(feature = "http")]
pub mod http;

/// The body of the `500` an adapter sends by default when a session cannot
/// be sealed: says what went wrong without any session content.
#[cfg(any(feature = "axum", feature = "actix-web", feature = "rocket"))]
fn seal_error_text(err: &crate::SealError) -> &'static str {
    match err {
        crate::SealError::TooLarge { .. } => "session data too large to store in a cookie",
        _ => "session could not be saved",
    }
}

/// The body of the `403` a CSRF error becomes: no detail of which check
/// failed.
#[cfg(any(feature = "axum", feature = "actix-web", feature = "rocket"))]
const CSRF_ERROR_TEXT: &str = "CSRF check failed";

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "actix-web")]
pub mod actix;

#[cfg(feature = "tower-sessions")]
pub mod tower_sessions;

#[cfg(feature = "rocket")]
pub mod rocket;
