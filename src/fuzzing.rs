//! Fuzz-target bodies and a test-only sealing path. Compiled only with
//! `--cfg fuzzing` (set by cargo-fuzz, where this module is public) and for
//! the crate's own unit tests; no cargo feature reaches it.
//!
//! Each body takes the fuzzer's bytes and panics only through an assertion
//! that states the property it checks (a forged value that opens, a parser
//! that accepts what it must refuse, a round trip that changes a value). The
//! cargo-fuzz targets in `fuzz/fuzz_targets/` call these bodies and nothing
//! else; the unit tests in `replay.rs` run them over the committed seed
//! corpora and every past crash, so the stable test suite replays them, and
//! those in `alloc.rs` measure the allocation bound of `authenticated_garbage`.
//!
//! Adding a target: write `pub fn NAME(data: &[u8])` here, list it in
//! [`TARGETS`], add `fuzz/fuzz_targets/NAME.rs` and its `[[bin]]` in
//! `fuzz/Cargo.toml`, and commit seeds under `fuzz/corpus/NAME/`.

// A fuzz body reports a broken property by panicking: every `assert!` below
// is such a property. The `expect`s and indexing are on fixed test data
// (constant keys, arrays of known length) whose invariants are named where
// they occur.
#![allow(clippy::missing_panics_doc)]
// Public for the fuzz targets; in the unit tests the module is private.
#![cfg_attr(not(fuzzing), allow(unreachable_pub))]

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::Duration as StdDuration;

use base64::Engine as _;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::UnixSeconds;
use crate::error::{KeyError, OpenError, SealError};
use crate::format::{
    self, BASE64, ENVELOPE_OVERHEAD_BYTES, FORMAT_VERSION, HEADER_LEN, KEY_ID_LEN, NONCE_LEN,
    TAG_LEN,
};
use crate::key::{Key, KeyId, KEY_LEN};
use crate::keyring::Keyring;
use crate::schema::Fingerprint;
use crate::seal::{Sealer, DEFAULT_COOKIE_NAME, MAX_LIFETIME};

/// A fuzz-target body: takes the fuzzer's bytes, panics only when a property
/// breaks.
pub type Body = fn(&[u8]);

/// Every fuzz target: its name (the folder under `fuzz/corpus/` and
/// `fuzz/regressions/`, and the binary under `fuzz/fuzz_targets/`) and body.
pub const TARGETS: &[(&str, Body)] = &[
    ("open_value", open_value),
    ("format_parse", format_parse),
    ("keyring_line", keyring_line),
    ("roundtrip", roundtrip),
    ("authenticated_garbage", authenticated_garbage),
    ("cookie_header", cookie_header),
    ("chunks", chunks),
];

/// The cookie name the fixed sealers use (the default name, as in the
/// vectors).
pub const COOKIE_NAME: &str = DEFAULT_COOKIE_NAME;

/// The time at which `open_value` opens: two minutes after the vectors were
/// issued, when the valid vectors with key id 1 still open.
pub const NOW: UnixSeconds = UnixSeconds::new(1_800_000_120);

/// The id of the vectors' key, the primary key of the fixed keyring.
pub const PRIMARY_ID: KeyId = KeyId::new(1);

/// The id of the fixed keyring's open-only key.
pub const OLD_ID: KeyId = KeyId::new(2);

/// Every `cookie_value` and `resealed_value` of `tests/vectors/v1.json`:
/// among them are all the values ever sealed with the vectors' keys (ids 1
/// and 2) under [`COOKIE_NAME`], so they are the only values the fixed
/// sealer may ever authenticate.
pub fn known_values() -> &'static [&'static str] {
    static KNOWN: OnceLock<Vec<&'static str>> = OnceLock::new();
    KNOWN.get_or_init(|| {
        const FILE: &str = include_str!("../tests/vectors/v1.json");
        const FIELDS: [&str; 2] = ["\"cookie_value\": \"", "\"resealed_value\": \""];
        FIELDS
            .iter()
            .flat_map(|field| {
                FILE.split(field)
                    .skip(1)
                    .filter_map(|rest| rest.split('"').next())
            })
            .collect()
    })
}

/// The timestamps [`seal_plaintext`] callers put in a valid plaintext header:
/// issued and last active at [`NOW`], expiring an hour later.
pub const VALID_TIMES: [u64; 3] = [NOW.as_secs(), NOW.as_secs(), NOW.as_secs() + 3600];

/// The key bytes of key `seed`: `seed, seed + 1, …` (the vectors' key is
/// seed 0).
fn key_bytes(seed: u8) -> [u8; KEY_LEN] {
    let mut bytes = [0u8; KEY_LEN];
    let mut next = seed;
    for b in &mut bytes {
        *b = next;
        next = next.wrapping_add(1);
    }
    bytes
}

