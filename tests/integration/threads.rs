//! One `Sealer` shared between threads.

use std::collections::HashSet;
use std::sync::Arc;
use std::thread;

use sealed_session::Sealer;

use crate::common::{ring, sealer, T0};

const PER_THREAD: u32 = 500;

fn assert_send_sync<T: Send + Sync>() {}

#[test]
fn sealer_is_send_and_sync() {
    assert_send_sync::<Sealer>();
    assert_send_sync::<sealed_session::Keyring>();
    assert_send_sync::<sealed_session::SessionMeta>();
}

/// Seals `PER_THREAD` values tagged with `thread`, opening each at once.
fn work(s: &Sealer, thread: u32) -> Vec<String> {
    (0..PER_THREAD)
        .map(|i| {
            let payload = (thread, i);
            let value = s.seal_at(&payload, T0).unwrap();
            assert_eq!(
                s.open_at::<(u32, u32)>(&value, T0).unwrap().payload,
                payload
            );
            value
        })
        .collect()
}

#[test]
fn one_sealer_shared_by_arc_seals_and_opens_on_two_threads() {
    let shared = Arc::new(sealer(ring(1, 1)));
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let s = Arc::clone(&shared);
            thread::spawn(move || work(&s, t))
        })
        .collect();
    let results: Vec<Vec<String>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    check_all(&shared, &results);
}

#[test]
fn clones_of_one_sealer_seal_and_open_on_two_threads() {
    let s = sealer(ring(1, 1));
    let results: Vec<Vec<String>> = thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|t| {
                let mine = s.clone();
                scope.spawn(move || work(&mine, t))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    check_all(&s, &results);
}

/// Every value is unique, opens on this thread with its own payload, and
/// every session id is unique.
fn check_all(s: &Sealer, results: &[Vec<String>]) {
    let all: Vec<&String> = results.iter().flatten().collect();
    assert_eq!(all.len(), 2 * PER_THREAD as usize);
    let unique: HashSet<&String> = all.iter().copied().collect();
    assert_eq!(unique.len(), all.len(), "every value is unique");
    let mut metas = Vec::new();
    for (thread, values) in (0u32..).zip(results) {
        for (i, value) in (0u32..).zip(values) {
            let opened = s.open_at::<(u32, u32)>(value, T0).unwrap();
            assert_eq!(opened.payload, (thread, i));
            metas.push(opened.meta);
        }
    }
    for (n, a) in metas.iter().enumerate() {
        for b in &metas[n + 1..] {
            assert!(!a.session_id().ct_eq(b.session_id()), "session ids repeat");
        }
    }
}
