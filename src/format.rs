//! The wire format (v1) of a sealed value: its byte layout and constants.
//!
//! FORMAT.md at the root of the repository is the normative description;
//! the constants here are its field lengths, for code that sizes buffers or
//! checks cookie lengths (another implementation, a proxy, a test). An
//! application does not need them: [`Sealer`](crate::Sealer) and
//! [`SessionConfig`](crate::SessionConfig) handle the format.
//!
//! ```
//! use sealed_session::format::{encoded_len, ENVELOPE_OVERHEAD_BYTES, FORMAT_VERSION, HEADER_LEN};
//!
//! assert_eq!(FORMAT_VERSION, 1);
//! assert_eq!(HEADER_LEN, 29);
//! // An envelope around 100 bytes of plaintext, as cookie text.
//! assert_eq!(encoded_len(ENVELOPE_OVERHEAD_BYTES + 100), 194);
//! ```
//!
//! Inside the crate, this module also holds strict base64url, the
//! associated data, and the parse of a decoded value into an *untrusted*
//! view. It is pure: it touches no key, no cipher and no clock.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::GeneralPurpose;

use crate::error::OpenError;
use crate::key::KeyId;

/// The base64url engine: no padding when encoding, padding and non-canonical
/// trailing bits refused when decoding.
pub(crate) const BASE64: GeneralPurpose = URL_SAFE_NO_PAD;

/// The format version byte of values this build seals.
pub const FORMAT_VERSION: u8 = 1;
/// The length of the version field in bytes.
pub const VERSION_LEN: usize = 1;
/// The length of the key id field in bytes (big-endian `u32`).
pub const KEY_ID_LEN: usize = 4;
/// The length of the XChaCha20-Poly1305 nonce in bytes.
pub const NONCE_LEN: usize = 24;
/// The length of the Poly1305 authentication tag in bytes.
pub const TAG_LEN: usize = 16;
/// The length of everything before the ciphertext: version, key id, nonce.
pub const HEADER_LEN: usize = VERSION_LEN + KEY_ID_LEN + NONCE_LEN;
/// Bytes a sealed envelope adds to its plaintext, before base64url.
pub const ENVELOPE_OVERHEAD_BYTES: usize = HEADER_LEN + TAG_LEN;
/// The length of the random session id in the plaintext.
pub const SESSION_ID_LEN: usize = 16;
/// The default limit on a cookie's name plus value, in bytes: what browsers
/// keep (RFC 6265 section 6.1 asks for at least 4096).
pub const DEFAULT_MAX_COOKIE_BYTES: usize = 4096;
/// The label that starts the associated data of every version-1 value.
pub const AAD_LABEL: &[u8; 14] = b"sealed-session";

/// The base64url length (no padding) of `n` bytes.
#[must_use]
pub const fn encoded_len(n: usize) -> usize {
    let rem = match n % 3 {
        0 => 0,
        1 => 2,
        _ => 3,
    };
    n / 3 * 4 + rem
}

/// The number of bytes `len` base64url characters decode to, or `None` for a
/// length no unpadded base64url text can have.
#[must_use]
pub(crate) const fn decoded_len(len: usize) -> Option<usize> {
    let rem = match len % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return None,
    };
    Some(len / 4 * 3 + rem)
}

/// Calls `f` with the associated data for a value of `version` under `key_id`
/// with cookie name `name`:
/// `"sealed-session" || version || key_id (u32 BE) || len(name) (u16 BE) || name`.
///
/// The name length is at most `u16::MAX`: the configuration refuses longer
/// names, and the open path refuses cookies over the size limit before it
/// gets here. Should a longer name reach it all the same, the result is
/// `None` and `f` is not called: callers turn that into a refusal, never into
/// associated data of another layout.
pub(crate) fn with_aad<R>(
    version: u8,
    key_id: KeyId,
    name: &[u8],
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    const FIXED: usize = AAD_LABEL.len() + VERSION_LEN + KEY_ID_LEN + 2;
    let name_len = u16::try_from(name.len()).ok()?.to_be_bytes();
    let mut stack = [0u8; 256];
    let mut heap = Vec::new();
    let total = FIXED + name.len();
    let buf: &mut [u8] = match stack.get_mut(..total) {
        Some(s) => s,
        None => {
            heap.resize(total, 0);
            &mut heap
        }
    };
    let parts: [&[u8]; 5] = [
        AAD_LABEL,
        &[version],
        &key_id.get().to_be_bytes(),
        &name_len,
        name,
    ];
    let mut at = 0;
    for part in parts {
        buf.get_mut(at..at + part.len())?.copy_from_slice(part);
        at += part.len();
    }
    Some(f(buf))
}

/// The key id a cookie value names, read from its first eight base64url
/// characters (version, key id, and the first nonce byte) without decoding
/// the rest; `None` if they do not decode or the version is not ours.
/// Untrusted unless the value then authenticates: for logs only.
pub(crate) fn claimed_key_id(value: &str) -> Option<KeyId> {
    use base64::Engine as _;
    let head = value.as_bytes().get(..8)?;
    let mut bytes = [0u8; 6];
    BASE64.decode_slice(head, &mut bytes).ok()?;
    match bytes {
        [FORMAT_VERSION, a, b, c, d, _] => Some(KeyId::new(u32::from_be_bytes([a, b, c, d]))),
        _ => None,
    }
}

