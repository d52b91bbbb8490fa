//! Replacing the keyring of a running `Sealer`: the rotation steps as swaps,
//! the refused swaps, snapshots, and the release of a replaced keyring.

use std::sync::{Arc, Weak};
use std::thread;

use sealed_session::{KeyId, Keyring, KeyringSwapError, OpenError, Sealer, SessionConfig};

use crate::common::{key, ring, sealer, windows, T0};

fn id(n: u32) -> KeyId {
    KeyId::new(n)
}

/// A keyring of `(id, seed)` pairs, the first primary.
fn ring_of(entries: &[(u32, u8)]) -> Keyring {
    let (&(first_id, first_seed), rest) = entries.split_first().unwrap();
    rest.iter()
        .fold(ring(first_id, first_seed), |r, &(i, seed)| {
            r.with_old_key(id(i), key(seed)).unwrap()
        })
}

/// The payload, the key id and `needs_reseal` of `value`, opened at `T0`.
fn open_meta(s: &Sealer, value: &str) -> Result<(u32, KeyId, bool), OpenError> {
    s.open_at::<u32>(value, T0)
        .map(|o| (o.payload, o.meta.key_id(), o.meta.needs_reseal()))
}

#[test]
fn add_promote_drop_as_swaps_keep_every_value_opening_until_the_drop() {
    let s = sealer(ring(1, 1));
    let clone = s.clone();
    let under_1 = s.seal_at(&1u32, T0).unwrap();

    // Add: key 2 opens, key 1 still seals.
    s.replace_keyring(ring_of(&[(1, 1), (2, 2)])).unwrap();
    let after_add = clone.seal_at(&2u32, T0).unwrap();
    assert_eq!(open_meta(&clone, &after_add), Ok((2, id(1), false)));
    assert_eq!(open_meta(&clone, &under_1), Ok((1, id(1), false)));

    // Promote: key 2 seals; values under key 1 open and ask for a re-seal.
    s.replace_keyring(ring_of(&[(2, 2), (1, 1)])).unwrap();
    let under_2 = clone.seal_at(&3u32, T0).unwrap();
    assert_eq!(open_meta(&s, &under_2), Ok((3, id(2), false)));
    assert_eq!(open_meta(&s, &under_1), Ok((1, id(1), true)));
    assert_eq!(open_meta(&s, &after_add), Ok((2, id(1), true)));

    // Drop: values under key 1 are refused before any decryption.
    s.replace_keyring(ring_of(&[(2, 2)])).unwrap();
    assert_eq!(open_meta(&clone, &under_1), Err(OpenError::UnknownKeyId));
    assert_eq!(open_meta(&clone, &under_2), Ok((3, id(2), false)));
    assert_eq!(clone.keyring().ids().collect::<Vec<_>>(), [id(2)]);
}

#[test]
fn a_swap_that_would_strand_the_running_primary_is_refused_and_changes_nothing() {
    let s = sealer(ring_of(&[(1, 1), (2, 2)]));
    let under_1 = s.seal_at(&1u32, T0).unwrap();

    // Promote and drop in one step.
    assert_eq!(
        s.replace_keyring(ring_of(&[(2, 2)])),
        Err(KeyringSwapError::PrimaryMissing { id: id(1) })
    );
    // Other bytes under the running primary's id.
    assert_eq!(
        s.replace_keyring(ring_of(&[(1, 3), (2, 2)])),
        Err(KeyringSwapError::KeyChanged { id: id(1) })
    );
    // Other bytes under an open-only id.
    assert_eq!(
        s.replace_keyring(ring_of(&[(2, 3), (1, 1)])),
        Err(KeyringSwapError::KeyChanged { id: id(2) })
    );
    // A different ring altogether.
    assert_eq!(
        s.replace_keyring(ring_of(&[(9, 9)])),
        Err(KeyringSwapError::PrimaryMissing { id: id(1) })
    );

    // Nothing changed: key 1 still seals, both keys still open.
    assert_eq!(s.keyring().ids().collect::<Vec<_>>(), [id(1), id(2)]);
    assert_eq!(open_meta(&s, &under_1), Ok((1, id(1), false)));
    let again = s.seal_at(&2u32, T0).unwrap();
    assert_eq!(open_meta(&s, &again), Ok((2, id(1), false)));

    // Swapping in the same keys, or a reordered ring, is allowed.
    s.replace_keyring(ring_of(&[(1, 1), (2, 2)])).unwrap();
    s.replace_keyring(ring_of(&[(1, 1)])).unwrap();
    assert_eq!(open_meta(&s, &under_1), Ok((1, id(1), false)));
}