fn test_key(seed: u8) -> Key {
    // Invariant: consecutive bytes are never all equal, so the key is not weak.
    #[allow(clippy::expect_used)]
    Key::from_bytes(key_bytes(seed)).expect("consecutive bytes are not a weak key")
}

/// The fixed keyring: the vectors' key as primary key 1, and an open-only
/// key 2 (bytes `0x20..0x40`).
#[must_use]
pub fn test_keyring() -> Keyring {
    // Invariant: id 2 differs from id 1 and seed 0x20 from seed 0, so the
    // second key is neither a duplicate id nor a duplicate key.
    #[allow(clippy::expect_used)]
    Keyring::new(PRIMARY_ID, test_key(0))
        .with_old_key(OLD_ID, test_key(0x20))
        .expect("distinct ids and keys")
}

/// The fixed sealer with the vectors' settings: [`test_keyring`], the
/// default cookie name, lifetimes and skew.
fn vector_sealer() -> &'static Sealer {
    static SEALER: OnceLock<Sealer> = OnceLock::new();
    SEALER.get_or_init(|| {
        // Invariant: the default settings always build.
        #[allow(clippy::expect_used)]
        Sealer::builder(test_keyring())
            .build()
            .expect("default settings are valid")
    })
}

/// A sealer with the fixed keyring that accepts values up to 16 KiB, so any
/// plaintext a fuzzer produces (at most 4096 bytes) can be sealed and opened.
fn garbage_sealer() -> &'static Sealer {
    static SEALER: OnceLock<Sealer> = OnceLock::new();
    SEALER.get_or_init(|| {
        // Invariant: 16 KiB is above the minimum limit for the default name.
        #[allow(clippy::expect_used)]
        Sealer::builder(test_keyring())
            .with_max_cookie_bytes(16 * 1024)
            .build()
            .expect("a 16 KiB limit is valid")
    })
}

/// Seals arbitrary `plaintext` bytes (not necessarily a postcard plaintext)
/// under the fixed keyring's primary key and [`COOKIE_NAME`], with a fresh
/// random nonce, and returns the cookie value. Test-only: it lets a fuzzer
/// reach everything after authentication, which no forged value can.
#[must_use]
pub fn seal_plaintext(plaintext: &[u8]) -> String {
    let ring = test_keyring();
    let (key_id, key) = ring.primary();
    let mut buf = vec![0u8; ENVELOPE_OVERHEAD_BYTES + plaintext.len()];
    let (header, rest) = buf.split_at_mut(HEADER_LEN);
    let (body, tag_out) = rest.split_at_mut(plaintext.len());
    let (version, header) = header.split_at_mut(1);
    let (id_out, nonce) = header.split_at_mut(KEY_ID_LEN);
    version.copy_from_slice(&[FORMAT_VERSION]);
    id_out.copy_from_slice(&key_id.get().to_be_bytes());
    assert!(
        crate::random::fill(nonce).is_ok(),
        "the operating system random number generator works"
    );
    body.copy_from_slice(plaintext);
    let Ok(nonce) = <&[u8; NONCE_LEN]>::try_from(&*nonce) else {
        unreachable_property("the header holds a 24-byte nonce");
    };
    // The same cipher path as `Sealer::seal`, so what opens here is what
    // the library itself would have sealed.
    let tag = format::with_aad(FORMAT_VERSION, key_id, COOKIE_NAME.as_bytes(), |aad| {
        crate::cipher::seal(key.as_bytes(), nonce, aad, body)
    });
    let Some(Ok(tag)) = tag else {
        unreachable_property("XChaCha20-Poly1305 seals any plaintext under 256 GiB");
    };
    tag_out.copy_from_slice(&tag);
    BASE64.encode(&buf)
}

/// The postcard plaintext header: issued-at, last-active-at and expiry as
/// varints, the 16-byte session id, then the 8-byte type fingerprint.
#[must_use]
pub fn plaintext_header(times: [u64; 3], session_id: [u8; 16], schema: Fingerprint) -> Vec<u8> {
    let header = (times[0], times[1], times[2], session_id, schema.to_bytes());
    postcard::to_allocvec(&header).unwrap_or_default()
}

// ---------------------------------------------------------------------------
// (a) open_value

