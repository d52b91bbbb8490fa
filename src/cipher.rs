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
//! - the tag is computed by [`Poly1305`] below, the 64-bit form of
//!   poly1305-donna (the `poly1305` crate's portable backend is its 32-bit
//!   form).
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
/// Andrew Moon's poly1305-donna in its 64-bit form (`poly1305-donna-64.h`,
/// public domain): three limbs of 44, 44 and 42 bits, products in `u128`,
/// which on 64-bit targets takes nine multiplications a block where the
/// `poly1305` crate's portable 32-bit backend takes twenty-five. It is
/// constant-time (no branch and no index depends on secret data) and is
/// checked against the `poly1305` crate below: RFC 8439's edge-case vectors,
/// inputs built to maximise every limb, and random inputs.
#[derive(Zeroize, ZeroizeOnDrop)]
struct Poly1305 {
    r: [u64; 3],
    h: [u64; 3],
    pad: [u64; 2],
}

const MASK44: u64 = 0xfff_ffff_ffff;
const MASK42: u64 = 0x3ff_ffff_ffff;

/// The two little-endian 64-bit halves of 16 bytes.
fn halves(bytes: &[u8; 16]) -> (u64, u64) {
    let (lo, hi) = bytes.split_at(8);
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(lo);
    b.copy_from_slice(hi);
    (u64::from_le_bytes(a), u64::from_le_bytes(b))
}

// The limb arithmetic truncates on purpose.
#[allow(clippy::cast_possible_truncation)]
impl Poly1305 {
    fn new(key: &[u8; 32]) -> Self {
        let (r_bytes, s_bytes) = key.split_at(16);
        let mut r16 = [0u8; 16];
        let mut s16 = [0u8; 16];
        r16.copy_from_slice(r_bytes);
        s16.copy_from_slice(s_bytes);
        let (t0, t1) = halves(&r16);
        let (s0, s1) = halves(&s16);
        r16.zeroize();
        s16.zeroize();
        Self {
            // r &= 0x0ffffffc_0ffffffc_0ffffffc_0fffffff, in 44/44/42-bit limbs.
            r: [
                t0 & 0xffc_0fff_ffff,
                ((t0 >> 44) | (t1 << 20)) & 0xfff_ffc0_ffff,
                (t1 >> 24) & 0x00f_ffff_fc0f,
            ],
            h: [0; 3],
            pad: [s0, s1],
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

    /// Absorbs one whole 16-byte block: h = (h + m + 2^128) * r mod 2^130 - 5,
    /// partially reduced.
    fn block(&mut self, block: &[u8; 16]) {
        const HIBIT: u64 = 1 << 40;
        let [r0, r1, r2] = self.r;
        // 2^132 = 4 * 2^130 = 20 (mod p): products past 2^130 fold back * 20.
        let s1 = r1 * (5 << 2);
        let s2 = r2 * (5 << 2);
        let [mut h0, mut h1, mut h2] = self.h;

        let (t0, t1) = halves(block);
        h0 += t0 & MASK44;
        h1 += ((t0 >> 44) | (t1 << 20)) & MASK44;
        h2 += ((t1 >> 24) & MASK42) | HIBIT;

        let m = |a: u64, b: u64| u128::from(a) * u128::from(b);
        let d0 = m(h0, r0) + m(h1, s2) + m(h2, s1);
        let mut d1 = m(h0, r1) + m(h1, r0) + m(h2, s2);
        let mut d2 = m(h0, r2) + m(h1, r1) + m(h2, r0);

        let mut c = (d0 >> 44) as u64;
        h0 = d0 as u64 & MASK44;
        d1 += u128::from(c);
        c = (d1 >> 44) as u64;
        h1 = d1 as u64 & MASK44;
        d2 += u128::from(c);
        c = (d2 >> 42) as u64;
        h2 = d2 as u64 & MASK42;
        h0 += c * 5;
        c = h0 >> 44;
        h0 &= MASK44;
        h1 += c;

        self.h = [h0, h1, h2];
    }

    /// The tag: h fully reduced mod 2^130 - 5, plus the pad, mod 2^128.
    fn finalize(self) -> [u8; TAG_LEN] {
        let [mut h0, mut h1, mut h2] = self.h;

        // fully carry h
        let mut c = h1 >> 44;
        h1 &= MASK44;
        h2 += c;
        c = h2 >> 42;
        h2 &= MASK42;
        h0 += c * 5;
        c = h0 >> 44;
        h0 &= MASK44;
        h1 += c;
        c = h1 >> 44;
        h1 &= MASK44;
        h2 += c;
        c = h2 >> 42;
        h2 &= MASK42;
        h0 += c * 5;
        c = h0 >> 44;
        h0 &= MASK44;
        h1 += c;

        // compute h + -p
        let mut g0 = h0.wrapping_add(5);
        c = g0 >> 44;
        g0 &= MASK44;
        let mut g1 = h1.wrapping_add(c);
        c = g1 >> 44;
        g1 &= MASK44;
        let mut g2 = h2.wrapping_add(c).wrapping_sub(1 << 42);

        // select h if h < p, or h + -p if h >= p
        c = (g2 >> 63).wrapping_sub(1);
        g0 &= c;
        g1 &= c;
        g2 &= c;
        c = !c;
        h0 = (h0 & c) | g0;
        h1 = (h1 & c) | g1;
        h2 = (h2 & c) | g2;

        // h = (h + pad) mod 2^128
        let [t0, t1] = self.pad;
        h0 += t0 & MASK44;
        c = h0 >> 44;
        h0 &= MASK44;
        h1 += (((t0 >> 44) | (t1 << 20)) & MASK44) + c;
        c = h1 >> 44;
        h1 &= MASK44;
        h2 += ((t1 >> 24) & MASK42) + c;
        h2 &= MASK42;

        let lo = h0 | (h1 << 44);
        let hi = (h1 >> 20) | (h2 << 24);
        let mut tag = [0u8; TAG_LEN];
        let (a, b) = tag.split_at_mut(8);
        a.copy_from_slice(&lo.to_le_bytes());
        b.copy_from_slice(&hi.to_le_bytes());
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

    /// Blocks each all-zero, all-ones, near p, or random: sums that sit on
    /// the limb and modulus boundaries.
    fn edge_blocks() -> impl Strategy<Value = Vec<u8>> {
        let block = prop_oneof![
            Just([0u8; 16]),
            Just([0xffu8; 16]),
            Just({
                let mut b = [0xffu8; 16];
                b[0] = 0xfb;
                b
            }),
            proptest::array::uniform16(any::<u8>()),
        ];
        proptest::collection::vec(block, 0..24)
            .prop_map(|blocks| blocks.into_iter().flatten().collect())
    }

    fn edge_keys() -> impl Strategy<Value = [u8; 32]> {
        prop_oneof![
            Just([0xffu8; 32]),
            Just([0u8; 32]),
            proptest::array::uniform32(any::<u8>()),
        ]
    }

    proptest! {
        #[test]
        fn poly1305_edges_match_reference(key in edge_keys(), data in edge_blocks()) {
            prop_assert_eq!(our_tag(&key, &data), reference_tag(&key, &data));
        }

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
