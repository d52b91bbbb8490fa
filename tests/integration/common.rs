//! Helpers shared by the test modules: deterministic keys, sealers with
//! default settings, and a small base64 / hex codec independent of the crate.

use sealed_session::{Key, KeyId, Keyring, Sealer, UnixSeconds};

/// A present-day instant (2027-01-15), where every timestamp varint takes
/// 5 bytes.
pub(crate) const T0: UnixSeconds = UnixSeconds::new(1_800_000_000);

/// `T0` plus `secs` seconds.
pub(crate) fn t0_plus(secs: u64) -> UnixSeconds {
    UnixSeconds::new(T0.as_secs() + secs)
}

/// `T0` minus `secs` seconds.
pub(crate) fn t0_minus(secs: u64) -> UnixSeconds {
    UnixSeconds::new(T0.as_secs() - secs)
}

/// 32 key bytes that differ for every seed and are never all equal.
pub(crate) fn key_bytes(seed: u8) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in (0u8..).zip(bytes.iter_mut()) {
        *b = seed.wrapping_mul(151).wrapping_add(i.wrapping_mul(37)) ^ 0x5c;
    }
    bytes
}

/// A key made of `key_bytes(seed)`.
pub(crate) fn key(seed: u8) -> Key {
    Key::from_bytes(key_bytes(seed)).unwrap()
}

/// A keyring holding only `key(seed)` under `id`.
pub(crate) fn ring(id: u32, seed: u8) -> Keyring {
    Keyring::new(KeyId::new(id), key(seed))
}

/// A sealer with default settings over `ring`.
pub(crate) fn sealer(ring: Keyring) -> Sealer {
    Sealer::builder(ring).build().unwrap()
}

const URL_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const STD_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 64 characters of base64url, in order.
pub(crate) fn url_alphabet() -> impl Iterator<Item = char> {
    URL_ALPHABET.iter().map(|&b| char::from(b))
}

fn encode_with(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..4 {
            if i < chars {
                let idx = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap();
                out.push(char::from(alphabet[idx]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Base64url without padding.
pub(crate) fn b64url(bytes: &[u8]) -> String {
    encode_with(bytes, URL_ALPHABET, false)
}

/// Standard base64 (`+`, `/`), with or without padding.
pub(crate) fn b64std(bytes: &[u8], pad: bool) -> String {
    encode_with(bytes, STD_ALPHABET, pad)
}

/// Decodes base64url without padding; panics on anything else (for values
/// the crate produced).
pub(crate) fn unb64url(text: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = URL_ALPHABET
            .iter()
            .position(|&a| a == c)
            .unwrap_or_else(|| panic!("not base64url: {c:?}"));
        bits = (bits << 6) | u32::try_from(v).unwrap();
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push(u8::try_from((bits >> nbits) & 0xff).unwrap());
        }
    }
    assert!(
        bits & ((1 << nbits) - 1) == 0,
        "non-canonical trailing bits"
    );
    out
}

/// Lower-case hex.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes hex; panics on bad input.
pub(crate) fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len() % 2 == 0, "odd hex length");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// Every window of `width` consecutive characters of `text` (the whole text
/// if shorter).
pub(crate) fn windows(text: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= width {
        return vec![text.to_owned()];
    }
    chars.windows(width).map(|w| w.iter().collect()).collect()
}

/// The encodings under which secret `bytes` could leak into text: lower and
/// upper hex, base64url, standard base64 with and without padding, and
/// decimal byte lists; each cut into windows that stand for 4 bytes, so a
/// partial leak is caught too. Decimal lists are given without white space:
/// compare them against text with its white space removed.
pub(crate) fn leak_patterns(bytes: &[u8]) -> Vec<String> {
    let mut patterns = Vec::new();
    let lower = hex(bytes);
    patterns.extend(windows(&lower, 8));
    patterns.extend(windows(&lower.to_uppercase(), 8));
    // Hex bytes as `{:x?}` prints them: "5c, 1d, ..".
    let spaced: Vec<String> = bytes.iter().map(|b| format!("{b:x}")).collect();
    let upper_spaced: Vec<String> = bytes.iter().map(|b| format!("{b:X}")).collect();
    let decimal: Vec<String> = bytes.iter().map(u8::to_string).collect();
    for list in [spaced, upper_spaced, decimal] {
        for w in list.windows(4) {
            patterns.push(w.join(","));
        }
    }
    for enc in [b64url(bytes), b64std(bytes, true), b64std(bytes, false)] {
        patterns.extend(windows(&enc, 8));
    }
    patterns
}

/// The first pattern of `leak_patterns(secret)` found in `text`, if any.
pub(crate) fn find_leak(text: &str, secret: &[u8]) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    leak_patterns(secret)
        .into_iter()
        .find(|p| text.contains(p.as_str()) || compact.contains(p.as_str()))
}

#[test]
fn codec_helpers_agree_with_known_values() {
    // RFC 4648 §10 test vectors, padded and not.
    assert_eq!(b64std(b"foob", true), "Zm9vYg==");
    assert_eq!(b64std(b"fooba", false), "Zm9vYmE");
    assert_eq!(b64url(&[0xfb, 0xff]), "-_8");
    assert_eq!(b64std(&[0xfb, 0xff], true), "+/8=");
    assert_eq!(unb64url("-_8"), vec![0xfb, 0xff]);
    for n in 0..40u8 {
        let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(97)).collect();
        assert_eq!(unb64url(&b64url(&data)), data);
        assert_eq!(
            b64url(&data).len(),
            sealed_session::format::encoded_len(data.len())
        );
    }
    assert_eq!(unhex(&hex(&[0, 1, 0xab])), vec![0, 1, 0xab]);
    assert_eq!(windows("abcd", 3), vec!["abc", "bcd"]);
}

