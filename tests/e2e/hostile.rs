//! Cookies that must not open, and a session that must not be sent:
//! tampering, a not-before cut-off, a session too large for a cookie.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;
use base64::Engine as _;
use sealed_session::Clock;

use crate::support::{config_with, config_with_clock, key_text, ring, Browser, Server, NAME};

#[tokio::test]
async fn a_tampered_cookie_gives_a_fresh_session_not_an_error() {
    let server = Server::start(config_with(ring(&format!("1:{}", key_text())), |b| b)).await;
    let browser = Browser::new();
    browser.login(&server, "fay").await;
    browser.submit(&server, "/count", &[]).await;
    let good = browser.cookie(NAME).expect("a session cookie");
    assert_eq!(browser.debug(&server).await.0.count, 1);

    let bytes = BASE64.decode(&good).expect("a base64url cookie");
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 1;
    let mut extended = bytes.clone();
    extended.push(0);
    let tampered = [
        (
            "one bit flipped",
            BASE64.encode(&flipped),
            "AuthenticationFailed",
        ),
        (
            "last byte cut",
            BASE64.encode(&bytes[..bytes.len() - 1]),
            "AuthenticationFailed",
        ),
        (
            "one byte added",
            BASE64.encode(&extended),
            "AuthenticationFailed",
        ),
        // A length of 4n + 1 characters is never base64.
        (
            "cut mid-character",
            good[..(good.len() - 2) / 4 * 4 + 1].to_owned(),
            "Malformed",
        ),
        ("garbage", "not-a-sealed-value".to_owned(), "Malformed"),
        ("empty", String::new(), "Malformed"),
    ];
    for (what, value, error) in tampered {
        browser.set_cookie(NAME, &value);
        let reply = browser.get(&server.at("/debug")).await;
        assert_eq!(reply.status, 200, "{what}: {reply:?}");
        let view = reply.view();
        assert!(view.new, "{what}");
        assert_eq!((view.user, view.count), (None, 0), "{what}");
        assert_eq!(view.load_error.as_deref(), Some(error), "{what}");
        // Not ours for sure (it may be a peer's): left alone, no removal.
        assert!(reply.set_cookies.is_empty(), "{what}: {reply:?}");
    }

    // The home page starts a fresh, working session over the bad cookie.
    let home = browser.get(&server.at("/")).await;
    assert_eq!(home.status, 200);
    assert_eq!(home.session_cookies().len(), 1, "{home:?}");
    browser.login(&server, "fay").await;
    assert_eq!(browser.submit(&server, "/count", &[]).await.status, 303);
    let (view, _) = browser.debug(&server).await;
    assert_eq!(
        (view.user.as_deref(), view.count, view.load_error),
        (Some("fay"), 1, None)
    );
}

#[tokio::test]
async fn a_not_before_cut_off_refuses_older_cookies() {
    let (config, clock) = config_with_clock();
    let t0 = clock.now();
    let server = Server::start(config).await;
    let browser = Browser::new();
    browser.login(&server, "gil").await;
    let copy = browser.cookie(NAME).expect("a session cookie");
    assert_eq!(browser.debug(&server).await.0.user.as_deref(), Some("gil"));

    // "Log everyone out": refuse sessions issued before t0 + 5 s, at run time.
    clock.advance(Duration::from_secs(10));
    let cut_off = t0.checked_add(Duration::from_secs(5)).expect("time");
    server.config.sealer().set_not_before(cut_off);

    let reply = browser.get(&server.at("/debug")).await;
    let view = reply.view();
    assert!(view.new);
    assert_eq!(view.user, None);
    assert_eq!(view.load_error.as_deref(), Some("Revoked"));
    let removal = reply.session_cookies();
    assert_eq!(
        removal.len(),
        1,
        "a dead cookie of ours is removed: {reply:?}"
    );
    assert!(removal[0].contains("Max-Age=0"), "{}", removal[0]);
    assert_eq!(browser.cookie(NAME), None);

    // A copy kept elsewhere is refused too, and nothing it carried is shown.
    let other = Browser::new();
    other.set_cookie(NAME, &copy);
    let (replayed, _) = other.debug(&server).await;
    assert_eq!(
        (replayed.user, replayed.load_error.as_deref()),
        (None, Some("Revoked"))
    );

    // Logging in again gives a session issued after the cut-off.
    browser.login(&server, "gil").await;
    let (again, _) = browser.debug(&server).await;
    assert_eq!(again.user.as_deref(), Some("gil"));
    assert_eq!(again.issued_at, Some(t0.as_secs() + 10));
}

#[tokio::test]
async fn a_server_configured_with_not_before_refuses_what_a_peer_still_accepts() {
    let line = format!("1:{}", key_text());
    let (old_config, clock) = {
        let clock = sealed_session::FixedClock::new(crate::support::now());
        let config = config_with(ring(&line), |b| b.with_clock(clock.clone()));
        (config, clock)
    };
    let t0 = clock.now();
    let old = Server::start(old_config).await;
    let browser = Browser::new();
    browser.login(&old, "hal").await;
    let copy = browser.cookie(NAME).expect("a session cookie");

    clock.advance(Duration::from_secs(10));
    let cut_off = t0.checked_add(Duration::from_secs(5)).expect("time");
    let new = Server::start(config_with(ring(&line), |b| {
        b.with_clock(clock.clone()).with_not_before(cut_off)
    }))
    .await;

    let (refused, reply) = browser.debug(&new).await;
    assert_eq!(
        (refused.user, refused.load_error.as_deref()),
        (None, Some("Revoked"))
    );
    assert_eq!(reply.session_cookies().len(), 1, "removal: {reply:?}");
    assert_eq!(browser.cookie(NAME), None);

    // The residual window (SECURITY.md): a server without the cut-off still
    // accepts a copy of the cookie.
    let thief = Browser::new();
    thief.set_cookie(NAME, &copy);
    assert_eq!(thief.debug(&old).await.0.user.as_deref(), Some("hal"));

    // A session issued after the cut-off opens on both.
    browser.login(&old, "hal").await;
    assert_eq!(browser.debug(&new).await.0.user.as_deref(), Some("hal"));
}

#[tokio::test]
async fn an_oversize_session_is_a_clear_server_error_without_a_cookie() {
    let server = Server::start(config_with(ring(&format!("1:{}", key_text())), |b| b)).await;
    let browser = Browser::new();
    browser.login(&server, "ida").await;
    browser.submit(&server, "/count", &[]).await;
    // Growing a little works.
    let reply = browser.submit(&server, "/grow", &[("bytes", "1000")]).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    let before = browser.cookie(NAME).expect("a session cookie");
    assert_eq!(browser.debug(&server).await.0.notes_len, 1000);

    // 4000 more bytes cannot fit a 4096-byte cookie.
    let reply = browser.submit(&server, "/grow", &[("bytes", "4000")]).await;
    assert_eq!(reply.status, 500, "{reply:?}");
    assert_eq!(reply.body, "session data too large to store in a cookie");
    assert!(
        reply.set_cookies.is_empty(),
        "no cookie a browser would drop: {reply:?}"
    );
    assert_eq!(reply.location, None, "the handler's redirect is replaced");

    // The browser keeps the last good session.
    assert_eq!(browser.cookie(NAME).as_deref(), Some(before.as_str()));
    let (view, _) = browser.debug(&server).await;
    assert_eq!(
        (view.user.as_deref(), view.count, view.notes_len),
        (Some("ida"), 1, 1000)
    );
}
