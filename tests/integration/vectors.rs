//! The frozen vectors of `tests/vectors/v1.json` open with the public API,
//! agree with the layout FORMAT.md describes, and agree with FORMAT.md's own
//! copy of them.

use std::time::Duration as StdDuration;

use serde::Deserialize;
use serde_json::Value;

use sealed_session::{Fingerprint, Key, KeyId, Keyring, OpenError, Sealer, UnixSeconds};

use crate::common::{at, hex, outcome, str_of, u64_of, unb64url, unhex, vectors, T0};

const FORMAT_MD: &str = include_str!("../../FORMAT.md");

#[derive(Debug, PartialEq, Deserialize)]
struct Login {
    user_id: u64,
    name: String,
    admin: bool,
}

/// A sealer as the file's notes describe: a keyring holding only
/// `key_id:key_hex`, the vector's cookie name, and the vector's settings
/// (open cases) or the defaults: lifetime 86400 s, idle timeout 1800 s,
/// skew 60 s, limit 4096.
fn vector_sealer(v: &Value) -> Sealer {
    let key: [u8; 32] = unhex(str_of(v, "key_hex")).try_into().unwrap();
    let id = KeyId::new(u32::try_from(u64_of(v, "key_id")).unwrap());
    let setting = |field: &str, default: u64| v.get(field).map_or(Some(default), Value::as_u64);
    let builder = Sealer::builder(Keyring::new(id, Key::from_bytes(key).unwrap()))
        .with_cookie_name(str_of(v, "cookie_name"))
        .with_absolute_ttl(StdDuration::from_secs(
            setting("absolute_ttl", 86_400).unwrap(),
        ))
        .with_clock_skew(StdDuration::from_secs(setting("clock_skew", 60).unwrap()))
        .with_max_cookie_bytes(usize::try_from(setting("max_cookie_bytes", 4096).unwrap()).unwrap())
        .with_not_before(UnixSeconds::new(setting("not_before", 0).unwrap()));
    match setting("idle_timeout", 1800) {
        Some(idle) => builder.with_idle_timeout(StdDuration::from_secs(idle)),
        None => builder.without_idle_timeout(),
    }
    .build()
    .unwrap()
}

fn valid() -> Vec<Value> {
    let valid: Vec<Value> = vectors()
        .into_iter()
        .filter(|v| v["kind"] == "seal")
        .collect();
    assert!(valid.len() >= 7, "the file holds 7 sealing vectors");
    valid
}

fn invalid() -> Vec<Value> {
    let invalid: Vec<Value> = vectors()
        .into_iter()
        .filter(|v| v["kind"] == "open")
        .collect();
    assert!(invalid.len() >= 22, "the file holds 22 opening cases");
    invalid
}

/// Opens a valid vector at `now` as its payload type and compares the
/// payload with the JSON one.
fn open_and_check_payload(
    v: &Value,
    now: UnixSeconds,
) -> Result<sealed_session::SessionMeta, OpenError> {
    let s = vector_sealer(v);
    let value = str_of(v, "cookie_value");
    let json = &v["payload"];
    let meta = match str_of(v, "payload_type") {
        "unit" => {
            assert!(json.is_null());
            s.open_at::<()>(value, now)?.meta
        }
        "u32" => {
            let opened = s.open_at::<u32>(value, now)?;
            assert_eq!(u64::from(opened.payload), json.as_u64().unwrap());
            opened.meta
        }
        "string" => {
            let opened = s.open_at::<String>(value, now)?;
            assert_eq!(opened.payload, json.as_str().unwrap());
            opened.meta
        }
        "login" => {
            let opened = s.open_at::<Login>(value, now)?;
            let expected: Login = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(opened.payload, expected);
            opened.meta
        }
        "bytes" => {
            // postcard writes a Vec<u8> exactly as a byte string.
            let opened = s.open_at::<Vec<u8>>(value, now)?;
            assert_eq!(opened.payload, unhex(json.as_str().unwrap()));
            opened.meta
        }
        other => panic!("vector {}: unknown payload type {other}", v["id"]),
    };
    Ok(meta)
}

#[test]
fn the_file_describes_format_version_1() {
    let file: Value = serde_json::from_str(include_str!("../vectors/v1.json")).unwrap();
    assert_eq!(file["format_version"], 1);
    assert_eq!(file["algorithm"], "XChaCha20-Poly1305");
    assert_eq!(sealed_session::format::FORMAT_VERSION, 1);
}

