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
//! - No server-side revocation: a copied cookie stays valid until it expires.
//! - Replay: an old value of the same session opens until it expires.
//! - The cookie's length reveals the payload's length.
//! - Anyone holding a key can forge sessions.
//!
//! # Features
//!
//! The core has no web framework in its dependencies. Optional features:
//!
//! - `fuzzing`: internal: fuzz-target bodies and a test-only sealing path;
//!   never enable in production.
//!
//! # Minimum supported Rust version
//!
//! Rust 1.85.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![doc(test(attr(deny(warnings))))]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod clock;
mod error;
mod format;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod key;
mod keyring;
mod meta;
mod random;
mod seal;

pub use clock::{Clock, FixedClock, SystemClock, UnixSeconds};
pub use error::{ConfigError, KeyError, KeyErrorReason, OpenError, SealError};
pub use format::{
    encoded_len, AAD_LABEL, DEFAULT_MAX_COOKIE_BYTES, ENVELOPE_OVERHEAD_BYTES, FORMAT_VERSION,
    HEADER_LEN, KEY_ID_LEN, NONCE_LEN, SESSION_ID_LEN, TAG_LEN, VERSION_LEN,
};
pub use key::{Key, KeyId, KEY_LEN};
pub use keyring::Keyring;
pub use meta::{Opened, SessionId, SessionMeta};
pub use seal::{
    Sealer, SealerBuilder, DEFAULT_ABSOLUTE_TTL, DEFAULT_CLOCK_SKEW, DEFAULT_COOKIE_NAME,
    DEFAULT_IDLE_TIMEOUT, MAX_LIFETIME,
};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
