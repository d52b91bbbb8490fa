//! `Debug` output of the session layer's types never shows a cookie value,
//! session data, a flash message or key bytes.

use sealed_session::{Key, KeyId, Keyring, OpenError, SessionConfig};

use crate::support::{builder, clock, key_bytes, only, pair, Data};

const SECRET_USER: &str = "user-3f9c1e7a";
const SECRET_FLASH: &str = "flash-b81d44c0";

/// Every form in which key bytes could leak into text.
fn key_forms(bytes: &[u8; 32]) -> Vec<String> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let key = Key::from_bytes(*bytes).unwrap();
    vec![
        key.to_base64().as_str().to_owned(),
        hex.clone(),
        hex.to_uppercase(),
        format!("{:?}", &bytes[..4])
            .trim_end_matches(']')
            .to_owned(),
        format!("{:x?}", &bytes[..4])
            .trim_end_matches(']')
            .to_owned(),
    ]
}

/// Asserts `text` holds none of `secrets`, nor any 12-character window of
/// the cookie `value`.
fn assert_clean(what: &str, text: &str, value: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} shows {secret:?}: {text}"
        );
    }
    let bytes = value.as_bytes();
    for window in bytes.windows(12) {
        let window = std::str::from_utf8(window).unwrap();
        assert!(
            !text.contains(window),
            "{what} shows part of the cookie value: {text}"
        );
    }
}

#[test]
fn debug_output_hides_values_data_and_keys() {
    let c = clock();
    let ring = Keyring::new(KeyId::new(1), Key::from_bytes(key_bytes(1)).unwrap())
        .with_old_key(KeyId::new(2), Key::from_bytes(key_bytes(2)).unwrap())
        .unwrap();
    let config: SessionConfig = builder(&c).with_cookie_name("sid").build().unwrap();
    // Same keys as `builder`, plus the old key, for the config's Debug.
    let config_with_old = SessionConfig::builder(ring)
        .with_clock(c.clone())
        .build()
        .unwrap();

    let mut session = config.new_session::<Data>();
    session.insert(Data::user(SECRET_USER));
    session.set_flash(SECRET_FLASH).unwrap();
    let response = session.finish().unwrap();
    let header = only(&response).to_owned();
    let value = pair(&header).1.to_owned();

    let mut secrets = vec![SECRET_USER.to_owned(), SECRET_FLASH.to_owned()];
    secrets.extend(key_forms(&key_bytes(1)));
    secrets.extend(key_forms(&key_bytes(2)));

    let loaded = config.load::<Data, _>(Some(format!("sid={value}")));
    assert_eq!(
        loaded.get().and_then(|d| d.user.as_deref()),
        Some(SECRET_USER)
    );
    let meta = loaded.meta().unwrap().clone();

    let texts = [
        ("ResponseCookies", format!("{response:?}")),
        ("ResponseCookies alternate", format!("{response:#?}")),
        ("Session", format!("{loaded:?}")),
        ("Session alternate", format!("{loaded:#?}")),
        ("SessionConfig", format!("{config:?}")),
        ("SessionConfig with old key", format!("{config_with_old:?}")),
        ("Sealer", format!("{:?}", config.sealer())),
        ("SessionMeta", format!("{meta:?}")),
        ("SessionId", format!("{:?}", meta.session_id())),
    ];
    for (what, text) in &texts {
        assert_clean(what, text, &value, &secrets);
    }
    // They still say something useful.
    assert!(texts[0].1.contains("sid"), "{}", texts[0].1);
    assert!(texts[2].1.contains("has_data: true"), "{}", texts[2].1);
    assert!(texts[4].1.contains("SameSite") || texts[4].1.contains("same_site"));
    assert_eq!(texts[8].1, "SessionId(..)");
}

#[test]
fn errors_never_echo_the_cookie() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    for value in [
        "AAAAsecret-looking-cookie-text",
        "garbage-cookie-value-1234",
    ] {
        let session = config.load::<Data, _>(Some(format!("__Host-session={value}")));
        let err: &OpenError = session.load_error().unwrap();
        assert_clean("OpenError Display", &err.to_string(), value, &[]);
        assert_clean("OpenError Debug", &format!("{err:?}"), value, &[]);
        assert_clean("Session Debug", &format!("{session:?}"), value, &[]);
    }
}
