//! The vector kinds beyond `seal` and `open` (`reseal`, `record`, `chunks`,
//! `keyring`), replayed through the public API exactly as the file's notes
//! describe them. (`chunk_split` fixes the cut of a given value; the public
//! API seals with a fresh nonce, so it is checked by the crate's own unit
//! tests and by tests/independent.)

use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use sealed_session::{
    Key, KeyError, KeyErrorReason, KeyId, Keyring, SealError, Sealer, SessionConfig,
};

use crate::common::{at, hex, outcome, str_of, u64_of, unb64url, unhex, vectors};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Login {
    user_id: u64,
    name: String,
    admin: bool,
}

fn of_kind(kind: &str) -> Vec<Value> {
    let found: Vec<Value> = vectors()
        .into_iter()
        .filter(|v| v["kind"] == kind)
        .collect();
    assert!(!found.is_empty(), "the file holds {kind} vectors");
    found
}

fn key(hex_text: &str) -> Key {
    Key::from_bytes(unhex(hex_text).try_into().unwrap()).unwrap()
}

fn secs(v: &Value, field: &str) -> StdDuration {
    StdDuration::from_secs(u64_of(v, field))
}

#[test]
fn reseal_vectors_keep_and_refresh_the_documented_fields() {
    for v in of_kind("reseal") {
        let entries = v["keyring"].as_array().unwrap();
        let id_of = |e: &Value| KeyId::new(u32::try_from(u64_of(e, "key_id")).unwrap());
        let mut ring = Keyring::new(id_of(&entries[0]), key(str_of(&entries[0], "key_hex")));
        for e in &entries[1..] {
            ring = ring
                .with_old_key(id_of(e), key(str_of(e, "key_hex")))
                .unwrap();
        }
        let sealer = Sealer::builder(ring)
            .with_cookie_name(str_of(&v, "cookie_name"))
            .with_absolute_ttl(secs(&v, "absolute_ttl"))
            .with_idle_timeout(secs(&v, "idle_timeout"))
            .with_clock_skew(secs(&v, "clock_skew"))
            .build()
            .unwrap();
        let payload: Login = serde_json::from_value(v["payload"].clone()).unwrap();
        let opened = sealer
            .open_at::<Login>(str_of(&v, "cookie_value"), at(&v, "opened_at"))
            .unwrap();
        let result = sealer.reseal_at(&payload, &opened.meta, at(&v, "now"));
        if str_of(&v, "expect") == "expired" {
            assert_eq!(result, Err(SealError::Expired), "vector {}", v["id"]);
            continue;
        }
        let resealed = result.unwrap();
        for value in [resealed.as_str(), str_of(&v, "resealed_value")] {
            let again = sealer.open_at::<Login>(value, at(&v, "now")).unwrap();
            let meta = &again.meta;
            assert_eq!(again.payload, payload);
            assert_eq!(meta.issued_at(), at(&v, "issued_at"), "vector {}", v["id"]);
            assert_eq!(meta.last_active_at(), at(&v, "last_active_at"));
            assert_eq!(u64::from(meta.key_id().get()), u64_of(&v, "key_id"));
            assert!(meta.session_id().ct_eq(opened.meta.session_id()));
            assert!(!meta.needs_reseal());
            // The sealed expiry is kept; opening caps it at issue + ttl.
            let cap = meta.issued_at().as_secs() + u64_of(&v, "absolute_ttl");
            assert_eq!(
                meta.expires_at().as_secs(),
                u64_of(&v, "expires_at").min(cap)
            );
        }
        assert_eq!(
            unb64url(&resealed).len(),
            unb64url(str_of(&v, "resealed_value")).len()
        );
    }
}

#[test]
fn record_vectors_load_their_data_and_flash() {
    for v in of_kind("record") {
        let ring = Keyring::new(KeyId::new(1), key(str_of(&v, "key_hex")));
        let config = SessionConfig::builder(ring)
            .with_cookie_name(str_of(&v, "cookie_name"))
            .build()
            .unwrap();
        let mut session =
            config.load_values_at::<Login>([str_of(&v, "cookie_value")], at(&v, "now"));
        assert_eq!(session.load_error(), None, "vector {}", v["id"]);
        let data: Option<Login> = serde_json::from_value(v["data"].clone()).unwrap();
        assert_eq!(session.get(), data.as_ref(), "vector {}", v["id"]);
        assert_eq!(session.has_flash(), !v["flash_hex"].is_null());
        match (session.take_flash::<String>(), v["flash_read"].as_str()) {
            (Ok(Some(text)), Some("valid")) => assert_eq!(text, str_of(&v, "flash")),
            (Ok(None), None) => {}
            (Err(err), Some(expected)) => assert_eq!(outcome(&err), expected),
            (got, want) => panic!("vector {}: flash {got:?}, expected {want:?}", v["id"]),
        }
    }
}

