//! Login, counter and logout with Rocket 0.5.
//!
//! ```text
//! SESSION_KEYS="1:<43 base64url characters>" cargo run --example rocket --features rocket
//! ```
//!
//! Then open <http://localhost:8000/> (Rocket's default port; `ROCKET_PORT` changes it; the
//! server listens on 127.0.0.1 only). Without `SESSION_KEYS` a new key is
//! drawn, so sessions end when the server stops.

use rocket::form::Form;
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::{get, post, routes, FromForm};
use sealed_session::integrations::rocket::{SessionFairing, SessionHandle};
use sealed_session::{Key, KeyError, KeyId, Keyring, SessionConfig};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
struct Data {
    visits: u32,
    user: Option<String>,
}

#[derive(FromForm)]
struct Login {
    username: String,
}

#[get("/")]
fn index(session: SessionHandle<Data>) -> RawHtml<String> {
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
    RawHtml(format!(
        "<!doctype html><title>sealed-session</title><p>Visits: {visits}</p>{account}"
    ))
}

#[post("/login", data = "<form>")]
fn login(session: SessionHandle<Data>, form: Form<Login>) -> Redirect {
    session.regenerate(); // a new, empty session at every privilege change
    session.update(|data| data.user = Some(form.into_inner().username));
    Redirect::to("/")
}

#[post("/logout")]
fn logout(session: SessionHandle<Data>) -> Redirect {
    session.destroy();
    Redirect::to("/")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[rocket::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = match Keyring::from_env("SESSION_KEYS") {
        Err(KeyError::MissingVariable { .. }) => {
            eprintln!("SESSION_KEYS is not set: using a new random key for this run only");
            Keyring::new(KeyId::new(1), Key::try_generate()?)
        }
        other => other?,
    };
    let sessions = SessionFairing::<Data>::new(SessionConfig::builder(keyring).build()?);
    // Rocket's own configuration (ROCKET_PORT and friends), on loopback.
    let figment = rocket::Config::figment().merge(("address", "127.0.0.1"));
    rocket::custom(figment)
        .attach(sessions)
        .mount("/", routes![index, login, logout])
        .launch()
        .await?;
    Ok(())
}
