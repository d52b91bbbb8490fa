//! A rolling key rotation across two server instances behind one "load
//! balancer" (the same host, different ports: browsers share cookies across
//! ports), following SECURITY.md's procedure.

use crate::support::{config_with, key_text, ring, Browser, Server, NAME};

const OLD: u32 = 20_260_101;
const NEW: u32 = 20_260_601;

/// The two keys as base64url text, to build every server's ring from.
struct Keys {
    old: String,
    new: String,
}

impl Keys {
    fn new() -> Self {
        Self {
            old: key_text(),
            new: key_text(),
        }
    }

    /// A server whose ring lists `ids` in order (the first seals).
    async fn server(&self, ids: &[u32]) -> Server {
        let line: Vec<String> = ids
            .iter()
            .map(|&id| match id {
                OLD => format!("{OLD}:{}", self.old),
                NEW => format!("{NEW}:{}", self.new),
                _ => unreachable!("only two keys"),
            })
            .collect();
        Server::start(config_with(ring(&line.join(",")), |b| b)).await
    }
}

/// Asserts what `server` sees of `browser`'s cookie on a read-only request:
/// the key it was sealed with, whether the response re-seals it, and the
/// data. Returns nothing; the jar takes any new cookie.
async fn expect(
    browser: &Browser,
    server: &Server,
    key: u32,
    resealed: bool,
    user: &str,
    count: u32,
) {
    let (view, reply) = browser.debug(server).await;
    assert_eq!(
        view.key_id,
        Some(key),
        "key of the incoming cookie: {view:?}"
    );
    assert_eq!(
        (view.user.as_deref(), view.count),
        (Some(user), count),
        "{view:?}"
    );
    assert_eq!(view.load_error, None);
    assert_eq!(
        reply.session_cookies().len(),
        usize::from(resealed),
        "re-sealed: {resealed}, {reply:?}"
    );
}

#[tokio::test]
async fn a_rolling_rotation_keeps_every_session_and_ends_under_the_new_key() {
    let keys = Keys::new();
    // Mid-deploy of step 2: A was promoted, B still seals with the old key
    // but already opens the new one (step 1 is done everywhere).
    let a = keys.server(&[NEW, OLD]).await;
    let b = keys.server(&[OLD, NEW]).await;

    // jo alternates between A and B; kim only reaches B, lee only A.
    let jo = Browser::new();
    jo.login(&b, "jo").await;
    expect(&jo, &b, OLD, false, "jo", 0).await;
    let kim = Browser::new();
    kim.login(&b, "kim").await;
    let lee = Browser::new();
    lee.login(&a, "lee").await;
    expect(&lee, &a, NEW, false, "lee", 0).await;

    let mut count = 0;
    for round in 0..3 {
        for (server, primary, other) in [(&a, NEW, OLD), (&b, OLD, NEW)] {
            // The cookie comes sealed by the other server; this one opens it
            // and, since it is not under its own primary, re-seals it.
            expect(&jo, server, other, true, "jo", count).await;
            let reply = jo.submit(server, "/count", &[]).await;
            assert_eq!(reply.status, 303, "round {round}: {reply:?}");
            count += 1;
            expect(&jo, server, primary, false, "jo", count).await;
        }
    }
    // jo's last request went to B: sealed under the old key.

    // Step 2 done: both servers promoted (new instances, as after a deploy).
    drop((a, b));
    let a = keys.server(&[NEW, OLD]).await;
    let b = keys.server(&[NEW, OLD]).await;

    // Each session's next request re-seals it under the new key, once.
    expect(&jo, &a, OLD, true, "jo", 6).await;
    expect(&jo, &b, NEW, false, "jo", 6).await;
    expect(&jo, &a, NEW, false, "jo", 6).await;
    expect(&kim, &a, OLD, true, "kim", 0).await;
    expect(&kim, &b, NEW, false, "kim", 0).await;
    expect(&lee, &b, NEW, false, "lee", 0).await;
    let counted = jo.submit(&b, "/count", &[]).await;
    assert_eq!(counted.status, 303);
    expect(&jo, &a, NEW, false, "jo", 7).await;
    drop((a, b));

    // Step 3: with only the new key, every session still opens.
    let only_new = keys.server(&[NEW]).await;
    for (browser, user, count) in [(&jo, "jo", 7), (&kim, "kim", 0), (&lee, "lee", 0)] {
        expect(browser, &only_new, NEW, false, user, count).await;
    }

    // A server that never got the new key refuses these cookies: a new,
    // anonymous session, and the cookie (which a peer may open) is left alone.
    let only_old = keys.server(&[OLD]).await;
    let cookie = jo.cookie(NAME);
    let (view, reply) = jo.debug(&only_old).await;
    assert!(view.new);
    assert_eq!((view.user, view.key_id), (None, None));
    assert_eq!(view.load_error.as_deref(), Some("UnknownKeyId"));
    assert!(reply.set_cookies.is_empty(), "{reply:?}");
    assert_eq!(jo.cookie(NAME), cookie);
}

#[tokio::test]
async fn a_cookie_under_a_dropped_key_is_refused() {
    let keys = Keys::new();
    let before = keys.server(&[OLD]).await;
    let browser = Browser::new();
    browser.login(&before, "max").await;
    expect(&browser, &before, OLD, false, "max", 0).await;

    // Rotated and dropped too early: the old key is gone.
    let after = keys.server(&[NEW]).await;
    let (view, _) = browser.debug(&after).await;
    assert!(view.new);
    assert_eq!(view.user, None);
    assert_eq!(view.load_error.as_deref(), Some("UnknownKeyId"));

    // While the old key is still in the ring, the same cookie opens and is
    // moved to the new key.
    let promoted = keys.server(&[NEW, OLD]).await;
    expect(&browser, &promoted, OLD, true, "max", 0).await;
    expect(&browser, &after, NEW, false, "max", 0).await;
}
