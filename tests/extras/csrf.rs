//! Session-bound CSRF tokens: masked per render, verified in constant time,
//! invalidated by regenerate and destroy.

use std::collections::HashSet;
use std::time::Duration as StdDuration;

use sealed_session::{CsrfError, SessionConfig, CSRF_TOKEN_LEN};

use crate::support::{config, removed, set_names, Jar, NAME};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Strict base64url (no padding) of 32 bytes: 43 characters.
fn encode(raw: &[u8; 32]) -> String {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = String::new();
    for &byte in raw {
        bits = (bits << 8) | u32::from(byte);
        count += 8;
        while count >= 6 {
            count -= 6;
            out.push(char::from(
                ALPHABET[usize::try_from((bits >> count) & 63).unwrap()],
            ));
        }
    }
    if count > 0 {
        out.push(char::from(
            ALPHABET[usize::try_from((bits << (6 - count)) & 63).unwrap()],
        ));
    }
    out
}

/// The 32 bytes of a 43-character token.
fn decode(token: &str) -> [u8; 32] {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in token.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64url");
        bits = (bits << 6) | u32::try_from(v).unwrap();
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(u8::try_from((bits >> count) & 0xff).unwrap());
        }
    }
    out.try_into().expect("32 bytes")
}

/// `mask XOR masked`: the secret a token is bound to.
fn unmask(token: &str) -> [u8; 16] {
    let raw = decode(token);
    let mut secret = [0u8; 16];
    for i in 0..16 {
        secret[i] = raw[i] ^ raw[16 + i];
    }
    secret
}

/// A jar holding a saved session with data, and a token rendered for it.
fn logged_in(config: &SessionConfig) -> (Jar, String) {
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(config);
    session.insert(1);
    let token = session.csrf_token().unwrap();
    jar.finish(session);
    (jar, token)
}

#[test]
fn every_render_gives_a_new_token_and_all_verify() {
    let (_, config) = config(|b| b);
    let (mut jar, first) = logged_in(&config);
    let mut session = jar.load::<u32>(&config);
    let tokens: Vec<String> = (0..100).map(|_| session.csrf_token().unwrap()).collect();
    let distinct: HashSet<&String> = tokens.iter().chain([&first]).collect();
    assert_eq!(distinct.len(), 101, "a token repeated");
    let masks: HashSet<[u8; 16]> = tokens
        .iter()
        .map(|t| decode(t)[..16].try_into().unwrap())
        .collect();
    assert_eq!(masks.len(), 100, "a mask repeated");
    for token in &tokens {
        assert_eq!(token.len(), CSRF_TOKEN_LEN);
        assert!(token.bytes().all(|b| ALPHABET.contains(&b)), "{token}");
        assert_eq!(encode(&decode(token)), *token, "canonical encoding");
        assert_eq!(unmask(token), unmask(&first), "bound to one secret");
        assert_eq!(session.verify_csrf(token), Ok(()));
    }
    // Rendering tokens is not a change: nothing to send for a loaded session.
    assert!(!session.is_modified());
    assert!(jar.finish(session).is_empty());
    let session = jar.load::<u32>(&config);
    for token in &tokens {
        assert_eq!(session.verify_csrf(token), Ok(()));
    }
}

#[test]
fn a_token_verifies_on_later_requests() {
    let (clock, config) = config(|b| b);
    let (mut jar, token) = logged_in(&config);
    for step in 0..4 {
        // Changes, idle refreshes and plain reads keep the session's id.
        clock.advance(StdDuration::from_secs(600));
        let mut session = jar.load::<u32>(&config);
        assert_eq!(session.load_error(), None, "step {step}");
        assert_eq!(session.verify_csrf(&token), Ok(()), "step {step}");
        if step % 2 == 0 {
            *session.get_mut().unwrap() += 1;
        }
        jar.finish(session);
    }
}

#[test]
fn a_new_session_that_renders_a_token_is_saved() {
    let (_, config) = config(|b| b);
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(&config);
    assert!(session.is_new());
    assert_eq!(session.verify_csrf("x"), Err(CsrfError::NoSession));
    let token = session.csrf_token().unwrap();
    assert_eq!(session.verify_csrf(&token), Ok(()), "in the same request");
    let second = session.csrf_token().unwrap();
    let response = jar.finish(session);
    assert_eq!(set_names(&response), [NAME]);
    let session = jar.load::<u32>(&config);
    assert!(!session.is_new());
    assert!(session.get().is_none());
    assert_eq!(session.verify_csrf(&token), Ok(()));
    assert_eq!(session.verify_csrf(&second), Ok(()));
    // Reading it changes nothing: nothing to send.
    assert!(jar.finish(session).is_empty());
}

