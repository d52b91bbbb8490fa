//! The vectors beyond sealing and opening one value: opening cases for
//! revocation, saturated sums, non-shortest and undecodable varints and
//! UTF-8 sizes (kind `open`), re-sealing (`reseal`), the session layer's
//! record (`record`), chunking (`chunk_split`, `chunks`) and keyring lines
//! (`keyring`). Every expected outcome is computed by running the crate and
//! is also asserted here, so the file states what FORMAT.md says.
use super::*;
use crate::config::SessionConfig;
use crate::error::{KeyError, KeyErrorReason};
use crate::record::RecordRef;

/// What the file's `notes` say about the kinds built here.
pub(super) const NOTES: &str = " kind 'open' may also give not_before (Unix seconds, 0 when absent): sessions issued before it are 'revoked'. kind 'reseal' (FORMAT.md section 6): with the keyring 'keyring' (primary first) and the settings given, cookie_value opens at opened_at as payload_type (fingerprint schema_hex); re-sealing the same payload at now under the primary key with nonce_hex gives expect: 'expired' (refused), or 'valid' with the fields issued_at, last_active_at, expires_at, session_id_hex, key_id and exactly resealed_value. kind 'record' (section 11): the session layer's payload; payload_hex is the record (data: Option<data_type>, flash: Option<bytes> holding flash_hex), sealed with nonce_hex, the given fields and the record's fingerprint schema_hex (section 11) into cookie_value; the session layer (default settings, key_id:key_hex, cookie_name) loads it at now with that data, and reading the flash as a string gives flash_read: 'valid' (the text in flash), 'payload_mismatch', or null when there is none. kind 'chunk_split' (section 12): cutting cookie_value for cookie_name under the per-cookie limit max_cookie_bytes and max_chunks, in a response to a request that carried the chunk cookies of the indices in carried, gives expect: 'valid' with the cookies [name, value] in order and the removal cookies removed in order, or 'too_large' with actual and limit. kind 'chunks' (sections 12 and 13): the session layer (key_id:key_hex, cookie_name, max_cookie_bytes, max_chunks, the lifetimes given) loading the request whose Cookie headers are cookie_headers, in order, at now, as records of data_type (fingerprint schema_hex), gives expect: 'valid' with the record's data (data_type bytes: hex of the bytes), 'none' when no cookie named cookie_name was sent, or the outcome reported by section 13. kind 'keyring' (section 9): parsing line gives expect 'valid' with primary_key_id, key_ids and keys_hex in line order, or 'refused' with the identifier refusal, the entry (counting from 1) or the key_id it names, and for invalid_key the reason.";

fn ada() -> Login {
    Login {
        user_id: 7,
        name: "ada".to_owned(),
        admin: true,
    }
}

/// The type fingerprint of vector 4's struct (FORMAT.md §4.1).
fn login_schema() -> Fingerprint {
    Fingerprint::of::<Login>().unwrap()
}

fn ada_json() -> Value {
    json!({"user_id": 7, "name": "ada", "admin": true})
}

/// Unsigned LEB128 in its shortest form.
fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

/// `n` as a varint padded with `0x80` continuation bytes to `len` bytes
/// (non-shortest when `len` is more than needed).
fn varint_padded(n: u64, len: usize) -> Vec<u8> {
    let mut out = varint(n);
    let last = out.len() - 1;
    out[last] |= 0x80;
    out.resize(len, 0x80);
    out[len - 1] &= 0x7f;
    out
}

/// The plaintext's fixed fields, shortest varints, with the fingerprint of
/// vector 4's struct.
fn fixed(times: (u64, u64, u64)) -> Vec<u8> {
    [
        varint(times.0),
        varint(times.1),
        varint(times.2),
        sid().to_vec(),
        login_schema().to_bytes().to_vec(),
    ]
    .concat()
}

/// An opening case as `open_vector` builds it, with `not_before` when given;
/// the crate's outcome must be `expect`.
#[allow(clippy::too_many_arguments)]
fn open_case(
    id: u32,
    comment: &str,
    value: &str,
    now: u64,
    idle: Option<u64>,
    not_before: Option<u64>,
    expect: &str,
) -> Value {
    let mut v = open_vector(id, comment, DEFAULT_COOKIE_NAME, value, now, idle, expect);
    if let Some(nb) = not_before {
        v["not_before"] = json!(nb);
    }
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(key_bytes(0)).unwrap());
    let builder = Sealer::builder(ring).with_not_before(UnixSeconds::new(not_before.unwrap_or(0)));
    let sealer = match idle {
        Some(t) => builder.with_idle_timeout(StdDuration::from_secs(t)),
        None => builder.without_idle_timeout(),
    }
    .build()
    .unwrap();
    let got = match sealer.open_at::<Login>(value, UnixSeconds::new(now)) {
        Ok(_) => "valid",
        Err(e) => e.as_str(),
    };
    assert_eq!(got, expect, "vector {id}: {comment}");
    v
}

