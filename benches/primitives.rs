//! The parts a seal is made of, measured alone: the `poly1305` and
//! `chacha20poly1305` crates on the message sizes sessions have, and the
//! candidate nonce sources. Run it in each build to see what a build setting
//! changes (PERFORMANCE.md):
//!
//! ```text
//! cargo bench -p sealed-session-benches --bench primitives
//! RUSTFLAGS='--cfg poly1305_backend="soft"' cargo bench -p sealed-session-benches --bench primitives
//! RUSTFLAGS='-C target-cpu=native' cargo bench -p sealed-session-benches --bench primitives
//! ```
#![allow(
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::missing_panics_doc
)]

use std::hint::black_box;
use std::time::Duration;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::XChaCha20Poly1305;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use poly1305::universal_hash::UniversalHash as _;
use rand_core::{Rng as _, SeedableRng as _, TryRng as _};

/// Associated data as sealed-session builds it for the default cookie name.
const AAD_LEN: usize = 36;
/// Plaintext lengths: the typical session (75-byte payload plus 31 bytes of
/// timestamps and id), then 1000- and 3000-byte payloads.
const BODY_LENS: [usize; 3] = [106, 1031, 3031];

fn cipher(c: &mut Criterion) {
    let key = [0x42u8; 32];
    let aead = XChaCha20Poly1305::new(&key.into());
    let aad = [0x17u8; AAD_LEN];
    let mut g = c.benchmark_group("xchacha20poly1305_crate");
    for len in BODY_LENS {
        let mut body = vec![0x5au8; len];
        g.throughput(Throughput::Bytes(len as u64));
        g.bench_function(BenchmarkId::from_parameter(len), |b| {
            b.iter(|| {
                aead.encrypt_inout_detached(
                    &[0x24; 24].into(),
                    black_box(&aad),
                    (&mut body[..]).into(),
                )
                .unwrap()
            })
        });
    }
    g.finish();

    // What the AEAD feeds Poly1305: padded aad, padded body, lengths.
    let mut g = c.benchmark_group("poly1305_crate");
    for len in BODY_LENS {
        let input = vec![0xa5u8; 48 + len.div_ceil(16) * 16 + 16];
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.bench_function(BenchmarkId::from_parameter(input.len()), |b| {
            b.iter(|| {
                let mut mac = poly1305::Poly1305::new(&[0x42; 32].into());
                mac.update_padded(black_box(&input));
                mac.finalize()
            })
        });
    }
    g.finish();
}

fn nonce_sources(c: &mut Criterion) {
    let mut g = c.benchmark_group("random");
    g.bench_function("getrandom_24", |b| {
        b.iter(|| {
            let mut out = [0u8; 24];
            getrandom::fill(&mut out).unwrap();
            out
        })
    });
    g.bench_function("getrandom_40", |b| {
        b.iter(|| {
            let mut out = [0u8; 40];
            getrandom::fill(&mut out).unwrap();
            out
        })
    });
    g.bench_function("getpid", |b| b.iter(std::process::id));
    // A per-thread ChaCha20 generator that checks the process id on every
    // draw to notice a fork: the getpid system call stays on the path.
    let mut rng = chacha20::ChaCha20Rng::from_seed([7; 32]);
    let pid = std::process::id();
    g.bench_function("chacha20rng_40_pid_check", |b| {
        b.iter(|| {
            assert_eq!(std::process::id(), pid);
            let mut out = [0u8; 40];
            rng.fill_bytes(&mut out);
            out
        })
    });
    let mut sys = getrandom::SysRng;
    g.bench_function("sysrng_40", |b| {
        b.iter(|| {
            let mut out = [0u8; 40];
            sys.try_fill_bytes(&mut out).unwrap();
            out
        })
    });
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = cipher, nonce_sources
}
criterion_main!(benches);
