//! When a `Set-Cookie` goes out: one table over the whole policy, then one
//! focused test per rule and boundary.

use sealed_session::{
    FixedClock, KeyId, Keyring, OpenError, Rolling, SessionConfig, SessionMeta, UnixSeconds,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::support::{builder, clock, key, max_age, only, pair, ring, secs, Data, CACHE, T0};

/// The absolute lifetime and idle timeout of the table's configurations.
const TTL: u64 = 3600;
const IDLE: u64 = 600;
/// The time every table row is handled at.
const NOW: u64 = T0 + 100_000;

#[derive(Debug, Clone, Copy)]
struct Knobs {
    save_uninitialized: bool,
    resave: bool,
    rolling: Rolling,
    idle: Option<u64>,
}

const DEFAULTS: Knobs = Knobs {
    save_uninitialized: false,
    resave: false,
    rolling: Rolling::AfterIdlePercent(25),
    idle: Some(IDLE),
};
const SAVE_UNINIT: Knobs = Knobs {
    save_uninitialized: true,
    ..DEFAULTS
};
const RESAVE: Knobs = Knobs {
    resave: true,
    ..DEFAULTS
};
const EVERY: Knobs = Knobs {
    rolling: Rolling::EveryResponse,
    ..DEFAULTS
};
const fn percent(p: u8) -> Knobs {
    Knobs {
        rolling: Rolling::AfterIdlePercent(p),
        ..DEFAULTS
    }
}
const NO_IDLE: Knobs = Knobs {
    idle: None,
    ..DEFAULTS
};
const NO_IDLE_EVERY: Knobs = Knobs {
    idle: None,
    rolling: Rolling::EveryResponse,
    ..DEFAULTS
};

/// The session cookie the request carries.
#[derive(Debug, Clone, Copy)]
enum Req {
    None,
    /// Ours, sealed with the primary key (id 1), seconds before now.
    Primary {
        issued_ago: u64,
        active_ago: u64,
    },
    /// Ours, sealed with the old key (id 2) still in the keyring.
    OldKey {
        issued_ago: u64,
        active_ago: u64,
    },
    /// Ours, primary key, with a pending flash message.
    WithFlash {
        active_ago: u64,
    },
    /// Ours, past its absolute expiry.
    Expired,
    /// Ours, idle for exactly the idle timeout.
    Idle,
    /// Ours, but its data is of another type.
    Mismatch,
    /// Ours, issued beyond the clock-skew allowance in the future.
    Future,
    /// Not base64url.
    Garbage,
    /// Well formed, under a key id we do not have.
    UnknownKey,
    /// Well formed, under our key id but another key (a sibling app's).
    Forged,
}

const fn valid(active_ago: u64) -> Req {
    Req::Primary {
        issued_ago: 1000,
        active_ago,
    }
}

const fn old(active_ago: u64) -> Req {
    Req::OldKey {
        issued_ago: 1000,
        active_ago,
    }
}

impl Req {
    fn error(self, knobs: Knobs) -> Option<OpenError> {
        match self {
            Self::Idle if knobs.idle.is_none() => None,
            Self::None | Self::Primary { .. } | Self::OldKey { .. } | Self::WithFlash { .. } => {
                None
            }
            Self::Expired => Some(OpenError::Expired),
            Self::Idle => Some(OpenError::IdleTimeout),
            Self::Mismatch => Some(OpenError::SchemaMismatch),
            Self::Future => Some(OpenError::IssuedInFuture),
            Self::Garbage => Some(OpenError::Malformed),
            Self::UnknownKey => Some(OpenError::UnknownKeyId),
            Self::Forged => Some(OpenError::AuthenticationFailed),
        }
    }

    fn value(self) -> Option<String> {
        let data = Data::user("ada");
        let v = match self {
            Self::None => return None,
            Self::Primary {
                issued_ago,
                active_ago,
            } => mint(1, 1, NOW - issued_ago, NOW - active_ago, data, false),
            Self::OldKey {
                issued_ago,
                active_ago,
            } => mint(2, 2, NOW - issued_ago, NOW - active_ago, data, false),
            Self::WithFlash { active_ago } => mint(1, 1, NOW - 1000, NOW - active_ago, data, true),
            Self::Expired => mint(1, 1, NOW - TTL, NOW - 10, data, false),
            Self::Idle => mint(1, 1, NOW - 1000, NOW - IDLE, data, false),
            Self::Mismatch => mint(1, 1, NOW - 1000, NOW - 10, u64::MAX, false),
            Self::Future => mint(1, 1, NOW + 61, NOW + 61, data, false),
            Self::Garbage => "garbage!".to_owned(),
            Self::UnknownKey => mint(9, 9, NOW - 1000, NOW - 10, data, false),
            Self::Forged => mint(1, 3, NOW - 1000, NOW - 10, data, false),
        };
        Some(v)
    }
}

/// A value of cookie `sid` holding `data`, sealed with key `seed` under
/// `key_id`, issued at `issued` and last active at `active`. Built through
/// the public session API: sealed new at `issued`, then touched at `active`
/// by a configuration without idle timeout.
fn mint<T: Serialize + DeserializeOwned + 'static>(
    key_id: u32,
    seed: u8,
    issued: u64,
    active: u64,
    data: T,
    flash: bool,
) -> String {
    let c = FixedClock::new(UnixSeconds::new(issued));
    let config = SessionConfig::builder(Keyring::new(KeyId::new(key_id), key(seed)))
        .with_cookie_name("sid")
        .with_absolute_ttl(secs(TTL))
        .without_idle_timeout()
        .with_clock(c.clone())
        .build()
        .unwrap();
    let mut session = config.new_session::<T>();
    session.insert(data);
    if flash {
        session.set_flash("welcome back").unwrap();
    }
    let mut value = pair(only(&session.finish().unwrap())).1.to_owned();
    if active > issued {
        c.set(UnixSeconds::new(active));
        let mut session = config.load_value::<T>(Some(&value));
        let meta = session.meta().unwrap();
        assert_eq!(meta.issued_at(), UnixSeconds::new(issued));
        session.touch();
        value = pair(only(&session.finish().unwrap())).1.to_owned();
    }
    value
}