#[test]
fn valid_vectors_open_with_their_payload_and_timestamps() {
    let mut types = Vec::new();
    for v in valid() {
        let now = at(&v, "now");
        assert_eq!(now.as_secs(), u64_of(&v, "last_active_at") + 60);
        let meta = open_and_check_payload(&v, now)
            .unwrap_or_else(|e| panic!("vector {} refused: {e:?}", v["id"]));
        assert_eq!(meta.issued_at(), at(&v, "issued_at"));
        assert_eq!(meta.last_active_at(), at(&v, "last_active_at"));
        assert_eq!(meta.expires_at(), at(&v, "expires_at"));
        assert_eq!(
            meta.idle_expires_at(),
            Some(UnixSeconds::new(u64_of(&v, "last_active_at") + 1800))
        );
        assert_eq!(u64::from(meta.key_id().get()), u64_of(&v, "key_id"));
        assert!(!meta.needs_reseal());
        types.push(str_of(&v, "payload_type").to_owned());
    }
    for t in ["unit", "u32", "string", "login", "bytes"] {
        assert!(types.iter().any(|x| x == t), "no vector of type {t}");
    }
}

#[test]
fn valid_vectors_share_the_documented_session_id() {
    let metas: Vec<_> = valid()
        .iter()
        .map(|v| {
            assert_eq!(
                str_of(v, "session_id_hex"),
                "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
            );
            open_and_check_payload(v, at(v, "last_active_at")).unwrap()
        })
        .collect();
    for m in &metas[1..] {
        assert!(m.session_id().ct_eq(metas[0].session_id()));
    }
    // Control: a fresh session has another id.
    let s = vector_sealer(&valid()[0]);
    let fresh = s.open_at::<()>(&s.seal_at(&(), T0).unwrap(), T0).unwrap();
    assert!(!fresh.meta.session_id().ct_eq(metas[0].session_id()));
}

#[test]
fn valid_vectors_refuse_at_their_deadlines() {
    for v in valid() {
        let last = u64_of(&v, "last_active_at");
        assert!(open_and_check_payload(&v, UnixSeconds::new(last + 1799)).is_ok());
        assert_eq!(
            open_and_check_payload(&v, UnixSeconds::new(last + 1800)).err(),
            Some(OpenError::IdleTimeout),
            "vector {}",
            v["id"]
        );
        // The later of issue and activity time decides the future check.
        assert!(open_and_check_payload(&v, UnixSeconds::new(last - 60)).is_ok());
        assert_eq!(
            open_and_check_payload(&v, UnixSeconds::new(last - 61)).err(),
            Some(OpenError::IssuedInFuture)
        );
        assert_eq!(
            open_and_check_payload(&v, at(&v, "expires_at")).err(),
            Some(OpenError::Expired)
        );
    }
}

#[test]
fn invalid_vectors_give_their_expected_outcome() {
    let mut seen = Vec::new();
    for v in invalid() {
        let s = vector_sealer(&v);
        let now = at(&v, "now");
        let expected = str_of(&v, "expect");
        assert_eq!(str_of(&v, "payload_type"), "login");
        assert_eq!(
            str_of(&v, "schema_hex"),
            Fingerprint::of::<Login>().unwrap().to_string()
        );
        let value = str_of(&v, "cookie_value");
        let result = s.open_at::<Login>(value, now);
        let got = result.as_ref().err().map_or("valid", outcome);
        assert_eq!(got, expected, "vector {} ({})", v["id"], v["comment"]);
        if let Err(OpenError::TooLarge { actual, limit }) = result {
            // Name plus value, in UTF-8 bytes.
            assert_eq!(actual, str_of(&v, "cookie_name").len() + value.len());
            assert_eq!(
                u64::try_from(limit).unwrap(),
                u64_of(&v, "max_cookie_bytes")
            );
        }
        seen.push(expected.to_owned());
    }
    for kind in [
        "valid",
        "malformed",
        "unsupported_version",
        "unknown_key_id",
        "authentication_failed",
        "idle_timeout",
        "issued_in_future",
        "expired",
        "invalid_timestamps",
        "payload_mismatch",
        "schema_mismatch",
        "too_large",
        "revoked",
    ] {
        assert!(seen.iter().any(|s| s == kind), "no vector for {kind}");
    }
}