/// Opening cases 143 and up (kind `open`).
pub(super) fn open_cases(base: &str) -> Vec<Value> {
    let key1 = sealer(1, 0x00, DEFAULT_COOKIE_NAME);
    let login = postcard::to_allocvec(&ada()).unwrap();
    let std_times = (T0, T0 + 60, T0 + DAY);
    let std_fixed = fixed(std_times);
    let at = T0 + 120;
    let idle = Some(1800);
    let max = u64::MAX;
    let late = seal_fixed(
        147,
        &key1,
        (max - 100, max - 100, max),
        login_schema(),
        &ada(),
    );
    let late_idle = seal_fixed(
        149,
        &key1,
        (max - 10, max - 10, max),
        login_schema(),
        &ada(),
    );
    let long_fixed = [
        varint_padded(T0, 6),
        varint_padded(T0 + 60, 10),
        varint(T0 + DAY),
        sid().to_vec(),
        login_schema().to_bytes().to_vec(),
        login.clone(),
    ]
    .concat();
    let mut long_payload = std_fixed.clone();
    long_payload.extend(varint_padded(7, 4));
    long_payload.extend(varint_padded(3, 2));
    long_payload.extend(b"ada\x01");
    let mut overflow = varint_padded(0, 10);
    overflow[9] = 0x02;
    let overflow_fixed = [overflow, std_fixed[5..].to_vec(), login.clone()].concat();
    let eleven = [
        varint_padded(T0, 11),
        std_fixed[5..].to_vec(),
        login.clone(),
    ]
    .concat();
    let short_fixed = [&[0, 0, 0][..], &sid(), &login_schema().to_bytes()[..7]].concat();
    let payload_of = |payload: &[u8]| [std_fixed.clone(), payload.to_vec()].concat();
    let mut big_user = varint_padded(1 << 63, 10);
    assert_eq!(big_user[9], 0x01);
    big_user.extend(b"\x03ada\x01");
    let mut eleven_user = varint_padded(7, 11);
    eleven_user.extend(b"\x03ada\x01");
    let wide_over = "\u{e9}".repeat(2042);
    let wide_at = "\u{e9}".repeat(2041);
    vec![
        open_case(143, "vector 4 issued before the not-before instant", base, at, idle, Some(T0 + 1), "revoked"),
        open_case(144, "vector 4 issued at the not-before instant", base, at, idle, Some(T0), "valid"),
        open_case(145, "vector 4 at its expiry, issued before the not-before instant: revoked comes first", base, T0 + DAY, idle, Some(T0 + 1), "revoked"),
        open_case(146, "vector 4 active beyond the skew in the future and issued before the not-before instant: issued_in_future comes first", base, T0 - 1, idle, Some(T0 + 1), "issued_in_future"),
        open_case(147, "issued 2^64 - 101, expiring 2^64 - 1: now + skew, issued_at + ttl and last_active_at + idle saturate", &late, max - 30, idle, None, "valid"),
        open_case(148, "the same at now = 2^64 - 1", &late, max, idle, None, "expired"),
        open_case(149, "last active 2^64 - 11: its idle deadline saturates at 2^64 - 1", &late_idle, max - 1, idle, None, "valid"),
        open_case(150, "fixed fields with non-shortest varints: issued_at in 6 bytes, last_active_at in 10", &seal_raw(150, &key1, &long_fixed), at, idle, None, "valid"),
        open_case(151, "payload with non-shortest varints: user_id 7 as 87 80 80 00, name length 3 as 83 00", &seal_raw(151, &key1, &long_payload), at, idle, None, "valid"),
        open_case(152, "issued_at as a 10-byte varint whose last byte is 02 (above 2^64 - 1)", &seal_raw(152, &key1, &overflow_fixed), at, idle, None, "payload_mismatch"),
        open_case(153, "issued_at as an 11-byte varint", &seal_raw(153, &key1, &eleven), at, idle, None, "payload_mismatch"),
        open_case(154, "a 26-byte plaintext: the shortest fixed fields (27 bytes) one byte short", &seal_raw(154, &key1, &short_fixed), at, idle, None, "payload_mismatch"),
        open_case(155, "an empty plaintext", &seal_raw(155, &key1, &[]), at, idle, None, "payload_mismatch"),
        open_case(156, "payload with the bool byte 02", &seal_raw(156, &key1, &payload_of(b"\x07\x03ada\x02")), at, idle, None, "payload_mismatch"),
        open_case(157, "payload with a name that is not UTF-8 (ff)", &seal_raw(157, &key1, &payload_of(b"\x07\x01\xff\x01")), at, idle, None, "payload_mismatch"),
        open_case(158, "payload with user_id as an 11-byte varint", &seal_raw(158, &key1, &payload_of(&eleven_user)), at, idle, None, "payload_mismatch"),
        open_case(159, "payload with user_id 2^63 as a 10-byte varint ending in 01", &seal_raw(159, &key1, &payload_of(&big_user)), at, idle, None, "valid"),
        open_case(160, "an undecodable payload (ff) at the expiry: timestamps are checked first", &seal_raw(160, &key1, &payload_of(b"\xff")), T0 + DAY, idle, None, "expired"),
        open_case(161, "2042 x U+00E9: 2056 characters but 4098 bytes with the name", &wide_over, at, idle, None, "too_large"),
        open_case(162, "2041 x U+00E9: 4096 bytes with the name, decoded and refused", &wide_at, at, idle, None, "malformed"),
    ]
}

