//! Stateless, encrypted cookie sessions.
//!
//! `sealed-session` keeps **no server-side store**: the whole session (your own
//! `T: Serialize + DeserializeOwned`) is serialized with postcard and sealed with
//! XChaCha20-Poly1305 into one base64url cookie value. The value carries
//! authenticated timestamps (issued-at, last activity, absolute expiry), a
//! random session id, and the id of the key that sealed it, so a
//! [`Keyring`] can rotate keys without logging anyone out.
//!
//! # Quick start with axum
//!
//! With the `axum` feature, one layer gives every request its session:
//!
#![cfg_attr(feature = "axum", doc = "```")]
#![cfg_attr(not(feature = "axum"), doc = "```text")]
//! use axum::{routing::get, Router};
//! use serde::{Deserialize, Serialize};
//! use sealed_session::integrations::axum::{SessionHandle, SessionLayer};
//! use sealed_session::{Keyring, SessionConfig};
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Visits { count: u32 }
//!
//! async fn count(session: SessionHandle<Visits>) -> String {
//!     // Each call locks and releases: the handle may be held across .await.
//!     let count = session.update(|visits| {
//!         visits.count += 1;
//!         visits.count
//!     });
//!     format!("visit {count}")
//! }
//!
//! fn app() -> Result<Router, Box<dyn std::error::Error>> {
//!     // SESSION_KEYS=1:<43 base64url characters>, from `sealed-session keygen`.
//!     let keyring = Keyring::from_env("SESSION_KEYS")?;
//!     let config = SessionConfig::builder(keyring).build()?;
//!     Ok(Router::new()
//!         .route("/", get(count))
//!         .layer(SessionLayer::<Visits>::new(config)))
//! }
//! # let line = format!("1:{}", sealed_session::Key::generate().to_base64().as_str());
//! # std::env::set_var("SESSION_KEYS", &line);
//! let _app = app()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Keys: `cargo install sealed-session --features cli`, then
//! `sealed-session keygen` prints a `SESSION_KEYS` line, and
//! `sealed-session rotate` the three lines of a key rotation (README.md
//! shows a one-liner that needs no Rust). A refused line is reported with the
//! variable's name and a hint, such as quotes a docker env file kept.
//! actix-web (`actix-web` feature) and hyper or anything on the `http` crate
//! (`http` feature) have adapters of the same shape in [`integrations`].
//!
//! # Without a framework
//!
//! The core is [`Sealer`]: `seal` and `open` between your `T` and a cookie
//! value. [`SessionConfig`] adds cookies, the save policy and the rest of
//! [`Session`]; both are built from a [`Keyring`] with the same setters.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use sealed_session::{Keyring, Sealer};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Session { user_id: u64, cart: Vec<u32> }
//!
//! # let line = format!("1:{}", sealed_session::Key::generate().to_base64().as_str());
//! # std::env::set_var("SESSION_KEYS", &line);
//! let keyring = Keyring::from_env("SESSION_KEYS")?;
//! let sealer = Sealer::builder(keyring).build()?;
//!
//! let cookie_value = sealer.seal(&Session { user_id: 42, cart: vec![7, 9] })?;
//! let opened = sealer.open::<Session>(&cookie_value)?;
//! assert_eq!(opened.payload.cart, [7, 9]);
//! assert!(sealer.open::<Session>("forged").is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Lower still, [`format`](mod@format) holds the wire-format constants (FORMAT.md) and
//! [`header`] the raw `Cookie` header parsers, for tools and other adapters.
//!
//! # Coming from express-session
//!
//! | express-session | sealed-session |
//! |---|---|
//! | `session({ secret })` | [`Keyring`] (`Keyring::from_env("SESSION_KEYS")`), with key ids and rotation |
//! | `store` (MemoryStore, Redis, …) | none: the session is the cookie |
//! | `name` (`connect.sid`) | [`SessionConfigBuilder::with_cookie_name`] (default `__Host-session`) |
//! | `cookie.secure` / `httpOnly` / `sameSite` / `path` / `domain` / `partitioned` | on by default / on / `Lax` / `/` / none / off; `dangerous_insecure_cookies`, `dangerous_script_readable_cookies`, `with_same_site`, `with_path`, `with_domain`, `with_partitioned` |
//! | `cookie.maxAge` / `expires` | [`SessionConfigBuilder::with_absolute_ttl`] (sealed, authenticated; `Max-Age` is the remaining lifetime) |
//! | inactivity expiry (store TTL + `rolling`) | [`SessionConfigBuilder::with_idle_timeout`] |
//! | `saveUninitialized` | [`SessionConfigBuilder::with_save_uninitialized`] (default `false`) |
//! | `resave` | [`SessionConfigBuilder::with_resave`] (default `false`) |
//! | `rolling` | [`SessionConfigBuilder::with_rolling`] ([`Rolling::EveryResponse`] or the default [`Rolling::AfterIdlePercent`]) |
//! | `genid` | 128-bit random [`SessionId`], drawn by the crate |
//! | `proxy` / `unset` | the framework's business / [`Session::destroy`] |
//! | `req.session.x = …` / reading `req.session.x` | [`Session::get_or_insert_default`], [`Session::get_mut`], [`Session::insert`] / [`Session::get`] (typed `T`) |
//! | `req.session.regenerate(cb)` | [`Session::regenerate`] (new id, issue time and CSRF secret; empty data) |
//! | (actix-session's `renew`) | [`Session::renew`] (new id, issue time and CSRF secret; data kept) |
//! | `req.session.destroy(cb)` | [`Session::destroy`] (removal cookie) |
//! | `req.session.reload(cb)` / `save(cb)` | not needed: loaded once per request / saved by [`Session::finish`] |
//! | `req.session.touch()` | [`Session::touch`] |
//! | `req.session.id` / `req.session.cookie` | [`SessionMeta::session_id`] / [`SessionMeta`] (issued, last active, expiry, key id) |
//! | `connect-flash`, `csurf` | [`Session::set_flash`] / [`Session::take_flash`]; [`Session::csrf_token`] / [`Session::verify_csrf`] |
//!
//! # Security model
//!
//! Guarantees, while the keys stay secret:
//! - **Confidentiality and integrity**: a client can neither read nor change a
//!   value; any change, truncation or extension fails authentication.
//! - **Binding**: a value opens only under the cookie name it was sealed for,
//!   and only with the key whose id it carries (no trial decryption).
//! - **Lifetimes**: absolute expiry, idle timeout and issue time are inside the
//!   authenticated plaintext and checked on every open, with an explicit
//!   clock-skew allowance.
//! - **Authenticate first**: nothing decrypted is deserialized before the tag
//!   verifies; the open path never panics on any input.
//!
//! Non-guarantees (see SECURITY.md):
//! - No server-side session store: a copied cookie stays valid until it
//!   expires, unless stateless revocation (a not-before instant, or a
//!   per-user check with [`Session::revoke_if`]) refuses it.
//! - Replay: an old value of the same session opens until it expires.
//! - The cookie's length reveals the payload's length.
//! - Anyone holding a key can forge sessions.
//!
//! # Features
//!
//! The core has no web framework in its dependency tree; every adapter is
//! behind a cargo feature, off by default:
//!
//! | feature | purpose | minimum versions | unlocks |
//! |---|---|---|---|
//! | `http` | the `http` crate's `HeaderMap` in and out (hyper and friends) | http 1.0 | `integrations::http` |
//! | `axum` | a tower `Layer` and an axum extractor (implies `http`) | axum 0.8 | `integrations::axum` |
//! | `actix-web` | a middleware and an extractor for actix-web 4 (its MSRV, 1.89 for actix-web 4.18, applies) | actix-web 4.9 | `integrations::actix` |
//! | `tower-sessions` | a tower layer giving handlers a `tower_sessions_core::Session` kept in the sealed cookie, for tower-sessions and axum-login code (implies `http`) | tower-sessions(-core) 0.14, axum-login 0.18, axum 0.8 | `integrations::tower_sessions` |
//! | `rocket` | a fairing and a request guard for Rocket 0.5 (its MSRV, 1.89 for Rocket 0.5.2, applies) | Rocket 0.5.1 | `integrations::rocket` |
//! | `reload` | reloads a key file into a running sealer on SIGHUP or an interval, on tokio | tokio 1 | [`KeyFileReloader`] |
//! | `tracing` | an event for every refused cookie (reason and claimed key id, never the value), rotation re-seals, oversize sessions, and key reloads (key ids, never key bytes) | tracing 0.1 | events under `sealed_session` |
//! | `cli` | the `sealed-session` command (`keygen`, `rotate`); adds no dependency | — | `cargo install sealed-session --features cli` |
//!
//! # Edge runtimes (WebAssembly)
//!
//! With no store to reach, the core suits edge runtimes where none exists.
//! On `wasm32-unknown-unknown` (Cloudflare Workers and other JavaScript
//! hosts) it needs two things from the application:
//! - **A clock of its own.** `std::time::SystemTime` panics on that target,
//!   and [`SystemClock`] reads it. Give the builder a [`Clock`] that reads the
//!   host's time (such as `js_sys::Date::now()`, in milliseconds) with
//!   `with_clock`, or call the `*_at` methods with the time.
//! - **getrandom's `wasm_js` backend** (`crypto.getRandomValues`) for keys,
//!   session ids and nonces: add `getrandom = { version = "0.4", features =
//!   ["wasm_js"] }` to the application's `Cargo.toml`. The crate does not
//!   enable it itself, as it would break hosts without JavaScript.
//!
//! Nothing else in the core's dependencies needs threads, files or the
//! network; `tests/edge` is a small crate that checks that the core compiles
//! for `wasm32-unknown-unknown` with a clock of its own. The framework
//! adapters are for native servers.
//!
//! # Minimum supported Rust version
//!
//! Rust 1.85.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]
// Unit tests may unwrap and index: a failure there is a failing test.
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::cast_possible_truncation
    )
)]