/// Unsigned LEB128, as postcard writes every integer but `u8`.
fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let low = u8::try_from(n & 0x7f).unwrap();
        n >>= 7;
        if n == 0 {
            out.push(low);
            return out;
        }
        out.push(low | 0x80);
    }
}

#[test]
fn documented_varint_example_is_right() {
    // FORMAT.md §4: "1800000000 is 80 a4 a7 da 06".
    assert_eq!(hex(&varint(1_800_000_000)), "80a4a7da06");
    assert!(FORMAT_MD.contains("`1800000000` is `80 a4 a7 da 06`"));
    assert_eq!(varint(0), [0]);
    assert_eq!(varint(300), [0xac, 0x02]);
    assert_eq!(varint(u64::MAX).len(), 10);
}

/// The postcard bytes FORMAT.md §4 gives for each vector's payload.
fn documented_payload_bytes(v: &Value) -> Vec<u8> {
    let json = &v["payload"];
    match str_of(v, "payload_type") {
        "unit" => vec![],
        "u32" => varint(json.as_u64().unwrap()),
        "string" => {
            let s = json.as_str().unwrap().as_bytes();
            [varint(u64::try_from(s.len()).unwrap()), s.to_vec()].concat()
        }
        "login" => {
            let name = json["name"].as_str().unwrap().as_bytes();
            [
                varint(json["user_id"].as_u64().unwrap()),
                varint(u64::try_from(name.len()).unwrap()),
                name.to_vec(),
                vec![u8::from(json["admin"].as_bool().unwrap())],
            ]
            .concat()
        }
        "bytes" => {
            let b = unhex(json.as_str().unwrap());
            [varint(u64::try_from(b.len()).unwrap()), b].concat()
        }
        other => panic!("unknown payload type {other}"),
    }
}

#[test]
fn vector_plaintexts_follow_the_documented_encoding() {
    // FORMAT.md §4: three varints, 16 id bytes, 8 schema bytes, the payload.
    for v in valid() {
        let payload = documented_payload_bytes(&v);
        assert_eq!(
            str_of(&v, "payload_hex"),
            hex(&payload),
            "vector {}",
            v["id"]
        );
        let plaintext = [
            varint(u64_of(&v, "issued_at")),
            varint(u64_of(&v, "last_active_at")),
            varint(u64_of(&v, "expires_at")),
            unhex(str_of(&v, "session_id_hex")),
            unhex(str_of(&v, "schema_hex")),
            payload,
        ]
        .concat();
        // FORMAT.md §4.1: the schema is the fingerprint of the description.
        assert_eq!(
            str_of(&v, "schema_hex"),
            Fingerprint::from_description(str_of(&v, "schema_description")).to_string(),
            "vector {}",
            v["id"]
        );
        assert_eq!(
            str_of(&v, "plaintext_hex"),
            hex(&plaintext),
            "vector {}",
            v["id"]
        );
    }
}

#[test]
fn vector_associated_data_follows_the_documented_layout() {
    // FORMAT.md §3: label, version, u32be(key_id), u16be(len(name)), name.
    for v in valid() {
        let name = str_of(&v, "cookie_name").as_bytes();
        let key_id = u32::try_from(u64_of(&v, "key_id")).unwrap();
        let aad = [
            b"sealed-session".to_vec(),
            vec![1],
            key_id.to_be_bytes().to_vec(),
            u16::try_from(name.len()).unwrap().to_be_bytes().to_vec(),
            name.to_vec(),
        ]
        .concat();
        assert_eq!(str_of(&v, "aad_hex"), hex(&aad), "vector {}", v["id"]);
        assert_eq!(&aad[..14], sealed_session::format::AAD_LABEL);
    }
}

#[test]
fn vector_envelopes_follow_the_documented_layout() {
    // FORMAT.md §2 and §10: version, u32be(key_id), nonce 0x40 + id + i,
    // ciphertext as long as the plaintext, 16-byte tag.
    for v in valid() {
        let envelope = unb64url(str_of(&v, "cookie_value"));
        let plaintext_len = str_of(&v, "plaintext_hex").len() / 2;
        assert_eq!(
            envelope.len(),
            29 + plaintext_len + 16,
            "vector {}",
            v["id"]
        );
        assert_eq!(envelope[0], 1);
        let key_id = u32::try_from(u64_of(&v, "key_id")).unwrap();
        assert_eq!(envelope[1..5], key_id.to_be_bytes());
        let nonce = unhex(str_of(&v, "nonce_hex"));
        assert_eq!(envelope[5..29], nonce[..]);
        let id = u8::try_from(u64_of(&v, "id")).unwrap();
        let documented: Vec<u8> = (0..24u8).map(|i| 0x40 + id + i).collect();
        assert_eq!(nonce, documented, "vector {}", v["id"]);
    }
}

