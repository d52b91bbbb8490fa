//! Public-API tests of the session layer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

mod attributes;
mod header;
mod lifecycle;
mod limits;
mod policy;
mod redaction;
mod schema;