/// (a) Arbitrary text as a sealed value must never authenticate, unless it
/// is one of the [`known_values`] sealed for the vectors. The open path must
/// not panic.
pub fn open_value(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let result = vector_sealer().open_at::<()>(&text, NOW);
    let authenticated = match &result {
        Ok(_) => true,
        Err(e) => e.is_authenticated(),
    };
    if authenticated {
        assert!(
            known_values().contains(&&*text),
            "a value that was never sealed passed authentication: {text:?} -> {result:?}"
        );
    }
    // No message check here: `OpenError` holds only numbers, so its message
    // cannot echo the value (a value may equal a message, as
    // fuzz/regressions/open_value/input-equal-to-an-error-message does).
}

// ---------------------------------------------------------------------------
// format_parse

/// The envelope split, strict base64url and the associated data, as pure
/// functions: `data` is taken both as a decoded envelope and as text.
pub fn format_parse(data: &[u8]) {
    // As a decoded envelope.
    let mut copy = data.to_vec();
    match format::parse(&mut copy) {
        Ok(view) => {
            assert!(
                data.len() >= ENVELOPE_OVERHEAD_BYTES,
                "short envelope parsed"
            );
            assert_eq!(view.version, FORMAT_VERSION, "other version parsed");
            let fields = (
                data.get(1..1 + KEY_ID_LEN),
                data.get(1 + KEY_ID_LEN..HEADER_LEN),
                data.get(HEADER_LEN..data.len() - TAG_LEN),
                data.get(data.len() - TAG_LEN..),
            );
            let (Some(id), Some(nonce), Some(body), Some(tag)) = fields else {
                unreachable_property("an envelope of at least 45 bytes has every field");
            };
            assert_eq!(&view.key_id.get().to_be_bytes()[..], id, "key id bytes");
            assert_eq!(&view.nonce[..], nonce, "nonce bytes");
            assert_eq!(&*view.body, body, "body bytes");
            assert_eq!(&view.tag[..], tag, "tag bytes");
        }
        Err(OpenError::Malformed) => {
            assert!(
                data.len() < ENVELOPE_OVERHEAD_BYTES,
                "full envelope refused"
            );
        }
        Err(OpenError::UnsupportedVersion) => {
            assert!(
                data.len() >= ENVELOPE_OVERHEAD_BYTES && data.first() != Some(&FORMAT_VERSION),
                "version 1 refused as unsupported"
            );
        }
        Err(other) => unreachable_property(&format!("parse returned {other:?}")),
    }

    // Encoding then decoding gives the bytes back, at the documented length.
    let text = BASE64.encode(data);
    assert_eq!(text.len(), format::encoded_len(data.len()), "encoded_len");
    assert_eq!(
        BASE64.decode(&text).ok().as_deref(),
        Some(data),
        "round trip"
    );

    // As text: only canonical base64url decodes, to `decoded_len` bytes.
    if let Ok(text) = core::str::from_utf8(data) {
        let decoded = BASE64.decode(text);
        let expected = format::decoded_len(text.len());
        if let Ok(bytes) = &decoded {
            assert_eq!(expected, Some(bytes.len()), "decoded_len");
            assert_eq!(BASE64.encode(bytes), text, "two texts decode to one value");
        }
        if expected.is_none() {
            assert!(decoded.is_err(), "a 4k+1 length decoded");
        }
    }

    // The associated data is the label, version, id, name length and name.
    let key_id = KeyId::new(u32::from_be_bytes(first_bytes(data)));
    let name = data
        .get(..data.len().min(usize::from(u16::MAX)))
        .unwrap_or(&[]);
    let Some(aad) = format::with_aad(FORMAT_VERSION, key_id, name, <[u8]>::to_vec) else {
        unreachable_property("a name of at most 65535 bytes has associated data");
    };
    let mut expected = format::AAD_LABEL.to_vec();
    expected.push(FORMAT_VERSION);
    expected.extend_from_slice(&key_id.get().to_be_bytes());
    let name_len = u16::try_from(name.len()).unwrap_or(u16::MAX);
    expected.extend_from_slice(&name_len.to_be_bytes());
    expected.extend_from_slice(name);
    assert_eq!(aad, expected, "associated data layout");
}

// ---------------------------------------------------------------------------
// (c) keyring_line

