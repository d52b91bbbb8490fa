//! `seal` and `open` beside the floor (the raw cipher, base64url and postcard
//! and nothing else) and beside the peers that do the same job, all in one
//! run: compare ratios within a run, never absolute times across runs.
//!
//! ```text
//! cargo bench -p sealed-session-benches --bench sessions
//! python3 benches/table.py          # medians and ratios from target/criterion
//! ```
//!
//! Groups: `typical/{seal,open}` (a 75-byte session), `bytes_{seal,open}/N`
//! (payloads of N postcard bytes, `Throughput::Bytes`), `keyring_open`
//! (1 key versus 1000), `threads` (one versus two threads sharing one
//! `Sealer`). Cookie-header parsing (our cookie among 1 versus 50 others) is
//! not here yet: the header parser is not in the library yet.
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_panics_doc,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;
use base64::Engine as _;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use common::{sized, typical, TypicalSession, TYPICAL_POSTCARD_BYTES};
use sealed_session::format::{NONCE_LEN, SESSION_ID_LEN, TAG_LEN};
use sealed_session::{Key, KeyId, Keyring, Sealer, SessionConfig};

const KEY_BYTES: [u8; 32] = [
    0x3a, 0x91, 0x0c, 0x5e, 0x77, 0xd2, 0x18, 0x4b, 0xe6, 0x2f, 0x83, 0x09, 0xbc, 0x41, 0x6d, 0xf0,
    0x12, 0x8e, 0x57, 0xa3, 0xc9, 0x36, 0x7b, 0xe1, 0x04, 0x5a, 0x9f, 0x28, 0xd7, 0x6c, 0xb5, 0x13,
];
const COOKIE_NAME: &str = "__Host-session";
const SIZES: [usize; 4] = [64, 256, 1024, 3000];

// ---------------------------------------------------------------- ours

fn sealer(max_cookie_bytes: usize) -> Sealer {
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(KEY_BYTES).unwrap());
    Sealer::builder(ring)
        .with_max_cookie_bytes(max_cookie_bytes)
        .build()
        .unwrap()
}

// ---------------------------------------------------------------- floor

/// The plaintext the floor seals: the same fields as ours, fixed values.
#[derive(Serialize)]
struct FloorPlain<'a, T: ?Sized> {
    issued_at: u64,
    last_active_at: u64,
    expires_at: u64,
    session_id: &'a [u8; SESSION_ID_LEN],
    payload: &'a T,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FloorOpened<T> {
    issued_at: u64,
    last_active_at: u64,
    expires_at: u64,
    session_id: [u8; SESSION_ID_LEN],
    payload: T,
}

/// The floor: postcard into a buffer of the right size, a fresh random nonce
/// from the operating system, XChaCha20-Poly1305 without associated data,
/// base64url. Nothing else: no size check, no key lookup, no timestamps.
struct Floor {
    cipher: XChaCha20Poly1305,
}

impl Floor {
    fn new() -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(&KEY_BYTES.into()),
        }
    }

    fn seal<T: Serialize + ?Sized>(&self, payload: &T, plain_len: usize) -> String {
        let plain = FloorPlain {
            issued_at: 1_800_000_000,
            last_active_at: 1_800_000_000,
            expires_at: 1_800_086_400,
            session_id: &[0xA5; SESSION_ID_LEN],
            payload,
        };
        let mut buf = Vec::with_capacity(NONCE_LEN + plain_len + TAG_LEN);
        buf.resize(NONCE_LEN, 0);
        let mut buf = postcard::to_extend(&plain, buf).unwrap();
        let (nonce, body) = buf.split_at_mut(NONCE_LEN);
        getrandom::fill(nonce).unwrap();
        let nonce: &[u8; NONCE_LEN] = (&*nonce).try_into().unwrap();
        let tag = self
            .cipher
            .encrypt_inout_detached(nonce.into(), b"", body.into())
            .unwrap();
        buf.extend_from_slice(&tag);
        BASE64.encode(&buf)
    }

    fn open<T: DeserializeOwned>(&self, value: &str) -> T {
        let mut buf = BASE64.decode(value).unwrap();
        let (nonce, rest) = buf.split_at_mut(NONCE_LEN);
        let (body, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
        let nonce: &[u8; NONCE_LEN] = (&*nonce).try_into().unwrap();
        let tag: &[u8; TAG_LEN] = (&*tag).try_into().unwrap();
        self.cipher
            .decrypt_inout_detached(nonce.into(), b"", body.into(), tag.into())
            .unwrap();
        postcard::from_bytes::<FloorOpened<T>>(body)
            .unwrap()
            .payload
    }
}

