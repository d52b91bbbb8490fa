//! The payloads every bench (and the allocation test) measures.
#![allow(dead_code, unreachable_pub)]

use serde::{Deserialize, Serialize};

/// A typical session: a user id (a UUID), a 16-character username, a role,
/// a 32-byte CSRF secret and a few flags. 75 bytes as postcard.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TypicalSession {
    pub user_id: [u8; 16],
    pub username: String,
    pub role: String,
    pub csrf_secret: [u8; 32],
    pub flags: Flags,
}

/// A few booleans.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Flags {
    pub mfa_verified: bool,
    pub remember_me: bool,
    pub beta_features: bool,
}

/// The postcard size of [`typical`].
pub const TYPICAL_POSTCARD_BYTES: usize = 75;

/// The typical session used everywhere.
#[must_use]
pub fn typical() -> TypicalSession {
    TypicalSession {
        user_id: *b"\x6f\x1c\x9a\x02\x4e\x3b\x4f\x8d\xa1\x17\x52\xc4\x0e\x99\x3d\x70",
        username: "ada.lovelace1815".to_owned(),
        role: "editor".to_owned(),
        csrf_secret: core::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11)),
        flags: Flags {
            mfa_verified: true,
            remember_me: false,
            beta_features: true,
        },
    }
}

/// A payload whose postcard encoding is `n` bytes long: a string of `n - 1`
/// (or `n - 2` from 129 on) ASCII letters after its length varint.
#[must_use]
pub fn sized(n: usize) -> String {
    let prefix = if n - 1 < 128 { 1 } else { 2 };
    (0..n - prefix)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect()
}
