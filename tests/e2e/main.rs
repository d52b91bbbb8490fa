//! End-to-end tests: real axum servers on 127.0.0.1 (port 0) with a
//! `SessionLayer`, driven over HTTP by a client that keeps cookies the way a
//! browser does on loopback (see `support::Browser`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs,
    unreachable_pub
)]

mod app;
mod browser;
mod csrf;
mod deploy;
mod flow;
mod hostile;
mod layer;
mod rotation;
mod support;