/// A decoded value split into its fields, not yet authenticated: nothing in
/// it may be trusted or acted on except to find the key and verify the tag.
#[derive(Debug)]
pub(crate) struct UntrustedEnvelope<'a> {
    /// The version byte.
    pub(crate) version: u8,
    /// The key id the value claims.
    pub(crate) key_id: KeyId,
    /// The nonce.
    pub(crate) nonce: &'a [u8; NONCE_LEN],
    /// The ciphertext, decrypted in place once the tag verifies.
    pub(crate) body: &'a mut [u8],
    /// The authentication tag.
    pub(crate) tag: &'a [u8; TAG_LEN],
}

/// Splits a decoded value into its fields.
///
/// # Errors
///
/// [`OpenError::Malformed`] if it is shorter than an envelope with an empty
/// plaintext, [`OpenError::UnsupportedVersion`] for any version but 1.
pub(crate) fn parse(bytes: &mut [u8]) -> Result<UntrustedEnvelope<'_>, OpenError> {
    if bytes.len() < ENVELOPE_OVERHEAD_BYTES {
        return Err(OpenError::Malformed);
    }
    let (header, rest) = bytes.split_at_mut(HEADER_LEN);
    let (version, header) = header.split_first().ok_or(OpenError::Malformed)?;
    if *version != FORMAT_VERSION {
        return Err(OpenError::UnsupportedVersion);
    }
    let (id_bytes, nonce) = header.split_at(KEY_ID_LEN);
    let id_bytes: [u8; KEY_ID_LEN] = id_bytes.try_into().map_err(|_| OpenError::Malformed)?;
    let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| OpenError::Malformed)?;
    let body_len = rest.len() - TAG_LEN;
    let (body, tag) = rest.split_at_mut(body_len);
    let tag: &[u8; TAG_LEN] = (&*tag).try_into().map_err(|_| OpenError::Malformed)?;
    Ok(UntrustedEnvelope {
        version: *version,
        key_id: KeyId::new(u32::from_be_bytes(id_bytes)),
        nonce,
        body,
        tag,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn layout_constants() {
        assert_eq!(HEADER_LEN, 29);
        assert_eq!(ENVELOPE_OVERHEAD_BYTES, 45);
    }

    #[test]
    fn lengths_agree_with_engine() {
        for n in 0..200 {
            let data = vec![0xA5u8; n];
            let text = BASE64.encode(&data);
            assert_eq!(text.len(), encoded_len(n));
            assert_eq!(decoded_len(text.len()), Some(n));
        }
        assert_eq!(decoded_len(5), None);
    }

    #[test]
    fn base64_is_strict() {
        assert!(BASE64.decode("AA==").is_err(), "padding refused");
        assert!(
            BASE64.decode("AB").is_err(),
            "non-canonical trailing bits refused"
        );
        assert!(BASE64.decode("AA").is_ok());
        assert!(BASE64.decode("A+").is_err(), "standard alphabet refused");
        assert!(BASE64.decode("A").is_err());
    }

    #[test]
    fn aad_layout() {
        let aad = with_aad(1, KeyId::new(0x0102_0304), b"sid", <[u8]>::to_vec).unwrap();
        assert_eq!(aad, b"sealed-session\x01\x01\x02\x03\x04\x00\x03sid");
        let long = vec![b'a'; 300];
        let aad = with_aad(1, KeyId::new(7), &long, <[u8]>::to_vec).unwrap();
        assert_eq!(aad.len(), 14 + 1 + 4 + 2 + 300);
        assert_eq!(&aad[19..21], &[0x01, 0x2C]);
        let longest = vec![b'a'; usize::from(u16::MAX)];
        let aad = with_aad(1, KeyId::new(7), &longest, <[u8]>::to_vec).unwrap();
        assert_eq!(&aad[19..21], &[0xFF, 0xFF]);
        // A name whose length does not fit two bytes gets no associated data.
        let too_long = vec![b'a'; usize::from(u16::MAX) + 1];
        assert_eq!(with_aad(1, KeyId::new(7), &too_long, <[u8]>::to_vec), None);
    }

    #[test]
    fn parse_fields() {
        let mut bytes = vec![0u8; ENVELOPE_OVERHEAD_BYTES + 3];
        bytes[0] = 1;
        bytes[1..5].copy_from_slice(&[0, 0, 1, 0]);
        let view = parse(&mut bytes).unwrap();
        assert_eq!(view.key_id, KeyId::new(256));
        assert_eq!(view.body.len(), 3);
        let mut short = vec![1u8; ENVELOPE_OVERHEAD_BYTES - 1];
        assert_eq!(parse(&mut short).err(), Some(OpenError::Malformed));
        let mut v2 = vec![2u8; ENVELOPE_OVERHEAD_BYTES];
        assert_eq!(parse(&mut v2).err(), Some(OpenError::UnsupportedVersion));
    }
}
