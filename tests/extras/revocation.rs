//! Stateless revocation: the configuration's not-before instant, and the
//! application's per-user check through `revoke_if`.

use std::cell::Cell;
use std::collections::HashMap;
use std::time::Duration as StdDuration;

use sealed_session::{Clock as _, CsrfError, OpenError, SessionConfig, UnixSeconds};
use serde::{Deserialize, Serialize};

use crate::support::{config, config_from, removed, ring, set_names, Jar, NAME, T0};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct User {
    id: u64,
    generation: u32,
}

/// A jar holding a session issued at `at` (the clock is left there).
fn issued_at(config: &SessionConfig, clock: &sealed_session::FixedClock, at: u64) -> Jar {
    clock.set(UnixSeconds::new(at));
    let mut jar = Jar::default();
    let mut session = jar.load::<u32>(config);
    session.insert(7);
    jar.finish(session);
    jar
}

fn load_at(config: &SessionConfig, jar: &Jar, now: u64) -> sealed_session::Session<u32> {
    config.load_at::<u32, _>([jar.header()], UnixSeconds::new(now))
}

#[test]
fn not_before_from_the_builder_is_inclusive() {
    let keyring = ring();
    let (clock, issuer) = config_from(keyring.clone(), |b| b);
    let (_, guarded) = config_from(keyring, |b| b.with_not_before(UnixSeconds::new(T0)));
    assert_eq!(guarded.sealer().not_before(), UnixSeconds::new(T0));
    assert_eq!(issuer.sealer().not_before(), UnixSeconds::EPOCH);
    let before = issued_at(&issuer, &clock, T0 - 1);
    let at = issued_at(&issuer, &clock, T0);
    let after = issued_at(&issuer, &clock, T0 + 1);
    for now in [T0 + 1, T0 + 60, T0 + 600] {
        let session = load_at(&guarded, &before, now);
        assert!(session.get().is_none());
        assert_eq!(session.load_error(), Some(&OpenError::Revoked), "at {now}");
        assert_eq!(
            load_at(&guarded, &at, now).get(),
            Some(&7),
            "issued at the cut-off"
        );
        assert_eq!(load_at(&guarded, &after, now).get(), Some(&7));
        // Without the cut-off, the same cookie opens.
        assert_eq!(load_at(&issuer, &before, now).get(), Some(&7));
    }
}

#[test]
fn a_revoked_session_gets_a_removal_cookie() {
    let (clock, config) = config(|b| b);
    let mut jar = issued_at(&config, &clock, T0 - 1);
    config.sealer().set_not_before(UnixSeconds::new(T0));
    let session = jar.load::<u32>(&config);
    assert_eq!(session.load_error(), Some(&OpenError::Revoked));
    assert!(session.is_new());
    let response = jar.finish(session);
    assert_eq!(removed(&response), [NAME]);
    assert!(set_names(&response).is_empty());
    assert!(jar.names().is_empty());
}

#[test]
fn set_not_before_at_runtime_is_inclusive_and_shared_by_clones() {
    let (clock, config) = config(|b| b);
    let early_clone = config.clone();
    let before = issued_at(&config, &clock, T0 - 1);
    let at = issued_at(&config, &clock, T0);
    let now = T0 + 10;
    assert_eq!(load_at(&config, &before, now).get(), Some(&7));

    let late_clone = config.clone();
    late_clone.sealer().set_not_before(UnixSeconds::new(T0));
    for seen_by in [&config, &early_clone, &late_clone] {
        assert_eq!(seen_by.sealer().not_before(), UnixSeconds::new(T0));
        let session = load_at(seen_by, &before, now);
        assert_eq!(session.load_error(), Some(&OpenError::Revoked));
        assert_eq!(load_at(seen_by, &at, now).get(), Some(&7));
    }
    // Through a clone of the sealer, too.
    let sealer = config.sealer().clone();
    sealer.set_not_before(UnixSeconds::new(T0 + 1));
    let session = load_at(&early_clone, &at, now);
    assert_eq!(session.load_error(), Some(&OpenError::Revoked));
    // Moving it back re-admits them: the check is the instant, nothing more.
    config.sealer().set_not_before(UnixSeconds::EPOCH);
    assert_eq!(load_at(&late_clone, &before, now).get(), Some(&7));
}

