//! Lifetimes at their exact boundaries, with `open_at` and with an injected
//! `FixedClock`: absolute expiry, idle timeout, clock skew, re-sealing.

use std::time::Duration as StdDuration;

use sealed_session::{
    FixedClock, Keyring, OpenError, SealError, Sealer, SealerBuilder, UnixSeconds,
};

use crate::common::{ring, t0_minus, t0_plus, T0};

const TTL: u64 = 3600;
const IDLE: u64 = 600;

fn secs(n: u64) -> StdDuration {
    StdDuration::from_secs(n)
}

/// Key 1, absolute lifetime 1 hour, idle timeout 10 minutes, default skew.
fn builder(ring: Keyring) -> SealerBuilder {
    Sealer::builder(ring)
        .with_absolute_ttl(secs(TTL))
        .with_idle_timeout(secs(IDLE))
}

fn hourly() -> Sealer {
    builder(ring(1, 1)).build().unwrap()
}

fn open(sealer: &Sealer, value: &str, now: UnixSeconds) -> Result<u32, OpenError> {
    sealer.open_at::<u32>(value, now).map(|o| o.payload)
}

#[test]
fn absolute_expiry_opens_one_second_before_and_refuses_at_expires_at() {
    let s = builder(ring(1, 1)).without_idle_timeout().build().unwrap();
    let value = s.seal_at(&5u32, T0).unwrap();
    let opened = s.open_at::<u32>(&value, t0_plus(TTL - 1)).unwrap();
    assert_eq!(opened.meta.expires_at(), t0_plus(TTL));
    assert_eq!(open(&s, &value, t0_plus(TTL)), Err(OpenError::Expired));
    assert_eq!(open(&s, &value, t0_plus(TTL + 1)), Err(OpenError::Expired));
    assert_eq!(
        open(&s, &value, UnixSeconds::new(u64::MAX)),
        Err(OpenError::Expired)
    );
}

#[test]
fn absolute_expiry_through_a_fixed_clock() {
    let clock = FixedClock::new(T0);
    let s = builder(ring(1, 1))
        .without_idle_timeout()
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let value = s.seal(&5u32).unwrap();
    assert_eq!(s.open::<u32>(&value).unwrap().meta.issued_at(), T0);
    clock.advance(secs(TTL - 1));
    assert_eq!(s.open::<u32>(&value).unwrap().payload, 5);
    clock.advance(secs(1));
    assert_eq!(s.open::<u32>(&value).err(), Some(OpenError::Expired));
    clock.set(T0);
    assert!(
        s.open::<u32>(&value).is_ok(),
        "the clock is read on every open"
    );
}

#[test]
fn idle_timeout_opens_one_second_before_and_refuses_at_the_deadline() {
    let s = hourly();
    let value = s.seal_at(&5u32, T0).unwrap();
    let opened = s.open_at::<u32>(&value, t0_plus(IDLE - 1)).unwrap();
    assert_eq!(opened.meta.idle_expires_at(), Some(t0_plus(IDLE)));
    assert_eq!(opened.meta.last_active_at(), T0);
    assert_eq!(open(&s, &value, t0_plus(IDLE)), Err(OpenError::IdleTimeout));
    assert_eq!(
        open(&s, &value, t0_plus(TTL - 1)),
        Err(OpenError::IdleTimeout)
    );
}

#[test]
fn idle_timeout_through_a_fixed_clock() {
    let clock = FixedClock::new(T0);
    let s = builder(ring(1, 1))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    let value = s.seal(&5u32).unwrap();
    clock.set(t0_plus(IDLE - 1));
    assert!(s.open::<u32>(&value).is_ok());
    clock.set(t0_plus(IDLE));
    assert_eq!(s.open::<u32>(&value).err(), Some(OpenError::IdleTimeout));
}

#[test]
fn idle_deadline_is_capped_at_the_absolute_expiry() {
    let s = Sealer::builder(ring(1, 1))
        .with_absolute_ttl(secs(100))
        .with_idle_timeout(secs(IDLE))
        .build()
        .unwrap();
    let value = s.seal_at(&5u32, T0).unwrap();
    let opened = s.open_at::<u32>(&value, t0_plus(99)).unwrap();
    assert_eq!(opened.meta.idle_expires_at(), Some(t0_plus(100)));
    assert_eq!(opened.meta.expires_at(), t0_plus(100));
    // Past both deadlines the absolute expiry is reported.
    assert_eq!(open(&s, &value, t0_plus(100)), Err(OpenError::Expired));
}