/// The hex or text after `label` on the first line starting with it inside
/// the FORMAT.md section of vector `id`.
fn format_md_field(id: u64, label: &str) -> Option<String> {
    let heading = format!("### Vector {id}:");
    let section = FORMAT_MD.split(heading.as_str()).nth(1)?;
    let section = section.split("### ").next()?;
    section
        .lines()
        .find_map(|line| line.strip_prefix(label))
        .map(|rest| rest.trim().to_owned())
}

#[test]
fn format_md_vectors_match_the_json_file() {
    let mut checked = 0;
    for v in valid() {
        let id = u64_of(&v, "id");
        let Some(value) = format_md_field(id, "value ") else {
            continue;
        };
        assert_eq!(value, str_of(&v, "cookie_value"), "vector {id}");
        assert_eq!(
            format_md_field(id, "nonce ").as_deref(),
            Some(str_of(&v, "nonce_hex"))
        );
        assert_eq!(
            format_md_field(id, "plaintext ").as_deref(),
            Some(str_of(&v, "plaintext_hex"))
        );
        assert_eq!(
            format_md_field(id, "schema ").as_deref(),
            Some(str_of(&v, "schema_hex"))
        );
        if let Some(aad) = format_md_field(id, "aad ") {
            assert_eq!(aad, str_of(&v, "aad_hex"), "vector {id}");
        }
        checked += 1;
    }
    assert_eq!(checked, 4, "FORMAT.md shows vectors 1 to 4");
}

/// The example shapes of the type fingerprint (FORMAT.md §4.1, §4.2, §11).
#[derive(Deserialize)]
#[allow(dead_code)]
struct Menu {
    label: String,
    children: Vec<Menu>,
}

#[test]
fn schema_vectors_give_their_fingerprints() {
    let schemas: Vec<Value> = vectors()
        .into_iter()
        .filter(|v| v["kind"] == "schema")
        .collect();
    assert!(schemas.len() >= 9, "the file holds 9 schema vectors");
    for v in &schemas {
        let expected = str_of(v, "fingerprint_hex");
        let computed = match str_of(v, "prefix") {
            "sealed-session/schema/shape" => {
                Fingerprint::from_description(str_of(v, "description"))
            }
            "sealed-session/schema/name" => Fingerprint::from_name(str_of(v, "name")),
            other => panic!("unknown prefix {other}"),
        };
        assert_eq!(computed.to_string(), expected, "vector {}", v["id"]);
        let row = FORMAT_MD
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", v["id"])))
            .unwrap_or_else(|| panic!("FORMAT.md lacks vector {}", v["id"]));
        assert!(row.ends_with(&format!("| `{expected}` |")), "{row}");
    }
    let by_id = |id: u64| schemas.iter().find(|v| v["id"] == id).unwrap();
    assert_eq!(
        str_of(by_id(203), "description"),
        Fingerprint::description_of::<Login>().unwrap()
    );
    assert_eq!(
        str_of(by_id(206), "description"),
        Fingerprint::description_of::<Menu>().unwrap()
    );
    assert_eq!(str_of(by_id(202), "description"), "u32\n");
}

#[test]
fn format_md_refusal_table_matches_the_json_file() {
    let mut checked = 0;
    for v in invalid() {
        let id = u64_of(&v, "id");
        let row = FORMAT_MD
            .lines()
            .find(|l| l.starts_with(&format!("| {id} |")))
            .unwrap_or_else(|| panic!("FORMAT.md lacks vector {id}"));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // "", id, input, now, outcome, ""
        assert_eq!(cells.len(), 6, "{row}");
        assert_eq!(cells[3], u64_of(&v, "now").to_string(), "vector {id}");
        assert_eq!(
            cells[4],
            format!("`{}`", str_of(&v, "expect")),
            "vector {id}"
        );
        checked += 1;
    }
    assert!(checked >= 10);
}
