//! The Rocket adapter on real Rocket servers (127.0.0.1, port 0).

use rocket::config::{Config, LogLevel};
use rocket::fairing::AdHoc;
use rocket::form::Form;
use rocket::{get, post, routes, FromForm, Shutdown};
use sealed_session::integrations::rocket::{SessionFairing, SessionHandle};
use sealed_session::SessionConfig;
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

#[get("/")]
fn count(session: SessionHandle<'_, Data>) -> String {
    let mut session = session.lock();
    let data = session.get_or_insert_default();
    data.visits += 1;
    format!("{} {}", data.visits, data.user.as_deref().unwrap_or("-"))
}

/// Reads without changing.
#[get("/peek")]
fn peek(session: SessionHandle<'_, Data>) -> String {
    let session = session.lock();
    match session.get() {
        Some(data) => format!("{} {}", data.visits, data.user.as_deref().unwrap_or("-")),
        None => "none".to_owned(),
    }
}

#[post("/login", data = "<form>")]
fn login(session: SessionHandle<'_, Data>, form: Form<Login>) -> &'static str {
    let mut session = session.lock();
    session.regenerate();
    session.get_or_insert_default().user = Some(form.into_inner().user);
    "ok"
}

#[post("/logout")]
fn logout(session: SessionHandle<'_, Data>) -> &'static str {
    session.lock().destroy();
    "bye"
}

#[post("/note", data = "<form>")]
fn note(session: SessionHandle<'_, Data>, form: Form<Note>) -> &'static str {
    let mut session = session.lock();
    session
        .get_or_insert_default()
        .notes
        .push(form.into_inner().text);
    "noted"
}

/// A route whose guard has no fairing for its type.
#[get("/unconfigured")]
fn unconfigured(session: SessionHandle<'_, u64>) -> String {
    format!("{:?}", session.lock().get())
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
            .mount("/", routes![count, peek, login, logout, note, unconfigured])
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
