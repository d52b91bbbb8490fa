//! The Rocket adapter on real Rocket servers (127.0.0.1, port 0).

use std::sync::{Arc, Mutex};

use rocket::config::{Config, LogLevel};
use rocket::fairing::AdHoc;
use rocket::form::Form;
use rocket::http::Status;
use rocket::{get, post, routes, FromForm, Response, Shutdown};
use sealed_session::integrations::rocket::{
    CachePolicy, RequireSession, SessionFairing, SessionHandle,
};
use sealed_session::{CsrfError, SealError, SessionConfig};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::support::{config, key_text, Browser};

#[derive(Serialize, Deserialize, Default)]
struct Data {
    visits: u32,
    user: Option<String>,
    notes: Vec<String>,
}

#[derive(FromForm)]
struct Login {
    user: String,
}

#[derive(FromForm)]
struct Note {
    text: String,
}

fn describe(data: &Data) -> String {
    format!("{} {}", data.visits, data.user.as_deref().unwrap_or("-"))
}

#[get("/")]
fn count(session: SessionHandle<Data>) -> String {
    session.update(|data| {
        data.visits += 1;
        describe(data)
    })
}

/// Reads without changing.
#[get("/peek")]
fn peek(session: SessionHandle<Data>) -> String {
    session
        .with(|s| s.get().map(describe))
        .unwrap_or_else(|| "none".to_owned())
}

/// Awaits between reading the form and storing the user, holding the
/// handle across the `.await`.
#[post("/login", data = "<form>")]
async fn login(session: SessionHandle<Data>, form: Form<Login>) -> &'static str {
    let user = form.into_inner().user;
    tokio::task::yield_now().await;
    session.regenerate();
    session.update(|data| data.user = Some(user));
    "ok"
}

#[post("/logout")]
fn logout(session: SessionHandle<Data>) -> &'static str {
    session.destroy();
    "bye"
}

#[post("/note", data = "<form>")]
fn note(session: SessionHandle<Data>, form: Form<Note>) -> &'static str {
    session.update(|data| data.notes.push(form.into_inner().text));
    "noted"
}

/// Only for a session holding data.
#[get("/account")]
fn account(session: RequireSession<Data>) -> String {
    session.with(|s| s.get().map(describe)).unwrap_or_default()
}

/// A CSRF token, then its check: the error is a `403` responder.
#[get("/csrf")]
fn csrf(session: SessionHandle<Data>) -> Result<String, SealError> {
    session.csrf_token()
}

#[post("/csrf", data = "<form>")]
fn check_csrf(session: SessionHandle<Data>, form: Form<Note>) -> Result<&'static str, CsrfError> {
    session.verify_csrf(&form.text)?;
    Ok("checked")
}

/// A route whose guard has no fairing for its type.
#[get("/unconfigured")]
fn unconfigured(session: SessionHandle<u64>) -> String {
    format!("{:?}", session.get())
}

/// A running Rocket; shut down when dropped.
struct Server {
    url: String,
    shutdown: Shutdown,
}

impl Server {
    async fn start(sessions: SessionConfig) -> Self {
        Self::with(SessionFairing::new(sessions)).await
    }

    async fn with(fairing: SessionFairing<Data>) -> Self {
        let figment = Config::figment()
            .merge(("address", "127.0.0.1"))
            .merge(("port", 0))
            .merge(("log_level", LogLevel::Off))
            .merge(("shutdown.ctrlc", false))
            .merge(("cli_colors", false));
        let (port_tx, port_rx) = oneshot::channel();
        let rocket = rocket::custom(figment)
            .attach(fairing)
            .attach(AdHoc::on_liftoff("port", move |rocket| {
                let port = rocket.config().port;
                Box::pin(async move {
                    let _ = port_tx.send(port);
                })
            }))
            .mount(
                "/",
                routes![
                    count,
                    peek,
                    login,
                    logout,
                    note,
                    account,
                    csrf,
                    check_csrf,
                    unconfigured
                ],
            )
            .ignite()
            .await
            .expect("rocket ignites");
        let shutdown = rocket.shutdown();
        tokio::spawn(rocket.launch());
        let port = port_rx.await.expect("rocket lifts off");
        Self {
            url: format!("http://127.0.0.1:{port}"),
            shutdown,
        }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shutdown.clone().notify();
    }
}

#[tokio::test]
async fn count_login_logout() {
    let server = Server::start(config(&format!("1:{}", key_text()))).await;
    let browser = Browser::new();

    // A read on a new session sends nothing.
    let reply = browser.get(&server.at("/peek")).await;
    assert_eq!(reply.body, "none");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
    assert_eq!(reply.cache_control, None);

    let reply = browser.get(&server.at("/")).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "1 -"));
    let first = reply.one_session_cookie().to_owned();
    assert!(
        first.contains("; Secure") && first.contains("; HttpOnly"),
        "{first}"
    );
    assert_eq!(browser.get(&server.at("/")).await.body, "2 -");

    // An unchanged session is not re-sealed.
    let reply = browser.get(&server.at("/peek")).await;
    assert_eq!(reply.body, "2 -");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");

    let before_login = browser.session_value().unwrap();
    let reply = browser.post(&server.at("/login"), &[("user", "ada")]).await;
    assert_eq!(reply.body, "ok");
    reply.one_session_cookie();
    assert_ne!(browser.session_value().unwrap(), before_login);
    assert!(browser
        .get(&server.at("/peek"))
        .await
        .body
        .ends_with(" ada"));

    let reply = browser.post(&server.at("/logout"), &[]).await;
    assert_eq!(reply.body, "bye");
    assert!(
        reply.one_session_cookie().contains("Max-Age=0"),
        "{reply:?}"
    );
    assert!(browser.session_value().is_none());
    assert_eq!(browser.get(&server.at("/peek")).await.body, "none");
}

