//! Debug and Display never show secrets: key bytes in any encoding, session
//! id bytes, or the cookie value being refused.

use std::fmt::Debug;
use std::time::Duration as StdDuration;

use serde::{Deserialize, Serialize};

use sealed_session::{
    ConfigError, FixedClock, Key, KeyError, KeyErrorReason, KeyId, KeyLineHint, Keyring, OpenError,
    SealError, Sealer,
};

use crate::common::{
    find_leak, key, key_bytes, ring, sealer, t0_minus, t0_plus, unhex, vector, windows, T0,
};

/// Every Debug rendering of `value`: plain, pretty, and the hex variants a
/// derived Debug would print bytes with.
fn debug_renderings(value: &impl Debug) -> String {
    format!("{value:?}\n{value:#?}\n{value:x?}\n{value:X?}\n{value:#x?}")
}

fn assert_no_leak(text: &str, secret: &[u8], what: &str) {
    if let Some(pattern) = find_leak(text, secret) {
        panic!("{what} leaks {pattern:?}: {text}");
    }
}

#[test]
fn leak_detection_finds_each_encoding() {
    // Control: the detector must see a leak in any of the encodings.
    let secret = key_bytes(9);
    let shown = [
        format!("{secret:?}"),
        format!("{secret:#?}"),
        format!("{secret:x?}"),
        format!("{secret:X?}"),
        crate::common::hex(&secret[3..7]),
        crate::common::hex(&secret).to_uppercase(),
        crate::common::b64url(&secret),
        crate::common::b64std(&secret, true),
    ];
    for text in shown {
        assert!(find_leak(&text, &secret).is_some(), "missed {text}");
    }
    assert!(find_leak("Key { .. }", &secret).is_none());
}

#[test]
fn key_debug_shows_no_key_bytes() {
    for seed in [0, 1, 77, 255] {
        let k = key(seed);
        let shown = debug_renderings(&k);
        assert_no_leak(&shown, &key_bytes(seed), "Key");
        assert!(shown.contains("Key"));
    }
}

fn three_key_ring() -> Keyring {
    Keyring::new(KeyId::new(1), key(11))
        .with_old_key(KeyId::new(2), key(12))
        .unwrap()
        .with_old_key(KeyId::new(3), key(13))
        .unwrap()
}

#[test]
fn keyring_debug_shows_ids_but_no_key_bytes() {
    let shown = debug_renderings(&three_key_ring());
    for seed in [11, 12, 13] {
        assert_no_leak(&shown, &key_bytes(seed), "Keyring");
    }
    assert!(shown.contains("KeyId(3)"), "{shown}");
}

#[test]
fn sealer_and_builder_debug_show_no_key_bytes() {
    let builder = Sealer::builder(three_key_ring())
        .with_cookie_name("__Host-debug")
        .with_clock(FixedClock::new(T0));
    let shown_builder = debug_renderings(&builder);
    let s = builder.build().unwrap();
    let shown_sealer = debug_renderings(&s);
    for seed in [11, 12, 13] {
        assert_no_leak(&shown_builder, &key_bytes(seed), "SealerBuilder");
        assert_no_leak(&shown_sealer, &key_bytes(seed), "Sealer");
    }
    assert!(shown_sealer.contains("__Host-debug"));
}

#[derive(Debug, Serialize, Deserialize)]
struct Login {
    user_id: u64,
    name: String,
    admin: bool,
}

/// Vector 4 of tests/vectors/v1.json, whose session id is `a0 a1 .. af` and
/// key `00 01 .. 1f`, opened.
fn opened_vector_4() -> (sealed_session::Opened<Login>, Vec<u8>, Vec<u8>) {
    let v = vector(4);
    let key_hex = v["key_hex"].as_str().unwrap();
    let key_bytes: [u8; 32] = unhex(key_hex).try_into().unwrap();
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(key_bytes).unwrap());
    let s = sealer(ring);
    let opened = s
        .open_at::<Login>(v["cookie_value"].as_str().unwrap(), t0_plus(60))
        .unwrap();
    let session_id = unhex(v["session_id_hex"].as_str().unwrap());
    (opened, session_id, key_bytes.to_vec())
}

