//! The application flow: login (with regeneration), counter, flash, logout,
//! and several clients at once.

use std::sync::Arc;
use std::time::Duration;

use sealed_session::Clock;
use tokio::task::JoinSet;

use crate::support::{config_with, config_with_clock, key_text, ring, Browser, Server, NAME};

async fn server() -> Server {
    Server::start(config_with(ring(&format!("1:{}", key_text())), |b| b)).await
}

#[tokio::test]
async fn login_regenerates_the_session() {
    let (config, clock) = config_with_clock();
    let t0 = clock.now().as_secs();
    let server = Server::start(config).await;
    let browser = Browser::new();

    // First visit: the page mints a CSRF token, so the session is saved.
    let first = browser.get(&server.at("/")).await;
    let before = first.view();
    assert!(before.new && before.user.is_none());
    assert_eq!(first.session_cookies().len(), 1, "{first:?}");
    let planted = browser.cookie(NAME).expect("a session cookie");
    let (anonymous, _) = browser.debug(&server).await;
    assert_eq!(anonymous.issued_at, Some(t0));
    assert_eq!(anonymous.user, None);

    clock.advance(Duration::from_secs(10));
    let token = before.csrf.expect("token");
    let reply = browser
        .post(&server.at("/login"), &[("csrf", &token), ("name", "ada")])
        .await;
    assert_eq!(reply.status, 303);
    assert_eq!(reply.location.as_deref(), Some("/"));
    let after = browser.cookie(NAME).expect("a session cookie");
    assert_ne!(after, planted, "login must send a new cookie");

    let (logged_in, _) = browser.debug(&server).await;
    assert_eq!(logged_in.user.as_deref(), Some("ada"));
    assert_eq!(
        logged_in.issued_at,
        Some(t0 + 10),
        "regenerate restarts the lifetime"
    );

    // The token of the session before login no longer verifies: the id changed.
    let stale = browser
        .post(&server.at("/count"), &[("csrf", &token)])
        .await;
    assert_eq!(stale.status, 403, "{stale:?}");

    // Fixation: whoever planted the pre-login cookie holds an anonymous session.
    let attacker = Browser::new();
    attacker.set_cookie(NAME, &planted);
    let (theirs, _) = attacker.debug(&server).await;
    assert_eq!(theirs.user, None);
    assert_eq!(theirs.issued_at, Some(t0));
}

/// The login handler awaits a lookup between its session calls; what was
/// stored before the login does not survive it (express's `regenerate`).
#[tokio::test]
async fn login_starts_an_empty_session() {
    let server = server().await;
    let browser = Browser::new();
    let reply = browser.submit(&server, "/count", &[]).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    let (before, _) = browser.debug(&server).await;
    assert_eq!(before.count, 1);
    let reply = browser.login(&server, "  eve ").await;
    assert_eq!(reply.status, 303, "{reply:?}");
    let after = browser.home(&server).await;
    assert_eq!(after.user.as_deref(), Some("eve"), "the looked-up name");
    assert_eq!(after.count, 0, "data planted before the login is gone");
    assert_eq!(after.flash.as_deref(), Some("Welcome, eve!"));
}

#[tokio::test]
async fn counter_counts_across_requests() {
    let server = server().await;
    let browser = Browser::new();
    browser.login(&server, "bob").await;
    for expected in 1..=3 {
        let reply = browser.submit(&server, "/count", &[]).await;
        assert_eq!(reply.status, 303, "{reply:?}");
        assert_eq!(
            reply.session_cookies().len(),
            1,
            "a change is saved: {reply:?}"
        );
        let (view, _) = browser.debug(&server).await;
        assert_eq!(view.count, expected);
        assert_eq!(view.user.as_deref(), Some("bob"));
    }
    // Reading an unchanged, recently active session sends no cookie.
    let (_, quiet) = browser.debug(&server).await;
    assert!(quiet.set_cookies.is_empty(), "{quiet:?}");
}

#[tokio::test]
async fn flash_is_shown_exactly_once() {
    let server = server().await;
    let browser = Browser::new();
    browser.login(&server, "cy").await;
    assert_eq!(
        browser.home(&server).await.flash.as_deref(),
        Some("Welcome, cy!")
    );
    assert_eq!(browser.home(&server).await.flash, None);

    let reply = browser
        .submit(&server, "/flash", &[("message", "Saved.")])
        .await;
    assert_eq!(reply.status, 303);
    // A page that does not show it leaves it waiting.
    let (debug, _) = browser.debug(&server).await;
    assert_eq!(debug.flash, None);
    assert_eq!(browser.home(&server).await.flash.as_deref(), Some("Saved."));
    assert_eq!(browser.home(&server).await.flash, None);
    assert_eq!(browser.home(&server).await.flash, None);
}

#[tokio::test]
async fn logout_removes_the_cookie() {
    let server = server().await;
    let browser = Browser::new();
    browser.login(&server, "dee").await;
    browser.submit(&server, "/count", &[]).await;
    let copy = browser.cookie(NAME).expect("a session cookie");

    let reply = browser.submit(&server, "/logout", &[]).await;
    assert_eq!(reply.status, 303);
    let removal = reply.session_cookies();
    assert_eq!(removal.len(), 1, "{reply:?}");
    assert!(
        removal[0].starts_with(&format!("{NAME}=; Max-Age=0;")),
        "{}",
        removal[0]
    );
    assert_eq!(browser.cookie(NAME), None, "the browser dropped the cookie");

    let (after, _) = browser.debug(&server).await;
    assert!(after.new);
    assert_eq!((after.user, after.count, after.load_error), (None, 0, None));

    // Logout is client-side (SECURITY.md): a copy taken before still opens.
    let thief = Browser::new();
    thief.set_cookie(NAME, &copy);
    let (stolen, _) = thief.debug(&server).await;
    assert_eq!(stolen.user.as_deref(), Some("dee"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_clients_keep_their_own_sessions() {
    let server = Arc::new(server().await);
    let mut clients = JoinSet::new();
    for n in 0..6u32 {
        let server = Arc::clone(&server);
        clients.spawn(async move {
            let browser = Browser::new();
            let name = format!("user{n}");
            browser.login(&server, &name).await;
            for _ in 0..=n {
                assert_eq!(browser.submit(&server, "/count", &[]).await.status, 303);
            }
            let (view, _) = browser.debug(&server).await;
            (name, n + 1, view)
        });
    }
    let mut finished = 0;
    while let Some(joined) = clients.join_next().await {
        let (name, expected, view) = joined.expect("client task");
        assert_eq!(view.user.as_deref(), Some(name.as_str()));
        assert_eq!(view.count, expected, "{name}");
        finished += 1;
    }
    assert_eq!(finished, 6);
}
