//! The sealed-session demo: an axum app on http://localhost:3000.
//!
//! ```sh
//! cargo run --example demo --features axum
//! ```
//!
//! Log in with any name (the session is regenerated: a new id, and what was
//! stored before is dropped), count, fill a cart, see a flash message, look
//! at what the sealed cookie carries, and why a cookie was refused. Every
//! POST is CSRF-protected. Keys come from `SESSION_KEYS` (see
//! `cargo run --example keygen`); without it a key is generated at start and
//! sessions do not survive a restart. `ADDR` sets the address (default
//! `127.0.0.1:3000`).
//!
//! The cookie keeps the production defaults (`__Host-session`, `Secure`,
//! `HttpOnly`, `SameSite=Lax`): browsers treat `http://localhost` and
//! `http://127.0.0.1` as secure, so they keep it there without HTTPS.

use std::time::Duration;

use axum::extract::Form;
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use axum::Router;
use sealed_session::integrations::axum::{SessionHandle, SessionLayer};
use sealed_session::{
    CsrfError, Key, KeyId, Keyring, SealError, Session, SessionConfig, UnixSeconds,
};
use serde::{Deserialize, Serialize};

/// What the demo keeps in the cookie.
#[derive(Serialize, Deserialize, Default)]
struct DemoData {
    user: Option<String>,
    count: u32,
    cart: Vec<String>,
}

type Handle = SessionHandle<DemoData>;

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    name: String,
}

#[derive(Deserialize)]
struct CartForm {
    csrf: String,
    item: String,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = match std::env::var("SESSION_KEYS") {
        Ok(_) => Keyring::from_env("SESSION_KEYS")?,
        Err(_) => {
            println!(
                "SESSION_KEYS is not set: using a key generated now, so sessions will not survive a restart; \
                 set SESSION_KEYS to the line printed by `cargo run --example keygen` to keep them"
            );
            Keyring::new(KeyId::new(1), Key::try_generate()?)
        }
    };
    let config = SessionConfig::builder(keyring)
        .with_absolute_ttl(Duration::from_secs(8 * 3600))
        .with_idle_timeout(Duration::from_secs(30 * 60))
        .build()?;
    let app = Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/count", post(count))
        .route("/cart", post(add_to_cart))
        .route("/cart/clear", post(clear_cart))
        .route("/logout", post(logout))
        .layer(SessionLayer::<DemoData>::new(config));
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    let shown = if local.ip().is_loopback() {
        format!("http://localhost:{}", local.port())
    } else {
        format!("http://{local}")
    };
    println!("sealed-session demo listening on {shown}");
    axum::serve(listener, app).await?;
    Ok(())
}

async fn home(session: Handle) -> Result<Html<String>, SealError> {
    let flash = session.take_flash::<String>().ok().flatten();
    let csrf = session.csrf_token()?;
    Ok(Html(
        session.with(|s| render_home(s, flash.as_deref(), &csrf)),
    ))
}

async fn login(session: Handle, Form(form): Form<LoginForm>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 32 {
        let _ = session.set_flash("Please enter a name of 1 to 32 characters.");
        return Ok(Redirect::to("/"));
    }
    // A new, empty session at every change of privilege: against fixation.
    session.regenerate();
    session.update(|data| data.user = Some(name.to_owned()));
    let _ = session.set_flash(&format!("Welcome, {name}! Your session was regenerated."));
    Ok(Redirect::to("/"))
}

async fn count(session: Handle, Form(form): Form<CsrfForm>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    session.update(|data| data.count += 1);
    Ok(Redirect::to("/"))
}

async fn add_to_cart(session: Handle, Form(form): Form<CartForm>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    let item: String = form.item.trim().chars().take(40).collect();
    if !item.is_empty() {
        let _ = session.set_flash(&format!("Added {item} to the cart."));
        session.update(|data| data.cart.push(item));
    }
    Ok(Redirect::to("/"))
}

