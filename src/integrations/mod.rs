//! Thin framework adapters. None of them holds session logic: each loads a
//! [`Session`](crate::Session) from the request's `Cookie` headers and writes
//! [`ResponseCookies`](crate::ResponseCookies) into the response.

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

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "actix-web")]
pub mod actix;

#[cfg(feature = "tower-sessions")]
pub mod tower_sessions;

#[cfg(feature = "rocket")]
pub mod rocket;
