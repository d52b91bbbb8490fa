//! End-to-end tests of the tower-sessions layer (with axum-login) and the
//! Rocket adapter: real servers on 127.0.0.1, port 0, driven over HTTP by a
//! cookie-keeping client.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    unreachable_pub
)]

mod axum_login;
mod rocket;
mod support;
mod tower_sessions;