#[test]
fn expiry_errors_count_as_authenticated() {
    for err in [
        OpenError::Expired,
        OpenError::IdleTimeout,
        OpenError::IssuedInFuture,
        OpenError::InvalidTimestamps,
    ] {
        assert!(err.is_authenticated(), "{err:?}");
    }
}

#[test]
fn default_skew_allows_issue_times_up_to_60_seconds_ahead() {
    let s = hourly();
    assert_eq!(s.clock_skew(), secs(60));
    let value = s.seal_at(&5u32, T0).unwrap();
    // issued_at == now + skew opens; now + skew + 1 does not.
    assert_eq!(open(&s, &value, t0_minus(60)), Ok(5));
    assert_eq!(
        open(&s, &value, t0_minus(61)),
        Err(OpenError::IssuedInFuture)
    );
    assert_eq!(
        open(&s, &value, UnixSeconds::EPOCH),
        Err(OpenError::IssuedInFuture)
    );
}

#[test]
fn custom_skew_moves_the_future_boundary() {
    for skew in [0, 1, 300, 86_400] {
        let s = builder(ring(1, 1))
            .with_clock_skew(secs(skew))
            .build()
            .unwrap();
        let value = s.seal_at(&5u32, T0).unwrap();
        assert_eq!(open(&s, &value, t0_minus(skew)), Ok(5), "skew {skew}");
        assert_eq!(
            open(&s, &value, t0_minus(skew + 1)),
            Err(OpenError::IssuedInFuture),
            "skew {skew}"
        );
    }
}

#[test]
fn last_activity_in_the_future_beyond_the_skew_is_refused() {
    let s = hourly();
    let first = s
        .open_at::<u32>(&s.seal_at(&5u32, T0).unwrap(), T0)
        .unwrap();
    let value = s.reseal_at(&6u32, &first.meta, t0_plus(500)).unwrap();
    // issued_at (T0) is in the past; last activity (T0 + 500) is what counts.
    assert_eq!(open(&s, &value, t0_plus(440)), Ok(6));
    assert_eq!(
        open(&s, &value, t0_plus(439)),
        Err(OpenError::IssuedInFuture)
    );
}

#[test]
fn shortening_the_absolute_ttl_applies_to_values_already_issued() {
    let long = hourly();
    let value = long.seal_at(&5u32, T0).unwrap();
    let short = Sealer::builder(ring(1, 1))
        .with_absolute_ttl(secs(1800))
        .without_idle_timeout()
        .build()
        .unwrap();
    let opened = short.open_at::<u32>(&value, t0_plus(1799)).unwrap();
    assert_eq!(opened.meta.expires_at(), t0_plus(1800));
    assert_eq!(open(&short, &value, t0_plus(1800)), Err(OpenError::Expired));
}

#[test]
fn lengthening_the_absolute_ttl_does_not_extend_values_already_issued() {
    let value = hourly().seal_at(&5u32, T0).unwrap();
    let long = Sealer::builder(ring(1, 1))
        .with_absolute_ttl(secs(10 * TTL))
        .without_idle_timeout()
        .build()
        .unwrap();
    let opened = long.open_at::<u32>(&value, t0_plus(TTL - 1)).unwrap();
    assert_eq!(opened.meta.expires_at(), t0_plus(TTL));
    assert_eq!(open(&long, &value, t0_plus(TTL)), Err(OpenError::Expired));
}

#[test]
fn the_idle_timeout_of_the_opening_configuration_applies() {
    let value = hourly().seal_at(&5u32, T0).unwrap();
    let strict = builder(ring(1, 1))
        .with_idle_timeout(secs(60))
        .build()
        .unwrap();
    assert_eq!(open(&strict, &value, t0_plus(59)), Ok(5));
    assert_eq!(
        open(&strict, &value, t0_plus(60)),
        Err(OpenError::IdleTimeout)
    );
}

#[test]
fn without_idle_timeout_only_the_absolute_expiry_ends_a_session() {
    let s = builder(ring(1, 1)).without_idle_timeout().build().unwrap();
    assert_eq!(s.idle_timeout(), None);
    let value = s.seal_at(&5u32, T0).unwrap();
    let opened = s.open_at::<u32>(&value, t0_plus(TTL - 1)).unwrap();
    assert_eq!(opened.meta.idle_expires_at(), None);
    assert_eq!(open(&s, &value, t0_plus(TTL)), Err(OpenError::Expired));
}

