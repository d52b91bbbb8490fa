//! express-session scenarios end to end, with a browser cookie jar and a
//! fixed clock: first visit, login, activity, rolling refresh, idle and
//! absolute expiry, logout, session fixation, flash messages, key rotation.

use sealed_session::{
    FixedClock, KeyId, Keyring, OpenError, Rolling, SessionConfig, SessionId, UnixSeconds,
};

use crate::support::{
    at, builder, clock, is_removal, key, max_age, only, pair, secs, Browser, Data, CACHE, T0,
};

const DEFAULT_IDLE: u64 = 1800;
const DAY: u64 = 86_400;

fn id_of(browser: &Browser, config: &SessionConfig) -> SessionId {
    let session = browser.request::<Data>(config);
    session.meta().expect("a live session").session_id().clone()
}

/// Logs `user` in: regenerate (against fixation), then store the user.
fn log_in(browser: &mut Browser, config: &SessionConfig, user: &str) {
    let mut session = browser.request::<Data>(config);
    session.regenerate();
    session.insert(Data::user(user));
    let response = browser.respond(session);
    assert_eq!(response.set_cookie_headers().len(), 1);
}

fn current_user(browser: &Browser, config: &SessionConfig) -> Option<String> {
    browser
        .request::<Data>(config)
        .get()
        .and_then(|d| d.user.clone())
}

#[test]
fn first_visit_sets_no_cookie() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut browser = Browser::new(&c);
    for _ in 0..3 {
        let session = browser.request::<Data>(&config);
        assert!(session.is_new());
        assert_eq!(session.load_error(), None);
        assert_eq!(session.get(), None);
        let response = browser.respond(session);
        assert!(response.is_empty());
        assert!(response.cache_headers().is_empty());
        c.advance(secs(10));
    }
    assert_eq!(browser.len(), 0);
}

#[test]
fn save_uninitialized_gives_every_visitor_a_cookie() {
    let c = clock();
    let config = builder(&c).with_save_uninitialized(true).build().unwrap();
    let mut browser = Browser::new(&c);
    let response = browser.respond(browser.request::<Data>(&config));
    assert_eq!(max_age(only(&response)), DAY);
    let first = id_of(&browser, &config);
    c.advance(secs(60));
    let session = browser.request::<Data>(&config);
    assert!(!session.is_new());
    assert!(session.get().is_none());
    assert!(browser.respond(session).is_empty(), "loaded, unchanged");
    assert!(id_of(&browser, &config).ct_eq(&first));
}

#[test]
fn login_then_activity_keeps_data_and_id() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut browser = Browser::new(&c);
    browser.respond(browser.request::<Data>(&config));
    c.advance(secs(60));
    log_in(&mut browser, &config, "ada");
    let login_at = at(60);
    assert_eq!(browser.len(), 1);
    let id = id_of(&browser, &config);

    for n in 1..=10u32 {
        c.advance(secs(60));
        let mut session = browser.request::<Data>(&config);
        let meta = session.meta().unwrap();
        assert!(meta.session_id().ct_eq(&id), "request {n}: same id");
        assert_eq!(meta.issued_at(), login_at);
        assert_eq!(session.get().unwrap().user.as_deref(), Some("ada"));
        assert_eq!(session.get().unwrap().visits, n - 1);
        session.get_mut().unwrap().visits += 1;
        let response = browser.respond(session);
        // Max-Age counts down from the login, never extended.
        assert_eq!(max_age(only(&response)), DAY - 60 * u64::from(n));
        assert_eq!(response.cache_headers(), CACHE);
    }
    let session = browser.request::<Data>(&config);
    assert_eq!(session.get().unwrap().visits, 10);
}

