//! XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) in place, with a fast
//! path for the short messages that sessions are.
//!
//! The output is exactly that of `chacha20poly1305::XChaCha20Poly1305`
//! (checked against it and against the published vectors in the tests
//! below). Bodies of up to [`SHORT_BODY_MAX`] bytes take the short path:
//!
//! - the ChaCha20 keystream for the Poly1305 key block and the body is
//!   generated in one call (four or eight blocks, one pass of the
//!   `chacha20` crate's parallel backend instead of one pass per block);
//! - the tag is computed by [`Poly1305`] below, the portable 32-bit
//!   implementation of the `poly1305` crate (its `soft` backend).
//!
//! Why not the `poly1305` crate itself: on x86-64 it picks its AVX2 backend at
//! run time, and on a build without `-C target-feature=+avx2` parts of that
//! backend (trait methods that cannot carry `#[target_feature]`, and the key
//! set-up) are compiled without AVX2, so each AVX2 intrinsic in them becomes
//! an out-of-line call that passes 256-bit vectors through memory. That fixed
//! cost, paid for every message, makes a ~150-byte message cost about three
//! times what the portable code costs; PERFORMANCE.md has the measurements.
//! Longer bodies go to `chacha20poly1305` unchanged: from about 1 KiB on,
//! that backend's per-byte speed outweighs its fixed cost.

use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20::XChaCha20;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::format::{NONCE_LEN, TAG_LEN};
use crate::key::KEY_LEN;

/// The longest body sealed or opened on the short path: with the Poly1305
/// key block, eight ChaCha20 blocks.
pub(crate) const SHORT_BODY_MAX: usize = 7 * BLOCK_LEN;

const BLOCK_LEN: usize = 64;
const KEYSTREAM_MAX: usize = BLOCK_LEN + SHORT_BODY_MAX;

/// Encrypts `body` in place and returns the tag.
///
/// # Errors
///
/// Only for a body over 256 GiB, which no caller can pass.
pub(crate) fn seal(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    body: &mut [u8],
) -> Result<[u8; TAG_LEN], ()> {
    if body.len() > SHORT_BODY_MAX {
        return XChaCha20Poly1305::new(key.into())
            .encrypt_inout_detached(nonce.into(), aad, body.into())
            .map(Into::into)
            .map_err(|_| ());
    }
    let keystream = Keystream::new(key, nonce, body.len());
    xor(body, keystream.body());
    Ok(tag(keystream.mac_key(), aad, body))
}

/// Verifies `tag` over `aad` and the ciphertext `body`, then decrypts `body`
/// in place. On failure `body` is left as it was.
///
/// # Errors
///
/// If the tag does not verify.
pub(crate) fn open(
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    body: &mut [u8],
    tag_in: &[u8; TAG_LEN],
) -> Result<(), ()> {
    if body.len() > SHORT_BODY_MAX {
        return XChaCha20Poly1305::new(key.into())
            .decrypt_inout_detached(nonce.into(), aad, body.into(), tag_in.into())
            .map_err(|_| ());
    }
    let keystream = Keystream::new(key, nonce, body.len());
    let expected = tag(keystream.mac_key(), aad, body);
    if !bool::from(expected.ct_eq(tag_in)) {
        return Err(());
    }
    xor(body, keystream.body());
    Ok(())
}

/// The Poly1305 tag of the AEAD construction (RFC 8439 section 2.8):
/// `aad`, zero padding, ciphertext, zero padding, both lengths.
fn tag(mac_key: &[u8; 32], aad: &[u8], ciphertext: &[u8]) -> [u8; TAG_LEN] {
    let mut mac = Poly1305::new(mac_key);
    mac.update_padded(aad);
    mac.update_padded(ciphertext);
    let mut lengths = [0u8; 16];
    let (aad_len, ct_len) = lengths.split_at_mut(8);
    aad_len.copy_from_slice(&(aad.len() as u64).to_le_bytes());
    ct_len.copy_from_slice(&(ciphertext.len() as u64).to_le_bytes());
    mac.block(&lengths);
    mac.finalize()
}

fn xor(body: &mut [u8], keystream: &[u8]) {
    for (b, k) in body.iter_mut().zip(keystream) {
        *b ^= k;
    }
}

/// The keystream of one short message: block 0 (the Poly1305 key) and the
/// blocks that cover the body, zeroized on drop.
struct Keystream {
    bytes: [u8; KEYSTREAM_MAX],
    body_len: usize,
}

