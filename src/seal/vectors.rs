//! Deterministic sealing for the test vectors: the only place a nonce is
//! fixed. `SEALED_SESSION_WRITE_VECTORS=1 cargo test vectors` rewrites
//! `tests/vectors/v1.json`; otherwise the file must match exactly.
use super::*;
use crate::key::Key;
use serde_json::{json, Value};

mod extra;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Login {
    user_id: u64,
    name: String,
    admin: bool,
}

/// Vector 4's struct with two fields swapped.
#[derive(Deserialize)]
#[serde(rename = "Login")]
#[allow(dead_code)]
struct LoginReordered {
    user_id: u64,
    admin: bool,
    name: String,
}

#[derive(Deserialize)]
#[allow(dead_code)]
enum Role {
    Reader,
    Editor { sections: Vec<String> },
    Admin(u8),
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Account {
    user_id: u64,
    roles: Vec<Role>,
    #[serde(rename = "org", default)]
    organisation: Option<u32>,
    #[serde(skip)]
    cached: bool,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Menu {
    label: String,
    children: Vec<Menu>,
}

/// The schema name of the override vectors.
const SCHEMA_NAME: &str = "example/session v1";

fn described<T: DeserializeOwned>() -> String {
    Fingerprint::description_of::<T>().unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn key_bytes(seed: u8) -> [u8; 32] {
    core::array::from_fn(|i| seed.wrapping_add(i as u8))
}

fn sealer(key_id: u32, seed: u8, name: &str) -> Sealer {
    let ring = Keyring::new(
        KeyId::new(key_id),
        Key::from_bytes(key_bytes(seed)).unwrap(),
    );
    Sealer::builder(ring)
        .with_cookie_name(name)
        .build()
        .unwrap()
}

const T0: u64 = 1_800_000_000;
const DAY: u64 = 86_400;

fn nonce_for(id: u32) -> [u8; NONCE_LEN] {
    core::array::from_fn(|i| 0x40 + i as u8 + id as u8)
}

fn sid() -> [u8; SESSION_ID_LEN] {
    core::array::from_fn(|i| 0xA0 + i as u8)
}

/// Seals with explicit timestamps and the nonce of vector `id`.
fn seal_fixed<T: Serialize + ?Sized>(
    id: u32,
    sealer: &Sealer,
    times: (u64, u64, u64),
    schema: Fingerprint,
    payload: &T,
) -> String {
    let session_id = SessionId::from_bytes(sid());
    let stamp = Stamp {
        issued_at: UnixSeconds::new(times.0),
        last_active_at: UnixSeconds::new(times.1),
        expires_at: UnixSeconds::new(times.2),
        session_id: &session_id,
    };
    sealer
        .seal_with_nonce(payload, schema, &stamp, &nonce_for(id))
        .unwrap()
}

/// Seals arbitrary plaintext bytes (not of the §4 layout) with the nonce of
/// vector `id`.
fn seal_raw(id: u32, sealer: &Sealer, plain: &[u8]) -> String {
    let mut envelope = vec![0u8; ENVELOPE_OVERHEAD_BYTES + plain.len()];
    envelope[HEADER_LEN..HEADER_LEN + plain.len()].copy_from_slice(plain);
    sealer
        .finish_envelope(&mut envelope, plain.len(), &nonce_for(id))
        .unwrap()
}

#[allow(clippy::too_many_arguments)]
fn seal_vector<T: Serialize + ?Sized>(
    id: u32,
    comment: &str,
    key_id: u32,
    name: &str,
    times: (u64, u64, u64),
    payload_type: &str,
    payload_json: Value,
    description: &str,
    payload: &T,
) -> Value {
    let sealer = sealer(key_id, 0x00, name);
    let schema = Fingerprint::from_description(description);
    let value = seal_fixed(id, &sealer, times, schema, payload);
    let plain = postcard::to_allocvec(&PlainRef {
        issued_at: times.0,
        last_active_at: times.1,
        expires_at: times.2,
        session_id: &sid(),
        schema: &schema.to_bytes(),
        payload,
    })
    .unwrap();
    let aad = format::with_aad(1, KeyId::new(key_id), name.as_bytes(), <[u8]>::to_vec).unwrap();
    json!({
        "id": id,
        "kind": "seal",
        "comment": comment,
        "key_id": key_id,
        "key_hex": hex(&key_bytes(0x00)),
        "cookie_name": name,
        "nonce_hex": hex(&nonce_for(id)),
        "issued_at": times.0,
        "last_active_at": times.1,
        "expires_at": times.2,
        "session_id_hex": hex(&sid()),
        "schema_description": description,
        "schema_hex": hex(&schema.to_bytes()),
        "payload_type": payload_type,
        "payload": payload_json,
        "payload_hex": hex(&postcard::to_allocvec(payload).unwrap()),
        "plaintext_hex": hex(&plain),
        "aad_hex": hex(&aad),
        "cookie_value": value,
        "now": times.1 + 60,
    })
}

/// An opening case under the default settings unless `idle` says
/// otherwise.
fn open_vector(
    id: u32,
    comment: &str,
    name: &str,
    value: &str,
    now: u64,
    idle: Option<u64>,
    expect: &str,
) -> Value {
    json!({
        "id": id,
        "kind": "open",
        "comment": comment,
        "key_id": 1,
        "key_hex": hex(&key_bytes(0x00)),
        "cookie_name": name,
        "absolute_ttl": DAY,
        "idle_timeout": idle,
        "clock_skew": 60,
        "max_cookie_bytes": 4096,
        "payload_type": "login",
        "schema_hex": hex(&Fingerprint::of::<Login>().unwrap().to_bytes()),
        "now": now,
        "cookie_value": value,
        "expect": expect,
    })
}

fn build_vectors() -> Value {
    let name = DEFAULT_COOKIE_NAME;
    let std_times = (T0, T0 + 60, T0 + DAY);
    let long: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
    let login = Login {
        user_id: 7,
        name: "ada".to_owned(),
        admin: true,
    };
    let login_schema = described::<Login>();
    let login_json = json!({"user_id": 7, "name": "ada", "admin": true});
    let mut vectors = vec![
        seal_vector(
            1,
            "empty payload (unit)",
            1,
            name,
            std_times,
            "unit",
            json!(null),
            &described::<()>(),
            &(),
        ),
        seal_vector(
            2,
            "u32 payload",
            1,
            name,
            std_times,
            "u32",
            json!(42),
            &described::<u32>(),
            &42u32,
        ),
        seal_vector(
            3,
            "string payload",
            1,
            name,
            std_times,
            "string",
            json!("hello, world"),
            &described::<String>(),
            "hello, world",
        ),
        seal_vector(
            4,
            "struct payload { user_id: u64, name: string, admin: bool }",
            1,
            name,
            std_times,
            "login",
            login_json.clone(),
            &login_schema,
            &login,
        ),
        seal_vector(
            5,
            "largest key id, short cookie name",
            u32::MAX,
            "sid",
            std_times,
            "u32",
            json!(1),
            &described::<u32>(),
            &1u32,
        ),
        seal_vector(
            6,
            "300-byte payload: byte i is i mod 251 (two-byte length varint)",
            1,
            name,
            std_times,
            "bytes",
            json!(hex(&long)),
            &described::<Vec<u8>>(),
            &serde_bytes_like(&long),
        ),
        seal_vector(
            7,
            "issued and last active at the same instant",
            1,
            name,
            (T0, T0, T0 + DAY),
            "login",
            login_json,
            &login_schema,
            &login,
        ),
    ];
    // Opening cases derive from vector 4 (key id 1, the default name).
    let base = vectors[3]["cookie_value"].as_str().unwrap().to_owned();
    let v7 = vectors[6]["cookie_value"].as_str().unwrap().to_owned();
    let raw = BASE64.decode(&base).unwrap();
    let reencode = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut v = raw.clone();
        edit(&mut v);
        BASE64.encode(v)
    };
    let flip_last = reencode(&|v| {
        let n = v.len();
        v[n - 1] ^= 0x01;
    });
    let unknown_id = reencode(&|v| v[1..5].copy_from_slice(&2u32.to_be_bytes()));
    let version2 = reencode(&|v| v[0] = 2);
    let standard = base.replace('-', "+").replace('_', "/");
    assert_ne!(standard, base, "vector 4 must use a url-safe character");
    // Vector 3 ends in a partial group (vector 4 no longer does).
    let partial = vectors[2]["cookie_value"].as_str().unwrap().to_owned();
    assert_ne!(partial.len() % 4, 0, "vector 3 must end in a partial group");
    let trailing_bits = {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = *partial.as_bytes().last().unwrap();
        let pos = alphabet.iter().position(|&c| c == last).unwrap();
        let mut text = partial.clone();
        text.pop();
        text.push(alphabet[pos | 1] as char);
        assert_ne!(text, partial);
        text
    };
    let too_short = BASE64.encode([1u8; ENVELOPE_OVERHEAD_BYTES - 1]);
    let empty_body = BASE64.encode(
        [
            &[1u8, 0, 0, 0, 1][..],
            &nonce_for(0)[..],
            &[0u8; TAG_LEN][..],
        ]
        .concat(),
    );
    let four_k_plus_one = format!("{base}{}", &base[..(5 - base.len() % 4) % 4]);
    assert_eq!(four_k_plus_one.len() % 4, 1);
    let key1 = sealer(1, 0x00, name);
    let login_fp = Fingerprint::of::<Login>().unwrap();
    let backwards = seal_fixed(116, &key1, (T0, T0 - 1, T0 + DAY), login_fp, &login);
    let extra_byte = seal_fixed(117, &key1, std_times, login_fp, &(&login, 0u8));
    let long_expiry = seal_fixed(118, &key1, (T0, T0, T0 + 2 * DAY), login_fp, &login);
    let reordered_fp = Fingerprint::of::<LoginReordered>().unwrap();
    let reordered = seal_fixed(123, &key1, std_times, reordered_fp, &login);
    let named = seal_fixed(
        124,
        &key1,
        std_times,
        Fingerprint::from_name(SCHEMA_NAME),
        &login,
    );
    let no_schema = {
        let times = (T0, T0 + 60, T0 + DAY, sid());
        let mut plain = postcard::to_allocvec(&times).unwrap();
        plain.extend_from_slice(&[0x07, 0x03]);
        seal_raw(125, &key1, &plain)
    };
    let at = T0 + 120;
    let idle = Some(1800);
    vectors.extend([
        open_vector(
            101,
            "vector 4 with the last tag bit flipped",
            name,
            &flip_last,
            at,
            idle,
            "authentication_failed",
        ),
        open_vector(
            102,
            "vector 4 opened under another cookie name",
            "__Host-other",
            &base,
            at,
            idle,
            "authentication_failed",
        ),
        open_vector(
            103,
            "vector 4 with key id 2, not in the keyring",
            name,
            &unknown_id,
            at,
            idle,
            "unknown_key_id",
        ),
        open_vector(
            104,
            "vector 4 with version byte 2",
            name,
            &version2,
            at,
            idle,
            "unsupported_version",
        ),
        open_vector(
            105,
            "vector 4 with base64 padding appended",
            name,
            &format!("{base}="),
            at,
            idle,
            "malformed",
        ),
        open_vector(
            106,
            "vector 4 in the standard base64 alphabet",
            name,
            &standard,
            at,
            idle,
            "malformed",
        ),
        open_vector(
            107,
            "vector 4 one second before its idle deadline",
            name,
            &base,
            T0 + 60 + 1799,
            idle,
            "valid",
        ),
        open_vector(
            108,
            "vector 4 at its idle deadline (last activity + 1800 s)",
            name,
            &base,
            T0 + 60 + 1800,
            idle,
            "idle_timeout",
        ),
        open_vector(
            109,
            "vector 4 opened 61 s before its last activity (last_active_at > now + skew)",
            name,
            &base,
            T0 - 1,
            idle,
            "issued_in_future",
        ),
        open_vector(110, "empty value", name, "", at, idle, "malformed"),
        open_vector(
            111,
            "4083 characters: name plus value is 4097 bytes",
            name,
            &"A".repeat(4083),
            at,
            idle,
            "too_large",
        ),
        open_vector(
            112,
            "vector 4 extended to a length of 4k + 1 characters",
            name,
            &four_k_plus_one,
            at,
            idle,
            "malformed",
        ),
        open_vector(
            113,
            "vector 3 with non-zero unused bits in its last character",
            name,
            &trailing_bits,
            at,
            idle,
            "malformed",
        ),
        open_vector(
            114,
            "44-byte envelope, one short of the smallest",
            name,
            &too_short,
            at,
            idle,
            "malformed",
        ),
        open_vector(
            115,
            "45-byte envelope: version 1, key id 1, empty ciphertext, zero tag",
            name,
            &empty_body,
            at,
            idle,
            "authentication_failed",
        ),
        open_vector(
            116,
            "sealed with last_active_at one second before issued_at",
            name,
            &backwards,
            at,
            idle,
            "invalid_timestamps",
        ),
        open_vector(
            117,
            "sealed with one byte after the payload",
            name,
            &extra_byte,
            at,
            idle,
            "payload_mismatch",
        ),
        open_vector(
            118,
            "sealed expiry 2 days after issue, no idle timeout, 1 s before issue + ttl",
            name,
            &long_expiry,
            T0 + DAY - 1,
            None,
            "valid",
        ),
        open_vector(
            119,
            "sealed expiry 2 days after issue, no idle timeout, at issue + ttl",
            name,
            &long_expiry,
            T0 + DAY,
            None,
            "expired",
        ),
        open_vector(
            120,
            "vector 4 at its sealed expiry (checked before the idle timeout)",
            name,
            &base,
            T0 + DAY,
            idle,
            "expired",
        ),
        open_vector(
            121,
            "vector 7 opened 60 s before it was issued",
            name,
            &v7,
            T0 - 60,
            idle,
            "valid",
        ),
        open_vector(
            122,
            "vector 7 opened 61 s before it was issued",
            name,
            &v7,
            T0 - 61,
            idle,
            "issued_in_future",
        ),
        open_vector(
            123,
            "vector 4's payload bytes sealed as a struct Login with fields in another order",
            name,
            &reordered,
            at,
            idle,
            "schema_mismatch",
        ),
        open_vector(
            124,
            "vector 4's payload bytes sealed under the schema name of vector 207",
            name,
            &named,
            at,
            idle,
            "schema_mismatch",
        ),
        open_vector(
            125,
            "plaintext of 21 bytes: timestamps, session id, 2 bytes (too short for the schema)",
            name,
            &no_schema,
            at,
            idle,
            "payload_mismatch",
        ),
        open_vector(
            126,
            "vector 123 at its sealed expiry (times are checked before the schema)",
            name,
            &reordered,
            T0 + DAY,
            idle,
            "expired",
        ),
    ]);
    vectors.extend(schema_vectors());
    vectors.extend(extra::open_cases(&base));
    vectors.extend(extra::reseal_cases(&base));
    vectors.extend(extra::record_cases());
    vectors.extend(extra::chunk_cases());
    vectors.extend(extra::keyring_cases());
    let notes = format!("{NOTES}{}", extra::NOTES);
    json!({
        "format_version": 1,
        "algorithm": "XChaCha20-Poly1305",
        "notes": notes,
        "vectors": vectors,
    })
}

/// What the file's `notes` say about kinds `seal`, `open` and `schema`.
const NOTES: &str = "kind 'seal': sealing payload_hex (the postcard encoding of payload, a value of payload_type) with nonce_hex and the given fields gives cookie_value exactly, and it opens at now under the default settings (absolute lifetime 86400 s, idle timeout 1800 s, skew allowance 60 s, limit 4096). kind 'open': opening cookie_value at now, with a keyring holding only key_id:key_hex, the given cookie_name and settings (idle_timeout null means none), decoding the payload as payload_type, gives expect: 'valid' or the outcome identifier of FORMAT.md section 5. payload_type: unit = (), u32, string, login = struct { user_id: u64, name: string, admin: bool }, bytes = a byte sequence (payload given as hex of its bytes, without the length prefix); an open case expects the type fingerprint schema_hex (that of login). kind 'schema': the type fingerprint (FORMAT.md section 4.1) of a shape description is the first 8 bytes of SHA-256 over the shape prefix and the description; of a schema name, over the name prefix and the name; fingerprint_hex is the result.";

/// Fingerprints of example shapes (FORMAT.md §4.1, §4.2, §11).
fn schema_vectors() -> Vec<Value> {
    let shape = |id: u32, comment: &str, description: String| {
        json!({
            "id": id,
            "kind": "schema",
            "comment": comment,
            "prefix": "sealed-session/schema/shape",
            "description": description,
            "fingerprint_hex": hex(&Fingerprint::from_description(&description).to_bytes()),
        })
    };
    let login = Fingerprint::of::<Login>().unwrap();
    let named = Fingerprint::from_name(SCHEMA_NAME);
    vec![
        shape(201, "()", described::<()>()),
        shape(202, "u32", described::<u32>()),
        shape(203, "vector 4's struct Login", described::<Login>()),
        shape(204, "struct Login with admin before name", described::<LoginReordered>()),
        shape(
            205,
            "struct Account { user_id: u64, roles: Vec<Role>, #[serde(rename = \"org\", default)] organisation: Option<u32>, #[serde(skip)] cached: bool } with enum Role { Reader, Editor { sections: Vec<String> }, Admin(u8) }",
            described::<Account>(),
        ),
        shape(
            206,
            "recursive struct Menu { label: String, children: Vec<Menu> }",
            described::<Menu>(),
        ),
        json!({
            "id": 207,
            "kind": "schema",
            "comment": "a schema name chosen by the application",
            "prefix": "sealed-session/schema/name",
            "name": SCHEMA_NAME,
            "fingerprint_hex": hex(&named.to_bytes()),
        }),
        shape(
            208,
            "session layer record (section 11) holding vector 4's Login",
            crate::schema::session_record_description(login),
        ),
        shape(
            209,
            "session layer record (section 11) holding data named by vector 207",
            crate::schema::session_record_description(named),
        ),
    ]
}

/// Serializes a byte slice as postcard bytes (length varint, then bytes).
fn serde_bytes_like(bytes: &[u8]) -> impl Serialize + '_ {
    struct B<'a>(&'a [u8]);
    impl Serialize for B<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }
    B(bytes)
}

#[test]
fn vectors_match_file() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/v1.json");
    let built = build_vectors();
    let text = serde_json::to_string_pretty(&built).unwrap() + "\n";
    if std::env::var_os("SEALED_SESSION_WRITE_VECTORS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).expect("tests/vectors/v1.json exists");
    assert_eq!(
        on_disk, text,
        "vectors changed: released vectors are frozen"
    );
}

#[test]
fn format_md_reproduces_vectors() {
    let doc = include_str!("../../FORMAT.md");
    for v in build_vectors()["vectors"].as_array().unwrap() {
        if v["kind"] == "seal" && v["id"].as_u64().unwrap() <= 4 {
            let value = v["cookie_value"].as_str().unwrap();
            assert!(doc.contains(value), "FORMAT.md lacks vector {}", v["id"]);
        }
    }
}