#[test]
fn opened_session_meta_and_session_id_debug_show_no_id_bytes() {
    let (opened, session_id, key_bytes) = opened_vector_4();
    assert_eq!(session_id, unhex("a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"));
    for (what, shown) in [
        ("Opened", debug_renderings(&opened)),
        ("SessionMeta", debug_renderings(&opened.meta)),
        ("SessionId", debug_renderings(opened.meta.session_id())),
    ] {
        assert_no_leak(&shown, &session_id, what);
        assert_no_leak(&shown, &key_bytes, what);
    }
    assert!(
        debug_renderings(&opened).contains("ada"),
        "the payload is shown"
    );
}

/// The message (Display), Debug and the Display of its `source` chain.
fn all_text(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = format!("{err}\n{err:?}\n{err:#?}");
    let mut source = err.source();
    while let Some(inner) = source {
        out.push_str(&format!("\n{inner}\n{inner:?}"));
        source = inner.source();
    }
    out
}

fn assert_value_not_shown(err: &OpenError, value: &str) {
    let shown = all_text(err);
    for w in windows(value, 8) {
        assert!(!shown.contains(&w), "{err:?} shows {w:?} of the value");
    }
}

#[test]
fn open_errors_never_show_the_cookie_value() {
    let s = Sealer::builder(ring(1, 1))
        .with_absolute_ttl(StdDuration::from_secs(3600))
        .with_idle_timeout(StdDuration::from_secs(600))
        .build()
        .unwrap();
    let good = s.seal_at(&7u32, T0).unwrap();
    let raw = crate::common::unb64url(&good);
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut bytes = raw.clone();
        f(&mut bytes);
        crate::common::b64url(&bytes)
    };
    let long = format!("{good}{}", "Z".repeat(4096));
    let idle = s
        .reseal_at(
            &7u32,
            &s.open_at::<u32>(&good, T0).unwrap().meta,
            t0_plus(10),
        )
        .unwrap();
    let cases: Vec<(String, UnixSecondsOrErr)> = vec![
        (
            long,
            Err(OpenError::TooLarge {
                actual: 14 + good.len() + 4096,
                limit: 4096,
            }),
        ),
        (format!("{good}="), Err(OpenError::Malformed)),
        (with(&|b| b[0] = 9), Err(OpenError::UnsupportedVersion)),
        (with(&|b| b[4] = 9), Err(OpenError::UnknownKeyId)),
        (with(&|b| b[40] ^= 1), Err(OpenError::AuthenticationFailed)),
        (good.clone(), Ok(t0_plus(3600))),
        (idle, Ok(t0_plus(610))),
        (good.clone(), Ok(t0_minus(61))),
    ];
    let mut kinds = Vec::new();
    for (value, how) in cases {
        let err = match how {
            Err(expected) => {
                let err = s.open_at::<u32>(&value, T0).unwrap_err();
                assert_eq!(err, expected);
                err
            }
            Ok(now) => s.open_at::<u32>(&value, now).unwrap_err(),
        };
        assert_value_not_shown(&err, &value);
        kinds.push(err);
    }
    let mismatch = s.open_at::<String>(&s.seal_at(&300u64, T0).unwrap(), T0);
    let err = mismatch.map(|_| ()).unwrap_err();
    assert_value_not_shown(&err, &good);
    kinds.push(err);
    assert_eq!(
        kinds[5..],
        [
            OpenError::Expired,
            OpenError::IdleTimeout,
            OpenError::IssuedInFuture,
            OpenError::SchemaMismatch
        ]
    );
}

/// Either a time to open at (for errors after authentication) or the error
/// expected at `T0`.
type UnixSecondsOrErr = Result<sealed_session::UnixSeconds, OpenError>;

