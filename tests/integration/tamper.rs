//! Any change to a sealed value is refused before authentication succeeds:
//! bit flips, character changes, truncation, extension, re-encoding, moving a
//! value to another cookie, key or key id.

use serde::{Deserialize, Serialize};

use sealed_session::{KeyId, Keyring, OpenError, Sealer};

use crate::common::{b64url, key, ring, sealer, unb64url, url_alphabet, T0};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Login {
    user_id: u64,
    name: String,
    admin: bool,
}

fn login() -> Login {
    Login {
        user_id: 7,
        name: "ada".into(),
        admin: false,
    }
}

/// The sealer of the samples: key 1, default settings.
fn sample_sealer() -> Sealer {
    sealer(ring(1, 1))
}

/// A value sealed by `sample_sealer()` (or any sealer with the same keyring
/// and name) at `T0`.
fn sample(sealer: &Sealer) -> String {
    let value = sealer.seal_at(&login(), T0).unwrap();
    assert_eq!(
        sealer.open_at::<Login>(&value, T0).unwrap().payload,
        login()
    );
    value
}

/// Opens `value` at `T0`, expecting a refusal.
fn refusal(sealer: &Sealer, value: &str) -> OpenError {
    match sealer.open_at::<Login>(value, T0) {
        Ok(opened) => panic!("tampered value {value:?} opened: {:?}", opened.payload),
        Err(err) => err,
    }
}

/// Opens `value`, expecting a refusal before authentication succeeded.
fn forgery_refusal(sealer: &Sealer, value: &str) -> OpenError {
    let err = refusal(sealer, value);
    assert!(!err.is_authenticated(), "{value:?} gave {err:?}");
    err
}

#[test]
fn every_single_bit_flip_of_the_envelope_is_refused() {
    let s = sample_sealer();
    let raw = unb64url(&sample(&s));
    let mut tried = 0;
    for byte in 0..raw.len() {
        for bit in 0..8 {
            let mut bytes = raw.clone();
            bytes[byte] ^= 1 << bit;
            let expected = match byte {
                0 => OpenError::UnsupportedVersion,
                1..=4 => OpenError::UnknownKeyId,
                _ => OpenError::AuthenticationFailed,
            };
            assert_eq!(
                refusal(&s, &b64url(&bytes)),
                expected,
                "byte {byte} bit {bit}"
            );
            tried += 1;
        }
    }
    assert_eq!(tried, raw.len() * 8);
}

#[test]
fn every_single_character_change_of_the_text_is_refused() {
    let s = sample_sealer();
    let value = sample(&s);
    let chars: Vec<char> = value.chars().collect();
    for (i, &original) in chars.iter().enumerate() {
        for replacement in url_alphabet().filter(|&c| c != original) {
            let mut changed = chars.clone();
            changed[i] = replacement;
            let changed: String = changed.into_iter().collect();
            forgery_refusal(&s, &changed);
        }
    }
}

#[test]
fn characters_outside_base64url_anywhere_are_malformed() {
    let s = sample_sealer();
    let value = sample(&s);
    let chars: Vec<char> = value.chars().collect();
    for i in 0..chars.len() {
        for bad in ['+', '/', '=', '.', ' ', '\0', '~', '%', 'é', '\u{ff21}'] {
            let mut changed = chars.clone();
            changed[i] = bad;
            let changed: String = changed.into_iter().collect();
            assert_eq!(refusal(&s, &changed), OpenError::Malformed, "{i} {bad:?}");
        }
    }
}

#[test]
fn every_truncation_of_the_text_is_refused() {
    let s = sample_sealer();
    let value = sample(&s);
    for len in 0..value.len() {
        let err = forgery_refusal(&s, &value[..len]);
        if len < 60 {
            // 60 characters are the 45 bytes of an envelope with no plaintext.
            assert_eq!(err, OpenError::Malformed, "length {len}");
        }
    }
}

#[test]
fn every_truncation_of_the_envelope_bytes_is_refused() {
    let s = sample_sealer();
    let raw = unb64url(&sample(&s));
    for len in 0..raw.len() {
        let expected = if len < 45 {
            OpenError::Malformed
        } else {
            OpenError::AuthenticationFailed
        };
        assert_eq!(refusal(&s, &b64url(&raw[..len])), expected, "length {len}");
    }
}

#[test]
fn characters_appended_to_the_text_are_refused() {
    let s = sample_sealer();
    let value = sample(&s);
    for n in 1..=8 {
        for fill in ['A', 'Q', 'g', 'w', '-', '_', '0'] {
            let extended = format!("{value}{}", fill.to_string().repeat(n));
            forgery_refusal(&s, &extended);
        }
    }
}

#[test]
fn bytes_appended_to_the_envelope_fail_authentication() {
    let s = sample_sealer();
    let raw = unb64url(&sample(&s));
    for n in 1..=32u8 {
        for fill in [0x00, 0xff, n] {
            let mut extended = raw.clone();
            extended.extend(std::iter::repeat_n(fill, usize::from(n)));
            assert_eq!(
                refusal(&s, &b64url(&extended)),
                OpenError::AuthenticationFailed
            );
        }
    }
}