#[test]
fn a_forced_swap_logs_out_what_the_new_ring_cannot_open() {
    let s = sealer(ring(1, 1));
    let under_1 = s.seal_at(&1u32, T0).unwrap();
    s.dangerous_force_replace_keyring(ring(1, 3));
    assert_eq!(
        open_meta(&s, &under_1),
        Err(OpenError::AuthenticationFailed)
    );
    s.dangerous_force_replace_keyring(ring(2, 2));
    assert_eq!(open_meta(&s, &under_1), Err(OpenError::UnknownKeyId));
    let under_2 = s.seal_at(&2u32, T0).unwrap();
    assert_eq!(open_meta(&s, &under_2), Ok((2, id(2), false)));
}

#[test]
fn swap_errors_name_ids_only() {
    let secret = key(1).to_base64().to_string();
    for err in [
        KeyringSwapError::PrimaryMissing { id: id(1) },
        KeyringSwapError::KeyChanged { id: id(7) },
    ] {
        let shown = format!("{err} {err:?}");
        for w in windows(&secret, 8) {
            assert!(!shown.contains(&w), "{shown}");
        }
        assert!(shown.contains("key id") || shown.contains("primary key"));
    }
    assert_eq!(
        KeyringSwapError::KeyChanged { id: id(7) }.to_string(),
        "new keyring holds different key bytes under the running key id 7"
    );
}

#[test]
fn a_keyring_snapshot_is_unaffected_by_a_swap_and_the_replaced_ring_is_released() {
    let s = sealer(ring(1, 1));
    let snapshot = s.keyring();
    let weak: Weak<Keyring> = Arc::downgrade(&snapshot);
    s.replace_keyring(ring_of(&[(2, 2), (1, 1)])).unwrap();

    // The snapshot still shows the ring it was taken from, and keeps it.
    assert_eq!(snapshot.ids().collect::<Vec<_>>(), [id(1)]);
    assert!(weak.upgrade().is_some());
    drop(snapshot);
    // The last holder is gone: the ring, and with it its keys (zeroized on
    // drop), is freed.
    assert!(weak.upgrade().is_none());
}

#[test]
fn a_session_config_and_its_clones_share_the_swap() {
    let config = SessionConfig::builder(ring(1, 1)).build().unwrap();
    let clone = config.clone();
    let before = config.sealer().seal_at(&1u32, T0).unwrap();
    clone.replace_keyring(ring_of(&[(2, 2), (1, 1)])).unwrap();
    assert_eq!(config.sealer().keyring().primary_id(), id(2));
    let opened = config.sealer().open_at::<u32>(&before, T0).unwrap();
    assert!(opened.meta.needs_reseal());
    assert_eq!(
        config.replace_keyring(ring(3, 3)),
        Err(KeyringSwapError::PrimaryMissing { id: id(2) })
    );
}

/// Threads seal and open without pause while another swaps the keyring
/// back and forth between two rings that both hold both keys: every value
/// opens, whichever ring each operation loaded. Afterwards every replaced
/// ring has been released. Nothing here depends on timing: the assertions
/// hold for any interleaving.
#[test]
fn swaps_during_traffic_never_fail_a_request_and_release_every_replaced_ring() {
    const ROUNDS: u32 = 300;
    let s = sealer(ring_of(&[(1, 1), (2, 2)]));
    let mut replaced = vec![Arc::downgrade(&s.keyring())];
    thread::scope(|scope| {
        let workers: Vec<_> = (0..2u32)
            .map(|t| {
                let s = s.clone();
                scope.spawn(move || {
                    let mut ids = [0u32; 2];
                    for i in 0..ROUNDS {
                        let value = s.seal_at(&(t * ROUNDS + i), T0).unwrap();
                        let (payload, key_id, _) = open_meta(&s, &value).unwrap();
                        assert_eq!(payload, t * ROUNDS + i);
                        ids[usize::from(key_id == id(2))] += 1;
                    }
                    ids
                })
            })
            .collect();
        for round in 0..ROUNDS {
            let next = if round % 2 == 0 {
                ring_of(&[(2, 2), (1, 1)])
            } else {
                ring_of(&[(1, 1), (2, 2)])
            };
            s.replace_keyring(next).unwrap();
            replaced.push(Arc::downgrade(&s.keyring()));
        }
        for worker in workers {
            let ids = worker.join().unwrap();
            assert_eq!(ids[0] + ids[1], ROUNDS);
        }
    });
    // All but the ring in use now are gone, with their keys.
    let current = replaced.pop().unwrap();
    assert!(current.upgrade().is_some());
    for (n, weak) in replaced.iter().enumerate() {
        assert!(weak.upgrade().is_none(), "ring {n} still alive");
    }
}