#[test]
fn a_token_of_another_session_is_a_mismatch() {
    let (_, config) = config(|b| b);
    let (alice, alice_token) = logged_in(&config);
    let (bob, bob_token) = logged_in(&config);
    let alice_session = alice.load::<u32>(&config);
    let bob_session = bob.load::<u32>(&config);
    assert_eq!(alice_session.verify_csrf(&alice_token), Ok(()));
    assert_eq!(
        alice_session.verify_csrf(&bob_token),
        Err(CsrfError::Mismatch)
    );
    assert_eq!(
        bob_session.verify_csrf(&alice_token),
        Err(CsrfError::Mismatch)
    );
    // Of another configuration, too.
    let (_, other) = crate::support::config(|b| b);
    let (carol, carol_token) = logged_in(&other);
    assert_eq!(
        alice_session.verify_csrf(&carol_token),
        Err(CsrfError::Mismatch)
    );
    assert_eq!(
        carol.load::<u32>(&other).verify_csrf(&alice_token),
        Err(CsrfError::Mismatch)
    );
}

#[test]
fn regenerate_invalidates_old_tokens() {
    let (_, config) = config(|b| b);
    let (mut jar, old) = logged_in(&config);
    let mut session = jar.load::<u32>(&config);
    let old_same_request = session.csrf_token().unwrap();
    assert_eq!(session.verify_csrf(&old), Ok(()));
    session.regenerate();
    assert_eq!(session.verify_csrf(&old), Err(CsrfError::Mismatch));
    assert_eq!(
        session.verify_csrf(&old_same_request),
        Err(CsrfError::Mismatch)
    );
    let new = session.csrf_token().unwrap();
    assert_eq!(session.verify_csrf(&new), Ok(()));
    assert_eq!(session.verify_csrf(&old), Err(CsrfError::Mismatch));
    assert_eq!(
        session.verify_csrf(&old_same_request),
        Err(CsrfError::Mismatch)
    );
    assert_ne!(unmask(&new), unmask(&old));
    jar.finish(session);
    let session = jar.load::<u32>(&config);
    assert_eq!(session.get(), None, "regenerate starts the session empty");
    assert_eq!(session.verify_csrf(&new), Ok(()));
    assert_eq!(
        session.verify_csrf(&old),
        Err(CsrfError::Mismatch),
        "replayed after regenerate"
    );
    assert_eq!(
        session.verify_csrf(&old_same_request),
        Err(CsrfError::Mismatch)
    );
}

#[test]
fn right_after_renew_or_regenerate_a_well_formed_token_is_a_mismatch() {
    let (_, config) = config(|b| b);
    let (jar, old) = logged_in(&config);
    let mut session = jar.load::<u32>(&config);
    let same_request = session.csrf_token().unwrap();
    assert_eq!(session.verify_csrf(&same_request), Ok(()));
    // `renew` changes the CSRF secret as `regenerate` does, keeping the data.
    session.renew();
    // The session exists, so not NoSession: every token the client can
    // hold belongs to the old id.
    assert_eq!(session.verify_csrf(&old), Err(CsrfError::Mismatch));
    assert_eq!(session.verify_csrf(&same_request), Err(CsrfError::Mismatch));
    // A token bound to the all-zero secret is no key either.
    let mut zero_secret = [0x5a; 32];
    zero_secret[7] = 0x11;
    zero_secret[16 + 7] = 0x11;
    let zero_secret = encode(&zero_secret);
    assert_eq!(unmask(&zero_secret), [0; 16]);
    assert_eq!(session.verify_csrf(&zero_secret), Err(CsrfError::Mismatch));
    assert_eq!(
        session.verify_csrf(&encode(&[0; 32])),
        Err(CsrfError::Mismatch)
    );
    // Anything that is not a token is still malformed.
    let extended = format!("{old}A");
    for bad in ["", "x", &old[..CSRF_TOKEN_LEN - 1], extended.as_str()] {
        assert_eq!(
            session.verify_csrf(bad),
            Err(CsrfError::Malformed),
            "{bad:?}"
        );
    }
    // Once a token of the new id is rendered, it verifies and the old ones
    // stay mismatches.
    let new = session.csrf_token().unwrap();
    assert_eq!(session.verify_csrf(&new), Ok(()));
    assert_eq!(session.verify_csrf(&old), Err(CsrfError::Mismatch));
    assert_eq!(session.verify_csrf(&zero_secret), Err(CsrfError::Mismatch));
    // A second renew drops that id too, before it was ever saved.
    session.renew();
    assert_eq!(session.verify_csrf(&new), Err(CsrfError::Mismatch));
    assert_eq!(session.verify_csrf("x"), Err(CsrfError::Malformed));
    let newer = session.csrf_token().unwrap();
    assert_eq!(session.verify_csrf(&newer), Ok(()));
    let mut jar = jar;
    jar.finish(session);
    let session = jar.load::<u32>(&config);
    assert_eq!(session.get(), Some(&1), "data kept");
    assert_eq!(session.verify_csrf(&newer), Ok(()));
    for token in [&old, &same_request, &new] {
        assert_eq!(session.verify_csrf(token), Err(CsrfError::Mismatch));
    }
}