#[test]
fn reseal_keeps_id_issue_time_and_expiry_and_refreshes_activity() {
    let s = hourly();
    let original = s.seal_at(&1u32, T0).unwrap();
    let first = s.open_at::<u32>(&original, t0_plus(100)).unwrap();
    let resealed = s.reseal_at(&2u32, &first.meta, t0_plus(500)).unwrap();
    assert_ne!(resealed, original);
    // After the original's idle deadline (T0 + 600), before the new one.
    let now = t0_plus(1000);
    assert_eq!(open(&s, &original, now), Err(OpenError::IdleTimeout));
    let second = s.open_at::<u32>(&resealed, now).unwrap();
    assert_eq!(second.payload, 2);
    assert!(second.meta.session_id().ct_eq(first.meta.session_id()));
    assert_eq!(second.meta.issued_at(), T0);
    assert_eq!(second.meta.expires_at(), t0_plus(TTL));
    assert_eq!(second.meta.last_active_at(), t0_plus(500));
    assert_eq!(second.meta.idle_expires_at(), Some(t0_plus(1100)));
    assert_eq!(
        open(&s, &resealed, t0_plus(1100)),
        Err(OpenError::IdleTimeout)
    );
}

#[test]
fn reseal_never_moves_last_activity_backwards() {
    // FORMAT.md §6: last_active_at = max(now, previous last_active_at).
    let s = hourly();
    let first = s
        .open_at::<u32>(&s.seal_at(&1u32, T0).unwrap(), T0)
        .unwrap();
    let later = s.reseal_at(&2u32, &first.meta, t0_plus(500)).unwrap();
    let second = s.open_at::<u32>(&later, t0_plus(500)).unwrap();
    let earlier = s.reseal_at(&3u32, &second.meta, t0_plus(200)).unwrap();
    let third = s.open_at::<u32>(&earlier, t0_plus(500)).unwrap();
    assert_eq!(third.meta.last_active_at(), t0_plus(500));
}

#[test]
fn reseal_at_or_after_the_absolute_expiry_is_refused() {
    let s = builder(ring(1, 1)).without_idle_timeout().build().unwrap();
    let opened = s
        .open_at::<u32>(&s.seal_at(&1u32, T0).unwrap(), t0_plus(TTL - 1))
        .unwrap();
    assert!(s.reseal_at(&2u32, &opened.meta, t0_plus(TTL - 1)).is_ok());
    assert_eq!(
        s.reseal_at(&2u32, &opened.meta, t0_plus(TTL)),
        Err(SealError::Expired)
    );
    assert_eq!(
        s.reseal_at(&2u32, &opened.meta, UnixSeconds::new(u64::MAX)),
        Err(SealError::Expired)
    );
}

#[test]
fn repeated_reseals_never_extend_the_absolute_expiry() {
    let s = hourly();
    let mut value = s.seal_at(&0u32, T0).unwrap();
    let mut now = T0;
    for step in 1..=7u32 {
        now = t0_plus(u64::from(step) * 500);
        let opened = s.open_at::<u32>(&value, now).unwrap();
        value = s.reseal_at(&step, &opened.meta, now).unwrap();
    }
    assert_eq!(now, t0_plus(3500));
    let last = s.open_at::<u32>(&value, t0_plus(TTL - 1)).unwrap();
    assert_eq!(last.payload, 7);
    assert_eq!(last.meta.expires_at(), t0_plus(TTL));
    assert_eq!(last.meta.idle_expires_at(), Some(t0_plus(TTL)));
    assert_eq!(open(&s, &value, t0_plus(TTL)), Err(OpenError::Expired));
}

#[test]
fn reseal_under_a_shortened_ttl_keeps_the_sealed_expiry() {
    // FORMAT.md §6: re-sealing keeps `expires_at` as sealed; opening caps
    // it with the lifetime configured where it is opened.
    let value = hourly().seal_at(&1u32, T0).unwrap();
    let short = builder(ring(1, 1))
        .with_absolute_ttl(secs(1800))
        .build()
        .unwrap();
    let opened = short.open_at::<u32>(&value, t0_plus(100)).unwrap();
    assert_eq!(opened.meta.expires_at(), t0_plus(1800));
    let resealed = short.reseal_at(&2u32, &opened.meta, t0_plus(200)).unwrap();
    let again = short.open_at::<u32>(&resealed, t0_plus(200)).unwrap();
    assert_eq!(again.meta.expires_at(), t0_plus(1800));
    assert_eq!(
        open(&short, &resealed, t0_plus(1800)),
        Err(OpenError::Expired)
    );
    // The hourly configuration sees the expiry granted at issue, never more.
    let reopened = hourly().open_at::<u32>(&resealed, t0_plus(200)).unwrap();
    assert_eq!(reopened.meta.expires_at(), t0_plus(TTL));
    assert_eq!(reopened.meta.issued_at(), T0);
    assert_eq!(reopened.meta.last_active_at(), t0_plus(200));
    let longer = builder(ring(1, 1))
        .with_absolute_ttl(secs(10 * TTL))
        .build()
        .unwrap();
    let widest = longer.open_at::<u32>(&resealed, t0_plus(200)).unwrap();
    assert_eq!(widest.meta.expires_at(), t0_plus(TTL));
}