#[test]
fn resealing_keeps_the_issue_time_and_renewing_restarts_it() {
    let (clock, config) = config(|b| b);
    let mut resealed = issued_at(&config, &clock, T0 - 100);
    let mut regenerated = resealed.clone();
    clock.set(UnixSeconds::new(T0 - 50));
    let mut session = resealed.load::<u32>(&config);
    *session.get_mut().unwrap() += 1;
    assert_eq!(set_names(&resealed.finish(session)), [NAME]);
    let mut session = regenerated.load::<u32>(&config);
    session.renew();
    regenerated.finish(session);

    config.sealer().set_not_before(UnixSeconds::new(T0 - 60));
    clock.set(UnixSeconds::new(T0 - 40));
    let session = resealed.load::<u32>(&config);
    assert_eq!(session.load_error(), Some(&OpenError::Revoked), "re-sealed");
    let session = regenerated.load::<u32>(&config);
    assert_eq!(session.get(), Some(&7), "renewed after the cut-off");
    assert_eq!(
        session.meta().unwrap().issued_at(),
        UnixSeconds::new(T0 - 50)
    );
}

#[test]
fn a_session_created_after_the_cut_off_works() {
    let (clock, config) = config(|b| b);
    let mut jar = issued_at(&config, &clock, T0);
    clock.advance(StdDuration::from_secs(100));
    config.sealer().set_not_before(clock.now());
    // The next request finds the old session revoked and logs in again.
    let mut session = jar.load::<u32>(&config);
    assert_eq!(session.load_error(), Some(&OpenError::Revoked));
    session.insert(8);
    let response = jar.finish(session);
    assert_eq!(set_names(&response), [NAME]);
    assert!(removed(&response).is_empty());
    clock.advance(StdDuration::from_secs(1));
    let session = jar.load::<u32>(&config);
    assert_eq!(session.load_error(), None);
    assert_eq!(session.get(), Some(&8));
    assert_eq!(
        session.meta().unwrap().issued_at(),
        UnixSeconds::new(T0 + 100)
    );
}

#[test]
fn a_revoked_chunked_session_removes_every_chunk() {
    let (clock, config) = config(|b| b.with_chunking(4));
    let mut jar = Jar::default();
    let mut session = jar.load::<Vec<u8>>(&config);
    session.insert(vec![9; 7000]);
    jar.finish(session);
    assert_eq!(jar.names().len(), 3);
    let chunk_names = [NAME.to_owned(), format!("{NAME}.1"), format!("{NAME}.2")];
    // By the cut-off.
    let mut copy = jar.clone();
    clock.advance(StdDuration::from_secs(5));
    config.sealer().set_not_before(clock.now());
    let session = copy.load::<Vec<u8>>(&config);
    assert_eq!(session.load_error(), Some(&OpenError::Revoked));
    assert_eq!(removed(&copy.finish(session)), chunk_names);
    assert!(copy.names().is_empty());
    // By the application's check.
    config.sealer().set_not_before(UnixSeconds::EPOCH);
    let mut session = jar.load::<Vec<u8>>(&config);
    assert!(session.revoke_if(|data, _| data.len() == 7000));
    assert_eq!(removed(&jar.finish(session)), chunk_names);
    assert!(jar.names().is_empty());
}

/// One request that checks the user's generation against `records`.
fn request(config: &SessionConfig, jar: &mut Jar, records: &HashMap<u64, u32>) -> Option<User> {
    let mut session = jar.load::<User>(config);
    let revoked = session.revoke_if(|user, _| records.get(&user.id) != Some(&user.generation));
    if revoked {
        assert_eq!(session.load_error(), Some(&OpenError::Revoked));
        assert!(session.get().is_none());
        assert!(session.is_new());
    }
    let user = session.get().cloned();
    let response = jar.finish(session);
    if revoked {
        assert_eq!(removed(&response), [NAME]);
    } else {
        assert!(response.is_empty(), "an unchanged session sends nothing");
    }
    user
}

fn login(config: &SessionConfig, id: u64, generation: u32) -> Jar {
    let mut jar = Jar::default();
    let mut session = jar.load::<User>(config);
    session.regenerate();
    session.insert(User { id, generation });
    jar.finish(session);
    jar
}