impl Keystream {
    fn new(key: &[u8; KEY_LEN], nonce: &[u8; NONCE_LEN], body_len: usize) -> Self {
        let mut keystream = Self {
            bytes: [0; KEYSTREAM_MAX],
            body_len,
        };
        // Four or eight whole blocks: one call to the parallel backend.
        let blocks = if BLOCK_LEN + body_len <= 4 * BLOCK_LEN {
            4 * BLOCK_LEN
        } else {
            KEYSTREAM_MAX
        };
        let mut cipher = XChaCha20::new(key.into(), nonce.into());
        if let Some(out) = keystream.bytes.get_mut(..blocks) {
            cipher.write_keystream(out);
        }
        keystream
    }

    fn mac_key(&self) -> &[u8; 32] {
        let (key, _) = self
            .bytes
            .split_first_chunk::<32>()
            .unwrap_or((&[0; 32], &[]));
        key
    }

    fn body(&self) -> &[u8] {
        self.bytes
            .get(BLOCK_LEN..BLOCK_LEN + self.body_len)
            .unwrap_or(&[])
    }
}

impl Drop for Keystream {
    fn drop(&mut self) {
        self.bytes.as_mut_slice().zeroize();
    }
}

/// Poly1305 over whole 16-byte blocks (all the AEAD construction needs).
///
/// The arithmetic is the `poly1305` crate's portable backend
/// (`src/backend/soft.rs` of poly1305 0.9.1, a port of Andrew Moon's
/// poly1305-donna, MIT OR Apache-2.0), unchanged but for reading the key and
/// each block as one little-endian `u128` instead of five overlapping `u32`
/// windows. It is constant-time: no branch and no index depends on secrets.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Poly1305 {
    r: [u32; 5],
    h: [u32; 5],
    pad: [u32; 4],
}

// The limb arithmetic truncates on purpose.
#[allow(clippy::cast_possible_truncation)]
impl Poly1305 {
    fn new(key: &[u8; 32]) -> Self {
        let (r_bytes, s_bytes) = key.split_at(16);
        let mut r_le = [0u8; 16];
        r_le.copy_from_slice(r_bytes);
        let r = u128::from_le_bytes(r_le);
        r_le.zeroize();
        let mut pad = [0u32; 4];
        for (p, chunk) in pad.iter_mut().zip(s_bytes.chunks_exact(4)) {
            let mut word = [0u8; 4];
            word.copy_from_slice(chunk);
            *p = u32::from_le_bytes(word);
        }
        Self {
            // r &= 0x0ffffffc_0ffffffc_0ffffffc_0fffffff, in 26-bit limbs.
            r: [
                r as u32 & 0x3ff_ffff,
                (r >> 26) as u32 & 0x3ff_ff03,
                (r >> 52) as u32 & 0x3ff_c0ff,
                (r >> 78) as u32 & 0x3f0_3fff,
                (r >> 104) as u32 & 0x00f_ffff,
            ],
            h: [0; 5],
            pad,
        }
    }

    /// Absorbs `data`, its last partial block padded with zeros to a whole
    /// block (RFC 8439's `pad16`).
    fn update_padded(&mut self, data: &[u8]) {
        let mut blocks = data.chunks_exact(16);
        for chunk in &mut blocks {
            let mut block = [0u8; 16];
            block.copy_from_slice(chunk);
            self.block(&block);
        }
        let rest = blocks.remainder();
        if !rest.is_empty() {
            let mut block = [0u8; 16];
            if let Some(head) = block.get_mut(..rest.len()) {
                head.copy_from_slice(rest);
            }
            self.block(&block);
        }
    }

