//! Properties over generated inputs: anything sealed opens equal; random
//! text, random envelopes and bit flips never open.

use std::time::Duration as StdDuration;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};

use sealed_session::{KeyId, OpenError, Sealer, UnixSeconds};

use crate::common::{b64url, ring, sealer, unb64url, T0};

const TTL: u64 = 86_400;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Role {
    Guest,
    Member(u32),
    Admin { since: i64, scopes: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Payload {
    name: String,
    tags: Vec<String>,
    blob: Vec<u8>,
    counter: u64,
    delta: i32,
    maybe: Option<u16>,
    pairs: Vec<(u8, Option<String>)>,
    role: Role,
    flag: bool,
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![
        Just(Role::Guest),
        any::<u32>().prop_map(Role::Member),
        (any::<i64>(), prop::collection::vec("[a-z:]{0,12}", 0..4))
            .prop_map(|(since, scopes)| Role::Admin { since, scopes }),
    ]
}

fn payload() -> impl Strategy<Value = Payload> {
    (
        "\\PC{0,40}",
        prop::collection::vec("\\PC{0,12}", 0..6),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<u64>(),
        any::<i32>(),
        any::<Option<u16>>(),
        prop::collection::vec((any::<u8>(), prop::option::of("\\PC{0,8}")), 0..5),
        role(),
        any::<bool>(),
    )
        .prop_map(
            |(name, tags, blob, counter, delta, maybe, pairs, role, flag)| Payload {
                name,
                tags,
                blob,
                counter,
                delta,
                maybe,
                pairs,
                role,
                flag,
            },
        )
}

/// Any instant at which a session with the default lifetime can be issued.
fn issue_time() -> impl Strategy<Value = u64> {
    prop_oneof![
        0..=u64::MAX - TTL,
        Just(0),
        Just(u64::MAX - TTL),
        1_600_000_000u64..2_000_000_000,
    ]
}

fn sample_sealer() -> Sealer {
    sealer(ring(1, 1))
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn anything_sealed_opens_equal(
        p in payload(),
        issued in issue_time(),
        later in 0..1800u64,
    ) {
        let s = sample_sealer();
        let issued = UnixSeconds::new(issued);
        let value = s.seal_at(&p, issued).unwrap();
        let now = UnixSeconds::new(issued.as_secs() + later);
        let opened = s.open_at::<Payload>(&value, now).unwrap();
        prop_assert_eq!(&opened.payload, &p);
        prop_assert_eq!(opened.meta.issued_at(), issued);
        prop_assert_eq!(opened.meta.last_active_at(), issued);
        prop_assert_eq!(opened.meta.expires_at(), UnixSeconds::new(issued.as_secs() + TTL));
        prop_assert_eq!(opened.meta.key_id(), KeyId::new(1));
    }

    #[test]
    fn reseal_at_any_later_time_keeps_the_session(
        p in payload(),
        issued in issue_time(),
        first in 0..1800u64,
        second in 0..1800u64,
    ) {
        let s = sample_sealer();
        let t0 = UnixSeconds::new(issued);
        let opened = s.open_at::<Payload>(&s.seal_at(&p, t0).unwrap(), t0).unwrap();
        let t1 = UnixSeconds::new(issued + first);
        let value = s.reseal_at(&p, &opened.meta, t1).unwrap();
        let t2 = UnixSeconds::new(issued + first + second);
        let again = s.open_at::<Payload>(&value, t2).unwrap();
        prop_assert!(again.meta.session_id().ct_eq(opened.meta.session_id()));
        prop_assert_eq!(again.meta.last_active_at(), t1);
        prop_assert_eq!(again.meta.expires_at(), opened.meta.expires_at());
        prop_assert_eq!(again.payload, p);
    }

    #[test]
    fn single_bit_flips_never_open(
        p in payload(),
        position in any::<prop::sample::Index>(),
    ) {
        let s = sample_sealer();
        let value = s.seal_at(&p, T0).unwrap();
        let mut raw = unb64url(&value);
        let bit = position.index(raw.len() * 8);
        raw[bit / 8] ^= 1 << (bit % 8);
        let err = s.open_at::<Payload>(&b64url(&raw), T0).map(|_| ()).unwrap_err();
        let expected = match bit / 8 {
            0 => OpenError::UnsupportedVersion,
            1..=4 => OpenError::UnknownKeyId,
            _ => OpenError::AuthenticationFailed,
        };
        prop_assert_eq!(err, expected);
    }
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn random_text_never_opens(text in "\\PC{0,200}") {
        let err = sample_sealer().open_at::<()>(&text, T0).map(|_| ()).unwrap_err();
        prop_assert!(!err.is_authenticated(), "{:?}", err);
    }

    #[test]
    fn random_base64url_text_never_opens(text in "[A-Za-z0-9_-]{0,300}") {
        let err = sample_sealer().open_at::<()>(&text, T0).map(|_| ()).unwrap_err();
        prop_assert!(!err.is_authenticated(), "{:?}", err);
    }

    #[test]
    fn random_bytes_never_open(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let err = sample_sealer()
            .open_at::<()>(&b64url(&bytes), T0)
            .map(|_| ())
            .unwrap_err();
        prop_assert!(!err.is_authenticated(), "{:?}", err);
    }

    #[test]
    fn random_envelopes_naming_a_known_key_fail_authentication(
        body in prop::collection::vec(any::<u8>(), 40..400),
    ) {
        // Version 1 and key id 1 get past every check before the tag.
        let mut bytes = vec![1, 0, 0, 0, 1];
        bytes.extend_from_slice(&body);
        let err = sample_sealer()
            .open_at::<()>(&b64url(&bytes), T0)
            .map(|_| ())
            .unwrap_err();
        prop_assert_eq!(err, OpenError::AuthenticationFailed);
    }

    #[test]
    fn opening_never_panics_whatever_the_time(
        text in "[A-Za-z0-9_-]{58,130}",
        now in any::<u64>(),
        skew in 0..1_000_000u64,
    ) {
        let s = Sealer::builder(ring(1, 1))
            .with_clock_skew(StdDuration::from_secs(skew))
            .build()
            .unwrap();
        prop_assert!(s.open_at::<Vec<u8>>(&text, UnixSeconds::new(now)).is_err());
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn values_open_exactly_within_their_window(
        issued in 0..=u64::MAX - TTL,
        offset in any::<u64>(),
    ) {
        // With the idle timeout off, a value opens exactly on
        // [issued - skew, issued + ttl).
        let s = Sealer::builder(ring(1, 1)).without_idle_timeout().build().unwrap();
        let value = s.seal_at(&(), UnixSeconds::new(issued)).unwrap();
        let now = offset;
        let result = s.open_at::<()>(&value, UnixSeconds::new(now)).map(|_| ());
        let expected = if now.saturating_add(60) < issued {
            Err(OpenError::IssuedInFuture)
        } else if now >= issued + TTL {
            Err(OpenError::Expired)
        } else {
            Ok(())
        };
        prop_assert_eq!(result, expected);
    }

    #[test]
    fn times_near_the_value_open_exactly_within_their_window(
        issued in 100u64..=u64::MAX - TTL,
        delta in -100i64..(TTL as i64 + 100),
    ) {
        let s = Sealer::builder(ring(1, 1)).without_idle_timeout().build().unwrap();
        let value = s.seal_at(&(), UnixSeconds::new(issued)).unwrap();
        let now = issued.checked_add_signed(delta).unwrap();
        let result = s.open_at::<()>(&value, UnixSeconds::new(now)).map(|_| ());
        let expected = if delta < -60 {
            Err(OpenError::IssuedInFuture)
        } else if delta >= TTL as i64 {
            Err(OpenError::Expired)
        } else {
            Ok(())
        };
        prop_assert_eq!(result, expected);
    }
}