#[tokio::test]
async fn a_cookie_sealed_with_another_key_is_no_session() {
    let server = Server::start(config(&format!("1:{}", key_text()))).await;
    let other = config(&format!("1:{}", key_text()));
    let mut session = other.new_session::<Data>();
    session.get_or_insert_default().user = Some("mallory".into());
    let set_cookie = session
        .finish()
        .unwrap()
        .into_set_cookie_headers()
        .remove(0);
    let value = set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1;

    let browser = Browser::new();
    browser.set_session_value(value);
    let reply = browser.get(&server.at("/peek")).await;
    assert_eq!(reply.body, "none");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
    // A write replaces it with a session of this server.
    assert_eq!(browser.get(&server.at("/")).await.body, "1 -");
    assert_eq!(browser.get(&server.at("/peek")).await.body, "1 -");
}

#[tokio::test]
async fn key_rotation_reseals_on_a_read() {
    let (old, new) = (key_text(), key_text());
    let before = Server::start(config(&format!("1:{old}"))).await;
    let during = Server::start(config(&format!("2:{new},1:{old}"))).await;
    let after = Server::start(config(&format!("2:{new}"))).await;
    let browser = Browser::new();
    browser.post(&before.at("/login"), &[("user", "ada")]).await;
    let sealed_with_old = browser.session_value().unwrap();

    let reply = browser.get(&during.at("/peek")).await;
    assert_eq!(reply.body, "0 ada");
    reply.one_session_cookie();
    assert_ne!(browser.session_value().unwrap(), sealed_with_old);
    let reply = browser.get(&after.at("/peek")).await;
    assert_eq!(reply.body, "0 ada");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
}

#[tokio::test]
async fn a_session_too_large_for_a_cookie_is_a_500_without_cookie() {
    let server = Server::start(config(&format!("1:{}", key_text()))).await;
    let browser = Browser::new();
    let text = "x".repeat(2000);
    assert_eq!(
        browser
            .post(&server.at("/note"), &[("text", &text)])
            .await
            .body,
        "noted"
    );
    let reply = browser.post(&server.at("/note"), &[("text", &text)]).await;
    assert_eq!(reply.status, 500, "{reply:?}");
    assert_eq!(reply.body, "session data too large to store in a cookie");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
    // The browser keeps the last cookie that fitted.
    assert!(browser.session_value().is_some());
}

#[tokio::test]
async fn a_guard_without_its_fairing_is_a_500() {
    let server = Server::start(config(&format!("1:{}", key_text()))).await;
    let reply = Browser::new().get(&server.at("/unconfigured")).await;
    assert_eq!(reply.status, 500, "{reply:?}");
}

#[tokio::test]
async fn the_revocation_check_ends_a_session_before_the_handler() {
    let fairing = SessionFairing::new(config(&format!("1:{}", key_text())))
        .with_revocation_check(|data: &Data, _meta| data.user.as_deref() == Some("mallory"));
    let server = Server::with(fairing).await;
    let browser = Browser::new();
    browser.post(&server.at("/login"), &[("user", "ada")]).await;
    assert_eq!(browser.get(&server.at("/peek")).await.body, "0 ada");
    browser
        .post(&server.at("/login"), &[("user", "mallory")])
        .await;
    let reply = browser.get(&server.at("/peek")).await;
    assert_eq!(reply.body, "none");
    assert!(
        reply.one_session_cookie().contains("Max-Age=0"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn require_session_refuses_an_empty_session() {
    let server = Server::start(config(&format!("1:{}", key_text()))).await;
    let browser = Browser::new();
    // Rocket's 401 catcher answers; no cookie is set.
    let reply = browser.get(&server.at("/account")).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
    browser.post(&server.at("/login"), &[("user", "ada")]).await;
    let reply = browser.get(&server.at("/account")).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "0 ada"));
}

#[tokio::test]
async fn the_session_required_response_and_rejection_hook_are_the_cores() {
    let rejected = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&rejected);
    let fairing = SessionFairing::<Data>::new(config(&format!("1:{}", key_text())))
        .with_session_required_response(|| {
            Response::build()
                .status(Status::SeeOther)
                .raw_header("Location", "/login")
                .finalize()
        })
        .on_rejected(move |err, _key_id| seen.lock().unwrap().push(err.as_str()));
    let server = Server::with(fairing).await;
    let browser = Browser::new();
    let reply = browser.get(&server.at("/account")).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert!(rejected.lock().unwrap().is_empty());

    browser.set_session_value("forged");
    let reply = browser.get(&server.at("/account")).await;
    assert_eq!(reply.status, 303, "{reply:?}");
    assert_eq!(rejected.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn the_cache_policy_is_the_cores() {
    let fairing = SessionFairing::<Data>::new(config(&format!("1:{}", key_text())))
        .with_cache_policy(CachePolicy::Off);
    let server = Server::with(fairing).await;
    let reply = Browser::new().get(&server.at("/")).await;
    assert_eq!(reply.session_cookies().len(), 1, "{reply:?}");
    assert_eq!(reply.cache_control, None);
    assert!(reply.vary.is_empty(), "{reply:?}");
}

#[tokio::test]
async fn csrf_tokens_verify_and_a_refused_one_is_a_403() {
    let server = Server::start(config(&format!("1:{}", key_text()))).await;
    let browser = Browser::new();
    let reply = browser.get(&server.at("/csrf")).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let token = reply.body;
    let reply = browser.post(&server.at("/csrf"), &[("text", &token)]).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "checked"));
    let reply = browser
        .post(&server.at("/csrf"), &[("text", "forged")])
        .await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (403, "CSRF check failed")
    );
}