#[test]
fn bytes_prepended_to_the_envelope_are_refused() {
    let s = sample_sealer();
    let raw = unb64url(&sample(&s));
    for prefix in [&[0u8][..], &[1], &[1, 0, 0, 0], &[1, 0, 0, 0, 1]] {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&raw);
        forgery_refusal(&s, &b64url(&bytes));
    }
}

#[test]
fn base64_padding_is_malformed() {
    let s = sample_sealer();
    let value = sample(&s);
    for pad in ["=", "==", "===", "===="] {
        assert_eq!(
            refusal(&s, &format!("{value}{pad}")),
            OpenError::Malformed,
            "{pad}"
        );
    }
}

#[test]
fn standard_base64_alphabet_is_malformed() {
    let s = sample_sealer();
    // Seal until the value holds one of the two url-safe characters (the
    // chance that a value of 100+ random characters has neither is < 2%).
    let value = (0..100)
        .map(|_| sample(&s))
        .find(|v| v.contains(['-', '_']))
        .expect("a value with '-' or '_'");
    let standard = value.replace('-', "+").replace('_', "/");
    assert_eq!(refusal(&s, &standard), OpenError::Malformed);
}

#[test]
fn white_space_anywhere_is_malformed() {
    let s = sample_sealer();
    let value = sample(&s);
    let middle = value.len() / 2;
    let cases = [
        format!(" {value}"),
        format!("{value} "),
        format!("{value}\n"),
        format!("{value}\r\n"),
        format!("\t{value}"),
        format!("{} {}", &value[..middle], &value[middle..]),
        format!("{}\n{}", &value[..middle], &value[middle..]),
        format!("{}    {}", &value[..middle], &value[middle..]),
    ];
    for case in cases {
        assert_eq!(refusal(&s, &case), OpenError::Malformed, "{case:?}");
    }
}

#[test]
fn another_key_with_the_same_id_fails_authentication() {
    let value = sample(&sample_sealer());
    let other = sealer(ring(1, 2));
    assert_eq!(refusal(&other, &value), OpenError::AuthenticationFailed);
}

#[test]
fn a_key_id_not_in_the_keyring_is_unknown() {
    let value = sample(&sample_sealer());
    // The same key bytes under another id: the id alone picks the key.
    let retired = sealer(ring(2, 1));
    assert_eq!(refusal(&retired, &value), OpenError::UnknownKeyId);
    let other = sealer(ring(2, 2).with_old_key(KeyId::new(3), key(3)).unwrap());
    assert_eq!(refusal(&other, &value), OpenError::UnknownKeyId);
}

#[test]
fn rewriting_the_key_id_fails_authentication_even_with_the_right_key() {
    // The key id is part of the associated data: a value sealed by key 1 does
    // not open when relabelled as key 2, even where key 2 has the same bytes.
    let value = sample(&sample_sealer());
    let mut raw = unb64url(&value);
    raw[1..5].copy_from_slice(&2u32.to_be_bytes());
    let relabelled = sealer(ring(2, 1));
    assert_eq!(
        refusal(&relabelled, &b64url(&raw)),
        OpenError::AuthenticationFailed
    );
    // A keyring that knows both ids with different keys refuses it too.
    let both = sealer(ring(1, 1).with_old_key(KeyId::new(2), key(2)).unwrap());
    assert_eq!(
        refusal(&both, &b64url(&raw)),
        OpenError::AuthenticationFailed
    );
}

fn named(name: &str) -> Sealer {
    Sealer::builder(ring(1, 1))
        .with_cookie_name(name)
        .build()
        .unwrap()
}

#[test]
fn a_value_opened_under_another_cookie_name_fails_authentication() {
    let pairs = [
        ("__Host-session", "__Host-other"),
        ("session", "Session"),
        ("sid", "sid2"),
        ("sid2", "sid"),
        ("a", "b"),
        ("__Host-session", "__Secure-session"),
    ];
    for (sealed_for, opened_as) in pairs {
        let value = sample(&named(sealed_for));
        assert_eq!(
            refusal(&named(opened_as), &value),
            OpenError::AuthenticationFailed,
            "{sealed_for} -> {opened_as}"
        );
    }
}

#[test]
fn swapping_values_between_two_cookies_fails_both_ways() {
    let a = named("__Host-cart");
    let b = named("__Host-auth");
    let value_a = sample(&a);
    let value_b = sample(&b);
    assert_eq!(refusal(&a, &value_b), OpenError::AuthenticationFailed);
    assert_eq!(refusal(&b, &value_a), OpenError::AuthenticationFailed);
    assert!(a.open_at::<Login>(&value_a, T0).is_ok());
    assert!(b.open_at::<Login>(&value_b, T0).is_ok());
}