#[test]
fn regenerate_on_a_new_session_before_any_token_is_a_mismatch() {
    let (_, config) = config(|b| b);
    let (_, foreign) = logged_in(&config);
    let mut session = config.new_session::<u32>();
    assert_eq!(session.verify_csrf(&foreign), Err(CsrfError::NoSession));
    session.regenerate();
    assert_eq!(session.verify_csrf(&foreign), Err(CsrfError::Mismatch));
    assert_eq!(session.verify_csrf("x"), Err(CsrfError::Malformed));
    // Nothing stored: the regenerate alone sends nothing.
    assert!(session.finish().unwrap().is_empty());
}

#[test]
fn regenerate_without_rendering_still_invalidates_old_tokens() {
    let (_, config) = config(|b| b);
    let (mut jar, old) = logged_in(&config);
    let mut session = jar.load::<u32>(&config);
    session.regenerate();
    jar.finish(session);
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.verify_csrf(&old), Err(CsrfError::Mismatch));
    let new = session.csrf_token().unwrap();
    assert_eq!(session.verify_csrf(&new), Ok(()));
}

#[test]
fn destroy_invalidates_tokens() {
    let (_, config) = config(|b| b);
    let (mut jar, old) = logged_in(&config);
    let mut session = jar.load::<u32>(&config);
    session.destroy();
    assert_eq!(session.verify_csrf(&old), Err(CsrfError::NoSession));
    let response = jar.finish(session);
    assert_eq!(removed(&response), [NAME]);
    let session = jar.load::<u32>(&config);
    assert_eq!(session.verify_csrf(&old), Err(CsrfError::NoSession));
    // A token rendered after a destroy starts a new session with a new id.
    let (mut jar, old) = logged_in(&config);
    let mut session2 = jar.load::<u32>(&config);
    session2.destroy();
    let fresh = session2.csrf_token().unwrap();
    assert_eq!(session2.verify_csrf(&old), Err(CsrfError::Mismatch));
    let response = jar.finish(session2);
    assert_eq!(set_names(&response), [NAME]);
    let loaded = jar.load::<u32>(&config);
    assert!(loaded.get().is_none(), "the data is gone");
    assert_eq!(loaded.verify_csrf(&fresh), Ok(()));
    assert_eq!(loaded.verify_csrf(&old), Err(CsrfError::Mismatch));
    // Data written after a destroy gets a new id, too.
    let (mut jar, old) = logged_in(&config);
    let mut session3 = jar.load::<u32>(&config);
    session3.destroy();
    session3.insert(2);
    jar.finish(session3);
    assert_eq!(
        jar.load::<u32>(&config).verify_csrf(&old),
        Err(CsrfError::Mismatch)
    );
}