/// The table's configuration: cookie `sid`, primary key 1, old key 2.
fn table_config(knobs: Knobs) -> SessionConfig {
    let c = FixedClock::new(UnixSeconds::new(NOW));
    let keyring = Keyring::new(KeyId::new(1), key(1))
        .with_old_key(KeyId::new(2), key(2))
        .unwrap();
    let b = SessionConfig::builder(keyring)
        .with_cookie_name("sid")
        .with_clock(c)
        .with_absolute_ttl(secs(TTL))
        .with_save_uninitialized(knobs.save_uninitialized)
        .with_resave(knobs.resave)
        .with_rolling(knobs.rolling);
    let b = match knobs.idle {
        Some(idle) => b.with_idle_timeout(secs(idle)),
        None => b.without_idle_timeout(),
    };
    b.build().unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Nothing,
    Read,
    Modify,
    Take,
    Regenerate,
    Destroy,
    Touch,
    Flash,
    TakeFlash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// No `Set-Cookie`.
    Nothing,
    /// The same session sealed again: same id, issue time and expiry, with
    /// this `Max-Age`.
    Reseal(u64),
    /// A new session: new id, issued now, `Max-Age` the whole lifetime.
    New,
    /// The removal cookie.
    Remove,
}

#[rustfmt::skip]
fn rows() -> Vec<(Knobs, Req, Action, Expect)> {
    use Action as A;
    use Expect::{New, Nothing, Remove, Reseal};
    let near_end = Req::Primary { issued_ago: TTL - 1, active_ago: 151 };
    let near_end_fresh = Req::Primary { issued_ago: TTL - 1, active_ago: 10 };
    vec![
        // First visit: nothing unless written to (saveUninitialized off).
        (DEFAULTS, Req::None, A::Nothing, Nothing),
        (DEFAULTS, Req::None, A::Read, Nothing),
        (DEFAULTS, Req::None, A::Touch, Nothing),
        (DEFAULTS, Req::None, A::TakeFlash, Nothing),
        (DEFAULTS, Req::None, A::Modify, New),
        (DEFAULTS, Req::None, A::Flash, New),
        // Regenerating or destroying nothing sends nothing.
        (DEFAULTS, Req::None, A::Regenerate, Nothing),
        (DEFAULTS, Req::None, A::Destroy, Nothing),
        // A valid session: untouched and fresh, nothing.
        (DEFAULTS, valid(0), A::Nothing, Nothing),
        (DEFAULTS, valid(10), A::Read, Nothing),
        (DEFAULTS, valid(10), A::TakeFlash, Nothing),
        // Rolling at 25% of 600 s: due strictly after 150 s.
        (DEFAULTS, valid(150), A::Nothing, Nothing),
        (DEFAULTS, valid(151), A::Nothing, Reseal(TTL - 1000)),
        (DEFAULTS, valid(151), A::Read, Reseal(TTL - 1000)),
        (DEFAULTS, valid(IDLE - 1), A::Nothing, Reseal(TTL - 1000)),
        // Writes re-seal the same session; regenerate makes a new one.
        (DEFAULTS, valid(10), A::Modify, Reseal(TTL - 1000)),
        (DEFAULTS, valid(10), A::Take, Reseal(TTL - 1000)),
        (DEFAULTS, valid(10), A::Touch, Reseal(TTL - 1000)),
        (DEFAULTS, valid(10), A::Flash, Reseal(TTL - 1000)),
        (DEFAULTS, valid(10), A::Regenerate, New),
        (DEFAULTS, valid(10), A::Destroy, Remove),
        // Re-sealing never extends the absolute lifetime: one second left.
        (DEFAULTS, near_end, A::Nothing, Reseal(1)),
        (DEFAULTS, near_end_fresh, A::Modify, Reseal(1)),
        (DEFAULTS, near_end_fresh, A::Nothing, Nothing),
        (DEFAULTS, near_end_fresh, A::Regenerate, New),
        // Flash: read once re-seals without it; unread it stays.
        (DEFAULTS, Req::WithFlash { active_ago: 10 }, A::Nothing, Nothing),
        (DEFAULTS, Req::WithFlash { active_ago: 10 }, A::Read, Nothing),
        (DEFAULTS, Req::WithFlash { active_ago: 10 }, A::TakeFlash, Reseal(TTL - 1000)),
        (DEFAULTS, Req::WithFlash { active_ago: 10 }, A::Modify, Reseal(TTL - 1000)),
        (DEFAULTS, Req::WithFlash { active_ago: 10 }, A::Regenerate, New),
        (DEFAULTS, Req::WithFlash { active_ago: 10 }, A::Destroy, Remove),
        // Key rotation: an old key's session is re-sealed under the primary.
        (DEFAULTS, old(10), A::Nothing, Reseal(TTL - 1000)),
        (DEFAULTS, old(10), A::Read, Reseal(TTL - 1000)),
        (DEFAULTS, old(10), A::Modify, Reseal(TTL - 1000)),
        (DEFAULTS, old(10), A::Regenerate, New),
        (DEFAULTS, old(10), A::Destroy, Remove),
        // Ours but dead: removed unless something new is saved.
        (DEFAULTS, Req::Expired, A::Nothing, Remove),
        (DEFAULTS, Req::Expired, A::Read, Remove),
        (DEFAULTS, Req::Expired, A::Touch, Remove),
        (DEFAULTS, Req::Expired, A::Destroy, Remove),
        (DEFAULTS, Req::Expired, A::Modify, New),
        (DEFAULTS, Req::Expired, A::Flash, New),
        (DEFAULTS, Req::Expired, A::Regenerate, Remove),
        (DEFAULTS, Req::Idle, A::Nothing, Remove),
        (DEFAULTS, Req::Idle, A::Modify, New),
        // Ours but maybe alive for a peer (another payload type, another
        // clock): left alone.
        (DEFAULTS, Req::Mismatch, A::Nothing, Nothing),
        (DEFAULTS, Req::Future, A::Nothing, Nothing),
        // Not authenticated: maybe not ours, never removed.
        (DEFAULTS, Req::Garbage, A::Nothing, Nothing),
        (DEFAULTS, Req::Garbage, A::Read, Nothing),
        (DEFAULTS, Req::Garbage, A::Touch, Nothing),
        (DEFAULTS, Req::UnknownKey, A::Nothing, Nothing),
        (DEFAULTS, Req::Forged, A::Nothing, Nothing),
        (DEFAULTS, Req::Garbage, A::Modify, New),
        (DEFAULTS, Req::Garbage, A::Destroy, Remove),
        // saveUninitialized: every new session is sent.
        (SAVE_UNINIT, Req::None, A::Nothing, New),
        (SAVE_UNINIT, Req::None, A::Read, New),
        (SAVE_UNINIT, Req::None, A::Destroy, Nothing),
        (SAVE_UNINIT, valid(10), A::Nothing, Nothing),
        (SAVE_UNINIT, Req::Expired, A::Nothing, New),
        (SAVE_UNINIT, Req::Garbage, A::Nothing, New),
        // resave: every loaded session is sealed again.
        (RESAVE, valid(0), A::Nothing, Reseal(TTL - 1000)),
        (RESAVE, valid(0), A::Read, Reseal(TTL - 1000)),
        (RESAVE, valid(0), A::Destroy, Remove),
        (RESAVE, Req::None, A::Nothing, Nothing),
        (RESAVE, Req::Expired, A::Nothing, Remove),
        (RESAVE, Req::Garbage, A::Nothing, Nothing),
        // rolling: every response.
        (EVERY, valid(0), A::Nothing, Reseal(TTL - 1000)),
        (EVERY, near_end_fresh, A::Nothing, Reseal(1)),
        (EVERY, Req::None, A::Nothing, Nothing),
        (EVERY, Req::Garbage, A::Nothing, Nothing),
        (EVERY, Req::Idle, A::Nothing, Remove),
        // rolling: other percentages of 600 s.
        (percent(50), valid(300), A::Nothing, Nothing),
        (percent(50), valid(301), A::Nothing, Reseal(TTL - 1000)),
        (percent(1), valid(6), A::Nothing, Nothing),
        (percent(1), valid(7), A::Nothing, Reseal(TTL - 1000)),
        (percent(99), valid(594), A::Nothing, Nothing),
        (percent(99), valid(595), A::Nothing, Reseal(TTL - 1000)),
        // Without an idle timeout, a percentage never comes due.
        (NO_IDLE, valid(999), A::Nothing, Nothing),
        (NO_IDLE, Req::Primary { issued_ago: TTL - 1, active_ago: TTL - 1 }, A::Nothing, Nothing),
        (NO_IDLE, Req::Idle, A::Nothing, Nothing),
        (NO_IDLE, valid(10), A::Touch, Reseal(TTL - 1000)),
        (NO_IDLE_EVERY, valid(0), A::Nothing, Reseal(TTL - 1000)),
    ]
}

