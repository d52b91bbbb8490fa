//! Key rotation: append a key, promote it, re-seal old values, drop the old
//! key.

use sealed_session::{Key, KeyError, KeyId, Keyring, OpenError, Sealer};

use crate::common::{key, ring, sealer, T0};

fn id(n: u32) -> KeyId {
    KeyId::new(n)
}

fn open_meta(sealer: &Sealer, value: &str) -> Result<(u32, KeyId, bool), OpenError> {
    sealer
        .open_at::<u32>(value, T0)
        .map(|o| (o.payload, o.meta.key_id(), o.meta.needs_reseal()))
}

#[test]
fn appended_key_opens_but_does_not_seal() {
    // Step 1: the new key is in the ring but not primary.
    let old_only = sealer(ring(1, 1));
    let appended = sealer(ring(1, 1).with_old_key(id(2), key(2)).unwrap());
    let value = appended.seal_at(&7u32, T0).unwrap();
    assert_eq!(open_meta(&appended, &value), Ok((7, id(1), false)));
    assert_eq!(open_meta(&old_only, &value), Ok((7, id(1), false)));
}

#[test]
fn promoted_key_opens_old_values_with_needs_reseal() {
    let before = ring(1, 1);
    let value = sealer(before.clone()).seal_at(&7u32, T0).unwrap();
    // Step 2: key 2 primary, key 1 open only.
    let after = before
        .with_old_key(id(2), key(2))
        .unwrap()
        .with_primary(id(2))
        .unwrap();
    assert_eq!(after.primary_id(), id(2));
    assert_eq!(after.ids().collect::<Vec<_>>(), [id(2), id(1)]);
    let rotated = sealer(after);
    assert_eq!(open_meta(&rotated, &value), Ok((7, id(1), true)));
}

#[test]
fn reseal_after_promotion_uses_the_new_primary_key() {
    let before = ring(1, 1);
    let old_sealer = sealer(before.clone());
    let value = old_sealer.seal_at(&7u32, T0).unwrap();
    let rotated = sealer(
        before
            .with_old_key(id(2), key(2))
            .unwrap()
            .with_primary(id(2))
            .unwrap(),
    );
    let opened = rotated.open_at::<u32>(&value, T0).unwrap();
    let resealed = rotated.reseal_at(&8u32, &opened.meta, T0).unwrap();
    assert_eq!(open_meta(&rotated, &resealed), Ok((8, id(2), false)));
    let reopened = rotated.open_at::<u32>(&resealed, T0).unwrap();
    assert!(reopened.meta.session_id().ct_eq(opened.meta.session_id()));
    // A server still on the old ring cannot open it: key 2 sealed it.
    assert_eq!(
        old_sealer.open_at::<u32>(&resealed, T0).err(),
        Some(OpenError::UnknownKeyId)
    );
    // New values are sealed with key 2 too.
    let fresh = rotated.seal_at(&9u32, T0).unwrap();
    assert_eq!(open_meta(&rotated, &fresh), Ok((9, id(2), false)));
}

#[test]
fn dropped_key_makes_its_values_unknown() {
    let value = sealer(ring(1, 1)).seal_at(&7u32, T0).unwrap();
    let rotated = ring(1, 1)
        .with_old_key(id(2), key(2))
        .unwrap()
        .with_primary(id(2))
        .unwrap();
    assert!(open_meta(&sealer(rotated.clone()), &value).is_ok());
    // Step 3: drop key 1.
    let dropped = rotated.without_key(id(1)).unwrap();
    assert!(!dropped.contains(id(1)));
    assert_eq!(dropped.len(), 1);
    assert_eq!(
        open_meta(&sealer(dropped), &value),
        Err(OpenError::UnknownKeyId)
    );
}

#[test]
fn the_primary_key_cannot_be_dropped() {
    let ring = ring(1, 1).with_old_key(id(2), key(2)).unwrap();
    assert_eq!(
        ring.clone().without_key(id(1)).err(),
        Some(KeyError::PrimaryKey)
    );
    let ring = ring.without_key(id(2)).unwrap();
    assert_eq!(ring.ids().collect::<Vec<_>>(), [id(1)]);
    // Dropping an id that is not there changes nothing.
    let ring = ring.without_key(id(9)).unwrap();
    assert_eq!(ring.len(), 1);
}

#[test]
fn promoting_an_unknown_id_is_refused() {
    assert_eq!(
        ring(1, 1).with_primary(id(2)).err(),
        Some(KeyError::UnknownId { id: id(2) })
    );
}

#[test]
fn promoting_keeps_the_former_primary_as_an_old_key() {
    let ring = ring(1, 1)
        .with_old_key(id(2), key(2))
        .unwrap()
        .with_old_key(id(3), key(3))
        .unwrap()
        .with_primary(id(3))
        .unwrap();
    assert_eq!(ring.ids().collect::<Vec<_>>(), [id(3), id(1), id(2)]);
    assert_eq!(ring.primary_id(), id(3));
    let back = ring.with_primary(id(1)).unwrap();
    assert_eq!(back.ids().collect::<Vec<_>>(), [id(1), id(3), id(2)]);
}

#[test]
fn a_ring_of_1000_keys_opens_values_of_its_first_middle_and_last_key() {
    let mut big = Keyring::new(id(1), Key::generate());
    for n in 2..=1000 {
        big = big.with_old_key(id(n), Key::generate()).unwrap();
    }
    assert_eq!(big.len(), 1000);
    let opener = sealer(big.clone());
    for n in [1, 2, 500, 999, 1000] {
        let by_n = sealer(big.clone().with_primary(id(n)).unwrap());
        let value = by_n.seal_at(&n, T0).unwrap();
        assert_eq!(open_meta(&opener, &value), Ok((n, id(n), n != 1)));
    }
    // An id beyond the ring is still refused without trying keys.
    let stranger = sealer(ring(1001, 1)).seal_at(&0u32, T0).unwrap();
    assert_eq!(open_meta(&opener, &stranger), Err(OpenError::UnknownKeyId));
}

#[test]
fn every_key_of_a_ring_opens_only_its_own_values() {
    let ring = ring(10, 10)
        .with_old_key(id(20), key(20))
        .unwrap()
        .with_old_key(id(30), key(30))
        .unwrap();
    let opener = sealer(ring.clone());
    for n in [10, 20, 30] {
        let value = sealer(ring.clone().with_primary(id(n)).unwrap())
            .seal_at(&n, T0)
            .unwrap();
        assert_eq!(open_meta(&opener, &value), Ok((n, id(n), n != 10)));
        // The same id with another key fails authentication.
        let impostor = sealer(crate::common::ring(n, 99));
        assert_eq!(
            open_meta(&impostor, &value),
            Err(OpenError::AuthenticationFailed)
        );
    }
}