fn plain_len<T: Serialize + ?Sized>(payload: &T) -> usize {
    postcard::to_allocvec(&FloorPlain {
        issued_at: 1_800_000_000,
        last_active_at: 1_800_000_000,
        expires_at: 1_800_086_400,
        session_id: &[0xA5; SESSION_ID_LEN],
        payload,
    })
    .unwrap()
    .len()
}

// ---------------------------------------------------------------- peers

/// actix-session's cookie store: a map of JSON-encoded values, serialized
/// with serde_json and sealed by the `cookie` crate's private jar
/// (AES-256-GCM, nonce from `rand`'s thread-local generator).
struct CookiePrivate {
    key: cookie::Key,
}

impl CookiePrivate {
    fn new() -> Self {
        Self {
            key: cookie::Key::from(&[0x5c; 64]),
        }
    }

    fn seal(&self, map: &HashMap<String, String>) -> String {
        let json = serde_json::to_string(map).unwrap();
        let mut jar = cookie::CookieJar::new();
        jar.private_mut(&self.key)
            .add(cookie::Cookie::new(COOKIE_NAME, json));
        jar.get(COOKIE_NAME).unwrap().value().to_owned()
    }

    fn open(&self, value: &str) -> HashMap<String, String> {
        let jar = cookie::CookieJar::new();
        let opened = jar
            .private(&self.key)
            .decrypt(cookie::Cookie::new(COOKIE_NAME, value.to_owned()))
            .unwrap();
        serde_json::from_str(opened.value()).unwrap()
    }
}

/// The session as actix-session keeps it: each field JSON-encoded.
fn session_map(s: &TypicalSession) -> HashMap<String, String> {
    let mut map = HashMap::new();
    map.insert("user_id".into(), serde_json::to_string(&s.user_id).unwrap());
    map.insert(
        "username".into(),
        serde_json::to_string(&s.username).unwrap(),
    );
    map.insert("role".into(), serde_json::to_string(&s.role).unwrap());
    map.insert(
        "csrf_secret".into(),
        serde_json::to_string(&s.csrf_secret).unwrap(),
    );
    map.insert("flags".into(), serde_json::to_string(&s.flags).unwrap());
    map
}

fn sized_map(payload: &str) -> HashMap<String, String> {
    HashMap::from([("data".into(), serde_json::to_string(payload).unwrap())])
}

/// branca: XChaCha20-Poly1305 (orion), base62; takes bytes, so postcard.
struct BrancaPeer {
    branca: branca::Branca,
}

impl BrancaPeer {
    fn new() -> Self {
        Self {
            branca: branca::Branca::new(&KEY_BYTES).unwrap(),
        }
    }

    fn seal<T: Serialize>(&mut self, payload: &T) -> String {
        let bytes = postcard::to_allocvec(payload).unwrap();
        self.branca.encode(&bytes).unwrap()
    }

    fn open<T: DeserializeOwned>(&self, token: &str) -> T {
        let bytes = self.branca.decode(token, 0).unwrap();
        postcard::from_bytes(&bytes).unwrap()
    }
}

/// pasetors v4.local: XChaCha20 and BLAKE2b-MAC (orion); PASETO payloads are
/// UTF-8 JSON, so serde_json.
struct PasetoPeer {
    key: pasetors::keys::SymmetricKey<pasetors::version4::V4>,
}