/// (c) An arbitrary keyring line gives a typed parse error or a valid
/// keyring that writes back to an equal line.
pub fn keyring_line(data: &[u8]) {
    let line = String::from_utf8_lossy(data);
    let entries = line.split(',').count();
    match Keyring::parse(&line) {
        Ok(ring) => {
            assert_eq!(ring.len(), entries, "every entry is a key");
            assert!(!ring.is_empty(), "a parsed keyring has a key");
            let again = Keyring::parse(&ring.to_line());
            let Ok(again) = again else {
                unreachable_property(&format!("to_line does not parse back: {again:?}"));
            };
            assert!(ring.ids().eq(again.ids()), "ids change through to_line");
            for id in ring.ids() {
                let same = ring.find(id).zip(again.find(id)).map(|(a, b)| a.ct_eq(b));
                assert_eq!(same, Some(true), "key bytes change through to_line");
            }
        }
        Err(e) => {
            let entry = match &e {
                KeyError::EmptyKeyring | KeyError::DuplicateId { .. } => None,
                KeyError::DuplicateKey { .. } => None,
                KeyError::InvalidSyntax { entry }
                | KeyError::InvalidKeyId { entry }
                | KeyError::InvalidKey { entry, .. } => Some(*entry),
                other => unreachable_property(&format!("keyring parse returned {other:?}")),
            };
            if let Some(entry) = entry {
                assert!(entry >= 1 && entry <= entries, "entry {entry} of {entries}");
            }
            // The message never contains key text.
            let message = e.to_string();
            for raw in line.split(',') {
                if let Some((_, key)) = raw.split_once(':') {
                    let key = key.trim();
                    if key.len() >= 16 && !key.contains(' ') {
                        assert!(!message.contains(key), "error message echoes key text");
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// (e) roundtrip

/// An application payload of many shapes, for the round trip. No floats, so
/// that equality is exact.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub enum FuzzPayload {
    /// No data.
    Unit,
    /// A boolean.
    Bool(bool),
    /// An unsigned varint.
    Int(u64),
    /// A zigzag varint.
    Signed(i64),
    /// A 128-bit varint.
    Wide(u128),
    /// A character.
    Char(char),
    /// A string.
    Text(String),
    /// Bytes as a sequence of `u8`.
    Bytes(Vec<u8>),
    /// Two payloads.
    Pair(Box<FuzzPayload>, Box<FuzzPayload>),
    /// A list of payloads.
    List(Vec<FuzzPayload>),
    /// An optional payload.
    Maybe(Option<Box<FuzzPayload>>),
    /// A struct.
    Record {
        /// A number.
        id: u32,
        /// A name.
        name: String,
        /// Some numbers.
        tags: Vec<u16>,
    },
    /// A map.
    Map(BTreeMap<String, u64>),
}

/// (e) A payload built from `data`, sealed under a configuration built from
/// `data` at a time from `data`, opens to an equal value with the expected
/// metadata at any time inside its lifetime, is refused at its deadlines,
/// and every derived one-bit change, truncation or extension of it is
/// refused before authentication.
pub fn roundtrip(data: &[u8]) {
    let mut input = Input::new(data);
    let names = ["__Host-session", "sid", "a", "__Secure-x!#$%&'*+-.^_`|~"];
    let name = names.get(usize::from(input.byte()) % names.len()).copied();
    let name = name.unwrap_or(COOKIE_NAME);
    let max = MAX_LIFETIME.as_secs();
    let ttl = 1 + input.u64() % max;
    let idle = (input.byte() & 1 == 1).then(|| 1 + input.u64() % max);
    let skew = input.u64() % (max + 1);
    let limit = match input.byte() % 4 {
        0 => 4096,
        1 => 100 + usize::from(input.u16()),
        _ => 16 * 1024,
    };
    let now = match input.byte() % 4 {
        0 => input.u64(),
        1 => u64::MAX - input.u64() % (2 * max),
        _ => 1_700_000_000 + input.u64() % 2_000_000_000,
    };
    let primary_is_old = input.byte() & 1 == 1;
    let payload = input.payload(0);

    let mut ring = test_keyring();
    if primary_is_old {
        ring = ring.with_primary(OLD_ID).unwrap_or_else(|e| {
            unreachable_property(&format!("key 2 is in the ring: {e:?}"));
        });
    }
    let mut builder = Sealer::builder(ring)
        .with_cookie_name(name)
        .with_absolute_ttl(StdDuration::from_secs(ttl))
        .with_clock_skew(StdDuration::from_secs(skew))
        .with_max_cookie_bytes(limit);
    builder = match idle {
        Some(idle) => builder.with_idle_timeout(StdDuration::from_secs(idle)),
        None => builder.without_idle_timeout(),
    };
    let sealer = match builder.build() {
        Ok(sealer) => sealer,
        Err(crate::ConfigError::LimitTooSmall { minimum }) => {
            assert!(minimum > limit, "a limit refused below its minimum");
            return;
        }
        Err(e) => unreachable_property(&format!("valid settings refused: {e:?}")),
    };

    let t0 = UnixSeconds::new(now);
    let value = match sealer.seal_at(&payload, t0) {
        Ok(value) => value,
        Err(SealError::TimeOverflow) => {
            assert!(now.checked_add(ttl).is_none(), "spurious time overflow");
            return;
        }
        Err(SealError::TooLarge { actual, limit: l }) => {
            assert!(actual > l && l == limit, "spurious too large: {actual} {l}");
            return;
        }
        Err(e) => unreachable_property(&format!("seal failed: {e:?}")),
    };
    assert!(
        name.len() + value.len() <= limit,
        "sealed value over the limit"
    );
    assert!(
        value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "sealed value is not base64url"
    );

    // Inside the lifetime: opens equal, with the expected metadata.
    let expires_at = now + ttl;
    let window = idle.map_or(ttl, |i| i.min(ttl));
    let t1 = now + input.u64() % window;
    let opened = sealer.open_at::<FuzzPayload>(&value, UnixSeconds::new(t1));
    let opened = match opened {
        Ok(opened) => opened,
        Err(e) => unreachable_property(&format!("own value refused at {t1}: {e:?}")),
    };
    assert_eq!(opened.payload, payload, "payload changed");
    let meta = &opened.meta;
    assert_eq!(meta.issued_at(), t0, "issued_at");
    assert_eq!(meta.last_active_at(), t0, "last_active_at");
    assert_eq!(meta.expires_at().as_secs(), expires_at, "expires_at");
    let idle_at = idle.map(|i| now.saturating_add(i).min(expires_at));
    assert_eq!(meta.idle_expires_at().map(UnixSeconds::as_secs), idle_at);
    let primary = if primary_is_old { OLD_ID } else { PRIMARY_ID };
    assert_eq!(meta.key_id(), primary, "key id");
    assert!(!meta.needs_reseal(), "sealed with the primary key");

    // At the deadlines and before the skew allowance: refused.
    let at = |t: u64| {
        sealer
            .open_at::<FuzzPayload>(&value, UnixSeconds::new(t))
            .err()
    };
    assert_eq!(at(expires_at), Some(OpenError::Expired), "at the expiry");
    if let Some(i) = idle.filter(|i| *i < ttl) {
        assert_eq!(
            at(now + i),
            Some(OpenError::IdleTimeout),
            "at the idle deadline"
        );
    }
    if let Some(early) = now.checked_sub(skew).and_then(|t| t.checked_sub(1)) {
        assert_eq!(
            at(early),
            Some(OpenError::IssuedInFuture),
            "before the skew"
        );
    }

    // Another cookie name, or another key under the same id: refused.
    let other_name = if name == "sid" { "sie" } else { "sid" };
    let other = Sealer::builder(Keyring::clone(&sealer.keyring()))
        .with_cookie_name(other_name)
        .with_absolute_ttl(StdDuration::from_secs(ttl))
        .without_idle_timeout()
        .with_clock_skew(StdDuration::from_secs(skew))
        .with_max_cookie_bytes(16 * 1024)
        .build();
    if let Ok(other) = other {
        let err = other
            .open_at::<FuzzPayload>(&value, UnixSeconds::new(t1))
            .err();
        assert_eq!(err, Some(OpenError::AuthenticationFailed), "other name");
    }
    let stranger = Keyring::new(primary, test_key(0x80));
    let stranger = Sealer::builder(stranger)
        .with_cookie_name(name)
        .with_max_cookie_bytes(limit)
        .build();
    if let Ok(stranger) = stranger {
        let err = stranger
            .open_at::<FuzzPayload>(&value, UnixSeconds::new(t1))
            .err();
        assert_eq!(err, Some(OpenError::AuthenticationFailed), "other key");
    }

    // Single-bit changes of the envelope and of the text, truncation and
    // extension: refused before authentication.
    let refused = |forged: &str, what: &str| {
        let result = sealer.open_at::<FuzzPayload>(forged, UnixSeconds::new(t1));
        assert!(
            result.as_ref().is_err_and(|e| !e.is_authenticated()),
            "{what} opened: {result:?}"
        );
    };
    let Ok(envelope) = BASE64.decode(&value) else {
        unreachable_property("a sealed value decodes");
    };
    for _ in 0..4 {
        let bit = usize::from(input.u16()) % (envelope.len() * 8);
        let mut forged = envelope.clone();
        if let Some(b) = forged.get_mut(bit / 8) {
            *b ^= 1 << (bit % 8);
        }
        refused(&BASE64.encode(&forged), "an envelope with one bit flipped");
        let bit = usize::from(input.u16()) % (value.len() * 7);
        let mut text = value.clone().into_bytes();
        if let Some(b) = text.get_mut(bit / 7) {
            *b ^= 1 << (bit % 7);
        }
        refused(
            &String::from_utf8_lossy(&text),
            "a text with one bit flipped",
        );
    }
    refused(
        value.get(..value.len() - 1).unwrap_or(""),
        "a truncated value",
    );
    refused(&format!("{value}A"), "an extended value");

    // Sealed again later as the same session: opens with the same identity.
    let later = UnixSeconds::new(t1);
    let resealed = sealer.reseal_at(&payload, meta, later);
    let resealed = match resealed {
        Ok(v) => v,
        // A later time can take one more varint byte.
        Err(SealError::TooLarge { actual, limit: l }) if actual > l => return,
        Err(e) => unreachable_property(&format!("reseal failed: {e:?}")),
    };
    let again = sealer.open_at::<FuzzPayload>(&resealed, later);
    let again = match again {
        Ok(again) => again,
        Err(e) => unreachable_property(&format!("resealed value refused: {e:?}")),
    };
    assert_eq!(again.payload, payload, "payload changed by reseal");
    assert!(
        again.meta.session_id().ct_eq(meta.session_id()),
        "session id"
    );
    assert_eq!(again.meta.issued_at(), t0, "issued_at changed by reseal");
    assert_eq!(again.meta.last_active_at(), later, "last_active_at");
}

// ---------------------------------------------------------------------------
// (f) authenticated_garbage

/// A struct like the vectors' login payload. Decoded only to exercise the
/// decoder, never read.
#[allow(dead_code)]
#[derive(Deserialize, Debug)]
struct Login {
    user_id: u64,
    name: String,
    admin: bool,
}

/// An enum with data in several shapes. Decoded only to exercise the
/// decoder, never read.
#[allow(dead_code)]
#[derive(Deserialize, Debug)]
enum Shape {
    A,
    B(u32),
    C { x: i16, y: Vec<String> },
    D(Box<Shape>, Option<u8>),
}

/// (f) Arbitrary plaintext, sealed through the test-only path so that it
/// authenticates, then opened as several payload types: always `Ok` or a
/// typed error after authentication, never a panic. The first byte selects
/// the plaintext: even, a valid header (timestamps, session id, and the
/// fingerprint of the type opened) followed by the rest of the input as the
/// payload (so the payload decoder runs); odd, the rest of the input as the
/// whole plaintext.
///
/// Allocation is bounded whatever length the plaintext claims. For a
/// sequence, postcard gives serde no size hint when the claimed length
/// exceeds the bytes left, and serde's `size_hint::cautious` caps any hint
/// at 1 MiB of elements, so a `Vec<T>` reserves at most
/// `min(bytes left, 1 MiB / size_of::<T>())` elements up front; strings and
/// byte strings are read only from bytes actually present. For a map,
/// postcard passes the claimed length on and the cautious cap applies: a
/// `HashMap` claiming 2^60 entries reserves a table for 1 MiB of entries
/// (about 2.1 MiB with its control bytes), a `BTreeMap` nothing.
/// `tests/fuzz_alloc.rs` measures these bounds. Types whose elements take no
/// bytes (such as `Vec<()>`) are not decoded here: a claimed length is then
/// only a loop count.
pub fn authenticated_garbage(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let valid_header = mode & 1 == 0;
    let value = seal_plaintext(rest);
    garbage_opens_as::<()>(&value, rest, valid_header);
    garbage_opens_as::<bool>(&value, rest, valid_header);
    garbage_opens_as::<u8>(&value, rest, valid_header);
    garbage_opens_as::<u64>(&value, rest, valid_header);
    garbage_opens_as::<i64>(&value, rest, valid_header);
    garbage_opens_as::<u128>(&value, rest, valid_header);
    garbage_opens_as::<f64>(&value, rest, valid_header);
    garbage_opens_as::<char>(&value, rest, valid_header);
    garbage_opens_as::<String>(&value, rest, valid_header);
    garbage_opens_as::<Vec<u8>>(&value, rest, valid_header);
    garbage_opens_as::<[u8; 32]>(&value, rest, valid_header);
    garbage_opens_as::<Vec<String>>(&value, rest, valid_header);
    garbage_opens_as::<Vec<Vec<u64>>>(&value, rest, valid_header);
    garbage_opens_as::<Option<Box<String>>>(&value, rest, valid_header);
    garbage_opens_as::<(u8, String, Vec<bool>)>(&value, rest, valid_header);
    garbage_opens_as::<BTreeMap<String, Vec<u8>>>(&value, rest, valid_header);
    garbage_opens_as::<HashMap<u64, String>>(&value, rest, valid_header);
    garbage_opens_as::<Login>(&value, rest, valid_header);
    garbage_opens_as::<Shape>(&value, rest, valid_header);
    garbage_opens_as::<FuzzPayload>(&value, rest, valid_header);
}

/// Opens `value` (the input as a whole plaintext) as `T`, or, with a valid
/// header, a value whose plaintext is a valid header carrying `T`'s
/// fingerprint followed by the input, so that the payload decoder runs.
fn garbage_opens_as<T: DeserializeOwned + core::fmt::Debug + 'static>(
    value: &str,
    rest: &[u8],
    valid_header: bool,
) {
    let typed;
    let value = if valid_header {
        let Ok(schema) = Fingerprint::of::<T>() else {
            unreachable_property("every type opened here can be traced");
        };
        let mut plaintext = plaintext_header(VALID_TIMES, [0xA5; 16], schema);
        plaintext.extend_from_slice(rest);
        typed = seal_plaintext(&plaintext);
        &typed
    } else {
        value
    };
    let result = garbage_sealer().open_at::<T>(value, NOW);
    match result {
        Ok(_) => {}
        Err(OpenError::PayloadMismatch | OpenError::SchemaMismatch) => {}
        Err(e) => {
            assert!(
                !valid_header && e.is_authenticated(),
                "authenticated plaintext refused as {e:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers

/// Reports a broken property that no `assert!` states more directly.
#[track_caller]
fn unreachable_property(what: &str) -> ! {
    // A fuzz body reports a broken property by panicking.
    #[allow(clippy::panic)]
    {
        panic!("property broken: {what}")
    }
}

fn first_bytes<const N: usize>(data: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (o, d) in out.iter_mut().zip(data) {
        *o = *d;
    }
    out
}

/// Reads structured values from fuzzer bytes; reads past the end give zeros,
/// so every input is usable.
struct Input<'a> {
    bytes: &'a [u8],
}

impl<'a> Input<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.bytes.len());
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        head
    }

    fn byte(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(first_bytes(self.take(2)))
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes(first_bytes(self.take(4)))
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(first_bytes(self.take(8)))
    }

    fn text(&mut self) -> String {
        let len = usize::from(self.byte());
        String::from_utf8_lossy(self.take(len)).into_owned()
    }

    fn payload(&mut self, depth: u32) -> FuzzPayload {
        let kind = if depth >= 4 {
            self.byte() % 8
        } else {
            self.byte() % 13
        };
        match kind {
            0 => FuzzPayload::Unit,
            1 => FuzzPayload::Bool(self.byte() & 1 == 1),
            2 => FuzzPayload::Int(self.u64()),
            3 => FuzzPayload::Signed(i64::from_le_bytes(first_bytes(self.take(8)))),
            4 => FuzzPayload::Wide(u128::from_le_bytes(first_bytes(self.take(16)))),
            5 => FuzzPayload::Char(char::from_u32(self.u32()).unwrap_or('\u{FFFD}')),
            6 => FuzzPayload::Text(self.text()),
            7 => {
                let len = usize::from(self.u16() % 4096);
                FuzzPayload::Bytes(self.take(len).to_vec())
            }
            8 => FuzzPayload::Pair(
                Box::new(self.payload(depth + 1)),
                Box::new(self.payload(depth + 1)),
            ),
            9 => {
                let len = self.byte() % 8;
                FuzzPayload::List((0..len).map(|_| self.payload(depth + 1)).collect())
            }
            10 => FuzzPayload::Maybe(
                (self.byte() & 1 == 1).then(|| Box::new(self.payload(depth + 1))),
            ),
            11 => FuzzPayload::Record {
                id: self.u32(),
                name: self.text(),
                tags: (0..self.byte() % 16).map(|_| self.u16()).collect(),
            },
            _ => FuzzPayload::Map(
                (0..self.byte() % 8)
                    .map(|_| (self.text(), self.u64()))
                    .collect(),
            ),
        }
    }
}

// ---------------------------------------------------------------------------
// cookie_header

/// A raw `Cookie` header: the parser never panics, every name and value it
/// returns is a slice of the input, it finds at most one pair per two bytes
/// (plus one), a lookup by name agrees with iterating over all pairs, and
/// loading a session from the header (chunking on) never opens anything: no
/// value here was sealed with the session layer's payload.
pub fn cookie_header(data: &[u8]) {
    let range = data.as_ptr_range();
    let inside = |s: &str| {
        let r = s.as_bytes().as_ptr_range();
        range.start <= r.start && r.end <= range.end
    };
    let mut count = 0usize;
    for (name, value) in crate::header::cookie_pairs(data) {
        assert!(
            inside(name) && inside(value),
            "a pair is not a slice of the header"
        );
        assert!(!name.is_empty(), "a nameless pair was returned");
        count += 1;
    }
    assert!(
        count <= data.len() / 2 + 1,
        "more pairs than the header can hold"
    );
    let by_name: Vec<&str> = crate::header::cookie_values(data, COOKIE_NAME).collect();
    let by_pairs: Vec<&str> = crate::header::cookie_pairs(data)
        .filter(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value)
        .collect();
    assert_eq!(by_name, by_pairs, "lookup by name disagrees with the pairs");
    let session = chunk_config().load_at::<Vec<u8>, _>(Some(data), NOW);
    assert!(
        session.is_new(),
        "a header that was never sealed opened a session"
    );
}

// ---------------------------------------------------------------------------
// chunks

/// The payload [`chunks`] seals: large enough for three cookies.
fn chunk_payload() -> Vec<u8> {
    (0..7000u32).map(|i| i.to_le_bytes()[0]).collect()
}

/// A session configuration with the fixed keyring and chunking up to 4
/// cookies.
fn chunk_config() -> &'static crate::SessionConfig {
    static CONFIG: OnceLock<crate::SessionConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        // Invariant: the default settings with a chunk limit of 4 build.
        #[allow(clippy::expect_used)]
        crate::SessionConfig::builder(test_keyring())
            .with_chunking(4)
            .build()
            .expect("chunking 4 is valid")
    })
}

/// The cookies (name, value) of one sealed chunked session, made once.
fn sealed_chunks() -> &'static [(String, String)] {
    static CHUNKS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    CHUNKS.get_or_init(|| {
        let mut session = chunk_config().load_at::<Vec<u8>, _>(None::<&str>, NOW);
        session.insert(chunk_payload());
        // Invariant: 7000 bytes fit four cookies (the capacity is 12160).
        #[allow(clippy::expect_used)]
        let response = session.finish().expect("the payload fits four chunks");
        response
            .set_cookie_headers()
            .iter()
            .filter(|c| !c.contains("Max-Age=0"))
            .filter_map(|c| c.split(';').next())
            .filter_map(|pair| pair.split_once('='))
            .map(|(n, v)| (n.to_owned(), v.to_owned()))
            .collect()
    })
}

/// Chunk reassembly from cookie sets derived from the input: each input
/// byte drops, duplicates, swaps, moves or alters a cookie of one genuine
/// three-chunk session. Loading never panics; if it opens, the session is
/// exactly the one sealed (only a set whose pieces join to the sealed value
/// can open).
pub fn chunks(data: &[u8]) {
    let mut cookies: Vec<(String, String)> = sealed_chunks().to_vec();
    for (step, &byte) in data.iter().take(64).enumerate() {
        let len = cookies.len();
        if len == 0 {
            break;
        }
        let i = usize::from(byte >> 3) % len;
        let j = (i + 1 + step) % len;
        match byte & 7 {
            0 => {
                cookies.remove(i);
            }
            1 => {
                let copy = cookies.get(i).cloned();
                cookies.extend(copy);
            }
            2 => cookies.swap(i, j),
            3 => {
                // Swap the values, keeping the names in place.
                let (a, b) = (cookies.get(i).cloned(), cookies.get(j).cloned());
                if let (Some(a), Some(b), true) = (a, b, i != j) {
                    if let Some(c) = cookies.get_mut(i) {
                        c.1 = b.1;
                    }
                    if let Some(c) = cookies.get_mut(j) {
                        c.1 = a.1;
                    }
                }
            }
            4 => {
                if let Some(c) = cookies.get_mut(i) {
                    let at = usize::from(byte) % c.1.len().max(1);
                    let flipped: String =
                        c.1.char_indices()
                            .map(|(k, ch)| {
                                if k == at {
                                    if ch == 'A' {
                                        'B'
                                    } else {
                                        'A'
                                    }
                                } else {
                                    ch
                                }
                            })
                            .collect();
                    c.1 = flipped;
                }
            }
            5 => {
                if let Some(c) = cookies.get_mut(i) {
                    c.0 = format!("{COOKIE_NAME}.{}", 1 + byte % 9);
                }
            }
            6 => {
                // Move a character between two cookies (a re-split).
                let moved = cookies.get_mut(i).and_then(|c| c.1.pop());
                if let (Some(ch), Some(c)) = (moved, cookies.get_mut(j)) {
                    c.1.insert(0, ch);
                }
            }
            _ => {
                if let Some(c) = cookies.get_mut(i) {
                    c.1.truncate(c.1.len() / 2);
                }
            }
        }
    }
    let header: String = cookies
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let session = chunk_config().load_at::<Vec<u8>, _>(Some(header.as_str()), NOW);
    if data.is_empty() {
        assert!(!session.is_new(), "the untouched chunk set must open");
    }
    if let Some(payload) = session.get() {
        assert_eq!(
            *payload,
            chunk_payload(),
            "a mixed chunk set opened another session"
        );
    }
}

#[cfg(test)]
mod alloc;
#[cfg(test)]
mod replay;