/// A keyring of key 2 (key bytes from 0x20, primary) and key 1 (vector
/// keys), in that order, as JSON and as a sealer with default settings.
fn rotated() -> (Value, Sealer) {
    let ring = Keyring::new(KeyId::new(2), Key::from_bytes(key_bytes(0x20)).unwrap())
        .with_old_key(KeyId::new(1), Key::from_bytes(key_bytes(0)).unwrap())
        .unwrap();
    let json = json!([
        {"key_id": 2, "key_hex": hex(&key_bytes(0x20))},
        {"key_id": 1, "key_hex": hex(&key_bytes(0))},
    ]);
    (json, Sealer::builder(ring).build().unwrap())
}

/// A re-sealing case: opens `value` at `opened_at`, re-seals vector 4's
/// payload at `now` with the nonce of `id`.
fn reseal_case(
    id: u32,
    comment: &str,
    value: &str,
    opened_at: u64,
    now: u64,
    expect: &str,
) -> Value {
    let (ring_json, sealer) = rotated();
    let opened = sealer
        .open_at::<Login>(value, UnixSeconds::new(opened_at))
        .unwrap();
    let mut v = json!({
        "id": id,
        "kind": "reseal",
        "comment": comment,
        "keyring": ring_json,
        "cookie_name": DEFAULT_COOKIE_NAME,
        "absolute_ttl": DAY,
        "idle_timeout": 1800,
        "clock_skew": 60,
        "max_cookie_bytes": 4096,
        "payload_type": "login",
        "schema_hex": hex(&login_schema().to_bytes()),
        "payload": ada_json(),
        "cookie_value": value,
        "opened_at": opened_at,
        "now": now,
        "nonce_hex": hex(&nonce_for(id)),
        "expect": expect,
    });
    let now = UnixSeconds::new(now);
    match reseal_stamp(&opened.meta, now) {
        Ok(stamp) => {
            assert_eq!(expect, "valid", "vector {id}");
            let resealed = sealer
                .seal_with_nonce(&ada(), login_schema(), &stamp, &nonce_for(id))
                .unwrap();
            let again = sealer.open_at::<Login>(&resealed, now).unwrap();
            v["issued_at"] = json!(stamp.issued_at.as_secs());
            v["last_active_at"] = json!(stamp.last_active_at.as_secs());
            v["expires_at"] = json!(stamp.expires_at.as_secs());
            v["session_id_hex"] = json!(hex(stamp.session_id.as_bytes()));
            v["key_id"] = json!(again.meta.key_id().get());
            v["resealed_value"] = json!(resealed);
        }
        Err(err) => {
            assert_eq!(
                (err, expect),
                (SealError::Expired, "expired"),
                "vector {id}"
            );
            assert_eq!(
                sealer.reseal_at(&ada(), &opened.meta, now),
                Err(SealError::Expired)
            );
        }
    }
    v
}