#[test]
fn malformed_tokens_are_refused() {
    let (_, config) = config(|b| b);
    let (jar, token) = logged_in(&config);
    let session = jar.load::<u32>(&config);
    let refused = |candidate: &str, what: &str| {
        let got = session.verify_csrf(candidate);
        assert!(
            matches!(got, Err(CsrfError::Malformed | CsrfError::Mismatch)),
            "{what}: {candidate:?} gave {got:?}"
        );
        got
    };
    for len in 0..CSRF_TOKEN_LEN {
        assert_eq!(refused(&token[..len], "prefix"), Err(CsrfError::Malformed));
        assert_eq!(
            refused(&token[CSRF_TOKEN_LEN - len..], "suffix"),
            Err(CsrfError::Malformed)
        );
    }
    for extra in ["A", "-", "=", "==", " ", "\n", "\0", token.as_str()] {
        assert_eq!(
            refused(&format!("{token}{extra}"), "extended"),
            Err(CsrfError::Malformed)
        );
        assert_eq!(
            refused(&format!("{extra}{token}"), "prefixed"),
            Err(CsrfError::Malformed)
        );
    }
    // Same length but padded, spaced, or in the standard alphabet.
    for (at, c) in [
        (42, b'='),
        (41, b'='),
        (0, b' '),
        (21, b' '),
        (0, b'+'),
        (10, b'/'),
        (42, b'.'),
    ] {
        let mut bytes = token.clone().into_bytes();
        bytes[at] = c;
        let candidate = String::from_utf8(bytes).unwrap();
        assert_eq!(
            refused(&candidate, "substituted"),
            Err(CsrfError::Malformed)
        );
    }
    let standard = token.replace('-', "+").replace('_', "/");
    if standard != token {
        assert_eq!(
            refused(&standard, "standard alphabet"),
            Err(CsrfError::Malformed)
        );
    }
    assert_eq!(refused("", "empty"), Err(CsrfError::Malformed));
    // Non-ASCII, of 43 bytes and of 43 characters.
    let bytes43 = format!("{}A", "é".repeat(21));
    assert_eq!(bytes43.len(), 43);
    assert_eq!(
        refused(&bytes43, "non-ascii bytes"),
        Err(CsrfError::Malformed)
    );
    assert_eq!(
        refused(&"é".repeat(43), "non-ascii chars"),
        Err(CsrfError::Malformed)
    );
    let mut mixed = token[..41].to_owned();
    mixed.push('é');
    assert_eq!(mixed.len(), 43);
    assert_eq!(
        refused(&mixed, "trailing non-ascii"),
        Err(CsrfError::Malformed)
    );
    assert_eq!(session.verify_csrf(&token), Ok(()), "control");
}

#[test]
fn every_changed_character_is_refused() {
    let (_, config) = config(|b| b);
    let (jar, token) = logged_in(&config);
    let session = jar.load::<u32>(&config);
    let mut mismatches = 0;
    for at in 0..CSRF_TOKEN_LEN {
        for &c in ALPHABET {
            if token.as_bytes()[at] == c {
                continue;
            }
            let mut bytes = token.clone().into_bytes();
            bytes[at] = c;
            let candidate = String::from_utf8(bytes).unwrap();
            match session.verify_csrf(&candidate) {
                Err(CsrfError::Mismatch) => mismatches += 1,
                Err(CsrfError::Malformed) => {
                    // Only the last character has bits left over.
                    assert_eq!(at, CSRF_TOKEN_LEN - 1, "{candidate}");
                }
                other => panic!("position {at}, {}: {other:?}", char::from(c)),
            }
        }
    }
    // 42 full positions, and the 15 other last characters whose two
    // left-over bits are zero.
    assert_eq!(mismatches, 42 * 63 + 15);
}

#[test]
fn every_flipped_bit_is_a_mismatch() {
    let (_, config) = config(|b| b);
    let (jar, token) = logged_in(&config);
    let session = jar.load::<u32>(&config);
    let raw = decode(&token);
    for bit in 0..256 {
        let mut flipped = raw;
        flipped[bit / 8] ^= 1 << (bit % 8);
        let candidate = encode(&flipped);
        assert_eq!(
            session.verify_csrf(&candidate),
            Err(CsrfError::Mismatch),
            "bit {bit}"
        );
    }
    // The same bit flipped in both halves cancels out: still this session's
    // secret under another mask, as any fresh render would be (a token
    // holder can always mint more tokens for the same session).
    let mut both = raw;
    both[3] ^= 0x10;
    both[19] ^= 0x10;
    assert_eq!(session.verify_csrf(&encode(&both)), Ok(()));
    // All-zero and all-one tokens.
    assert_eq!(
        session.verify_csrf(&encode(&[0; 32])),
        Err(CsrfError::Mismatch)
    );
    assert_eq!(
        session.verify_csrf(&encode(&[0xff; 32])),
        Err(CsrfError::Mismatch)
    );
}

#[test]
fn a_chunked_session_verifies_its_tokens() {
    let (_, config) = config(|b| b.with_chunking(3));
    let mut jar = Jar::default();
    let mut session = jar.load::<Vec<u8>>(&config);
    session.insert(vec![3; 7000]);
    let token = session.csrf_token().unwrap();
    jar.finish(session);
    assert_eq!(jar.names().len(), 3);
    let session = jar.load::<Vec<u8>>(&config);
    assert_eq!(session.verify_csrf(&token), Ok(()));
    // Missing a chunk: no session, so no token verifies.
    let mut broken = jar.clone();
    broken.set(&format!("{NAME}.2"), "x");
    let session = broken.load::<Vec<u8>>(&config);
    assert_eq!(session.verify_csrf(&token), Err(CsrfError::NoSession));
}