async fn clear_cart(session: Handle, Form(form): Form<CsrfForm>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    session.update(|data| data.cart.clear());
    Ok(Redirect::to("/"))
}

async fn logout(session: Handle, Form(form): Form<CsrfForm>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    session.destroy();
    Ok(Redirect::to("/"))
}

fn render_home(session: &Session<DemoData>, flash: Option<&str>, csrf: &str) -> String {
    let data = session.get();
    let user = data.and_then(|d| d.user.as_deref());
    let mut html = String::from(
        "<!doctype html><html lang=en><meta charset=utf-8><title>sealed-session demo</title>\
         <meta name=viewport content=\"width=device-width\">\
         <style>body{font:16px system-ui;max-width:42em;margin:2em auto;padding:0 1em}\
         .flash{background:#e7f6e7;border:1px solid #8c8;padding:.5em 1em}\
         table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left}\
         form{display:inline}.row{margin:1em 0}</style><h1>sealed-session demo</h1>",
    );
    if let Some(message) = flash {
        html.push_str(&format!("<p class=flash id=flash>{}</p>", escape(message)));
    }
    let hidden = format!("<input type=hidden name=csrf value=\"{}\">", escape(csrf));
    match user {
        None => html.push_str(&format!(
            "<p id=status>You are not logged in.</p>\
             <form method=post action=/login>{hidden}<label>Name <input name=name id=name required maxlength=32></label> \
             <button id=login>Log in</button></form>"
        )),
        Some(name) => {
            let d = data.map_or((0, &[][..]), |d| (d.count, d.cart.as_slice()));
            html.push_str(&format!(
                "<p id=status>Logged in as <b id=user>{}</b>.</p>\
                 <div class=row>Counter: <b id=count>{}</b> \
                 <form method=post action=/count>{hidden}<button id=increment>+1</button></form></div>",
                escape(name),
                d.0
            ));
            html.push_str("<h2>Cart</h2><ul id=cart>");
            for item in d.1 {
                html.push_str(&format!("<li>{}</li>", escape(item)));
            }
            html.push_str(&format!(
                "</ul><form method=post action=/cart>{hidden}<input name=item id=item placeholder=\"an item\" maxlength=40> \
                 <button id=add>Add</button></form> \
                 <form method=post action=/cart/clear>{hidden}<button>Empty the cart</button></form>\
                 <div class=row><form method=post action=/logout>{hidden}<button id=logout>Log out</button></form></div>"
            ));
        }
    }
    html.push_str("<h2>Session</h2><table id=meta>");
    match session.meta() {
        Some(meta) => {
            let rows = [
                ("issued at", show_time(meta.issued_at())),
                ("last activity", show_time(meta.last_active_at())),
                ("expires at", show_time(meta.expires_at())),
                (
                    "idle deadline",
                    meta.idle_expires_at()
                        .map_or_else(|| "none".to_owned(), show_time),
                ),
                ("key id", meta.key_id().to_string()),
            ];
            for (label, value) in rows {
                html.push_str(&format!("<tr><th>{label}</th><td>{value}</td></tr>"));
            }
        }
        None => {
            // Why the cookie that came was refused: for the curious here,
            // for logs and metrics in a real application.
            let why = match (session.load_error(), session.load_error_key_id()) {
                (None, _) => "no session cookie came with this request".to_owned(),
                (Some(err), None) => format!("the cookie sent was refused: {}", err.as_str()),
                (Some(err), Some(id)) => {
                    format!("the cookie sent was refused: {}, key id {id}", err.as_str())
                }
            };
            html.push_str(&format!("<tr><td id=new>new session ({why})</td></tr>"));
        }
    }
    html.push_str(
        "</table><p>Everything above lives in one encrypted cookie; the server keeps no session store.</p></html>",
    );
    html
}

fn show_time(t: UnixSeconds) -> String {
    match t.to_datetime() {
        Some(dt) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second()
        ),
        None => t.to_string(),
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
