//! Integration tests of the public API of `sealed_session`, in one binary to
//! keep link time low (STYLE.md §9).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

mod expiry;
mod files;
mod keyfile;
mod keyring;
mod limits;
mod properties;
mod redaction;
mod rotation;
mod roundtrip;
mod swap;
mod tamper;
mod threads;
mod vector_kinds;
mod vectors;
