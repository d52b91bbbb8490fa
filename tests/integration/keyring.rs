//! Keys and keyring lines: round trips, syntax, every refusal, and error
//! messages that never repeat key text.

use sealed_session::{Key, KeyError, KeyErrorReason, KeyId, KeyLineHint, Keyring, Sealer};

use crate::common::{b64std, b64url, key, key_bytes, sealer, windows, T0};

fn id(n: u32) -> KeyId {
    KeyId::new(n)
}

/// The base64url text of `key(seed)`.
fn text(seed: u8) -> String {
    key(seed).to_base64().to_string()
}

/// Parses `line` expecting an error, and checks its messages do not contain
/// any 8-character window of `secret`.
fn parse_err(line: &str, secret: &str) -> KeyError {
    let err = Keyring::parse(line)
        .err()
        .unwrap_or_else(|| panic!("{line:?} parsed"));
    assert_no_key_text(&err, secret);
    err
}

fn assert_no_key_text(err: &KeyError, secret: &str) {
    let shown = format!("{err} {err:?} {err:#?}");
    if secret.is_empty() {
        return;
    }
    for w in windows(secret, 8) {
        assert!(!shown.contains(&w), "{shown:?} shows key text {w:?}");
    }
}

fn invalid_key(entry: usize, reason: KeyErrorReason) -> KeyError {
    KeyError::InvalidKey { entry, reason }
}

/// Whether two keyrings hold the same keys under the same ids, checked by
/// sealing with each key of `a` and opening with `b`.
fn same_keys(a: &Keyring, b: &Keyring) -> bool {
    let opener = sealer(b.clone());
    a.ids().all(|k| {
        let by_k = sealer(a.clone().with_primary(k).unwrap());
        let value = by_k.seal_at(&k.get(), T0).unwrap();
        opener.open_at::<u32>(&value, T0).map(|o| o.payload) == Ok(k.get())
    })
}