#[test]
fn key_bytes_are_distinct_and_never_weak() {
    let mut seen = std::collections::HashSet::new();
    for seed in 0..=255u8 {
        let bytes = key_bytes(seed);
        assert!(bytes.iter().any(|&b| b != bytes[0]));
        assert!(seen.insert(bytes), "seed {seed} repeats a key");
    }
}

/// The vectors of `tests/vectors/v1.json`.
pub(crate) fn vectors() -> Vec<serde_json::Value> {
    let file: serde_json::Value = serde_json::from_str(include_str!("../vectors/v1.json")).unwrap();
    file["vectors"].as_array().unwrap().clone()
}

/// The vector with this id.
pub(crate) fn vector(id: u64) -> serde_json::Value {
    vectors()
        .into_iter()
        .find(|v| v["id"].as_u64() == Some(id))
        .unwrap_or_else(|| panic!("no vector {id}"))
}

/// The outcome identifier of FORMAT.md §5 for `err`.
/// Also checks that [`OpenError::as_str`](sealed_session::OpenError::as_str)
/// gives the same identifier.
pub(crate) fn outcome(err: &sealed_session::OpenError) -> &'static str {
    let id = match err {
        sealed_session::OpenError::TooLarge { .. } => "too_large",
        sealed_session::OpenError::Malformed => "malformed",
        sealed_session::OpenError::UnsupportedVersion => "unsupported_version",
        sealed_session::OpenError::UnknownKeyId => "unknown_key_id",
        sealed_session::OpenError::AuthenticationFailed => "authentication_failed",
        sealed_session::OpenError::Expired => "expired",
        sealed_session::OpenError::IdleTimeout => "idle_timeout",
        sealed_session::OpenError::IssuedInFuture => "issued_in_future",
        sealed_session::OpenError::InvalidTimestamps => "invalid_timestamps",
        sealed_session::OpenError::PayloadMismatch => "payload_mismatch",
        sealed_session::OpenError::Revoked => "revoked",
        sealed_session::OpenError::ChunksMismatch => "chunks_mismatch",
        sealed_session::OpenError::SchemaMismatch => "schema_mismatch",
        sealed_session::OpenError::UnsupportedType(_) => "unsupported_type",
        other => panic!("no identifier for {other:?}"),
    };
    assert_eq!(err.as_str(), id, "{err:?}");
    id
}

/// The unsigned integer `field` of vector `v`.
pub(crate) fn u64_of(v: &serde_json::Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("vector {} lacks {field}", v["id"]))
}

/// The string `field` of vector `v`.
pub(crate) fn str_of<'a>(v: &'a serde_json::Value, field: &str) -> &'a str {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("vector {} lacks {field}", v["id"]))
}

/// The time `field` of vector `v`.
pub(crate) fn at(v: &serde_json::Value, field: &str) -> UnixSeconds {
    UnixSeconds::new(u64_of(v, field))
}