/// Re-sealing cases 31 to 35 (kind `reseal`).
pub(super) fn reseal_cases(base: &str) -> Vec<Value> {
    let key1 = sealer(1, 0x00, DEFAULT_COOKIE_NAME);
    let two_days = seal_fixed(31, &key1, (T0, T0, T0 + 2 * DAY), login_schema(), &ada());
    let ahead = seal_fixed(32, &key1, (T0, T0 + 60, T0 + DAY), login_schema(), &ada());
    let active = seal_fixed(
        35,
        &key1,
        (T0, T0 + DAY - 100, T0 + 2 * DAY),
        login_schema(),
        &ada(),
    );
    vec![
        reseal_case(31, "sealed to expire 2 days after issue, opened with a lifetime of 1 day at +100 s, re-sealed at +200 s: expires_at stays as sealed", &two_days, T0 + 100, T0 + 200, "valid"),
        reseal_case(32, "last activity 60 s ahead of now (within the skew): it is kept", &ahead, T0 + 10, T0 + 10, "valid"),
        reseal_case(33, "vector 4 under old key 1, re-sealed under the primary key 2", base, T0 + 120, T0 + 120, "valid"),
        reseal_case(34, "vector 4 opened 1 s before its idle deadline, re-sealed at the deadline", base, T0 + 60 + 1799, T0 + 60 + 1800, "expired"),
        reseal_case(35, "sealed to expire 2 days after issue, last active 100 s before issue + ttl, opened 1 s before issue + ttl, re-sealed at issue + ttl", &active, T0 + DAY - 1, T0 + DAY, "expired"),
    ]
}

/// A session-layer record case: `data` (vector 4's struct) and a flash
/// message `m` (its postcard bytes), sealed with the nonce of `id`.
fn record_case(id: u32, comment: &str, data: Option<&Login>, m: Option<&[u8]>) -> Value {
    let key1 = sealer(1, 0x00, DEFAULT_COOKIE_NAME);
    let times = (T0, T0 + 60, T0 + DAY);
    let record = RecordRef { data, flash: m };
    let payload = postcard::to_allocvec(&record).unwrap();
    let schema = key1.record_fingerprint::<Login>().unwrap();
    let value = seal_fixed(id, &key1, times, schema, &record);
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(key_bytes(0)).unwrap());
    let config = SessionConfig::builder(ring).build().unwrap();
    let now = T0 + 120;
    let mut session = config.load_values_at::<Login>([value.as_str()], UnixSeconds::new(now));
    assert_eq!(session.load_error(), None, "vector {id}");
    assert_eq!(session.get(), data, "vector {id}");
    let (flash_read, flash) = match session.take_flash::<String>() {
        Ok(Some(text)) => (json!("valid"), json!(text)),
        Ok(None) => (Value::Null, Value::Null),
        Err(err) => (json!(err.as_str()), Value::Null),
    };
    json!({
        "id": id,
        "kind": "record",
        "comment": comment,
        "key_id": 1,
        "key_hex": hex(&key_bytes(0)),
        "cookie_name": DEFAULT_COOKIE_NAME,
        "nonce_hex": hex(&nonce_for(id)),
        "issued_at": times.0,
        "last_active_at": times.1,
        "expires_at": times.2,
        "session_id_hex": hex(&sid()),
        "data_type": "login",
        "schema_hex": hex(&schema.to_bytes()),
        "data": data.map(|_| ada_json()),
        "flash_hex": m.map(hex),
        "flash_read": flash_read,
        "flash": flash,
        "payload_hex": hex(&payload),
        "cookie_value": value,
        "now": now,
    })
}

/// Session-layer record cases 41 to 45 (kind `record`).
pub(super) fn record_cases() -> Vec<Value> {
    let saved = postcard::to_allocvec("Saved.").unwrap();
    let tick = postcard::to_allocvec("Hello, \u{2713}").unwrap();
    let login = ada();
    vec![
        record_case(
            41,
            "data and a String flash \"Saved.\" (two length prefixes)",
            Some(&login),
            Some(&saved),
        ),
        record_case(42, "no data, no flash", None, None),
        record_case(43, "data, no flash", Some(&login), None),
        record_case(44, "no data, a non-ASCII String flash", None, Some(&tick)),
        record_case(
            45,
            "a flash whose bytes (ff) are not a String: the session opens, reading the flash fails",
            Some(&login),
            Some(b"\xff"),
        ),
    ]
}

/// The chunking settings of the `chunk_split` and `chunks` cases: the name
/// `sid` and a per-cookie limit of 300, so a piece holds 295 characters.
const CHUNK_NAME: &str = "sid";
const CHUNK_LIMIT: usize = 300;

/// A session-layer record holding `len` bytes (`i mod 251`) as its data,
/// sealed for `sid` at `times` with the nonce of `id`.
fn chunk_value(id: u32, len: usize, times: (u64, u64, u64)) -> (String, Vec<u8>) {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(key_bytes(0)).unwrap());
    let roomy = Sealer::builder(ring)
        .with_cookie_name(CHUNK_NAME)
        .with_max_cookie_bytes(1 << 16)
        .build()
        .unwrap();
    let bytes = serde_bytes_like(&data);
    let record = RecordRef {
        data: Some(&bytes),
        flash: None,
    };
    let schema = roomy.record_fingerprint::<Vec<u8>>().unwrap();
    let value = seal_fixed(id, &roomy, times, schema, &record);
    drop(bytes);
    (value, data)
}

