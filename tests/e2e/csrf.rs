//! CSRF tokens over HTTP: a POST goes through only with a token of the
//! client's own session; a refused POST changes nothing.

use crate::support::{config_with, key_text, ring, Browser, Reply, Server};

async fn logged_in() -> (Server, Browser) {
    let server = Server::start(config_with(ring(&format!("1:{}", key_text())), |b| b)).await;
    let browser = Browser::new();
    browser.login(&server, "eve").await;
    (server, browser)
}

/// The refusal is a 403 from the application, sends no cookie, and the
/// counter is where it was.
async fn assert_refused(reply: &Reply, server: &Server, browser: &Browser, count: u32) {
    assert_eq!(reply.status, 403, "{reply:?}");
    assert_eq!(
        reply.body, "CSRF check failed",
        "no detail of which check failed"
    );
    assert!(reply.set_cookies.is_empty(), "{reply:?}");
    let (view, _) = browser.debug(server).await;
    assert_eq!((view.user.as_deref(), view.count), (Some("eve"), count));
}

#[tokio::test]
async fn a_token_of_the_session_is_accepted() {
    let (server, browser) = logged_in().await;
    let token = browser.csrf(&server).await;
    // Every token minted for the session stays valid: use the same one twice,
    // then a second one minted later.
    for expected in 1..=2 {
        let reply = browser
            .post(&server.at("/count"), &[("csrf", &token)])
            .await;
        assert_eq!(reply.status, 303, "{reply:?}");
        assert_eq!(browser.debug(&server).await.0.count, expected);
    }
    let other = browser.csrf(&server).await;
    assert_ne!(other, token, "tokens are masked afresh on every render");
    assert_eq!(
        browser
            .post(&server.at("/count"), &[("csrf", &other)])
            .await
            .status,
        303
    );
    assert_eq!(browser.debug(&server).await.0.count, 3);
}

#[tokio::test]
async fn a_post_without_a_token_is_refused() {
    let (server, browser) = logged_in().await;
    let reply = browser.post(&server.at("/count"), &[]).await;
    assert_refused(&reply, &server, &browser, 0).await;
    let empty = browser.post(&server.at("/count"), &[("csrf", "")]).await;
    assert_refused(&empty, &server, &browser, 0).await;
}

#[tokio::test]
async fn a_wrong_token_is_refused() {
    let (server, browser) = logged_in().await;
    let good = browser.csrf(&server).await;
    let mut flipped: Vec<char> = good.chars().collect();
    let middle = flipped.len() / 2;
    flipped[middle] = if flipped[middle] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    for wrong in [
        "A".repeat(good.len()),
        flipped,
        good[..good.len() - 1].to_owned(),
        format!("{good}A"),
        "not a token".to_owned(),
    ] {
        let reply = browser
            .post(&server.at("/count"), &[("csrf", &wrong)])
            .await;
        assert_refused(&reply, &server, &browser, 0).await;
    }
}

#[tokio::test]
async fn a_token_of_another_session_is_refused() {
    let (server, browser) = logged_in().await;
    // The attacker's own, valid, token: for their session, not the victim's.
    let attacker = Browser::new();
    attacker.login(&server, "mallory").await;
    let theirs = attacker.csrf(&server).await;
    let reply = browser
        .post(&server.at("/count"), &[("csrf", &theirs)])
        .await;
    assert_refused(&reply, &server, &browser, 0).await;

    // Without any session cookie, no token verifies.
    let mine = browser.csrf(&server).await;
    let cookieless = Browser::new();
    let reply = cookieless
        .post(&server.at("/count"), &[("csrf", &mine)])
        .await;
    assert_eq!(reply.status, 403, "{reply:?}");
    assert!(reply.set_cookies.is_empty(), "{reply:?}");

    // The victim's token still works for the victim.
    assert_eq!(
        browser
            .post(&server.at("/count"), &[("csrf", &mine)])
            .await
            .status,
        303
    );
    assert_eq!(browser.debug(&server).await.0.count, 1);
}