#[test]
fn bumping_a_generation_logs_that_user_out_everywhere() {
    let (clock, config) = config(|b| b);
    let mut records = HashMap::from([(1u64, 1u32), (2, 1)]);
    let mut phone = login(&config, 1, 1);
    let mut laptop = login(&config, 1, 1);
    let mut other = login(&config, 2, 1);
    for jar in [&mut phone, &mut laptop, &mut other] {
        assert!(request(&config, jar, &records).is_some());
    }
    let copied = phone.clone();
    records.insert(1, 2); // user 1: "log out of every device"
    clock.advance(StdDuration::from_secs(30));
    assert_eq!(request(&config, &mut phone, &records), None);
    assert_eq!(request(&config, &mut laptop, &records), None);
    assert!(phone.names().is_empty() && laptop.names().is_empty());
    assert_eq!(
        request(&config, &mut other, &records),
        Some(User {
            id: 2,
            generation: 1
        })
    );
    // A copy of the cookie taken before is refused all the same.
    assert_eq!(request(&config, &mut copied.clone(), &records), None);
    // Logging in again with the new generation works.
    let mut phone = login(&config, 1, 2);
    assert_eq!(
        request(&config, &mut phone, &records),
        Some(User {
            id: 1,
            generation: 2
        })
    );
}

#[test]
fn revoke_if_can_compare_the_issue_time() {
    let (clock, config) = config(|b| b);
    let old = login(&config, 1, 0);
    clock.advance(StdDuration::from_secs(60));
    let logged_out_everywhere_at = clock.now();
    let fresh = login(&config, 1, 0);
    clock.advance(StdDuration::from_secs(60));
    let check = |jar: &Jar| {
        let mut session = jar.load::<User>(&config);
        session.revoke_if(|_, meta| meta.issued_at() < logged_out_everywhere_at)
    };
    assert!(check(&old));
    assert!(!check(&fresh));
}

#[test]
fn revoke_if_is_not_called_without_loaded_data() {
    let (_, config) = config(|b| b);
    let called = Cell::new(false);
    let mut session = config.new_session::<User>();
    assert!(!session.revoke_if(|_, _| {
        called.set(true);
        true
    }));
    assert!(!called.get(), "a new session");
    assert!(session.finish().unwrap().is_empty());

    let mut session = config.load::<User, _>([format!("{NAME}=garbage")]);
    assert!(!session.revoke_if(|_, _| {
        called.set(true);
        true
    }));
    assert!(!called.get(), "a cookie that did not open");
    assert_eq!(session.load_error(), Some(&OpenError::Malformed));

    // A loaded session without data (a CSRF token only) has nothing to check.
    let mut jar = Jar::default();
    let mut session = jar.load::<User>(&config);
    session.csrf_token().unwrap();
    jar.finish(session);
    let mut session = jar.load::<User>(&config);
    assert!(!session.is_new());
    assert!(!session.revoke_if(|_, _| {
        called.set(true);
        true
    }));
    assert!(!called.get(), "a session without data");
}

#[test]
fn revoke_if_false_changes_nothing() {
    let (_, config) = config(|b| b);
    let mut jar = login(&config, 5, 3);
    let mut session = jar.load::<User>(&config);
    let called = Cell::new(0);
    assert!(!session.revoke_if(|user, meta| {
        called.set(called.get() + 1);
        assert_eq!(
            user,
            &User {
                id: 5,
                generation: 3
            }
        );
        assert_eq!(meta.issued_at(), UnixSeconds::new(T0));
        false
    }));
    assert_eq!(called.get(), 1);
    assert_eq!(session.load_error(), None);
    assert!(!session.is_modified());
    assert!(jar.finish(session).is_empty());
}

#[test]
fn a_revoked_session_loses_its_flash_and_csrf_tokens() {
    let (_, config) = config(|b| b);
    let mut jar = Jar::default();
    let mut session = jar.load::<User>(&config);
    session.insert(User {
        id: 1,
        generation: 1,
    });
    session.set_flash("welcome").unwrap();
    let token = session.csrf_token().unwrap();
    jar.finish(session);
    let mut session = jar.load::<User>(&config);
    assert_eq!(session.verify_csrf(&token), Ok(()));
    assert!(session.has_flash());
    assert!(session.revoke_if(|_, _| true));
    assert!(!session.has_flash());
    assert_eq!(session.take_flash::<String>(), Ok(None));
    assert_eq!(session.verify_csrf(&token), Err(CsrfError::NoSession));
    assert_eq!(removed(&jar.finish(session)), [NAME]);
    let session = jar.load::<User>(&config);
    assert_eq!(session.verify_csrf(&token), Err(CsrfError::NoSession));
}