fn split_case(id: u32, comment: &str, value: &str, max_chunks: u8, carried: &[u8]) -> Value {
    let mut v = json!({
        "id": id,
        "kind": "chunk_split",
        "comment": comment,
        "cookie_name": CHUNK_NAME,
        "max_cookie_bytes": CHUNK_LIMIT,
        "max_chunks": max_chunks,
        "cookie_value": value,
        "carried": carried,
    });
    let carried_bits = carried.iter().fold(0u16, |bits, i| bits | 1 << i);
    let limit = crate::chunk::capacity(CHUNK_NAME.len(), CHUNK_LIMIT, max_chunks);
    let split = crate::chunk::split(CHUNK_NAME, value, CHUNK_LIMIT, max_chunks);
    if CHUNK_NAME.len() + value.len() > limit {
        assert!(split.is_none());
        v["expect"] = json!("too_large");
        v["actual"] = json!(CHUNK_NAME.len() + value.len());
        v["limit"] = json!(limit);
        return v;
    }
    let parts = split.unwrap();
    let stale: Vec<String> = if parts.len() > 1 {
        crate::chunk::stale_indices(parts.len(), max_chunks, carried_bits)
            .map(|i| crate::chunk::chunk_name(CHUNK_NAME, i))
            .collect()
    } else {
        crate::chunk::stale_indices(1, 0, carried_bits)
            .map(|i| crate::chunk::chunk_name(CHUNK_NAME, i))
            .collect()
    };
    let cookies: Vec<[&str; 2]> = parts
        .iter()
        .map(|(n, c)| [n.as_ref(), c.as_ref()])
        .collect();
    v["expect"] = json!("valid");
    v["cookies"] = json!(cookies);
    v["removed"] = json!(stale);
    v
}

/// A `chunks` case: loads `headers` with chunking up to `max_chunks`; the
/// crate's outcome must be `expect`, and the data `data` when valid.
fn chunks_case(
    id: u32,
    comment: &str,
    max_chunks: u8,
    headers: &[String],
    expect: &str,
    data: Option<&[u8]>,
) -> Value {
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(key_bytes(0)).unwrap());
    let config = SessionConfig::builder(ring)
        .with_cookie_name(CHUNK_NAME)
        .with_max_cookie_bytes(CHUNK_LIMIT)
        .with_chunking(max_chunks)
        .build()
        .unwrap();
    let now = T0 + 120;
    let session = config.load_at::<Vec<u8>, _>(headers, UnixSeconds::new(now));
    let got = match (session.get(), session.load_error()) {
        (Some(_), None) => "valid",
        (None, Some(err)) => err.as_str(),
        (None, None) => "none",
        (Some(_), Some(err)) => panic!("vector {id}: data and {err:?}"),
    };
    assert_eq!(got, expect, "vector {id}: {comment}");
    assert_eq!(session.get().map(Vec::as_slice), data, "vector {id}");
    json!({
        "id": id,
        "kind": "chunks",
        "comment": comment,
        "key_id": 1,
        "key_hex": hex(&key_bytes(0)),
        "cookie_name": CHUNK_NAME,
        "max_cookie_bytes": CHUNK_LIMIT,
        "max_chunks": max_chunks,
        "absolute_ttl": DAY,
        "idle_timeout": 1800,
        "clock_skew": 60,
        "now": now,
        "cookie_headers": headers,
        "data_type": "bytes",
        "schema_hex": hex(&config.sealer().record_fingerprint::<Vec<u8>>().unwrap().to_bytes()),
        "expect": expect,
        "data": data.map(hex),
    })
}