impl PasetoPeer {
    fn new() -> Self {
        Self {
            key: pasetors::keys::SymmetricKey::from(&KEY_BYTES).unwrap(),
        }
    }

    fn seal<T: Serialize>(&self, payload: &T) -> String {
        let json = serde_json::to_vec(payload).unwrap();
        pasetors::version4::LocalToken::encrypt(&self.key, &json, None, None).unwrap()
    }

    fn open<T: DeserializeOwned>(&self, token: &str) -> T {
        let untrusted =
            pasetors::token::UntrustedToken::<pasetors::Local, pasetors::version4::V4>::try_from(
                token,
            )
            .unwrap();
        let trusted =
            pasetors::version4::LocalToken::decrypt(&self.key, &untrusted, None, None).unwrap();
        serde_json::from_str(trusted.payload()).unwrap()
    }
}

/// fernet (pure-Rust backend): AES-128-CBC and HMAC-SHA256; takes bytes, so
/// postcard.
struct FernetPeer {
    fernet: fernet::Fernet,
}

impl FernetPeer {
    fn new() -> Self {
        Self {
            fernet: fernet::Fernet::new(&BASE64.encode(KEY_BYTES)).unwrap(),
        }
    }

    fn seal<T: Serialize>(&self, payload: &T) -> String {
        let bytes = postcard::to_allocvec(payload).unwrap();
        self.fernet.encrypt(&bytes)
    }

    fn open<T: DeserializeOwned>(&self, token: &str) -> T {
        let bytes = self.fernet.decrypt(token).unwrap();
        postcard::from_bytes(&bytes).unwrap()
    }
}

// ---------------------------------------------------------------- groups

fn typical_session(c: &mut Criterion) {
    let session = typical();
    assert_eq!(
        postcard::to_allocvec(&session).unwrap().len(),
        TYPICAL_POSTCARD_BYTES
    );
    let ours = sealer(sealed_session::DEFAULT_MAX_COOKIE_BYTES);
    let floor = Floor::new();
    let floor_len = plain_len(&session);
    let cookie = CookiePrivate::new();
    let map = session_map(&session);
    let mut branca = BrancaPeer::new();
    let paseto = PasetoPeer::new();
    let fernet = FernetPeer::new();

    let mut g = c.benchmark_group("typical_seal");
    g.throughput(Throughput::Bytes(TYPICAL_POSTCARD_BYTES as u64));
    g.bench_function("ours", |b| {
        b.iter(|| ours.seal(black_box(&session)).unwrap())
    });
    g.bench_function("floor", |b| {
        b.iter(|| floor.seal(black_box(&session), floor_len))
    });
    g.bench_function("cookie_private_json", |b| {
        b.iter(|| cookie.seal(black_box(&map)))
    });
    g.bench_function("branca", |b| b.iter(|| branca.seal(black_box(&session))));
    g.bench_function("pasetors_v4_local", |b| {
        b.iter(|| paseto.seal(black_box(&session)))
    });
    g.bench_function("fernet", |b| b.iter(|| fernet.seal(black_box(&session))));
    g.finish();

    let ours_value = ours.seal(&session).unwrap();
    let floor_value = floor.seal(&session, floor_len);
    let cookie_value = cookie.seal(&map);
    let branca_value = branca.seal(&session);
    let paseto_value = paseto.seal(&session);
    let fernet_value = fernet.seal(&session);
    assert_eq!(
        ours.open::<TypicalSession>(&ours_value).unwrap().payload,
        session
    );
    assert_eq!(floor.open::<TypicalSession>(&floor_value), session);
    assert_eq!(cookie.open(&cookie_value), map);
    assert_eq!(branca.open::<TypicalSession>(&branca_value), session);
    assert_eq!(paseto.open::<TypicalSession>(&paseto_value), session);
    assert_eq!(fernet.open::<TypicalSession>(&fernet_value), session);

    let mut g = c.benchmark_group("typical_open");
    g.throughput(Throughput::Bytes(TYPICAL_POSTCARD_BYTES as u64));
    g.bench_function("ours", |b| {
        b.iter(|| ours.open::<TypicalSession>(black_box(&ours_value)).unwrap())
    });
    g.bench_function("floor", |b| {
        b.iter(|| floor.open::<TypicalSession>(black_box(&floor_value)))
    });
    g.bench_function("cookie_private_json", |b| {
        b.iter(|| cookie.open(black_box(&cookie_value)))
    });
    g.bench_function("branca", |b| {
        b.iter(|| branca.open::<TypicalSession>(black_box(&branca_value)))
    });
    g.bench_function("pasetors_v4_local", |b| {
        b.iter(|| paseto.open::<TypicalSession>(black_box(&paseto_value)))
    });
    g.bench_function("fernet", |b| {
        b.iter(|| fernet.open::<TypicalSession>(black_box(&fernet_value)))
    });
    g.finish();
}