#[test]
fn rolling_keeps_an_active_session_past_the_idle_window() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut browser = Browser::new(&c);
    log_in(&mut browser, &config, "ada");
    // Read-only requests every 5 minutes for 2 hours: far past the 30-minute
    // idle timeout. Rolling at 25% (450 s) re-seals every other response.
    let mut set_cookies = 0;
    for n in 1..=24u64 {
        c.advance(secs(300));
        let session = browser.request::<Data>(&config);
        assert_eq!(
            session.get().and_then(|d| d.user.as_deref()),
            Some("ada"),
            "after {} s",
            300 * n
        );
        let response = browser.respond(session);
        if !response.is_empty() {
            set_cookies += 1;
            assert_eq!(max_age(only(&response)), DAY - 300 * n);
        }
    }
    assert_eq!(set_cookies, 12, "most responses carry no Set-Cookie");

    // The same 2 hours without a request: the session times out.
    let mut idle_browser = Browser::new(&c);
    log_in(&mut idle_browser, &config, "bob");
    c.advance(secs(DEFAULT_IDLE));
    assert_eq!(current_user(&idle_browser, &config), None);
}

#[test]
fn rolling_never_outlives_the_absolute_lifetime() {
    let c = clock();
    let config = builder(&c)
        .with_rolling(Rolling::EveryResponse)
        .build()
        .unwrap();
    let mut browser = Browser::new(&c);
    log_in(&mut browser, &config, "ada");
    let mut last_value = String::new();
    let mut t = 0;
    // A request every 25 minutes, each one re-sealing, for a whole day.
    while t + 1500 < DAY {
        t += 1500;
        c.set(at(t));
        let session = browser.request::<Data>(&config);
        assert_eq!(
            session.get().and_then(|d| d.user.as_deref()),
            Some("ada"),
            "at {t}"
        );
        let response = browser.respond(session);
        assert_eq!(max_age(only(&response)), DAY - t);
        last_value = pair(only(&response)).1.to_owned();
    }
    c.set(at(DAY - 1));
    assert_eq!(current_user(&browser, &config).as_deref(), Some("ada"));
    // At the absolute expiry the browser drops the cookie by its Max-Age ...
    c.set(at(DAY));
    assert_eq!(browser.len(), 0);
    let session = browser.request::<Data>(&config);
    assert!(session.is_new());
    assert_eq!(session.load_error(), None);
    // ... and a client that keeps it anyway is refused and told to drop it.
    let session = config.load::<Data, _>(Some(format!("__Host-session={last_value}")));
    assert_eq!(session.load_error(), Some(&OpenError::Expired));
    assert_eq!(session.get(), None);
    assert_eq!(only(&session.finish().unwrap()), config.removal_cookie());
}

#[test]
fn idle_expiry_gives_a_fresh_session_and_removes_the_cookie() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut browser = Browser::new(&c);
    log_in(&mut browser, &config, "ada");

    // One second before the idle timeout, still logged in.
    let mut early = browser.clone();
    c.advance(secs(DEFAULT_IDLE - 1));
    assert_eq!(current_user(&early, &config).as_deref(), Some("ada"));
    let response = early.respond(early.request::<Data>(&config));
    assert_eq!(response.set_cookie_headers().len(), 1, "rolling refresh");

    c.advance(secs(1));
    assert_eq!(browser.len(), 1, "the browser still sends the cookie");
    let session = browser.request::<Data>(&config);
    assert!(session.is_new());
    assert_eq!(session.load_error(), Some(&OpenError::IdleTimeout));
    assert_eq!(session.get(), None);
    let response = browser.respond(session);
    assert!(is_removal(only(&response)));
    assert_eq!(response.cache_headers(), CACHE);
    assert_eq!(browser.len(), 0);

    let session = browser.request::<Data>(&config);
    assert!(session.is_new());
    assert_eq!(session.load_error(), None);
    assert!(browser.respond(session).is_empty());
    // The refreshed copy lives on.
    assert_eq!(current_user(&early, &config).as_deref(), Some("ada"));
}

