//! Login, counter and logout with actix-web.
//!
//! ```text
//! SESSION_KEYS="1:<43 base64url characters>" cargo run --example actix --features actix-web
//! ```
//!
//! Then open <http://localhost:3001/> (`ADDR` changes the address). Without
//! `SESSION_KEYS` a new key is drawn, so sessions end when the server stops.

use actix_web::http::header;
use actix_web::{web, App, HttpResponse, HttpServer};
use sealed_session::integrations::actix::{SessionHandle, SessionMiddleware};
use sealed_session::{Key, KeyError, KeyId, Keyring, SessionConfig};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
struct Data {
    visits: u32,
    user: Option<String>,
}

#[derive(Deserialize)]
struct Login {
    username: String,
}

async fn index(session: SessionHandle<Data>) -> HttpResponse {
    let (visits, user) = session.update(|data| {
        data.visits += 1;
        (data.visits, data.user.clone())
    });
    let account = match user {
        Some(user) => format!(
            "<p>Logged in as <b>{}</b>.</p><form method=post action=/logout><button>Log out</button></form>",
            escape(&user)
        ),
        None => "<form method=post action=/login><input name=username placeholder=username required> <button>Log in</button></form>".to_owned(),
    };
    let page =
        format!("<!doctype html><title>sealed-session</title><p>Visits: {visits}</p>{account}");
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page)
}

async fn login(session: SessionHandle<Data>, form: web::Form<Login>) -> HttpResponse {
    // A new, empty session at every privilege change; the visit count
    // starts over with it.
    session.regenerate();
    session.update(|data| data.user = Some(form.into_inner().username));
    home()
}

async fn logout(session: SessionHandle<Data>) -> HttpResponse {
    session.destroy();
    home()
}

fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = match Keyring::from_env("SESSION_KEYS") {
        Err(KeyError::MissingVariable { .. }) => {
            eprintln!("SESSION_KEYS is not set: using a new random key for this run only");
            Keyring::new(KeyId::new(1), Key::try_generate()?)
        }
        other => other?,
    };
    let sessions = SessionMiddleware::<Data>::new(SessionConfig::builder(keyring).build()?);
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .wrap(sessions.clone())
                .route("/", web::get().to(index))
                .route("/login", web::post().to(login))
                .route("/logout", web::post().to(logout))
        })
        .bind(&addr)?;
        println!("listening on http://{addr}/");
        server.run().await
    })?;
    Ok(())
}