mod chunk;
mod cipher;
mod clock;
mod config;
mod cookie;
mod csrf;
mod error;
pub mod format;
// Fuzz-target bodies and a test-only sealing path: public only where
// cargo-fuzz builds the crate (`--cfg fuzzing`), private to the crate's own
// unit tests, and absent from every other build, whatever its features.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
#[cfg(all(test, not(fuzzing)))]
mod fuzzing;
pub mod header;
pub mod integrations;
mod key;
mod keyring;
mod load;
mod meta;
mod random;
mod record;
#[cfg(feature = "reload")]
mod reload;
mod schema;
mod seal;
mod session;
mod settings;

pub use chunk::MAX_CHUNKS;
pub use clock::{Clock, FixedClock, SystemClock, UnixSeconds};
pub use config::{Rolling, SessionConfig, SessionConfigBuilder, MAX_ATTRIBUTE_VALUE_BYTES};
pub use cookie::SameSite;
pub use csrf::CSRF_TOKEN_LEN;
#[cfg(feature = "reload")]
pub use error::ReloadError;
pub use error::{
    ConfigError, CsrfError, KeyError, KeyErrorReason, KeyLineHint, KeyringSwapError, OpenError,
    SchemaError, SealError,
};
pub use format::DEFAULT_MAX_COOKIE_BYTES;
pub use key::{Key, KeyId, KEY_LEN};
pub use keyring::{Keyring, Rotation};
pub use meta::{Opened, SessionId, SessionMeta};
#[cfg(feature = "reload")]
pub use reload::{KeyFileReloader, Reloaded};
pub use schema::{Fingerprint, FINGERPRINT_LEN, SCHEMA_NAME_PREFIX, SCHEMA_SHAPE_PREFIX};
pub use seal::{
    Sealer, SealerBuilder, DEFAULT_ABSOLUTE_TTL, DEFAULT_CLOCK_SKEW, DEFAULT_COOKIE_NAME,
    DEFAULT_IDLE_TIMEOUT, MAX_LIFETIME,
};
pub use session::{ResponseCookies, Session, CACHE_CONTROL, VARY};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