#[test]
fn logout_removes_the_cookie_with_its_name_domain_and_path() {
    let c = clock();
    let config = builder(&c)
        .with_cookie_name("sid")
        .with_domain("example.com")
        .with_path("/app")
        .build()
        .unwrap();
    let mut browser = Browser::new(&c);
    // An unrelated cookie of the same name at another path stays.
    browser.plant("sid", "other-app", "", "/");
    log_in(&mut browser, &config, "ada");
    assert_eq!(browser.len(), 2);
    let before_logout = browser.cookie_header().unwrap();
    c.advance(secs(60));

    let mut session = browser.request::<Data>(&config);
    assert_eq!(session.get().and_then(|d| d.user.as_deref()), Some("ada"));
    session.destroy();
    let response = browser.respond(session);
    let removal = only(&response);
    assert_eq!(
        removal,
        "sid=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Domain=example.com; Path=/app; Secure; HttpOnly; SameSite=Lax"
    );
    assert_eq!(response.cache_headers(), CACHE);
    assert_eq!(browser.cookie_header().as_deref(), Some("sid=other-app"));

    // The next request is anonymous, and nothing is removed again.
    let session = browser.request::<Data>(&config);
    assert!(session.is_new());
    assert_eq!(session.load_error(), Some(&OpenError::Malformed));
    assert!(browser.respond(session).is_empty());

    // Documented limit: a copy taken before logout opens until it expires.
    let replay = config.load::<Data, _>(Some(&before_logout));
    assert_eq!(replay.get().and_then(|d| d.user.as_deref()), Some("ada"));
}

#[test]
fn regenerate_defeats_session_fixation() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    // The attacker gets a session of their own (an anonymous cart) ...
    let mut attacker = Browser::new(&c);
    let mut session = attacker.request::<Data>(&config);
    session.get_or_insert_default().visits = 99;
    attacker.respond(session);
    let planted = attacker.value("__Host-session").unwrap();
    let attacker_id = id_of(&attacker, &config);

    for regenerate in [true, false] {
        // ... and plants it in the victim's browser.
        let mut victim = Browser::new(&c);
        victim.plant("__Host-session", &planted, "", "/");
        let mut session = victim.request::<Data>(&config);
        assert_eq!(
            session.get().unwrap().visits,
            99,
            "the planted session loads"
        );
        if regenerate {
            session.regenerate();
        }
        session.get_or_insert_default().user = Some("victim".to_owned());
        victim.respond(session);
        let visits = victim.request::<Data>(&config).get().map(|d| d.visits);
        assert_eq!(
            visits,
            Some(if regenerate { 0 } else { 99 }),
            "regenerate drops what was planted: {regenerate}"
        );
        assert_eq!(
            current_user(&victim, &config).as_deref(),
            Some("victim"),
            "the victim is logged in"
        );
        let victim_id = id_of(&victim, &config);
        // The attacker's copy never carries the victim's login: the data
        // lives in the victim's new cookie only.
        assert_eq!(current_user(&attacker, &config), None);
        // And regenerate is what gives the victim an id of their own.
        assert_eq!(
            victim_id.ct_eq(&attacker_id),
            !regenerate,
            "regenerate: {regenerate}"
        );
    }
}

#[test]
fn flash_is_read_exactly_once() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut browser = Browser::new(&c);
    log_in(&mut browser, &config, "ada");

    // POST /settings: save, flash, redirect.
    c.advance(secs(5));
    let mut session = browser.request::<Data>(&config);
    assert!(!session.has_flash());
    session.get_mut().unwrap().visits = 1;
    session.set_flash("settings saved").unwrap();
    assert!(!session.has_flash(), "has_flash is about earlier requests");
    assert_eq!(browser.respond(session).set_cookie_headers().len(), 1);

    // A request that does not read it (and changes data) keeps it.
    c.advance(secs(1));
    let mut session = browser.request::<Data>(&config);
    assert!(session.has_flash());
    session.get_mut().unwrap().visits = 2;
    browser.respond(session);

    // An unchanged request that does not read it keeps it too.
    c.advance(secs(1));
    let session = browser.request::<Data>(&config);
    assert!(session.has_flash());
    assert!(browser.respond(session).is_empty());

    // GET /settings: shown once; the response drops it.
    c.advance(secs(1));
    let mut session = browser.request::<Data>(&config);
    assert_eq!(
        session.take_flash::<String>().unwrap().as_deref(),
        Some("settings saved")
    );
    assert_eq!(session.take_flash::<String>(), Ok(None), "once per request");
    assert!(!session.has_flash());
    assert_eq!(browser.respond(session).set_cookie_headers().len(), 1);

    // Next request: gone, data intact, nothing to send.
    c.advance(secs(1));
    let mut session = browser.request::<Data>(&config);
    assert!(!session.has_flash());
    assert_eq!(session.take_flash::<String>(), Ok(None));
    assert_eq!(session.get().unwrap().visits, 2);
    assert!(browser.respond(session).is_empty());
}

