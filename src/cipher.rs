//! XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) in place, with a detached
//! tag: a thin layer over `chacha20poly1305::XChaCha20Poly1305`, the crate's
//! one AEAD for every message size.
//!
//! Nothing here computes a keystream or a MAC: both functions hand the
//! buffer to the `chacha20poly1305` crate's in-place detached API
//! (`AeadInOut::encrypt_inout_detached` / `decrypt_inout_detached`) and
//! report its refusal as an error. The key and nonce are fixed-size arrays,
//! so a wrong size cannot reach the cipher. PERFORMANCE.md says what the
//! `poly1305` crate costs on each build and how an application gets its
//! fast build.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;

use crate::format::{NONCE_LEN, TAG_LEN};
use crate::key::KEY_LEN;

/// Encrypts `body` in place and returns the tag over `aad` and the
/// ciphertext.
///
/// # Errors
///
/// If the cipher refuses the message: only a body over 256 GiB, which no
/// caller can pass (the cookie size limit comes first). The refusal is
/// reported, never ignored.
pub(crate) fn seal(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    body: &mut [u8],
) -> Result<[u8; TAG_LEN], ()> {
    XChaCha20Poly1305::new(key.into())
        .encrypt_inout_detached(nonce.into(), aad, body.into())
        .map(Into::into)
        .map_err(|_| ())
}