fn payload_sizes(c: &mut Criterion) {
    // A 3000-byte payload does not fit the default 4096-byte cookie (the
    // largest is 2977 bytes); the sweep uses one larger limit throughout.
    let ours = sealer(8192);
    let floor = Floor::new();
    let cookie = CookiePrivate::new();
    let mut branca = BrancaPeer::new();
    let paseto = PasetoPeer::new();
    let fernet = FernetPeer::new();
    let payloads: Vec<(usize, String)> = SIZES.iter().map(|&n| (n, sized(n))).collect();
    for (n, p) in &payloads {
        assert_eq!(postcard::to_allocvec(p).unwrap().len(), *n);
    }

    let mut g = c.benchmark_group("bytes_seal");
    for (n, payload) in &payloads {
        let floor_len = plain_len(payload);
        let map = sized_map(payload);
        g.throughput(Throughput::Bytes(*n as u64));
        g.bench_with_input(BenchmarkId::new("ours", n), payload, |b, p| {
            b.iter(|| ours.seal(black_box(p)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("floor", n), payload, |b, p| {
            b.iter(|| floor.seal(black_box(p), floor_len))
        });
        g.bench_with_input(BenchmarkId::new("cookie_private_json", n), &map, |b, m| {
            b.iter(|| cookie.seal(black_box(m)))
        });
        g.bench_with_input(BenchmarkId::new("branca", n), payload, |b, p| {
            b.iter(|| branca.seal(black_box(p)))
        });
        g.bench_with_input(BenchmarkId::new("pasetors_v4_local", n), payload, |b, p| {
            b.iter(|| paseto.seal(black_box(p)))
        });
        g.bench_with_input(BenchmarkId::new("fernet", n), payload, |b, p| {
            b.iter(|| fernet.seal(black_box(p)))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("bytes_open");
    for (n, payload) in &payloads {
        let ours_value = ours.seal(payload).unwrap();
        let floor_value = floor.seal(payload, plain_len(payload));
        let cookie_value = cookie.seal(&sized_map(payload));
        let branca_value = branca.seal(payload);
        let paseto_value = paseto.seal(payload);
        let fernet_value = fernet.seal(payload);
        g.throughput(Throughput::Bytes(*n as u64));
        g.bench_function(BenchmarkId::new("ours", n), |b| {
            b.iter(|| ours.open::<String>(black_box(&ours_value)).unwrap())
        });
        g.bench_function(BenchmarkId::new("floor", n), |b| {
            b.iter(|| floor.open::<String>(black_box(&floor_value)))
        });
        g.bench_function(BenchmarkId::new("cookie_private_json", n), |b| {
            b.iter(|| cookie.open(black_box(&cookie_value)))
        });
        g.bench_function(BenchmarkId::new("branca", n), |b| {
            b.iter(|| branca.open::<String>(black_box(&branca_value)))
        });
        g.bench_function(BenchmarkId::new("pasetors_v4_local", n), |b| {
            b.iter(|| paseto.open::<String>(black_box(&paseto_value)))
        });
        g.bench_function(BenchmarkId::new("fernet", n), |b| {
            b.iter(|| fernet.open::<String>(black_box(&fernet_value)))
        });
    }
    g.finish();
}

/// Payloads held as `Vec<u8>` (1024 and 3000 postcard bytes), ours beside
/// the floor: serde hands a `Vec<u8>` to postcard as a sequence of `u8`, one
/// element at a time, where a `String` is one slice. `serde_bytes::ByteBuf`
/// (the same bytes on the wire) is measured beside it.
fn byte_vec_payloads(c: &mut Criterion) {
    let ours = sealer(8192);
    let floor = Floor::new();
    let payloads: Vec<(usize, Vec<u8>)> = [1024usize, 3000]
        .iter()
        .map(|&n| (n, sized(n).into_bytes()))
        .collect();
    for (n, p) in &payloads {
        assert_eq!(postcard::to_allocvec(p).unwrap().len(), *n);
    }
    let mut g = c.benchmark_group("vec_seal");
    for (n, payload) in &payloads {
        let floor_len = plain_len(payload);
        g.throughput(Throughput::Bytes(*n as u64));
        g.bench_with_input(BenchmarkId::new("ours", n), payload, |b, p| {
            b.iter(|| ours.seal(black_box(p)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("floor", n), payload, |b, p| {
            b.iter(|| floor.seal(black_box(p), floor_len))
        });
        let buf = ByteBuf::from(payload.clone());
        g.bench_with_input(BenchmarkId::new("ours_serde_bytes", n), &buf, |b, p| {
            b.iter(|| ours.seal(black_box(p)).unwrap())
        });
        g.bench_with_input(BenchmarkId::new("floor_serde_bytes", n), &buf, |b, p| {
            b.iter(|| floor.seal(black_box(p), floor_len))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("vec_open");
    for (n, payload) in &payloads {
        let ours_value = ours.seal(payload).unwrap();
        let floor_value = floor.seal(payload, plain_len(payload));
        assert_eq!(&ours.open::<Vec<u8>>(&ours_value).unwrap().payload, payload);
        assert_eq!(&floor.open::<Vec<u8>>(&floor_value), payload);
        g.throughput(Throughput::Bytes(*n as u64));
        g.bench_function(BenchmarkId::new("ours", n), |b| {
            b.iter(|| ours.open::<Vec<u8>>(black_box(&ours_value)).unwrap())
        });
        g.bench_function(BenchmarkId::new("floor", n), |b| {
            b.iter(|| floor.open::<Vec<u8>>(black_box(&floor_value)))
        });
        // The same bytes on the wire, decoded as one slice.
        assert_eq!(
            &*ours.open::<ByteBuf>(&ours_value).unwrap().payload,
            payload
        );
        g.bench_function(BenchmarkId::new("ours_serde_bytes", n), |b| {
            b.iter(|| ours.open::<ByteBuf>(black_box(&ours_value)).unwrap())
        });
        g.bench_function(BenchmarkId::new("floor_serde_bytes", n), |b| {
            b.iter(|| floor.open::<ByteBuf>(black_box(&floor_value)))
        });
    }
    g.finish();
}

fn keyring_scaling(c: &mut Criterion) {
    let session = typical();
    let key = |i: u32| {
        let mut bytes = KEY_BYTES;
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        Key::from_bytes(bytes).unwrap()
    };
    let one = Sealer::builder(Keyring::new(KeyId::new(1000), key(1000)))
        .build()
        .unwrap();
    let mut ring = Keyring::new(KeyId::new(1000), key(1000));
    for i in 1..1000 {
        ring = ring.with_old_key(KeyId::new(i), key(i)).unwrap();
    }
    let thousand = Sealer::builder(ring).build().unwrap();
    let oldest = Sealer::builder(Keyring::new(KeyId::new(1), key(1)))
        .build()
        .unwrap();
    let primary_value = one.seal(&session).unwrap();
    let oldest_value = oldest.seal(&session).unwrap();
    assert!(thousand
        .open::<TypicalSession>(&oldest_value)
        .unwrap()
        .meta
        .needs_reseal());

    let mut g = c.benchmark_group("keyring_open");
    g.bench_function("1_key", |b| {
        b.iter(|| {
            one.open::<TypicalSession>(black_box(&primary_value))
                .unwrap()
        })
    });
    g.bench_function("1000_keys_primary", |b| {
        b.iter(|| {
            thousand
                .open::<TypicalSession>(black_box(&primary_value))
                .unwrap()
        })
    });
    g.bench_function("1000_keys_oldest", |b| {
        b.iter(|| {
            thousand
                .open::<TypicalSession>(black_box(&oldest_value))
                .unwrap()
        })
    });
    g.finish();
}

/// One seal and one open per request, on 1 or 2 threads sharing one `Sealer`.
/// The time is wall time per request per thread: equal times mean perfect
/// scaling; the throughput line reports requests per second in total.
fn thread_scaling(c: &mut Criterion) {
    let session = typical();
    let ours = sealer(sealed_session::DEFAULT_MAX_COOKIE_BYTES);
    let mut g = c.benchmark_group("threads_seal_open");
    for threads in [1usize, 2] {
        g.throughput(Throughput::Elements(threads as u64));
        g.bench_function(BenchmarkId::from_parameter(threads), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        let sealer = ours.clone();
                        let session = &session;
                        s.spawn(move || {
                            for _ in 0..iters {
                                let value = sealer.seal(black_box(session)).unwrap();
                                black_box(sealer.open::<TypicalSession>(&value).unwrap());
                            }
                        });
                    }
                });
                start.elapsed()
            });
        });
    }
    g.finish();
}

/// A session configuration and the `name=value` of one typical session
/// sealed with it.
fn session_cookie() -> (SessionConfig, String) {
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(KEY_BYTES).unwrap());
    let config = SessionConfig::builder(ring).build().unwrap();
    let mut session = config.new_session::<TypicalSession>();
    session.insert(typical());
    let response = session.finish().unwrap();
    let pair = response.set_cookie_headers()[0].split(';').next().unwrap();
    (config, pair.to_owned())
}

/// Finding and opening our cookie in a raw `Cookie` header with 1 or 50
/// other cookies, through the session layer (`SessionConfig::load`).
fn cookie_header(c: &mut Criterion) {
    let (config, ours) = session_cookie();
    let mut g = c.benchmark_group("cookie_header_load");
    for others in [1usize, 50] {
        let mut header = String::new();
        for i in 0..others {
            header.push_str(&format!("pref_{i}=value-{i:04}-abcdefghij; "));
        }
        header.push_str(&ours);
        g.bench_function(BenchmarkId::new("others", others), |b| {
            b.iter(|| {
                let s = config.load::<TypicalSession, _>(Some(black_box(header.as_str())));
                assert!(!s.is_new());
                s
            })
        });
    }
    g.finish();
}

/// Rendering and verifying one CSRF token on a loaded session.
fn csrf(c: &mut Criterion) {
    let (config, cookie) = session_cookie();
    let mut loaded = config.load::<TypicalSession, _>(Some(cookie.as_str()));
    let token = loaded.csrf_token().unwrap();
    let mut g = c.benchmark_group("csrf");
    g.bench_function("verify", |b| {
        b.iter(|| loaded.verify_csrf(black_box(&token)).unwrap())
    });
    g.bench_function("render", |b| b.iter(|| loaded.csrf_token().unwrap()));
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = typical_session, payload_sizes, byte_vec_payloads, keyring_scaling, thread_scaling, cookie_header, csrf
}
criterion_main!(benches);
