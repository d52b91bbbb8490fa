//! The application under test: the demo's flow (login, counter, flash,
//! logout, every POST CSRF-checked) with JSON pages for the client to read,
//! plus a route that grows the session and a read-only debug page.

use axum::extract::Form;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use sealed_session::integrations::axum::{SessionHandle, SessionLayer};
use sealed_session::{CsrfError, SealError, Session, SessionConfig};
use serde::{Deserialize, Serialize};

/// What the application keeps in the cookie.
#[derive(Serialize, Deserialize, Default)]
pub(crate) struct Data {
    user: Option<String>,
    count: u32,
    notes: String,
}

type Handle = SessionHandle<Data>;

/// Every field any form of the application sends; all optional, so that a
/// form without a CSRF token reaches the CSRF check (and gets its 403)
/// instead of failing to parse.
#[derive(Deserialize)]
pub(crate) struct Fields {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    bytes: usize,
}

/// A page as the client reads it.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub(crate) struct View {
    pub(crate) user: Option<String>,
    pub(crate) count: u32,
    pub(crate) notes_len: usize,
    /// The flash message, taken (shown once) by `/` only.
    pub(crate) flash: Option<String>,
    /// A fresh CSRF token, minted by `/` only.
    pub(crate) csrf: Option<String>,
    /// No valid cookie came with the request.
    pub(crate) new: bool,
    /// Metadata of the cookie that came with the request.
    pub(crate) issued_at: Option<u64>,
    pub(crate) key_id: Option<u32>,
    /// Why the request's cookie did not open (`Debug` of the `OpenError`).
    pub(crate) load_error: Option<String>,
}

/// The application's router with a `SessionLayer` built from `config`.
pub(crate) fn router(config: SessionConfig) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/debug", get(debug))
        .route("/login", post(login))
        .route("/count", post(count))
        .route("/flash", post(flash))
        .route("/grow", post(grow))
        .route("/logout", post(logout))
        .layer(SessionLayer::<Data>::new(config))
}

/// The home page: takes the flash message and mints a CSRF token, as a page
/// with forms does.
async fn home(session: Handle) -> Result<Response, SealError> {
    let flash = session.take_flash::<String>().ok().flatten();
    let csrf = session.csrf_token()?;
    Ok(session.with(|s| json(&view(s, flash, Some(csrf)))))
}

/// Read-only: shows the session and the cookie's metadata without changing
/// anything, so any `Set-Cookie` on its response is the library's own doing
/// (a re-seal under a new primary key, a removal of a dead cookie).
async fn debug(session: Handle) -> Response {
    session.with(|s| json(&view(s, None, None)))
}

/// A directory lookup that suspends, as a database query does.
async fn find_user(name: &str) -> String {
    tokio::task::yield_now().await;
    name.trim().to_owned()
}

/// The natural login handler: check the form, await a lookup with the
/// session handle held, then regenerate and store the user.
async fn login(session: Handle, Form(form): Form<Fields>) -> Result<Response, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    let user = find_user(&form.name).await;
    // A new, empty session at every change of privilege: against fixation.
    session.regenerate();
    session.update(|data| data.user = Some(user.clone()));
    let _ = session.set_flash(&format!("Welcome, {user}!"));
    Ok(Redirect::to("/").into_response())
}

async fn count(session: Handle, Form(form): Form<Fields>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    session.update(|data| data.count += 1);
    Ok(Redirect::to("/"))
}

async fn flash(session: Handle, Form(form): Form<Fields>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    let _ = session.set_flash(&form.message);
    Ok(Redirect::to("/"))
}

/// Appends `bytes` bytes to the session's notes (at most 64 KiB at a time).
async fn grow(session: Handle, Form(form): Form<Fields>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    let more = "n".repeat(form.bytes.min(64 * 1024));
    session.update(|data| data.notes.push_str(&more));
    Ok(Redirect::to("/"))
}

async fn logout(session: Handle, Form(form): Form<Fields>) -> Result<Redirect, CsrfError> {
    session.verify_csrf(&form.csrf)?;
    session.destroy();
    Ok(Redirect::to("/"))
}

fn view(session: &Session<Data>, flash: Option<String>, csrf: Option<String>) -> View {
    let data = session.get();
    let meta = session.meta();
    View {
        user: data.and_then(|d| d.user.clone()),
        count: data.map_or(0, |d| d.count),
        notes_len: data.map_or(0, |d| d.notes.len()),
        flash,
        csrf,
        new: session.is_new(),
        issued_at: meta.map(|m| m.issued_at().as_secs()),
        key_id: meta.map(|m| m.key_id().get()),
        load_error: session.load_error().map(|e| format!("{e:?}")),
    }
}

fn json(view: &View) -> Response {
    match serde_json::to_string(view) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "view not serializable").into_response(),
    }
}