/// `name=value` pairs as one `Cookie` header.
fn header_of(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Chunking cases: `chunk_split` 51 to 56, `chunks` 301 and up.
pub(super) fn chunk_cases() -> Vec<Value> {
    let std_times = (T0, T0 + 60, T0 + DAY);
    let (one, one_data) = chunk_value(51, 92, std_times);
    let (three, three_data) = chunk_value(52, 482, std_times);
    let (two, _) = chunk_value(53, 242, std_times);
    let (big, _) = chunk_value(54, 692, std_times);
    let (dead, _) = chunk_value(55, 2, (T0 - 2 * DAY, T0 - 2 * DAY, T0 - DAY));
    assert!(CHUNK_NAME.len() + one.len() <= CHUNK_LIMIT);
    let mut out = vec![
        split_case(51, "fits one cookie: no chunking", &one, 3, &[]),
        split_case(52, "three cookies under a cap of 3", &three, 3, &[]),
        split_case(
            53,
            "two cookies under a cap of 9, request carried sid.5: sid.2 to sid.8 removed",
            &two,
            9,
            &[5],
        ),
        split_case(54, "over the chunked capacity of a cap of 3", &big, 3, &[]),
        split_case(
            55,
            "one cookie, request carried sid.1 and sid.3: both removed",
            &one,
            9,
            &[1, 3],
        ),
        split_case(
            56,
            "three cookies under a cap of 5, request carried sid.1 and sid.7",
            &three,
            5,
            &[1, 7],
        ),
    ];
    let parts = crate::chunk::split(CHUNK_NAME, &three, CHUNK_LIMIT, 3).unwrap();
    assert_eq!(parts.len(), 3);
    let head = parts[0].1.to_string();
    let p1 = parts[1].1.to_string();
    let p2 = parts[2].1.to_string();
    assert_eq!(
        CHUNK_NAME.len() + 2 + p1.len(),
        CHUNK_LIMIT,
        "piece 1 is full"
    );
    let h = |pairs: &[(&str, &str)]| vec![header_of(pairs)];
    let over_piece = format!("{p1}A");
    let over_plain = "A".repeat(CHUNK_LIMIT - CHUNK_NAME.len() + 1);
    let four = format!("4{}", &head[1..]);
    let one_dot = format!("1{}", &head[1..]);
    let (four, one_dot, p1, p2) = (four.as_str(), one_dot.as_str(), p1.as_str(), p2.as_str());
    let (over_piece, over_plain) = (over_piece.as_str(), over_plain.as_str());
    let (one, dead) = (one.as_str(), dead.as_str());
    let whole = [("sid", head.as_str()), ("sid.1", p1), ("sid.2", p2)];
    let valid = Some(three_data.as_slice());
    out.extend([
        chunks_case(301, "three chunks in order", 3, &h(&whole), "valid", valid),
        chunks_case(302, "three chunks in reverse order", 3, &h(&[whole[2], whole[1], whole[0]]), "valid", valid),
        chunks_case(303, "three chunks over two Cookie headers", 3, &[header_of(&whole[..1]), header_of(&whole[1..])], "valid", valid),
        chunks_case(304, "sid.2 missing", 3, &h(&whole[..2]), "chunks_mismatch", None),
        chunks_case(305, "sid.1 twice", 3, &h(&[whole[0], whole[1], whole[1], whole[2]]), "chunks_mismatch", None),
        chunks_case(306, "an extra sid.3 under a cap of 4", 4, &h(&[whole[0], whole[1], whole[2], ("sid.3", "AAAA")]), "chunks_mismatch", None),
        chunks_case(307, "a count of 4 above the cap of 3", 3, &h(&[("sid", four), whole[1], whole[2], ("sid.3", "AAAA")]), "chunks_mismatch", None),
        chunks_case(308, "a count of 1", 3, &h(&[("sid", one_dot), whole[1], whole[2]]), "malformed", None),
        chunks_case(309, "sid.1 and sid.2 swapped", 3, &h(&[whole[0], ("sid.1", p2), ("sid.2", p1)]), "authentication_failed", None),
        chunks_case(310, "sid.1 and sid.2 each holding sid.1's piece: the joined value is 885 characters, a length of 4k + 1", 3, &h(&[whole[0], whole[1], ("sid.2", p1)]), "malformed", None),
        chunks_case(311, "piece 0 without its prefix in sid, pieces 1 and 2 in place: sid is opened unchunked, 295 characters with non-zero unused bits", 3, &h(&[("sid", &head[2..]), whole[1], whole[2]]), "malformed", None),
        chunks_case(312, "sid.1 one byte over the limit with its name", 3, &h(&[whole[0], ("sid.1", over_piece), whole[2]]), "chunks_mismatch", None),
        chunks_case(313, "an unchunked sid value one byte over the limit, chunking on", 3, &h(&[("sid", over_plain)]), "too_large", None),
        chunks_case(314, "the same with chunking off", 1, &h(&[("sid", over_plain)]), "too_large", None),
        chunks_case(315, "an unchunked value beside stray sid.1, sid.0, sid.9 and sid.10", 3, &h(&[("sid.1", "AAAA"), ("sid", one), ("sid.0", "x"), ("sid.9", "x"), ("sid.10", "x")]), "valid", Some(&one_data)),
        chunks_case(316, "three chunks beside sid.0, sid.9, sid.10, sid.01 and SID.1 (not chunk cookies)", 3, &h(&[whole[0], ("sid.0", "x"), whole[1], ("sid.9", "x"), ("sid.10", "x"), ("sid.01", "x"), ("SID.1", "x"), whole[2]]), "valid", valid),
        chunks_case(317, "three chunks with chunking off: sid holds a '.'", 1, &h(&whole), "malformed", None),
        chunks_case(318, "two sid cookies: garbage, then the chunked session", 3, &h(&[("sid", "AAAA"), whole[0], whole[1], whole[2]]), "valid", valid),
        chunks_case(319, "sid cookies: garbage, an expired session, garbage: the outcome found after authentication is reported", 3, &h(&[("sid", "AAAA"), ("sid", dead), ("sid", "%%")]), "expired", None),
        chunks_case(320, "eight garbage sid cookies, then a valid one: only eight are tried", 1, &[format!("{}; sid={one}", ["sid=AAAA"; 8].join("; "))], "malformed", None),
        chunks_case(321, "seven garbage sid cookies, then a valid one", 1, &[format!("{}; sid={one}", ["sid=AAAA"; 7].join("; "))], "valid", Some(&one_data)),
        chunks_case(322, "spaces and tabs around names and values are removed; empty and nameless parts are skipped", 3, &[format!(" ;; =x; y ;\tsid \t=\t {one} \t; other=1")], "valid", Some(&one_data)),
        chunks_case(323, "a quoted value is taken with its quotes", 3, &[format!("sid=\"{one}\"")], "malformed", None),
        chunks_case(324, "names compare byte for byte: SID is another cookie", 3, &[format!("SID={one}")], "none", None),
        chunks_case(325, "an expired unchunked session", 3, &[format!("sid={dead}")], "expired", None),
    ]);
    out
}

/// A keyring-line case; the crate's outcome must be `expect` (`valid`, or
/// the refusal identifier).
fn keyring_case(id: u32, comment: &str, line: &str, expect: &str) -> Value {
    let mut v = json!({"id": id, "kind": "keyring", "comment": comment, "line": line});
    match Keyring::parse(line) {
        Ok(ring) => {
            assert_eq!(expect, "valid", "vector {id}");
            let text = ring.to_line();
            let keys: Vec<String> = text
                .split(',')
                .map(|e| hex(&BASE64.decode(e.split_once(':').unwrap().1).unwrap()))
                .collect();
            let ids: Vec<u32> = ring.ids().map(KeyId::get).collect();
            v["expect"] = json!("valid");
            v["primary_key_id"] = json!(ring.primary_id().get());
            v["key_ids"] = json!(ids);
            v["keys_hex"] = json!(keys);
        }
        Err(err) => {
            let (refusal, named, reason) = match err {
                KeyError::EmptyKeyring => ("empty_keyring", None, None),
                KeyError::InvalidSyntax { entry } => {
                    ("invalid_syntax", Some(("entry", entry as u64)), None)
                }
                KeyError::InvalidKeyId { entry } => {
                    ("invalid_key_id", Some(("entry", entry as u64)), None)
                }
                KeyError::InvalidKey { entry, reason } => (
                    "invalid_key",
                    Some(("entry", entry as u64)),
                    Some(match reason {
                        KeyErrorReason::InvalidEncoding => "invalid_encoding",
                        KeyErrorReason::InvalidLength => "invalid_length",
                        KeyErrorReason::WeakKey => "weak_key",
                    }),
                ),
                KeyError::DuplicateId { id } => {
                    ("duplicate_id", Some(("key_id", u64::from(id.get()))), None)
                }
                KeyError::DuplicateKey { id } => {
                    ("duplicate_key", Some(("key_id", u64::from(id.get()))), None)
                }
                other => panic!("vector {id}: unexpected {other:?}"),
            };
            assert_eq!(refusal, expect, "vector {id}: {comment}");
            v["expect"] = json!("refused");
            v["refusal"] = json!(refusal);
            if let Some((field, n)) = named {
                v[field] = json!(n);
            }
            if let Some(reason) = reason {
                v["reason"] = json!(reason);
            }
            // The message never echoes key text.
            let message = err.to_string();
            for entry in line.split(',') {
                if let Some((_, key)) = entry.split_once(':') {
                    let key = key.trim();
                    assert!(key.len() < 8 || !message.contains(key), "vector {id}");
                }
            }
        }
    }
    v
}

/// Keyring-line cases 401 and up (kind `keyring`).
pub(super) fn keyring_cases() -> Vec<Value> {
    let k = |seed: u8| BASE64.encode(key_bytes(seed));
    let (k1, k2, k3) = (k(0x00), k(0x20), k(0x40));
    let weak = "A".repeat(43);
    let short = BASE64.encode(&key_bytes(0x00)[..31]);
    let long = BASE64.encode([key_bytes(0x00).as_slice(), &[7]].concat());
    let noncanonical = {
        let mut t = k1.clone();
        t.pop();
        t.push('B');
        t
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("one key", format!("1:{k1}"), "valid"),
        (
            "spaces, tabs, CR and LF around entries",
            format!(" 2:{k2} ,\t1:{k1}\r\n"),
            "valid",
        ),
        (
            "the largest and the smallest id",
            format!("4294967295:{k1},0:{k2}"),
            "valid",
        ),
        (
            "three keys, primary first",
            format!("3:{k3},2:{k2},1:{k1}"),
            "valid",
        ),
        ("an empty line", String::new(), "empty_keyring"),
        (
            "spaces, tabs, CR and LF only",
            " \t\r\n ".to_owned(),
            "empty_keyring",
        ),
        (
            "a vertical tab only: not white space here",
            "\u{b}".to_owned(),
            "invalid_syntax",
        ),
        (
            "a form feed before the id",
            format!("\u{c}1:{k1}"),
            "invalid_key_id",
        ),
        (
            "a no-break space before the id",
            format!("\u{a0}1:{k1}"),
            "invalid_key_id",
        ),
        (
            "an ideographic space after the key",
            format!("1:{k1}\u{3000}"),
            "invalid_key",
        ),
        (
            "a space before the colon",
            format!("1 :{k1}"),
            "invalid_key_id",
        ),
        ("a space after the colon", format!("1: {k1}"), "invalid_key"),
        (
            "an empty entry between two",
            format!("1:{k1},,2:{k2}"),
            "invalid_syntax",
        ),
        ("a trailing comma", format!("1:{k1},"), "invalid_syntax"),
        ("a leading comma", format!(",1:{k1}"), "invalid_syntax"),
        (
            "no colon in entry 2",
            format!("1:{k1},2{k2}"),
            "invalid_syntax",
        ),
        ("a leading zero", format!("01:{k1}"), "invalid_key_id"),
        ("a sign", format!("+1:{k1}"), "invalid_key_id"),
        (
            "above 4294967295",
            format!("4294967296:{k1}"),
            "invalid_key_id",
        ),
        (
            "a full-width digit",
            format!("\u{ff11}:{k1}"),
            "invalid_key_id",
        ),
        ("an empty id", format!(":{k1}"), "invalid_key_id"),
        (
            "a bad id is found before a bad key",
            "x:bad".to_owned(),
            "invalid_key_id",
        ),
        (
            "a second colon belongs to the key",
            format!("1:{k1}:x"),
            "invalid_key",
        ),
        ("padding", format!("1:{k1}="), "invalid_key"),
        (
            "42 characters: 31 bytes",
            format!("1:{short}"),
            "invalid_key",
        ),
        (
            "44 characters: 33 bytes",
            format!("1:{long}"),
            "invalid_key",
        ),
        (
            "a key text one character short, non-zero unused bits",
            format!("1:{}", &k1[..42]),
            "invalid_key",
        ),
        (
            "41 characters: a length of 4k + 1",
            format!("1:{}", &k1[..41]),
            "invalid_key",
        ),
        (
            "non-zero unused bits in the last character",
            format!("1:{noncanonical}"),
            "invalid_key",
        ),
        (
            "the standard alphabet",
            format!("1:{}", k1.replace('-', "+").replace('_', "/") + "+"),
            "invalid_key",
        ),
        (
            "65 characters of the alphabet: not decoded",
            format!("1:{}", "A".repeat(65)),
            "invalid_key",
        ),
        (
            "65 characters, not all of the alphabet",
            format!("1:{}=", "A".repeat(64)),
            "invalid_key",
        ),
        ("32 equal bytes", format!("1:{weak}"), "invalid_key"),
        (
            "a bad key in entry 2",
            format!("1:{k1},2:{short}"),
            "invalid_key",
        ),
        (
            "a bad key is found before a repeated id",
            format!("1:{k1},1:{short}"),
            "invalid_key",
        ),
        (
            "a repeated id",
            format!("1:{k1},2:{k2},1:{k3}"),
            "duplicate_id",
        ),
        (
            "a repeated key",
            format!("1:{k1},2:{k2},3:{k1}"),
            "duplicate_key",
        ),
    ];
    cases
        .iter()
        .zip(401..)
        .map(|((comment, line, expect), id)| keyring_case(id, comment, line, expect))
        .collect()
}