#[test]
fn seal_errors_never_show_the_payload() {
    let s = sealer(ring(1, 1));
    let secret = "TOP-SECRET-PAYLOAD-".repeat(300);
    let err = s.seal_at(&secret, T0).unwrap_err();
    assert!(matches!(err, SealError::TooLarge { .. }));
    let shown = all_text(&err);
    assert!(!shown.contains("SECRET"), "{shown}");
}

#[test]
fn key_errors_never_show_the_key_text() {
    let k = key(1).to_base64().to_string();
    let cases = [
        format!("1:{k}="),
        format!("01:{k}"),
        format!("1;{k}"),
        format!("1:{}", &k[..40]),
        format!("1:{k},2:{k}"),
        format!("1:{k},1:{}", key(2).to_base64().as_str()),
    ];
    for line in cases {
        let err = Keyring::parse(&line).unwrap_err();
        let shown = all_text(&err);
        for w in windows(&k[..40], 8) {
            assert!(!shown.contains(&w), "{err:?} shows key text {w:?}");
        }
    }
}

/// Every message as STYLE.md §4 asks: starts lower case, no trailing period,
/// not empty.
#[test]
fn error_messages_are_lower_case_without_trailing_period() {
    let id = KeyId::new(3);
    let messages = vec![
        KeyError::InvalidEncoding.to_string(),
        KeyError::InvalidLength { actual: 5 }.to_string(),
        KeyError::WeakKey.to_string(),
        KeyError::InvalidKeyId { entry: 2 }.to_string(),
        KeyError::InvalidSyntax { entry: 2 }.to_string(),
        KeyError::InvalidKey {
            entry: 2,
            reason: KeyErrorReason::WeakKey,
        }
        .to_string(),
        KeyError::DuplicateId { id }.to_string(),
        KeyError::DuplicateKey { id }.to_string(),
        KeyError::EmptyKeyring.to_string(),
        KeyError::UnknownId { id }.to_string(),
        KeyError::PrimaryKey.to_string(),
        KeyError::MissingVariable {
            name: "SESSION_KEYS".into(),
        }
        .to_string(),
        KeyError::NotUnicodeVariable {
            name: "SESSION_KEYS".into(),
        }
        .to_string(),
        KeyError::Variable {
            name: "SESSION_KEYS".into(),
            error: Box::new(KeyError::EmptyKeyring),
            hint: Some(KeyLineHint::Quoted),
        }
        .to_string(),
        KeyLineHint::Assignment.to_string(),
        KeyLineHint::Quoted.to_string(),
        KeyLineHint::SpaceAfterColon.to_string(),
        KeyLineHint::StandardBase64.to_string(),
        KeyLineHint::Padding.to_string(),
        KeyError::Random.to_string(),
        ConfigError::InvalidCookieName.to_string(),
        ConfigError::InvalidLifetime.to_string(),
        ConfigError::LimitTooSmall { minimum: 9 }.to_string(),
        SealError::TooLarge {
            actual: 5000,
            limit: 4096,
        }
        .to_string(),
        SealError::Serialize.to_string(),
        SealError::Expired.to_string(),
        SealError::TimeOverflow.to_string(),
        SealError::Random.to_string(),
        OpenError::TooLarge {
            actual: 5000,
            limit: 4096,
        }
        .to_string(),
        OpenError::Malformed.to_string(),
        OpenError::UnsupportedVersion.to_string(),
        OpenError::UnknownKeyId.to_string(),
        OpenError::AuthenticationFailed.to_string(),
        OpenError::Expired.to_string(),
        OpenError::IdleTimeout.to_string(),
        OpenError::IssuedInFuture.to_string(),
        OpenError::InvalidTimestamps.to_string(),
        OpenError::PayloadMismatch.to_string(),
    ];
    for m in &messages {
        let first = m.chars().next().expect("non-empty message");
        assert!(!first.is_uppercase(), "{m:?}");
        assert!(!m.ends_with('.'), "{m:?}");
        assert!(m.contains(' '), "a sentence, not a variant name: {m:?}");
    }
}
