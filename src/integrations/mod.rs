//! Thin framework adapters. None of them holds session logic: each loads a
//! [`Session`](crate::Session) from the request's `Cookie` headers and writes
//! [`ResponseCookies`](crate::ResponseCookies) into the response.

#[cfg(feature = "http")]
pub mod http;

#[cfg(feature = "axum")]
pub mod axum;

#[cfg(feature = "actix-web")]
pub mod actix;