#[test]
fn every_other_version_byte_is_unsupported() {
    let s = sample_sealer();
    let raw = unb64url(&sample(&s));
    for version in (0..=255u8).filter(|&v| v != 1) {
        let mut bytes = raw.clone();
        bytes[0] = version;
        assert_eq!(
            refusal(&s, &b64url(&bytes)),
            OpenError::UnsupportedVersion,
            "version {version}"
        );
    }
}

#[test]
fn short_and_non_base64_garbage_is_malformed() {
    let s = sample_sealer();
    let mut cases: Vec<String> = vec![
        String::new(),
        "=".into(),
        "forged".into(),
        "é".into(),
        "ÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀÀ".into(),
        "\0".repeat(80),
        "!".repeat(100),
        // 59 valid characters: fewer than the 45 bytes of an envelope.
        "A".repeat(59),
        // 61 characters: a length no unpadded base64 text can have.
        "A".repeat(61),
    ];
    cases.extend(url_alphabet().map(String::from));
    for case in cases {
        assert_eq!(refusal(&s, &case), OpenError::Malformed, "{case:?}");
    }
}

#[test]
fn well_formed_garbage_is_refused_by_its_header() {
    let s = sample_sealer();
    // 60 zero characters: 45 zero bytes, version 0.
    assert_eq!(refusal(&s, &"A".repeat(60)), OpenError::UnsupportedVersion);
    // Version 1 and key id 1 with a zero nonce, no plaintext and a zero tag:
    // the smallest envelope fails authentication (FORMAT.md §2).
    let mut smallest = vec![0u8; 45];
    smallest[0] = 1;
    smallest[4] = 1;
    assert_eq!(
        refusal(&s, &b64url(&smallest)),
        OpenError::AuthenticationFailed
    );
    smallest[4] = 9;
    assert_eq!(refusal(&s, &b64url(&smallest)), OpenError::UnknownKeyId);
}

#[test]
fn header_checks_run_in_the_documented_order() {
    // FORMAT.md §5: length, then version, then key id, then the tag.
    let s = sample_sealer();
    let mut short = vec![2u8; 44];
    short[1..5].copy_from_slice(&9u32.to_be_bytes());
    assert_eq!(refusal(&s, &b64url(&short)), OpenError::Malformed);
    let mut raw = unb64url(&sample(&s));
    raw[0] = 2;
    raw[1..5].copy_from_slice(&9u32.to_be_bytes());
    assert_eq!(refusal(&s, &b64url(&raw)), OpenError::UnsupportedVersion);
    raw[0] = 1;
    let last = raw.len() - 1;
    raw[last] ^= 1;
    assert_eq!(refusal(&s, &b64url(&raw)), OpenError::UnknownKeyId);
}

#[test]
fn long_cookie_names_are_bound_to_the_value() {
    // Names longer than a small stack buffer take another path when the
    // associated data is built; they must bind all the same.
    let base = "n".repeat(300);
    let limit = 70_000 + 4096;
    let with_name = |name: &str| {
        Sealer::builder(ring(1, 1))
            .with_cookie_name(name)
            .with_max_cookie_bytes(limit)
            .build()
            .unwrap()
    };
    for name in [base.clone(), "m".repeat(65_535)] {
        let a = with_name(&format!("{}a", &name[1..]));
        let b = with_name(&format!("{}b", &name[1..]));
        let value = sample(&a);
        assert_eq!(refusal(&b, &value), OpenError::AuthenticationFailed);
        let shorter = with_name(&name[1..]);
        assert_eq!(refusal(&shorter, &value), OpenError::AuthenticationFailed);
    }
}

#[test]
fn values_over_the_size_limit_are_too_large_before_decoding() {
    let s = sample_sealer();
    // Not base64 at all, yet refused for its size: nothing was decoded.
    let long = "!".repeat(4096 - 14 + 1);
    assert_eq!(
        refusal(&s, &long),
        OpenError::TooLarge {
            actual: 4097,
            limit: 4096
        }
    );
    let very_long = "é".repeat(100_000);
    assert_eq!(
        refusal(&s, &very_long),
        OpenError::TooLarge {
            actual: 200_014,
            limit: 4096
        }
    );
    // One byte less is within the limit and refused for its content.
    assert_eq!(refusal(&s, &"!".repeat(4082)), OpenError::Malformed);
}

#[test]
fn keyring_order_does_not_change_which_key_opens() {
    // Control: the sample opens under every ring holding key 1 under id 1,
    // whatever the primary; so the refusals above come from the tampering.
    let value = sample(&sample_sealer());
    let ring = Keyring::new(KeyId::new(5), key(5))
        .with_old_key(KeyId::new(1), key(1))
        .unwrap();
    let opened = sealer(ring).open_at::<Login>(&value, T0).unwrap();
    assert_eq!(opened.payload, login());
    assert_eq!(opened.meta.key_id(), KeyId::new(1));
}
