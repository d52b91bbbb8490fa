//! [`Key`]: 32 secret bytes, and [`KeyId`]: the public name a key goes by.

use core::fmt;
use core::str::FromStr;

use base64::Engine as _;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::KeyError;
// The wire format's strict engine (no padding; non-canonical trailing bits
// refused), named here so that keys do not depend on the format module.
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;

/// The length of a key in bytes.
pub const KEY_LEN: usize = 32;

/// A 256-bit XChaCha20-Poly1305 key.
///
/// A `Key` is zeroized when dropped, is not `Copy` or `Clone`, has no
/// `Display` or `Serialize`, and its `Debug` output shows nothing of the bytes.
/// The only way to read the bytes back out is [`Key::to_base64`], for writing
/// a keyring to a secret store.
///
/// ```
/// use sealed_session::Key;
///
/// let key = Key::generate();
/// let text = key.to_base64();
/// assert_eq!(text.len(), 43);
/// let same = Key::from_base64(&text)?;
/// assert!(same.ct_eq(&key));
/// assert_eq!(format!("{key:?}"), "Key { .. }");
/// # Ok::<(), sealed_session::KeyError>(())
/// ```
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Key {
    bytes: [u8; KEY_LEN],
}

impl Key {
    /// A new random key from the operating system's CSPRNG.
    ///
    /// # Panics
    ///
    /// If the operating system cannot provide random bytes, which on every
    /// supported platform means the process cannot do cryptography safely at
    /// all. Use [`Key::try_generate`] to handle that case as an error.
    #[must_use]
    // Not a parsing path: the documented panic of the infallible twin of
    // `try_generate`, which fails only if the operating system's CSPRNG does.
    #[allow(clippy::expect_used)]
    pub fn generate() -> Self {
        Self::try_generate().expect("the operating system random number generator failed")
    }

    /// A new random key from the operating system's CSPRNG.
    ///
    /// # Errors
    ///
    /// [`KeyError::Random`] if the operating system cannot provide random
    /// bytes.
    pub fn try_generate() -> Result<Self, KeyError> {
        let mut key = Self {
            bytes: [0; KEY_LEN],
        };
        crate::random::fill(&mut key.bytes).map_err(|()| KeyError::Random)?;
        Ok(key)
    }

    /// A key made of the given bytes. The array passed in is a copy: zeroize
    /// your own copy if it came from somewhere other than a secret store.
    ///
    /// # Errors
    ///
    /// [`KeyError::WeakKey`] if all bytes are equal (such as all zero).
    pub fn from_bytes(mut bytes: [u8; KEY_LEN]) -> Result<Self, KeyError> {
        let key = Self { bytes };
        bytes.zeroize();
        if key.is_weak() {
            return Err(KeyError::WeakKey);
        }
        Ok(key)
    }

    /// Reads a key from base64url text without padding (43 characters), as
    /// written by [`Key::to_base64`].
    ///
    /// # Errors
    ///
    /// [`KeyError::InvalidEncoding`] for anything but strict base64url without
    /// padding, [`KeyError::InvalidLength`] if it does not decode to 32 bytes,
    /// [`KeyError::WeakKey`] if all bytes are equal.
    ///
    /// ```
    /// use sealed_session::{Key, KeyError};
    ///
    /// assert_eq!(Key::from_base64("a+b/").err(), Some(KeyError::InvalidEncoding));
    /// assert_eq!(Key::from_base64(&"A".repeat(43)).err(), Some(KeyError::WeakKey));
    /// ```
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        // 32 bytes take 43 characters; refuse long input before decoding it.
        if text.len() > 64 {
            let alphabet_only = text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            return Err(if alphabet_only {
                KeyError::InvalidLength {
                    actual: text.len() * 3 / 4,
                }
            } else {
                KeyError::InvalidEncoding
            });
        }
        let mut buf = Zeroizing::new([0u8; 48]);
        let len = BASE64
            .decode_slice(text.as_bytes(), &mut buf[..])
            .map_err(|_| KeyError::InvalidEncoding)?;
        let bytes: [u8; KEY_LEN] = buf
            .get(..len)
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyError::InvalidLength { actual: len })?;
        Self::from_bytes(bytes)
    }

    /// The key as base64url text without padding (43 characters).
    ///
    /// # Security
    ///
    /// This is the secret itself. The text is zeroized when dropped; write it
    /// only to a secret store.
    #[must_use]
    pub fn to_base64(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(43));
        BASE64.encode_string(self.bytes, &mut out);
        out
    }

    /// Compares two keys in constant time.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&other.bytes).into()
    }

    /// The secret bytes, for the cipher. This is the one accessor of the raw
    /// bytes inside the crate.
    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    fn is_weak(&self) -> bool {
        let first = self.bytes[0];
        let mut diff = 0u8;
        for b in &self.bytes {
            diff |= b ^ first;
        }
        diff == 0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key").finish_non_exhaustive()
    }
}

/// The public id of a key, carried in every sealed value so that opening finds
/// its key at once.
///
/// Ids are chosen by the operator, written in decimal in keyring lines; a
/// date such as `20261129` makes a readable id. Ids are not secret.
///
/// ```
/// use sealed_session::KeyId;
///
/// let id: KeyId = "20261129".parse()?;
/// assert_eq!(id, KeyId::new(20_261_129));
/// assert_eq!(id.to_string(), "20261129");
/// assert!("01".parse::<KeyId>().is_err());
/// # Ok::<(), sealed_session::KeyError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId(u32);

impl KeyId {
    /// The id with number `id`.
    #[must_use]
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    /// The number of this id.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }

    /// Parses canonical decimal (no sign, no leading zeros, no white space).
    pub(crate) fn parse_decimal(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        let canonical = match bytes {
            [] => false,
            [b'0'] => true,
            [first, ..] => *first != b'0' && bytes.iter().all(u8::is_ascii_digit),
        };
        if !canonical {
            return None;
        }
        text.parse::<u32>().ok().map(Self)
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for KeyId {
    type Err = KeyError;

    /// Parses canonical decimal: no sign, no leading zeros, no white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_decimal(s).ok_or(KeyError::InvalidKeyId { entry: 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_bytes() {
        let mut bytes = [0xAB; 32];
        bytes[31] = 1;
        let key = Key::from_bytes(bytes).unwrap();
        let debug = format!("{key:?} {key:#?}");
        assert!(!debug.contains("171"));
        assert!(!debug.to_lowercase().contains("ab"));
        assert!(!debug.contains(key.to_base64().as_str()));
    }

    #[test]
    fn weak_keys_refused() {
        assert_eq!(Key::from_bytes([0; 32]).err(), Some(KeyError::WeakKey));
        assert_eq!(Key::from_bytes([0xFF; 32]).err(), Some(KeyError::WeakKey));
        let mut almost = [0; 32];
        almost[31] = 1;
        assert!(Key::from_bytes(almost).is_ok());
    }

    #[test]
    fn key_id_parsing() {
        assert_eq!(KeyId::parse_decimal("0"), Some(KeyId(0)));
        assert_eq!(KeyId::parse_decimal("4294967295"), Some(KeyId(u32::MAX)));
        for bad in ["", "00", "07", "+1", "-1", " 1", "4294967296", "1a", "١"] {
            assert_eq!(KeyId::parse_decimal(bad), None, "{bad:?}");
        }
    }
}