#[test]
fn reseal_of_a_value_sealed_with_a_longer_expiry_keeps_it() {
    // The example of the format issue: issued 1800000000, expiring two days
    // later, opened with the default lifetime of one day and re-sealed.
    let two_days = Sealer::builder(ring(1, 1))
        .with_absolute_ttl(secs(172_800))
        .build()
        .unwrap();
    let value = two_days.seal_at(&1u32, T0).unwrap();
    let default = Sealer::builder(ring(1, 1)).build().unwrap();
    let opened = default.open_at::<u32>(&value, t0_plus(100)).unwrap();
    assert_eq!(opened.meta.expires_at(), t0_plus(86_400));
    let resealed = default
        .reseal_at(&2u32, &opened.meta, t0_plus(200))
        .unwrap();
    let reopened = two_days.open_at::<u32>(&resealed, t0_plus(200)).unwrap();
    assert_eq!(reopened.meta.expires_at(), t0_plus(172_800));
    assert_eq!(reopened.payload, 2);
}

#[test]
fn seal_and_reseal_read_the_configured_clock() {
    let clock = FixedClock::new(T0);
    let s = builder(ring(1, 1))
        .with_clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(s.now(), T0);
    let first = s.open::<u32>(&s.seal(&1u32).unwrap()).unwrap();
    assert_eq!(first.meta.issued_at(), T0);
    assert_eq!(first.meta.expires_at(), t0_plus(TTL));
    clock.advance(secs(300));
    let value = s.reseal(&2u32, &first.meta).unwrap();
    let second = s.open::<u32>(&value).unwrap();
    assert_eq!(second.meta.last_active_at(), t0_plus(300));
    clock.set(t0_plus(TTL));
    assert_eq!(s.reseal(&3u32, &second.meta), Err(SealError::Expired));
}

#[test]
fn seal_at_the_epoch_opens() {
    let s = hourly();
    let value = s.seal_at(&1u32, UnixSeconds::EPOCH).unwrap();
    let opened = s.open_at::<u32>(&value, UnixSeconds::EPOCH).unwrap();
    assert_eq!(opened.meta.expires_at(), UnixSeconds::new(TTL));
}

#[test]
fn seal_at_the_largest_time_that_fits_opens() {
    let s = hourly();
    let now = UnixSeconds::new(u64::MAX - TTL);
    let value = s.seal_at(&1u32, now).unwrap();
    let opened = s.open_at::<u32>(&value, now).unwrap();
    assert_eq!(opened.meta.expires_at(), UnixSeconds::new(u64::MAX));
    assert_eq!(
        opened.meta.idle_expires_at(),
        Some(UnixSeconds::new(now.as_secs() + IDLE))
    );
    let at_end = UnixSeconds::new(u64::MAX - 1);
    assert_eq!(open(&s, &value, at_end), Err(OpenError::IdleTimeout));
}

#[test]
fn seal_at_a_time_whose_expiry_overflows_is_refused() {
    let s = hourly();
    let now = UnixSeconds::new(u64::MAX - TTL + 1);
    assert_eq!(s.seal_at(&1u32, now), Err(SealError::TimeOverflow));
    assert_eq!(
        s.seal_at(&1u32, UnixSeconds::new(u64::MAX)),
        Err(SealError::TimeOverflow)
    );
}

#[test]
fn lifetimes_are_whole_seconds() {
    let s = Sealer::builder(ring(1, 1))
        .with_absolute_ttl(StdDuration::from_millis(2999))
        .with_idle_timeout(StdDuration::from_millis(1500))
        .with_clock_skew(StdDuration::from_millis(999))
        .build()
        .unwrap();
    assert_eq!(s.absolute_ttl(), secs(2));
    assert_eq!(s.idle_timeout(), Some(secs(1)));
    assert_eq!(s.clock_skew(), secs(0));
    let value = s.seal_at(&1u32, T0).unwrap();
    assert_eq!(open(&s, &value, T0), Ok(1));
    assert_eq!(open(&s, &value, t0_plus(1)), Err(OpenError::IdleTimeout));
    assert_eq!(
        open(&s, &value, t0_minus(1)),
        Err(OpenError::IssuedInFuture)
    );
}