#[test]
fn flash_of_another_type_is_an_error_and_is_dropped() {
    let c = clock();
    let config = builder(&c).build().unwrap();
    let mut browser = Browser::new(&c);
    let mut session = browser.request::<Data>(&config);
    session.set_flash(&(1u8, 2u8, 3u8)).unwrap();
    browser.respond(session);
    c.advance(secs(1));
    let mut session = browser.request::<Data>(&config);
    assert!(session.get().is_none(), "a flash alone holds no data");
    assert_eq!(
        session.take_flash::<(u8, u8)>(),
        Err(OpenError::PayloadMismatch)
    );
    assert!(!session.has_flash());
    browser.respond(session);
    let mut session = browser.request::<Data>(&config);
    assert_eq!(session.take_flash::<(u8, u8, u8)>(), Ok(None));
}

#[test]
fn key_rotation_keeps_users_logged_in() {
    let c = clock();
    let one = builder(&c).build().unwrap();
    let mut browser = Browser::new(&c);
    log_in(&mut browser, &one, "ada");
    let id = id_of(&browser, &one);

    // Deploy 2: key 2 seals, key 1 still opens.
    c.advance(secs(60));
    let both = SessionConfig::builder(
        Keyring::new(KeyId::new(2), key(2))
            .with_old_key(KeyId::new(1), key(1))
            .unwrap(),
    )
    .with_clock(c.clone())
    .build()
    .unwrap();
    let session = browser.request::<Data>(&both);
    assert_eq!(session.meta().unwrap().key_id(), KeyId::new(1));
    let response = browser.respond(session);
    assert_eq!(
        response.set_cookie_headers().len(),
        1,
        "re-sealed under key 2"
    );
    let session = browser.request::<Data>(&both);
    assert_eq!(session.meta().unwrap().key_id(), KeyId::new(2));
    assert!(browser.respond(session).is_empty());

    // Deploy 3: key 1 retired.
    c.advance(secs(60));
    let two = SessionConfig::builder(Keyring::new(KeyId::new(2), key(2)))
        .with_clock(c.clone())
        .build()
        .unwrap();
    assert_eq!(current_user(&browser, &two).as_deref(), Some("ada"));
    assert!(id_of(&browser, &two).ct_eq(&id));
}

#[test]
fn forged_cookies_tossed_from_a_sibling_domain_do_not_hide_the_session() {
    let c = clock();
    let config = builder(&c)
        .with_cookie_name("__Secure-sid")
        .with_domain("example.com")
        .build()
        .unwrap();
    let mut browser = Browser::new(&c);
    log_in(&mut browser, &config, "ada");
    // A sibling subdomain sets cookies of our name with longer paths, so
    // the browser sends them first.
    let sibling = SessionConfig::builder(Keyring::new(KeyId::new(1), key(7)))
        .with_cookie_name("__Secure-sid")
        .with_clock(c.clone())
        .build()
        .unwrap();
    let mut s = sibling.new_session::<Data>();
    s.insert(Data::user("mallory"));
    let sibling_value = pair(only(&s.finish().unwrap())).1.to_owned();
    browser.plant("__Secure-sid", &sibling_value, "example.com", "/account/x");
    browser.plant("__Secure-sid", "garbage", "example.com", "/account");
    let header = browser.cookie_header().unwrap();
    assert!(header.starts_with(&format!(
        "__Secure-sid={sibling_value}; __Secure-sid=garbage; "
    )));
    let session = browser.request::<Data>(&config);
    assert_eq!(session.get().and_then(|d| d.user.as_deref()), Some("ada"));
    assert_eq!(session.load_error(), None);
}

#[test]
fn a_clock_moving_between_requests_is_read_per_request() {
    // The session's time is the clock's when it is loaded.
    let c = FixedClock::new(UnixSeconds::new(T0));
    let config = builder(&c).build().unwrap();
    let s1 = config.new_session::<Data>();
    c.advance(secs(5));
    let s2 = config.load::<Data, _>(None::<&str>);
    assert_eq!(s1.now(), at(0));
    assert_eq!(s2.now(), at(5));
    assert_eq!(config.load_at::<Data, _>(None::<&str>, at(9)).now(), at(9));
}
