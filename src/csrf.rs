//! CSRF tokens (synchronizer token pattern) bound to the session id, masked
//! with fresh randomness on every render.
//!
//! A token is `base64url(mask || (mask XOR secret))`, 32 bytes, 43
//! characters, where `secret` is the session's 16-byte random id. A fresh
//! mask on every call means the same token never appears twice in responses
//! (no fixed secret for a compression side channel such as BREACH to
//! recover). Verification unmasks and compares in constant time.

use base64::Engine as _;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{CsrfError, SealError};
use crate::format::{BASE64, SESSION_ID_LEN};

/// The length of a CSRF token in characters.
pub const CSRF_TOKEN_LEN: usize = 43;

const RAW_LEN: usize = 2 * SESSION_ID_LEN;

/// A new masked token for `secret`.
pub(crate) fn mint(secret: &[u8; SESSION_ID_LEN]) -> Result<String, SealError> {
    let mut raw = Zeroizing::new([0u8; RAW_LEN]);
    let (mask, masked) = raw.split_at_mut(SESSION_ID_LEN);
    crate::random::fill(mask).map_err(|()| SealError::Random)?;
    for ((out, m), s) in masked.iter_mut().zip(mask.iter()).zip(secret) {
        *out = m ^ s;
    }
    Ok(BASE64.encode(&raw[..]))
}

/// Checks that `token` was minted for `secret`.
pub(crate) fn verify(secret: &[u8; SESSION_ID_LEN], token: &str) -> Result<(), CsrfError> {
    if token.len() != CSRF_TOKEN_LEN {
        return Err(CsrfError::Malformed);
    }
    let mut raw = Zeroizing::new([0u8; 33]);
    let len = BASE64
        .decode_slice(token.as_bytes(), &mut raw[..])
        .map_err(|_| CsrfError::Malformed)?;
    if len != RAW_LEN {
        return Err(CsrfError::Malformed);
    }
    let (mask, masked) = raw.split_at(SESSION_ID_LEN);
    let mut unmasked = Zeroizing::new([0u8; SESSION_ID_LEN]);
    for ((out, m), x) in unmasked.iter_mut().zip(mask).zip(masked) {
        *out = m ^ x;
    }
    if bool::from(unmasked.ct_eq(secret)) {
        Ok(())
    } else {
        Err(CsrfError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_differ() {
        let secret = [7u8; 16];
        let a = mint(&secret).unwrap();
        let b = mint(&secret).unwrap();
        assert_eq!(a.len(), CSRF_TOKEN_LEN);
        assert_ne!(a, b);
        assert_eq!(verify(&secret, &a), Ok(()));
        assert_eq!(verify(&secret, &b), Ok(()));
        assert_eq!(verify(&[8u8; 16], &a), Err(CsrfError::Mismatch));
        assert_eq!(verify(&secret, &a[..42]), Err(CsrfError::Malformed));
        assert_eq!(verify(&secret, &format!("{a}=")), Err(CsrfError::Malformed));
    }
}