/// Verifies `tag` over `aad` and the ciphertext `body`, then decrypts `body`
/// in place. Nothing is decrypted unless the tag verifies: on failure `body`
/// is left as it was.
///
/// # Errors
///
/// If the tag does not verify (or the body is over 256 GiB).
pub(crate) fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    body: &mut [u8],
    tag: &[u8; TAG_LEN],
) -> Result<(), ()> {
    XChaCha20Poly1305::new(key.into())
        .decrypt_inout_detached(nonce.into(), aad, body.into(), tag.into())
        .map_err(|_| ())
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        assert!(s.len() % 2 == 0, "odd hex length");
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn xchacha_draft_vector() {
        // draft-irtf-cfrg-xchacha-03, appendix A.3.1.
        let key: [u8; 32] =
            unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
                .try_into()
                .unwrap();
        let nonce: [u8; 24] = unhex("404142434445464748494a4b4c4d4e4f5051525354555657")
            .try_into()
            .unwrap();
        let aad = unhex("50515253c0c1c2c3c4c5c6c7");
        let plaintext = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
        let ciphertext = unhex(
            "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
             731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
             2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
             21f9664c97637da9768812f615c68b13b52e",
        );
        let expected_tag = unhex("c0875924c1c7987947deafd8780acf49");
        let mut body = plaintext.to_vec();
        let tag = seal(&key, &nonce, &aad, &mut body).unwrap();
        assert_eq!(body, ciphertext);
        assert_eq!(tag.to_vec(), expected_tag);
        open(&key, &nonce, &aad, &mut body, &tag).unwrap();
        assert_eq!(body, plaintext);
    }

    #[test]
    fn rfc8439_poly1305_edge_vectors() {
        // RFC 8439 appendix A.3, test vectors 5 to 11: whole-block inputs
        // built to hit the carries and the final reduction, run through the
        // `poly1305` crate that the AEAD above uses, with the backend this
        // build selects (AVX2 or portable).
        use poly1305::universal_hash::{KeyInit as _, UniversalHash as _};
        let r2 = "02000000000000000000000000000000";
        let r1 = "01000000000000000000000000000000";
        let r10 = "01000000000000000400000000000000";
        let zero = "00000000000000000000000000000000";
        let ones = "ffffffffffffffffffffffffffffffff";
        let cases = [
            (r2, zero, ones.to_owned(), "03000000000000000000000000000000"),
            (r2, ones, "02000000000000000000000000000000".to_owned(), "03000000000000000000000000000000"),
            (r1, zero, format!("{ones}f0ffffffffffffffffffffffffffffff11000000000000000000000000000000"), "05000000000000000000000000000000"),
            (r1, zero, format!("{ones}fbfefefefefefefefefefefefefefefe01010101010101010101010101010101"), zero),
            (r2, zero, "fdffffffffffffffffffffffffffffff".to_owned(), "faffffffffffffffffffffffffffffff"),
            (r10, zero, format!("e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000{zero}01000000000000000000000000000000"), "14000000000000005500000000000000"),
            (r10, zero, format!("e33594d7505e43b900000000000000003394d7505e4379cd0100000000000000{zero}"), "13000000000000000000000000000000"),
        ];
        for (n, (r, s, data, expected)) in cases.iter().enumerate() {
            let key: [u8; 32] = unhex(&format!("{r}{s}")).try_into().unwrap();
            let mut mac = poly1305::Poly1305::new(&key.into());
            mac.update_padded(&unhex(data));
            let tag: [u8; 16] = mac.finalize().into();
            assert_eq!(tag.to_vec(), unhex(expected), "vector {}", n + 5);
        }
    }

    /// One Wycheproof test case, as the JSON file spells it.
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WycheproofCase {
        tc_id: u32,
        key: String,
        iv: String,
        aad: String,
        msg: String,
        ct: String,
        tag: String,
        result: String,
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WycheproofGroup {
        tests: Vec<WycheproofCase>,
    }

    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WycheproofFile {
        algorithm: String,
        number_of_tests: usize,
        test_groups: Vec<WycheproofGroup>,
    }

    /// What one Wycheproof case did to `seal` and `open`.
    #[derive(Debug, PartialEq, Eq)]
    enum Outcome {
        /// Sealed to the expected ciphertext and tag, and opened again.
        Accepted,
        /// `open` refused the ciphertext and tag, leaving them as they were.
        Refused,
        /// The key or nonce has a size that `seal` and `open` cannot take.
        SizeRefused,
    }

    fn run_case(case: &WycheproofCase) -> Outcome {
        let (key, iv, aad, msg, ct, tag) = (
            unhex(&case.key),
            unhex(&case.iv),
            unhex(&case.aad),
            unhex(&case.msg),
            unhex(&case.ct),
            unhex(&case.tag),
        );
        let (Ok(key), Ok(nonce), Ok(tag)) = (
            <[u8; KEY_LEN]>::try_from(key),
            <[u8; NONCE_LEN]>::try_from(iv),
            <[u8; TAG_LEN]>::try_from(tag),
        ) else {
            return Outcome::SizeRefused;
        };
        let mut body = ct.clone();
        if open(&key, &nonce, &aad, &mut body, &tag).is_err() {
            assert_eq!(body, ct, "tcId {}: refused body left unchanged", case.tc_id);
            return Outcome::Refused;
        }
        assert_eq!(body, msg, "tcId {}: opened to the message", case.tc_id);
        let mut sealed = msg.clone();
        let sealed_tag = seal(&key, &nonce, &aad, &mut sealed).unwrap();
        assert_eq!(sealed, ct, "tcId {}: ciphertext", case.tc_id);
        assert_eq!(sealed_tag, tag, "tcId {}: tag", case.tc_id);
        Outcome::Accepted
    }

    #[test]
    fn wycheproof_xchacha20_poly1305() {
        // Project Wycheproof's XChaCha20-Poly1305 vectors (Apache-2.0; see
        // tests/vectors/wycheproof/README.md for the source and licence).
        let file: WycheproofFile = serde_json::from_str(include_str!(
            "../tests/vectors/wycheproof/xchacha20_poly1305_test.json"
        ))
        .unwrap();
        assert_eq!(file.algorithm, "XCHACHA20-POLY1305");
        let (mut valid, mut refused, mut size_refused, mut total) = (0, 0, 0, 0);
        for case in file.test_groups.iter().flat_map(|g| &g.tests) {
            total += 1;
            let outcome = run_case(case);
            match case.result.as_str() {
                "valid" => {
                    assert_eq!(outcome, Outcome::Accepted, "tcId {}", case.tc_id);
                    valid += 1;
                }
                "invalid" => match outcome {
                    Outcome::Refused => refused += 1,
                    Outcome::SizeRefused => size_refused += 1,
                    Outcome::Accepted => panic!("tcId {}: invalid case accepted", case.tc_id),
                },
                other => panic!("tcId {}: unexpected result {other:?}", case.tc_id),
            }
        }
        assert_eq!(total, file.number_of_tests);
        assert_eq!(valid, 246, "valid cases sealed and opened");
        // 60 modified tags refused by `open`; 9 nonces of a size other than
        // 24 bytes, which `seal` and `open` cannot be given at all.
        assert_eq!(refused, 60, "invalid cases refused by open");
        assert_eq!(size_refused, 9, "invalid cases refused by size");
    }

    #[test]
    fn every_length_round_trips_and_refuses_tampering() {
        let key = [0x42u8; 32];
        let nonce = [0x24u8; 24];
        for len in (0..=600).chain([1000, 1031, 3031]) {
            for aad_len in [0usize, 1, 16, 36, 300] {
                let aad = vec![0x33u8; aad_len];
                let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let mut body = plain.clone();
                let tag = seal(&key, &nonce, &aad, &mut body).unwrap();
                if len > 0 {
                    assert_ne!(body, plain, "len {len}: encrypted");
                }
                let sealed = body.clone();
                let mut bad = tag;
                bad[len % 16] ^= 1;
                assert!(open(&key, &nonce, &aad, &mut body, &bad).is_err());
                assert_eq!(body, sealed, "len {len}: refused value left unchanged");
                open(&key, &nonce, &aad, &mut body, &tag).unwrap();
                assert_eq!(body, plain, "len {len}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_change_is_refused(
            key in proptest::array::uniform32(any::<u8>()),
            nonce in proptest::array::uniform24(any::<u8>()),
            aad in proptest::collection::vec(any::<u8>(), 0..80),
            plain in proptest::collection::vec(any::<u8>(), 0..600),
            flip in any::<usize>(),
        ) {
            let mut body = plain.clone();
            let tag = seal(&key, &nonce, &aad, &mut body).unwrap();
            // Flip one bit of the associated data, ciphertext or tag.
            let bits = 8 * (aad.len() + body.len() + TAG_LEN);
            let bit = flip % bits;
            let (mut aad2, mut body2, mut tag2) = (aad.clone(), body.clone(), tag);
            let byte = bit / 8;
            if byte < aad.len() {
                aad2[byte] ^= 1 << (bit % 8);
            } else if byte < aad.len() + body.len() {
                body2[byte - aad.len()] ^= 1 << (bit % 8);
            } else {
                tag2[byte - aad.len() - body.len()] ^= 1 << (bit % 8);
            }
            prop_assert!(open(&key, &nonce, &aad2, &mut body2, &tag2).is_err());
            open(&key, &nonce, &aad, &mut body, &tag).unwrap();
            prop_assert_eq!(body, plain);
        }
    }
}
