//! Public-API tests for chunking, stateless revocation, CSRF tokens and
//! flash messages (one test binary; see STYLE.md §9).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod chunking;
mod csrf;
mod flash;
mod revocation;
mod smoke;
mod support;
