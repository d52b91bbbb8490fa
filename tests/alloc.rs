//! Heap allocations per `seal` and per `open` of the typical session, counted
//! by a counting global allocator: counts are deterministic where timings are
//! not. The allocator (`allocation-counter`) counts per thread, so neither the
//! test harness's own thread nor another test is ever counted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    missing_docs
)]

#[path = "../benches/common/mod.rs"]
mod common;

use common::{typical, TypicalSession};
use sealed_session::{Key, KeyId, Keyring, Sealer, UnixSeconds};

/// Allocations made by `f` on this thread (a reallocation counts as one).
fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let mut out = None;
    let counted = allocation_counter::measure(|| out = Some(f()));
    (out.expect("measure runs its closure"), counted.count_total)
}

#[test]
fn seal_and_open_allocate_at_most_twice() {
    let ring = Keyring::new(
        KeyId::new(1),
        Key::from_bytes(core::array::from_fn(|i| i as u8)).unwrap(),
    );
    let sealer = Sealer::builder(ring).build().unwrap();
    let session = typical();
    // Warm up anything the first call sets up lazily (the clock, the OS
    // random number generator, thread-locals).
    let value = sealer.seal(&session).unwrap();
    assert_eq!(
        sealer.open::<TypicalSession>(&value).unwrap().payload,
        session
    );

    for _ in 0..3 {
        // seal: the returned cookie value (a String) and nothing else; the
        // envelope is built in a stack buffer.
        let (value, sealed) = allocations(|| sealer.seal(&session).unwrap());
        assert_eq!(sealed, 1, "seal allocates only the returned String");

        // open: the payload's own two Strings (username, role) and nothing
        // else; the value is decoded into a stack buffer.
        let (opened, opened_allocs) =
            allocations(|| sealer.open::<TypicalSession>(&value).unwrap());
        assert_eq!(opened.payload, session);
        assert_eq!(
            opened_allocs, 2,
            "open allocates only the payload's Strings"
        );

        // re-sealing the same session: again only the returned String.
        let now = sealer.now();
        let (_, resealed) = allocations(|| sealer.reseal_at(&session, &opened.meta, now).unwrap());
        assert_eq!(resealed, 1);

        // A payload that allocates nothing opens without any allocation.
        let number = sealer
            .seal_at(&42u64, UnixSeconds::new(1_800_000_000))
            .unwrap();
        let (n, number_allocs) = allocations(|| {
            sealer
                .open_at::<u64>(&number, UnixSeconds::new(1_800_000_001))
                .unwrap()
                .payload
        });
        assert_eq!(n, 42);
        assert_eq!(
            number_allocs, 0,
            "the library itself allocates nothing on open"
        );

        assert!(
            sealed <= 2 && opened_allocs <= 2,
            "target: at most 2 per operation"
        );
    }

    // Sessions too large for the stack buffer take one more allocation each.
    // (The first use of a type traces its fingerprint, once: done here.)
    let big = "x".repeat(1000);
    sealer.seal(&big).unwrap();
    let (value, sealed) = allocations(|| sealer.seal(&big).unwrap());
    assert_eq!(sealed, 2, "heap envelope and the returned String");
    let (_, opened_allocs) = allocations(|| sealer.open::<String>(&value).unwrap());
    assert_eq!(opened_allocs, 2, "heap envelope and the payload String");
}
