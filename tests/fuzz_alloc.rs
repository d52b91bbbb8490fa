//! The allocation bound of decoding authenticated garbage: a payload that
//! claims a huge length never makes the decoder reserve the claimed size.
//! Sequences reserve at most one element per byte left (postcard gives no
//! size hint beyond that) and at most 1 MiB (serde's `size_hint::cautious`);
//! maps reserve at most serde's 1 MiB cap, which a `HashMap` rounds up to a
//! table of about 2.1 MiB.
//!
//! One test in this binary, so no other thread allocates while it measures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};

use serde::de::DeserializeOwned;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;

use sealed_session::fuzzing::{self, plaintext_header, seal_plaintext, NOW, VALID_TIMES};
use sealed_session::{Fingerprint, OpenError, Sealer};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

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
    let region = Region::new(GLOBAL);
    let result = sealer.open_at::<T>(&value, NOW);
    let allocated = region.change().bytes_allocated;
    assert!(
        matches!(result, Err(OpenError::PayloadMismatch)),
        "{name}: a claimed length of 2^60 was not refused"
    );
    // A hash map's table adds control bytes to the 1 MiB cap and rounds up
    // to a power of two; everything else reserves far less.
    assert!(
        allocated <= 3 * MIB,
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
    let region = Region::new(GLOBAL);
    let big = vec![1u8; MIB];
    assert!(region.change().bytes_allocated >= MIB);
    drop(big);
}