#[test]
fn key_text_round_trips() {
    let k = Key::generate();
    let text = k.to_base64();
    assert_eq!(text.len(), 43);
    assert!(text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert!(Key::from_base64(&text).unwrap().ct_eq(&k));
    assert_eq!(key(3).to_base64().as_str(), b64url(&key_bytes(3)));
}

#[test]
fn generated_keys_differ() {
    let a = Key::generate();
    let b = Key::try_generate().unwrap();
    assert!(!a.ct_eq(&b));
    assert!(a.ct_eq(&a));
}

#[test]
fn keys_with_all_bytes_equal_are_weak() {
    for b in [0x00, 0x01, 0x5a, 0xff] {
        assert_eq!(Key::from_bytes([b; 32]).err(), Some(KeyError::WeakKey));
        assert_eq!(
            Key::from_base64(&b64url(&[b; 32])).err(),
            Some(KeyError::WeakKey)
        );
    }
    let mut almost = [0u8; 32];
    almost[17] = 1;
    assert!(Key::from_bytes(almost).is_ok());
}

#[test]
fn key_text_refusals() {
    let good = text(1);
    assert_eq!(
        Key::from_base64(&format!("{good}=")).err(),
        Some(KeyError::InvalidEncoding)
    );
    let std_text = b64std(
        &[0xfb; 31]
            .iter()
            .chain(&[0xff])
            .copied()
            .collect::<Vec<_>>(),
        false,
    );
    assert!(std_text.contains(['+', '/']));
    assert_eq!(
        Key::from_base64(&std_text).err(),
        Some(KeyError::InvalidEncoding)
    );
    assert_eq!(
        Key::from_base64(&b64url(&key_bytes(1)[..31])).err(),
        Some(KeyError::InvalidLength { actual: 31 })
    );
    let mut long = key_bytes(1).to_vec();
    long.push(9);
    assert_eq!(
        Key::from_base64(&b64url(&long)).err(),
        Some(KeyError::InvalidLength { actual: 33 })
    );
    assert_eq!(
        Key::from_base64("").err(),
        Some(KeyError::InvalidLength { actual: 0 })
    );
    assert!(matches!(
        Key::from_base64(&"Q".repeat(10_000)).err(),
        Some(KeyError::InvalidLength { .. })
    ));
    // Non-canonical trailing bits: the last of 43 characters carries 2
    // unused bits, which must be zero.
    let mut bits = good.clone();
    let last = bits.pop().unwrap();
    let idx = crate::common::url_alphabet()
        .position(|c| c == last)
        .unwrap();
    let twisted = crate::common::url_alphabet().nth(idx ^ 1).unwrap();
    bits.push(twisted);
    assert_eq!(
        Key::from_base64(&bits).err(),
        Some(KeyError::InvalidEncoding)
    );
    assert_eq!(
        Key::from_base64(&format!(" {good}")).err(),
        Some(KeyError::InvalidEncoding)
    );
}

#[test]
fn key_ids_parse_from_canonical_decimal_only() {
    assert_eq!("0".parse::<KeyId>().unwrap(), id(0));
    assert_eq!("7".parse::<KeyId>().unwrap(), id(7));
    assert_eq!("4294967295".parse::<KeyId>().unwrap(), id(u32::MAX));
    assert_eq!(id(20_261_129).to_string(), "20261129");
    assert_eq!(id(5).get(), 5);
    for bad in [
        "",
        "00",
        "01",
        "+1",
        "-1",
        " 1",
        "1 ",
        "4294967296",
        "99999999999",
        "1a",
        "0x1",
        "١",
        "1_000",
    ] {
        assert!(bad.parse::<KeyId>().is_err(), "{bad:?}");
    }
}

#[test]
fn to_line_and_parse_round_trip() {
    let ring = Keyring::new(id(20_261_201), key(1))
        .with_old_key(id(0), key(2))
        .unwrap()
        .with_old_key(id(u32::MAX), key(3))
        .unwrap();
    let line = ring.to_line();
    assert_eq!(
        line.as_str(),
        format!("20261201:{},0:{},4294967295:{}", text(1), text(2), text(3))
    );
    let parsed = Keyring::parse(&line).unwrap();
    assert_eq!(parsed.to_line().as_str(), line.as_str());
    assert_eq!(parsed.primary_id(), id(20_261_201));
    assert_eq!(
        parsed.ids().collect::<Vec<_>>(),
        ring.ids().collect::<Vec<_>>()
    );
    assert!(same_keys(&ring, &parsed));
    assert!(same_keys(&parsed, &ring));
}

#[test]
fn same_keys_detects_a_different_key() {
    // Control for the round trip above.
    let a = Keyring::new(id(1), key(1));
    let b = Keyring::new(id(1), key(2));
    assert!(!same_keys(&a, &b));
}

#[test]
fn white_space_around_entries_is_ignored() {
    let line = format!(" \t\n2:{} ,\r\n 1:{}\n\n\t ", text(2), text(1));
    let ring = Keyring::parse(&line).unwrap();
    assert_eq!(ring.ids().collect::<Vec<_>>(), [id(2), id(1)]);
    assert_eq!(ring.primary_id(), id(2));
    assert!(same_keys(
        &ring,
        &Keyring::new(id(2), key(2))
            .with_old_key(id(1), key(1))
            .unwrap()
    ));
}

#[test]
fn white_space_inside_an_entry_is_refused() {
    let k = text(1);
    assert_eq!(
        parse_err(&format!("1 :{k}"), &k),
        KeyError::InvalidKeyId { entry: 1 }
    );
    assert_eq!(
        parse_err(&format!("1: {k}"), &k),
        invalid_key(1, KeyErrorReason::InvalidEncoding)
    );
}

#[test]
fn empty_lines_are_refused() {
    for line in ["", " ", "\n", " \t\r\n "] {
        assert_eq!(parse_err(line, ""), KeyError::EmptyKeyring, "{line:?}");
    }
}

#[test]
fn entries_without_a_colon_are_refused() {
    let k = text(1);
    assert_eq!(parse_err("7", ""), KeyError::InvalidSyntax { entry: 1 });
    assert_eq!(parse_err(&k, &k), KeyError::InvalidSyntax { entry: 1 });
    assert_eq!(
        parse_err(&format!("1:{k},2"), &k),
        KeyError::InvalidSyntax { entry: 2 }
    );
    assert_eq!(
        parse_err(&format!("1={k}"), &k),
        KeyError::InvalidSyntax { entry: 1 }
    );
}

#[test]
fn empty_entries_and_trailing_commas_are_refused() {
    let k = text(1);
    assert_eq!(
        parse_err(&format!("1:{k},"), &k),
        KeyError::InvalidSyntax { entry: 2 }
    );
    assert_eq!(
        parse_err(&format!("1:{k}, "), &k),
        KeyError::InvalidSyntax { entry: 2 }
    );
    assert_eq!(
        parse_err(&format!(",1:{k}"), &k),
        KeyError::InvalidSyntax { entry: 1 }
    );
    assert_eq!(
        parse_err(&format!("1:{k},,2:{}", text(2)), &k),
        KeyError::InvalidSyntax { entry: 2 }
    );
}

#[test]
fn bad_key_ids_are_refused_with_their_entry() {
    let k = text(1);
    let k2 = text(2);
    for bad in [
        "",
        "01",
        "00",
        "+1",
        "-1",
        "4294967296",
        "18446744073709551616",
        "1a",
        "x",
        "١",
        "1.0",
    ] {
        assert_eq!(
            parse_err(&format!("{bad}:{k}"), &k),
            KeyError::InvalidKeyId { entry: 1 },
            "{bad:?}"
        );
        assert_eq!(
            parse_err(&format!("1:{k},{bad}:{k2}"), &k2),
            KeyError::InvalidKeyId { entry: 2 },
            "{bad:?}"
        );
    }
}

#[test]
fn bad_keys_are_refused_with_their_entry_and_reason() {
    let k = text(1);
    let short = b64url(&key_bytes(2)[..31]);
    let long = b64url(&[&key_bytes(2)[..], &[1]].concat());
    let weak = b64url(&[0u8; 32]);
    let std_alphabet = b64std(
        &[0xfb; 31]
            .iter()
            .chain(&[0xff])
            .copied()
            .collect::<Vec<_>>(),
        false,
    );
    let cases = [
        (format!("{}=", text(2)), KeyErrorReason::InvalidEncoding),
        (std_alphabet, KeyErrorReason::InvalidEncoding),
        ("not a key".to_owned(), KeyErrorReason::InvalidEncoding),
        (short, KeyErrorReason::InvalidLength),
        (long, KeyErrorReason::InvalidLength),
        (String::new(), KeyErrorReason::InvalidLength),
        ("A".repeat(100), KeyErrorReason::InvalidLength),
        (weak, KeyErrorReason::WeakKey),
        (b64url(&[0xff; 32]), KeyErrorReason::WeakKey),
        (b64url(&[0x5a; 32]), KeyErrorReason::WeakKey),
    ];
    for (bad, reason) in cases {
        assert_eq!(
            parse_err(&format!("3:{bad}"), &bad),
            invalid_key(1, reason),
            "{bad:?}"
        );
        assert_eq!(
            parse_err(&format!("1:{k},3:{bad}"), &bad),
            invalid_key(2, reason),
            "{bad:?}"
        );
    }
}

#[test]
fn duplicate_ids_are_refused() {
    let line = format!("1:{},2:{},1:{}", text(1), text(2), text(3));
    assert_eq!(
        parse_err(&line, &text(3)),
        KeyError::DuplicateId { id: id(1) }
    );
    assert_eq!(
        Keyring::new(id(1), key(1))
            .with_old_key(id(1), key(2))
            .err(),
        Some(KeyError::DuplicateId { id: id(1) })
    );
}

#[test]
fn duplicate_key_bytes_are_refused() {
    let line = format!("1:{},2:{},3:{}", text(1), text(2), text(1));
    assert_eq!(
        parse_err(&line, &text(1)),
        KeyError::DuplicateKey { id: id(3) }
    );
    assert_eq!(
        Keyring::new(id(1), key(1))
            .with_old_key(id(2), key(1))
            .err(),
        Some(KeyError::DuplicateKey { id: id(2) })
    );
}

#[test]
fn keyring_accessors() {
    let ring = Keyring::new(id(5), key(5))
        .with_old_key(id(6), key(6))
        .unwrap();
    assert_eq!(ring.len(), 2);
    assert!(!ring.is_empty());
    assert!(ring.contains(id(5)) && ring.contains(id(6)));
    assert!(!ring.contains(id(7)));
    assert_eq!(ring.primary_id(), id(5));
    assert_eq!(ring.ids().len(), 2);
    let s = Sealer::builder(ring).build().unwrap();
    assert_eq!(s.keyring().primary_id(), id(5));
}

#[test]
fn from_env_reads_a_keyring_line() {
    let var = "SEALED_SESSION_INTEGRATION_TEST_KEYS_PRESENT";
    std::env::set_var(var, format!("4:{}, 3:{}", text(4), text(3)));
    let ring = Keyring::from_env(var).unwrap();
    assert_eq!(ring.ids().collect::<Vec<_>>(), [id(4), id(3)]);
    let bad = "SEALED_SESSION_INTEGRATION_TEST_KEYS_BAD";
    std::env::set_var(bad, "4");
    assert_eq!(
        Keyring::from_env(bad).err(),
        Some(KeyError::Variable {
            name: bad.to_owned(),
            error: Box::new(KeyError::InvalidSyntax { entry: 1 }),
            hint: None,
        })
    );
}

/// Sets `var` to `value`, reads it with `from_env`, and returns the error
/// after checking that it names the variable, in Display and Debug, and
/// shows no key text.
fn env_err(var: &str, value: &str, secret: &str) -> KeyError {
    std::env::set_var(var, value);
    let err = Keyring::from_env(var)
        .err()
        .unwrap_or_else(|| panic!("{value:?} parsed"));
    assert_no_key_text(&err, secret);
    assert!(err.to_string().contains(var), "{err}");
    assert!(format!("{err:?}").contains(var), "{err:?}");
    err
}

fn hint_of(err: &KeyError) -> Option<KeyLineHint> {
    match err {
        KeyError::Variable { hint, .. } => *hint,
        other => panic!("expected KeyError::Variable, got {other:?}"),
    }
}

#[test]
fn from_env_hints_at_common_mistakes() {
    let k = text(21);
    let standard = (0..=255u8)
        .map(|seed| b64std(&key_bytes(seed), false))
        .find(|t| t.contains(['+', '/']))
        .unwrap();
    let cases = [
        // A docker env file keeps the quotes of SESSION_KEYS="1:…".
        ("QUOTED", format!("\"1:{k}\""), KeyLineHint::Quoted),
        ("SINGLE_QUOTED", format!("'1:{k}'"), KeyLineHint::Quoted),
        ("SPACE", format!("1: {k}"), KeyLineHint::SpaceAfterColon),
        (
            "SPACE_LATER",
            format!("1:{k}, 2:\t{}", text(22)),
            KeyLineHint::SpaceAfterColon,
        ),
        (
            "ASSIGNMENT",
            format!("SESSION_KEYS=1:{k}"),
            KeyLineHint::Assignment,
        ),
        (
            "STANDARD",
            format!("1:{standard}"),
            KeyLineHint::StandardBase64,
        ),
        ("PADDED", format!("1:{k}="), KeyLineHint::Padding),
    ];
    for (suffix, value, hint) in cases {
        let var = format!("SEALED_SESSION_INTEGRATION_TEST_HINT_{suffix}");
        // The secret part: what follows the first ':'.
        let secret = value
            .split_once(':')
            .map(|(_, k)| k.trim())
            .unwrap_or_default();
        let err = env_err(&var, &value, secret);
        assert_eq!(hint_of(&err), Some(hint), "{value:?}");
        assert!(err.to_string().contains(&hint.to_string()), "{err}");
    }
    // A quoted line is reported as such, not only as an invalid key id.
    let var = "SEALED_SESSION_INTEGRATION_TEST_HINT_QUOTED_TEXT";
    let err = env_err(var, &format!("\"1:{k}\""), &k);
    assert_eq!(
        err.to_string(),
        format!(
            "environment variable {var}: keyring entry 1 has an invalid key id, expected a decimal \
             number up to 4294967295 (hint: the value is in quotes; remove the quotes (docker env \
             files keep them as part of the value))"
        )
    );
    // No hint where nothing typical is wrong.
    let var = "SEALED_SESSION_INTEGRATION_TEST_HINT_NONE";
    assert_eq!(hint_of(&env_err(var, "1:short", "")), None);
    // An empty variable is an empty keyring, named as such.
    let var = "SEALED_SESSION_INTEGRATION_TEST_HINT_EMPTY";
    let err = env_err(var, "", "");
    assert_eq!(
        err.to_string(),
        format!("environment variable {var}: keyring holds no key")
    );
}

#[test]
fn startup_errors_read_as_sentences_in_main() {
    // `main() -> Result<(), Box<dyn Error>>` prints "Error: {err:?}".
    fn shown_by_main(err: impl std::error::Error + 'static) -> String {
        let boxed: Box<dyn std::error::Error> = Box::new(err);
        format!("Error: {boxed:?}")
    }
    let var = "SEALED_SESSION_INTEGRATION_TEST_MAIN_MISSING";
    let missing = Keyring::from_env(var).unwrap_err();
    assert_eq!(
        shown_by_main(missing),
        format!(
            "Error: environment variable {var} is not set; it should hold a keyring line such as \
             1:<43 base64url characters> (KeyError::MissingVariable)"
        )
    );
    let var = "SEALED_SESSION_INTEGRATION_TEST_MAIN_BAD_ID";
    let k = text(24);
    let err = env_err(var, &format!("x1:{k}"), &k);
    assert_eq!(
        shown_by_main(err),
        format!(
            "Error: environment variable {var}: keyring entry 1 has an invalid key id, expected a \
             decimal number up to 4294967295 (KeyError::Variable, KeyError::InvalidKeyId)"
        )
    );
    let config = Sealer::builder(Keyring::new(id(1), key(1)))
        .with_cookie_name("a b")
        .build()
        .unwrap_err();
    let shown = shown_by_main(config);
    assert!(shown.starts_with("Error: cookie name must be"), "{shown}");
    assert!(
        shown.ends_with("(ConfigError::InvalidCookieName)"),
        "{shown}"
    );
    // Display stays the bare sentence.
    assert_eq!(
        KeyError::WeakKey.to_string(),
        "key bytes are all equal; generate a random key"
    );
    assert_eq!(
        format!("{:?}", KeyError::WeakKey),
        "key bytes are all equal; generate a random key (KeyError::WeakKey)"
    );
}

/// The documented way to make a key without Rust (README, "Keys"):
/// `head -c32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'` turns 32
/// random bytes into standard base64 with padding, then into base64url
/// without it. Here the same transformation runs on many keys, so every
/// base64 character (including `+` and `/`) is met.
#[test]
fn keys_made_by_the_shell_one_liner_are_accepted() {
    for seed in 0..=255u8 {
        let bytes = key_bytes(seed);
        let standard = b64std(&bytes, true);
        let text: String = standard
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                other => other,
            })
            .filter(|&c| c != '=' && c != '\n')
            .collect();
        assert_eq!(text.len(), 43);
        assert_eq!(text, b64url(&bytes));
        let ring = Keyring::parse(&format!("1:{text}")).unwrap();
        assert!(same_keys(&ring, &Keyring::new(id(1), key(seed))));
    }
}