#[test]
fn chunks_vectors_load_as_the_file_says() {
    for v in of_kind("chunks") {
        let ring = Keyring::new(KeyId::new(1), key(str_of(&v, "key_hex")));
        let config = SessionConfig::builder(ring)
            .with_cookie_name(str_of(&v, "cookie_name"))
            .with_max_cookie_bytes(usize::try_from(u64_of(&v, "max_cookie_bytes")).unwrap())
            .with_chunking(u8::try_from(u64_of(&v, "max_chunks")).unwrap())
            .with_absolute_ttl(secs(&v, "absolute_ttl"))
            .with_idle_timeout(secs(&v, "idle_timeout"))
            .with_clock_skew(secs(&v, "clock_skew"))
            .build()
            .unwrap();
        let headers: Vec<&str> = v["cookie_headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        let session = config.load_at::<Vec<u8>, _>(headers, at(&v, "now"));
        let got = match (session.get(), session.load_error()) {
            (Some(_), None) => "valid",
            (None, Some(err)) => outcome(err),
            (None, None) => "none",
            (Some(_), Some(err)) => panic!("vector {}: data and {err:?}", v["id"]),
        };
        assert_eq!(
            got,
            str_of(&v, "expect"),
            "vector {} ({})",
            v["id"],
            v["comment"]
        );
        assert_eq!(
            session.get().map(|d| hex(d)),
            v["data"].as_str().map(str::to_owned)
        );
    }
}

#[test]
fn keyring_vectors_parse_or_refuse_as_the_file_says() {
    for v in of_kind("keyring") {
        let id = &v["id"];
        match Keyring::parse(str_of(&v, "line")) {
            Ok(ring) => {
                assert_eq!(str_of(&v, "expect"), "valid", "vector {id}");
                assert_eq!(
                    u64::from(ring.primary_id().get()),
                    u64_of(&v, "primary_key_id")
                );
                let ids: Vec<u64> = ring.ids().map(|i| u64::from(i.get())).collect();
                let want: Vec<u64> = v["key_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_u64().unwrap())
                    .collect();
                assert_eq!(ids, want, "vector {id}");
                let line = ring.to_line();
                let keys: Vec<String> = line
                    .split(',')
                    .map(|e| hex(&unb64url(e.split_once(':').unwrap().1)))
                    .collect();
                assert_eq!(serde_json::json!(keys), v["keys_hex"], "vector {id}");
            }
            Err(err) => {
                assert_eq!(str_of(&v, "expect"), "refused", "vector {id}");
                let refusal = str_of(&v, "refusal");
                let entry = v["entry"].as_u64().map(|e| usize::try_from(e).unwrap());
                let key_id = v["key_id"]
                    .as_u64()
                    .map(|k| KeyId::new(u32::try_from(k).unwrap()));
                let expected = match refusal {
                    "empty_keyring" => KeyError::EmptyKeyring,
                    "invalid_syntax" => KeyError::InvalidSyntax {
                        entry: entry.unwrap(),
                    },
                    "invalid_key_id" => KeyError::InvalidKeyId {
                        entry: entry.unwrap(),
                    },
                    "invalid_key" => KeyError::InvalidKey {
                        entry: entry.unwrap(),
                        reason: match str_of(&v, "reason") {
                            "invalid_encoding" => KeyErrorReason::InvalidEncoding,
                            "invalid_length" => KeyErrorReason::InvalidLength,
                            "weak_key" => KeyErrorReason::WeakKey,
                            other => panic!("vector {id}: reason {other}"),
                        },
                    },
                    "duplicate_id" => KeyError::DuplicateId {
                        id: key_id.unwrap(),
                    },
                    "duplicate_key" => KeyError::DuplicateKey {
                        id: key_id.unwrap(),
                    },
                    other => panic!("vector {id}: refusal {other}"),
                };
                assert_eq!(err, expected, "vector {id} ({})", v["comment"]);
            }
        }
    }
}