    /// Absorbs one whole 16-byte block.
    fn block(&mut self, block: &[u8; 16]) {
        let hibit = 1 << 24;
        let m = u128::from_le_bytes(*block);

        let [r0, r1, r2, r3, r4] = self.r;

        let s1 = r1 * 5;
        let s2 = r2 * 5;
        let s3 = r3 * 5;
        let s4 = r4 * 5;

        let [mut h0, mut h1, mut h2, mut h3, mut h4] = self.h;

        // h += m
        h0 += m as u32 & 0x3ff_ffff;
        h1 += (m >> 26) as u32 & 0x3ff_ffff;
        h2 += (m >> 52) as u32 & 0x3ff_ffff;
        h3 += (m >> 78) as u32 & 0x3ff_ffff;
        h4 += (m >> 104) as u32 | hibit;

        // h *= r
        let d0 = (u64::from(h0) * u64::from(r0))
            + (u64::from(h1) * u64::from(s4))
            + (u64::from(h2) * u64::from(s3))
            + (u64::from(h3) * u64::from(s2))
            + (u64::from(h4) * u64::from(s1));

        let mut d1 = (u64::from(h0) * u64::from(r1))
            + (u64::from(h1) * u64::from(r0))
            + (u64::from(h2) * u64::from(s4))
            + (u64::from(h3) * u64::from(s3))
            + (u64::from(h4) * u64::from(s2));

        let mut d2 = (u64::from(h0) * u64::from(r2))
            + (u64::from(h1) * u64::from(r1))
            + (u64::from(h2) * u64::from(r0))
            + (u64::from(h3) * u64::from(s4))
            + (u64::from(h4) * u64::from(s3));

        let mut d3 = (u64::from(h0) * u64::from(r3))
            + (u64::from(h1) * u64::from(r2))
            + (u64::from(h2) * u64::from(r1))
            + (u64::from(h3) * u64::from(r0))
            + (u64::from(h4) * u64::from(s4));

        let mut d4 = (u64::from(h0) * u64::from(r4))
            + (u64::from(h1) * u64::from(r3))
            + (u64::from(h2) * u64::from(r2))
            + (u64::from(h3) * u64::from(r1))
            + (u64::from(h4) * u64::from(r0));

        // (partial) h %= p
        let mut c: u32;
        c = (d0 >> 26) as u32;
        h0 = d0 as u32 & 0x3ff_ffff;
        d1 += u64::from(c);

        c = (d1 >> 26) as u32;
        h1 = d1 as u32 & 0x3ff_ffff;
        d2 += u64::from(c);

        c = (d2 >> 26) as u32;
        h2 = d2 as u32 & 0x3ff_ffff;
        d3 += u64::from(c);

        c = (d3 >> 26) as u32;
        h3 = d3 as u32 & 0x3ff_ffff;
        d4 += u64::from(c);

        c = (d4 >> 26) as u32;
        h4 = d4 as u32 & 0x3ff_ffff;
        h0 += c * 5;

        c = h0 >> 26;
        h0 &= 0x3ff_ffff;
        h1 += c;

        self.h = [h0, h1, h2, h3, h4];
    }

    /// The tag.
    fn finalize(self) -> [u8; TAG_LEN] {
        // fully carry h
        let [mut h0, mut h1, mut h2, mut h3, mut h4] = self.h;

        let mut c: u32;
        c = h1 >> 26;
        h1 &= 0x3ff_ffff;
        h2 += c;

        c = h2 >> 26;
        h2 &= 0x3ff_ffff;
        h3 += c;

        c = h3 >> 26;
        h3 &= 0x3ff_ffff;
        h4 += c;

        c = h4 >> 26;
        h4 &= 0x3ff_ffff;
        h0 += c * 5;

        c = h0 >> 26;
        h0 &= 0x3ff_ffff;
        h1 += c;

        // compute h + -p
        let mut g0 = h0.wrapping_add(5);
        c = g0 >> 26;
        g0 &= 0x3ff_ffff;

        let mut g1 = h1.wrapping_add(c);
        c = g1 >> 26;
        g1 &= 0x3ff_ffff;

        let mut g2 = h2.wrapping_add(c);
        c = g2 >> 26;
        g2 &= 0x3ff_ffff;

        let mut g3 = h3.wrapping_add(c);
        c = g3 >> 26;
        g3 &= 0x3ff_ffff;

        let mut g4 = h4.wrapping_add(c).wrapping_sub(1 << 26);

        // select h if h < p, or h + -p if h >= p
        let mut mask = (g4 >> (32 - 1)).wrapping_sub(1);
        g0 &= mask;
        g1 &= mask;
        g2 &= mask;
        g3 &= mask;
        g4 &= mask;
        mask = !mask;
        h0 = (h0 & mask) | g0;
        h1 = (h1 & mask) | g1;
        h2 = (h2 & mask) | g2;
        h3 = (h3 & mask) | g3;
        h4 = (h4 & mask) | g4;

        // h = h % (2^128)
        h0 |= h1 << 26;
        h1 = (h1 >> 6) | (h2 << 20);
        h2 = (h2 >> 12) | (h3 << 14);
        h3 = (h3 >> 18) | (h4 << 8);

        // h = mac = (h + pad) % (2^128)
        let mut f: u64;
        f = u64::from(h0) + u64::from(self.pad[0]);
        h0 = f as u32;

        f = u64::from(h1) + u64::from(self.pad[1]) + (f >> 32);
        h1 = f as u32;

        f = u64::from(h2) + u64::from(self.pad[2]) + (f >> 32);
        h2 = f as u32;

        f = u64::from(h3) + u64::from(self.pad[3]) + (f >> 32);
        h3 = f as u32;

        let mut tag = [0u8; TAG_LEN];
        for (out, word) in tag.chunks_exact_mut(4).zip([h0, h1, h2, h3]) {
            out.copy_from_slice(&word.to_le_bytes());
        }
        tag
    }
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
    use poly1305::universal_hash::UniversalHash as _;
    use proptest::prelude::*;