fn act(session: &mut sealed_session::Session<Data>, action: Action) {
    match action {
        Action::Nothing => {}
        Action::Read => {
            let _ = session.get();
            assert!(!session.is_modified());
        }
        Action::Modify => session.get_or_insert_default().visits += 1,
        Action::Take => {
            session.take();
        }
        Action::Regenerate => session.regenerate(),
        Action::Destroy => session.destroy(),
        Action::Touch => session.touch(),
        Action::Flash => session.set_flash("saved").unwrap(),
        Action::TakeFlash => {
            let had = session.has_flash();
            let flash = session.take_flash::<String>().unwrap();
            assert_eq!(flash.is_some(), had);
        }
    }
}

fn same_id(a: &SessionMeta, b: &SessionMeta) -> bool {
    a.session_id().ct_eq(b.session_id())
}

#[test]
fn policy_table() {
    let now = UnixSeconds::new(NOW);
    let mut failures = Vec::new();
    for (i, &(knobs, req, action, expect)) in rows().iter().enumerate() {
        let what = format!("row {i}: {knobs:?} {req:?} {action:?} -> {expect:?}");
        let config = table_config(knobs);
        let header = req.value().map(|v| format!("theme=dark; sid={v}; lang=en"));
        let mut session = config.load::<Data, _>(header);
        assert_eq!(session.now(), now);
        assert_eq!(session.load_error(), req.error(knobs).as_ref(), "{what}");
        let before: Option<SessionMeta> = session.meta().cloned();
        act(&mut session, action);
        let data_after = session.get().cloned();
        let flash_after = action == Action::Flash
            || (action != Action::TakeFlash && action != Action::Destroy && session.has_flash());
        let response = session.finish().unwrap();

        let got = match response.set_cookie_headers() {
            [] => Expect::Nothing,
            [one] if one == &config.removal_cookie() => Expect::Remove,
            [one] => {
                let reloaded = config.load::<Data, _>(Some(format!("sid={}", pair(one).1)));
                let meta = reloaded
                    .meta()
                    .unwrap_or_else(|| panic!("{what}: {:?}", reloaded.load_error()));
                assert_eq!(meta.key_id(), KeyId::new(1), "{what}: primary key");
                assert_eq!(meta.last_active_at(), now, "{what}");
                assert_eq!(reloaded.get(), data_after.as_ref(), "{what}: data kept");
                assert_eq!(reloaded.has_flash(), flash_after, "{what}: flash");
                let age = max_age(one);
                assert_eq!(
                    meta.expires_at(),
                    UnixSeconds::new(NOW + age),
                    "{what}: Max-Age is the remaining lifetime"
                );
                match &before {
                    Some(b) if same_id(b, meta) => {
                        assert_eq!(meta.issued_at(), b.issued_at(), "{what}");
                        assert_eq!(meta.expires_at(), b.expires_at(), "{what}");
                        Expect::Reseal(age)
                    }
                    _ => {
                        assert_eq!(meta.issued_at(), now, "{what}");
                        assert_eq!(age, TTL, "{what}");
                        Expect::New
                    }
                }
            }
            more => panic!("{what}: {} Set-Cookie headers", more.len()),
        };
        let cache: &[(&str, &str)] = if got == Expect::Nothing { &[] } else { &CACHE };
        assert_eq!(response.cache_headers(), cache, "{what}");
        if got != expect {
            failures.push(format!("{what}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A configuration with cookie `sid`, the table's lifetimes and the given
/// rolling, at `NOW`, plus its clock.
fn focused(rolling: Rolling, idle: u64) -> (FixedClock, SessionConfig) {
    let c = FixedClock::new(UnixSeconds::new(NOW));
    let config = SessionConfig::builder(ring())
        .with_cookie_name("sid")
        .with_clock(c.clone())
        .with_absolute_ttl(secs(TTL))
        .with_idle_timeout(secs(idle))
        .with_rolling(rolling)
        .build()
        .unwrap();
    (c, config)
}

fn load(config: &SessionConfig, value: &str) -> sealed_session::Session<Data> {
    let session = config.load::<Data, _>(Some(format!("sid={value}")));
    assert!(!session.is_new(), "{:?}", session.load_error());
    session
}

#[test]
fn rolling_is_due_strictly_after_the_percentage() {
    for idle in [600u64, 7, 1000] {
        for p in 1..=99u8 {
            let (_c, config) = focused(Rolling::AfterIdlePercent(p), idle);
            // The first whole second past `idle * p / 100`.
            let due = idle * u64::from(p) / 100 + 1;
            if due >= idle {
                continue;
            }
            let quiet = mint(1, 1, NOW - 1000, NOW - (due - 1), Data::default(), false);
            let stale = mint(1, 1, NOW - 1000, NOW - due, Data::default(), false);
            assert!(
                load(&config, &quiet).finish().unwrap().is_empty(),
                "idle {idle} p {p}: {} s",
                due - 1
            );
            assert_eq!(
                load(&config, &stale)
                    .finish()
                    .unwrap()
                    .set_cookie_headers()
                    .len(),
                1,
                "idle {idle} p {p}: {due} s"
            );
        }
    }
}

#[test]
fn refreshing_never_extends_the_absolute_lifetime() {
    let (c, config) = focused(Rolling::EveryResponse, IDLE);
    let mut value = mint(1, 1, NOW, NOW, Data::user("ada"), false);
    let expires = UnixSeconds::new(NOW + TTL);
    let mut t = 0;
    while t + 500 < TTL {
        t += 500;
        c.set(UnixSeconds::new(NOW + t));
        let session = load(&config, &value);
        assert_eq!(session.meta().unwrap().expires_at(), expires);
        let header = only(&session.finish().unwrap()).to_owned();
        assert_eq!(max_age(&header), TTL - t, "at {t}");
        value = pair(&header).1.to_owned();
    }
    // The last re-seal was at 3500 s; at 3600 s the session is over.
    c.set(UnixSeconds::new(NOW + TTL - 1));
    assert_eq!(max_age(only(&load(&config, &value).finish().unwrap())), 1);
    c.set(UnixSeconds::new(NOW + TTL));
    let session = config.load::<Data, _>(Some(format!("sid={value}")));
    assert_eq!(session.load_error(), Some(&OpenError::Expired));
    assert_eq!(only(&session.finish().unwrap()), config.removal_cookie());
}

#[test]
fn max_age_is_the_remaining_absolute_lifetime() {
    let (c, config) = focused(Rolling::AfterIdlePercent(25), IDLE);
    let value = mint(1, 1, NOW, NOW, Data::user("ada"), false);
    for t in [0, 1, 100, 599] {
        c.set(UnixSeconds::new(NOW + t));
        let mut session = load(&config, &value);
        session.get_mut().unwrap().visits += 1;
        assert_eq!(max_age(only(&session.finish().unwrap())), TTL - t, "at {t}");
    }
    // Regenerating starts a whole new lifetime.
    c.set(UnixSeconds::new(NOW + 599));
    let mut session = load(&config, &value);
    session.regenerate();
    assert_eq!(max_age(only(&session.finish().unwrap())), TTL);
}

#[test]
fn a_shortened_lifetime_applies_to_issued_sessions() {
    // Issued under a 3600 s lifetime, 1000 s ago; the configuration now says
    // 1800 s.
    let value = mint(1, 1, NOW - 1000, NOW - 10, Data::user("ada"), false);
    let c = FixedClock::new(UnixSeconds::new(NOW));
    let config = builder(&c)
        .with_cookie_name("sid")
        .with_absolute_ttl(secs(1800))
        .build()
        .unwrap();
    let mut session = load(&config, &value);
    assert_eq!(
        session.meta().unwrap().expires_at(),
        UnixSeconds::new(NOW + 800)
    );
    session.touch();
    assert_eq!(max_age(only(&session.finish().unwrap())), 800);
}

#[test]
fn key_rotation_reseals_under_the_primary_key() {
    // Sealed under key 1; then key 2 becomes primary with key 1 kept.
    let value = mint(1, 1, NOW - 1000, NOW - 10, Data::user("ada"), false);
    let c = FixedClock::new(UnixSeconds::new(NOW));
    let rotated = Keyring::new(KeyId::new(2), key(2))
        .with_old_key(KeyId::new(1), key(1))
        .unwrap();
    let config = SessionConfig::builder(rotated)
        .with_cookie_name("sid")
        .with_clock(c.clone())
        .build()
        .unwrap();
    let session = load(&config, &value);
    let before = session.meta().unwrap().clone();
    assert_eq!(before.key_id(), KeyId::new(1));
    assert!(before.needs_reseal());
    let header = only(&session.finish().unwrap()).to_owned();
    let resealed = pair(&header).1.to_owned();

    // Key 1 retired: the re-sealed cookie still opens, the old one does not.
    let retired = SessionConfig::builder(Keyring::new(KeyId::new(2), key(2)))
        .with_cookie_name("sid")
        .with_clock(c)
        .build()
        .unwrap();
    let session = load(&retired, &resealed);
    let meta = session.meta().unwrap();
    assert_eq!(meta.key_id(), KeyId::new(2));
    assert!(!meta.needs_reseal());
    assert!(same_id(meta, &before));
    assert_eq!(meta.issued_at(), before.issued_at());
    assert_eq!(session.get(), Some(&Data::user("ada")));
    assert!(session.finish().unwrap().is_empty(), "nothing more to do");
    let old = retired.load::<Data, _>(Some(format!("sid={value}")));
    assert_eq!(old.load_error(), Some(&OpenError::UnknownKeyId));
}

#[test]
fn reseal_keeps_identity_and_renew_and_regenerate_replace_it() {
    let (_c, config) = focused(Rolling::AfterIdlePercent(25), IDLE);
    let value = mint(1, 1, NOW - 1000, NOW - 10, Data::user("ada"), false);
    let mut session = load(&config, &value);
    let before = session.meta().unwrap().clone();
    session.get_mut().unwrap().visits = 5;
    let header = only(&session.finish().unwrap()).to_owned();
    let after = load(&config, pair(&header).1);
    let meta = after.meta().unwrap();
    assert!(same_id(meta, &before));
    assert_eq!(meta.issued_at(), before.issued_at());
    assert_eq!(meta.expires_at(), before.expires_at());
    assert_eq!(meta.last_active_at(), UnixSeconds::new(NOW));
    assert_eq!(after.get().unwrap().visits, 5);

    for regenerate in [false, true] {
        let mut session = load(&config, &value);
        if regenerate {
            session.regenerate();
        } else {
            session.renew();
        }
        assert!(session.is_modified());
        let header = only(&session.finish().unwrap()).to_owned();
        let after = load(&config, pair(&header).1);
        let meta = after.meta().unwrap();
        assert!(!same_id(meta, &before));
        assert_eq!(meta.issued_at(), UnixSeconds::new(NOW));
        assert_eq!(meta.expires_at(), UnixSeconds::new(NOW + TTL));
        let expected = (!regenerate).then(|| Data::user("ada"));
        assert_eq!(after.get(), expected.as_ref(), "regenerate: {regenerate}");
    }
}

#[test]
fn destroy_then_write_starts_a_new_session() {
    let (_c, config) = focused(Rolling::AfterIdlePercent(25), IDLE);
    let value = mint(1, 1, NOW - 1000, NOW - 10, Data::user("ada"), true);
    let mut session = load(&config, &value);
    let before = session.meta().unwrap().clone();
    session.set_flash("pending").unwrap();
    session.destroy();
    assert!(session.is_destroyed());
    assert!(session.is_new());
    assert_eq!(session.get(), None);
    assert!(!session.has_flash());
    assert!(session.meta().is_none());
    session.insert(Data::user("bob"));
    let header = only(&session.finish().unwrap()).to_owned();
    assert_eq!(max_age(&header), TTL);
    let after = load(&config, pair(&header).1);
    assert!(!same_id(after.meta().unwrap(), &before));
    assert_eq!(after.get(), Some(&Data::user("bob")));
    assert!(
        !after.has_flash(),
        "the old flash went with the old session"
    );
}

#[test]
fn regenerate_then_destroy_removes() {
    let (_c, config) = focused(Rolling::AfterIdlePercent(25), IDLE);
    let value = mint(1, 1, NOW - 1000, NOW - 10, Data::user("ada"), false);
    let mut session = load(&config, &value);
    session.regenerate();
    session.destroy();
    assert_eq!(only(&session.finish().unwrap()), config.removal_cookie());
}

#[test]
fn modification_tracking() {
    let (_c, config) = focused(Rolling::AfterIdlePercent(25), IDLE);
    let value = mint(1, 1, NOW - 1000, NOW - 10, Data::user("ada"), false);
    let mut session = load(&config, &value);
    assert!(!session.is_modified());
    let _ = session.get();
    let _ = session.has_flash();
    let _ = session.meta();
    assert_eq!(session.take_flash::<String>(), Ok(None));
    assert!(!session.is_modified(), "reads do not modify");
    session.touch();
    assert!(
        !session.is_modified(),
        "touch asks for a save without modifying"
    );
    let _ = session.get_mut();
    assert!(session.is_modified());

    let mut fresh = config.new_session::<Data>();
    assert!(fresh.is_new() && !fresh.is_modified() && fresh.load_error().is_none());
    *fresh.get_or_insert_with(|| Data::user("x")) = Data::user("y");
    assert!(fresh.is_modified());
    assert_eq!(fresh.insert(Data::user("z")), Some(Data::user("y")));
    assert_eq!(fresh.take(), Some(Data::user("z")));
    assert_eq!(fresh.get(), None);
}

#[test]
fn cache_headers_go_with_set_cookie() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let response = config.new_session::<Data>().finish().unwrap();
    assert!(response.is_empty());
    assert!(response.cache_headers().is_empty());
    assert_eq!(response.headers().count(), 0);

    let mut session = config.new_session::<Data>();
    session.insert(Data::user("ada"));
    let response = session.finish().unwrap();
    assert!(!response.is_empty());
    assert_eq!(response.cache_headers(), CACHE);
    let headers: Vec<(&str, &str)> = response.headers().collect();
    let set_cookie = only(&response);
    assert_eq!(
        headers,
        [
            ("set-cookie", set_cookie),
            ("cache-control", "private, no-store"),
            ("vary", "Cookie")
        ]
    );
    assert_eq!(
        response.clone().into_set_cookie_headers(),
        [set_cookie.to_owned()]
    );
    assert_eq!(sealed_session::CACHE_CONTROL, "private, no-store");
    assert_eq!(sealed_session::VARY, "Cookie");

    // A removal is a Set-Cookie too (for a request that carried our cookie).
    let mut session = config.load::<Data, _>(Some("__Host-session=garbage"));
    session.destroy();
    let response = session.finish().unwrap();
    assert_eq!(response.cache_headers(), CACHE);
}

#[test]
fn get_mut_on_an_empty_new_session_sends_nothing() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut session = config.new_session::<Data>();
    if let Some(data) = session.get_mut() {
        data.visits += 1;
    }
    let response = session.finish().unwrap();
    assert!(response.is_empty(), "{:?}", response.set_cookie_headers());
}

#[test]
fn take_on_an_empty_new_session_sends_nothing() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut session = config.new_session::<Data>();
    assert_eq!(session.take(), None);
    let response = session.finish().unwrap();
    assert!(response.is_empty(), "{:?}", response.set_cookie_headers());
}
