//! Stateless, encrypted cookie sessions.
//!
//! `sealed-session` keeps **no server-side store**: the whole session (your own
//! `T: Serialize + DeserializeOwned`) is serialized with postcard and sealed with
//! XChaCha20-Poly1305 into one base64url cookie value. The value carries
//! authenticated timestamps (issued-at, last activity, absolute expiry), a
//! random session id, and the id of the key that sealed it, so a
//! [`Keyring`] can rotate keys without logging anyone out.
//!
//! # Quick start
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
//! // SESSION_KEYS="1:<43 base64url characters>", made with Key::generate().
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
//! | feature | purpose | unlocks |
//! |---|---|---|
//! | `http` | the `http` crate's `HeaderMap` in and out (hyper and friends) | `integrations::http` |
//! | `axum` | a tower `Layer` and an axum extractor (implies `http`) | `integrations::axum` |
//! | `actix-web` | a middleware and an extractor for actix-web 4 (its MSRV, 1.89 for actix-web 4.18, applies) | `integrations::actix` |
//! | `fuzzing` | internal: fuzz-target bodies and a test-only sealing path; never enable in production | — |
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
mod format;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod header;
pub mod integrations;
mod key;
mod keyring;
mod load;
mod meta;
mod random;
mod seal;
mod session;

pub use chunk::MAX_CHUNKS;
pub use clock::{Clock, FixedClock, SystemClock, UnixSeconds};
pub use config::{Rolling, SessionConfig, SessionConfigBuilder, MAX_ATTRIBUTE_VALUE_BYTES};
pub use cookie::SameSite;
pub use csrf::CSRF_TOKEN_LEN;
pub use error::{ConfigError, CsrfError, KeyError, KeyErrorReason, OpenError, SealError};
pub use format::{
    encoded_len, AAD_LABEL, DEFAULT_MAX_COOKIE_BYTES, ENVELOPE_OVERHEAD_BYTES, FORMAT_VERSION,
    HEADER_LEN, KEY_ID_LEN, NONCE_LEN, SESSION_ID_LEN, TAG_LEN, VERSION_LEN,
};
pub use header::{cookie_pairs, cookie_values, CookiePairs, CookieValues, MAX_COOKIE_CANDIDATES};
pub use key::{Key, KeyId, KEY_LEN};
pub use keyring::Keyring;
pub use meta::{Opened, SessionId, SessionMeta};
pub use seal::{
    Sealer, SealerBuilder, DEFAULT_ABSOLUTE_TTL, DEFAULT_CLOCK_SKEW, DEFAULT_COOKIE_NAME,
    DEFAULT_IDLE_TIMEOUT, MAX_LIFETIME,
};
pub use session::{ResponseCookies, Session, CACHE_CONTROL, VARY};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