/// The one-liner itself, as README.md shows it, run by `sh`.
#[cfg(unix)]
#[test]
fn the_readme_one_liner_makes_a_key_the_crate_accepts() {
    let readme = include_str!("../../README.md");
    let line = readme
        .lines()
        .find(|l| l.contains("/dev/urandom"))
        .expect("README.md shows the one-liner");
    let command = line.trim().trim_start_matches("$ ");
    let out = std::process::Command::new("sh")
        .args(["-c", command])
        .env_remove("SESSION_KEYS")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let value = printed.trim_end_matches('\n');
    let (name, entry) = value.split_once('=').unwrap();
    assert_eq!(name, "SESSION_KEYS");
    let (id_text, key_text) = entry.split_once(':').unwrap();
    assert_eq!(key_text.len(), 43);
    assert!(key_text
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    let ring = Keyring::parse(entry).unwrap();
    assert_eq!(ring.primary_id().to_string(), id_text);
}

#[test]
fn next_id_is_one_more_than_the_largest() {
    let ring = Keyring::new(id(20261203), key(1))
        .with_old_key(id(5), key(2))
        .unwrap();
    assert_eq!(ring.next_id(), Some(id(20261204)));
    let top = ring.with_old_key(id(u32::MAX), key(3)).unwrap();
    assert_eq!(top.next_id(), None);
}

#[cfg(unix)]
#[test]
fn from_env_with_a_non_unicode_variable_is_refused() {
    use std::os::unix::ffi::OsStrExt as _;
    let var = "SEALED_SESSION_INTEGRATION_TEST_KEYS_NOT_UNICODE";
    std::env::set_var(var, std::ffi::OsStr::from_bytes(b"1:\xff"));
    assert_eq!(
        Keyring::from_env(var).err(),
        Some(KeyError::NotUnicodeVariable {
            name: var.to_owned()
        })
    );
}

#[test]
fn long_text_that_is_not_base64_is_an_encoding_error() {
    let text = "!".repeat(65);
    assert_eq!(
        Key::from_base64(&text).err(),
        Some(KeyError::InvalidEncoding)
    );
}

#[test]
fn from_env_with_a_missing_variable_is_refused() {
    let var = "SEALED_SESSION_INTEGRATION_TEST_KEYS_NEVER_SET";
    assert_eq!(
        Keyring::from_env(var).err(),
        Some(KeyError::MissingVariable {
            name: var.to_owned()
        })
    );
}