    fn unhex(s: &str) -> Vec<u8> {
        let s: String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn reference_tag(key: &[u8; 32], data: &[u8]) -> [u8; 16] {
        let mut mac = poly1305::Poly1305::new(key.into());
        mac.update_padded(data);
        mac.finalize().into()
    }

    fn our_tag(key: &[u8; 32], data: &[u8]) -> [u8; 16] {
        let mut mac = Poly1305::new(key);
        mac.update_padded(data);
        mac.finalize()
    }

    fn reference_seal(key: &[u8; 32], nonce: &[u8; 24], aad: &[u8], body: &mut [u8]) -> [u8; 16] {
        XChaCha20Poly1305::new(key.into())
            .encrypt_inout_detached(nonce.into(), aad, body.into())
            .unwrap()
            .into()
    }

    #[test]
    fn rfc8439_poly1305_edge_vectors() {
        // RFC 8439 appendix A.3, test vectors 5 to 11: whole-block inputs
        // built to hit the carries and the final reduction.
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
            let data = unhex(data);
            assert_eq!(
                our_tag(&key, &data).to_vec(),
                unhex(expected),
                "vector {}",
                n + 5
            );
            assert_eq!(reference_tag(&key, &data).to_vec(), unhex(expected));
        }
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
    fn poly1305_extreme_inputs() {
        // Limb values at their maxima exercise every carry and the final
        // conditional subtraction of p.
        for key_fill in [0x00u8, 0x01, 0x7f, 0xfe, 0xff] {
            for data_fill in [0x00u8, 0x01, 0xfa, 0xfb, 0xfe, 0xff] {
                for len in [0usize, 1, 15, 16, 17, 31, 32, 33, 64, 160, 1000] {
                    let mut key = [key_fill; 32];
                    key[16..].fill(0xff);
                    let data = vec![data_fill; len];
                    assert_eq!(our_tag(&key, &data), reference_tag(&key, &data));
                    key[16..].fill(0);
                    assert_eq!(our_tag(&key, &data), reference_tag(&key, &data));
                }
            }
        }
    }

    #[test]
    fn boundaries_between_paths() {
        let key = [0x42u8; 32];
        let nonce = [0x24u8; 24];
        for len in (0..=SHORT_BODY_MAX + 80).chain([1000, 3100]) {
            for aad_len in [0usize, 1, 16, 36, 300] {
                let aad = vec![0x33u8; aad_len];
                let plain: Vec<u8> = (0..len).map(|i| i as u8).collect();
                let mut ours = plain.clone();
                let mut theirs = plain.clone();
                let tag = seal(&key, &nonce, &aad, &mut ours).unwrap();
                assert_eq!(tag, reference_seal(&key, &nonce, &aad, &mut theirs));
                assert_eq!(ours, theirs, "len {len}");
                let mut bad = tag;
                bad[len % 16] ^= 1;
                let mut copy = ours.clone();
                assert!(open(&key, &nonce, &aad, &mut copy, &bad).is_err());
                assert_eq!(copy, ours, "refused value left unchanged");
                open(&key, &nonce, &aad, &mut ours, &tag).unwrap();
                assert_eq!(ours, plain);
            }
        }
    }

    fn byte_pattern() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..600),
            (
                0usize..600,
                prop_oneof![Just(0u8), Just(0xffu8), Just(0xfbu8)]
            )
                .prop_map(|(n, b)| vec![b; n]),
        ]
    }

    proptest! {
        #[test]
        fn poly1305_matches_reference(
            key in proptest::array::uniform32(any::<u8>()),
            data in byte_pattern(),
        ) {
            prop_assert_eq!(our_tag(&key, &data), reference_tag(&key, &data));
        }

        #[test]
        fn aead_matches_reference(
            key in proptest::array::uniform32(any::<u8>()),
            nonce in proptest::array::uniform24(any::<u8>()),
            aad in proptest::collection::vec(any::<u8>(), 0..80),
            plain in byte_pattern(),
        ) {
            let mut ours = plain.clone();
            let mut theirs = plain.clone();
            let tag = seal(&key, &nonce, &aad, &mut ours).unwrap();
            prop_assert_eq!(tag, reference_seal(&key, &nonce, &aad, &mut theirs));
            prop_assert_eq!(&ours, &theirs);
            open(&key, &nonce, &aad, &mut ours, &tag).unwrap();
            prop_assert_eq!(ours, plain);
        }
    }
}
