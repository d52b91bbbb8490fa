//! The allocation bound of decoding authenticated garbage: a payload that
//! claims a huge length never makes the decoder reserve the claimed size.
//! Sequences reserve at most one element per byte left (postcard gives no
//! size hint beyond that) and at most 1 MiB (serde's `size_hint::cautious`);
//! maps reserve at most serde's 1 MiB cap, which a `HashMap` rounds up to a
//! table of about 2.1 MiB.
//!
//! The unit tests' global allocator (`allocation-counter`) counts per
//! thread, so what other tests allocate meanwhile is never counted.

use std::collections::{BTreeMap, HashMap};

use allocation_counter::measure;
use serde::de::DeserializeOwned;

use crate::error::OpenError;
use crate::fuzzing::{self, plaintext_header, seal_plaintext, NOW, VALID_TIMES};
use crate::schema::Fingerprint;
use crate::seal::Sealer;

const MIB: usize = 1024 * 1024;

/// A postcard varint.
fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (n & 0x7F) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Opens a sealed plaintext (valid header, then `payload`) as `T`, checks it
/// is refused, and checks the bytes allocated meanwhile against the bound.
fn check<T: DeserializeOwned + 'static>(name: &str, sealer: &Sealer, payload: &[u8]) {
    let schema = Fingerprint::of::<T>().unwrap();
    let mut plain = plaintext_header(VALID_TIMES, [7; 16], schema);
    plain.extend_from_slice(payload);
    let value = seal_plaintext(&plain);
    let mut result = None;
    let allocated = measure(|| result = Some(sealer.open_at::<T>(&value, NOW))).bytes_total;
    assert!(
        matches!(result, Some(Err(OpenError::PayloadMismatch))),
        "{name}: a claimed length of 2^60 was not refused"
    );
    // A hash map's table adds control bytes to the 1 MiB cap and rounds up
    // to a power of two; everything else reserves far less.
    assert!(
        allocated <= 3 * MIB as u64,
        "{name}: {allocated} bytes allocated for a claimed length of 2^60"
    );
    println!("{name}: {allocated} bytes");
}

#[test]
fn claimed_lengths_of_2_pow_60_allocate_at_most_the_cautious_cap() {
    let sealer = Sealer::builder(fuzzing::test_keyring())
        .with_max_cookie_bytes(16 * 1024)
        .build()
        .unwrap();
    let huge = varint(1 << 60);
    let mut nested = huge.clone();
    nested.extend_from_slice(&huge);
    check::<Vec<u8>>("Vec<u8>", &sealer, &huge);
    check::<Vec<u64>>("Vec<u64>", &sealer, &huge);
    check::<String>("String", &sealer, &huge);
    check::<Vec<String>>("Vec<String>", &sealer, &huge);
    check::<Vec<Vec<u8>>>("Vec<Vec<u8>>, both 2^60", &sealer, &nested);
    check::<HashMap<u64, String>>("HashMap<u64, String>", &sealer, &huge);
    check::<BTreeMap<String, u8>>("BTreeMap<String, u8>", &sealer, &huge);
    // A claimed length the bytes left could hold: reserved, but bounded by
    // the value's size (here 3000 elements of 24 bytes).
    let mut fits = varint(3000);
    fits.extend_from_slice(&[0xFF; 3000]);
    check::<Vec<String>>("Vec<String>, 3000 of 3000 bytes", &sealer, &fits);

    // The counter does count.
    let counted = measure(|| drop(std::hint::black_box(vec![1u8; MIB]))).bytes_total;
    assert!(counted >= MIB as u64, "{counted} bytes counted for 1 MiB");
}
