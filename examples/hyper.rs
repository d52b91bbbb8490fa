//! The login/counter/logout flow on plain hyper 1 with the `http` adapter:
//! `load` the session from the request headers, `apply` its cookies to the
//! response headers.
//!
//! ```sh
//! cargo run --example hyper --features http   # http://localhost:3002
//! ```
//!
//! Keys come from `SESSION_KEYS` (see `cargo run --example keygen`), the
//! address from `ADDR` (default `127.0.0.1:3002`). Every POST checks a CSRF
//! token.

use std::convert::Infallible;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, CONTENT_TYPE, LOCATION};
use hyper::{server::conn::http1, service::service_fn, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use sealed_session::integrations::http::{apply, load};
use sealed_session::{Key, KeyId, Keyring, Session, SessionConfig};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Default)]
struct Data {
    user: Option<String>,
    count: u32,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let keyring = if std::env::var_os("SESSION_KEYS").is_some() {
        Keyring::from_env("SESSION_KEYS")?
    } else {
        println!("SESSION_KEYS is not set: using a new key, sessions end at restart");
        Keyring::new(KeyId::new(1), Key::try_generate()?)
    };
    let config = SessionConfig::builder(keyring).build()?;
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3002".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "hyper example listening on http://{}",
        listener.local_addr()?
    );
    loop {
        let (stream, _) = listener.accept().await?;
        let config = config.clone();
        let service = service_fn(move |request| handle(config.clone(), request));
        tokio::spawn(async move {
            let connection = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
            if let Err(err) = connection.await {
                eprintln!("connection error: {err}");
            }
        });
    }
}

type Reply = Response<Full<Bytes>>;

async fn handle(config: SessionConfig, request: Request<Incoming>) -> Result<Reply, Infallible> {
    let mut session = load::<Data>(&config, request.headers());
    let (parts, body) = request.into_parts();
    let form = Limited::new(body, 4096).collect().await;
    let form = form.map(|b| b.to_bytes()).unwrap_or_default();
    let field = |name: &str| {
        let value = form_urlencoded::parse(&form).find(|(k, _)| k == name);
        value.map(|(_, v)| v.trim().to_owned()).unwrap_or_default()
    };
    let mut response = match (parts.method, parts.uri.path()) {
        (Method::GET, "/") => page(&mut session),
        (Method::POST, _) if session.verify_csrf(&field("csrf")).is_err() => {
            text(StatusCode::FORBIDDEN, "CSRF check failed")
        }
        (Method::POST, "/login") => {
            let name = field("name");
            if (1..=32).contains(&name.chars().count()) {
                session.regenerate(); // a new session id at login: against fixation
                session.get_or_insert_default().user = Some(name);
            }
            back_home()
        }
        (Method::POST, "/count") => {
            session.get_or_insert_default().count += 1;
            back_home()
        }
        (Method::POST, "/logout") => {
            session.destroy();
            back_home()
        }
        _ => text(StatusCode::NOT_FOUND, "not found"),
    };
    // Seal the session into the response headers. A session too large for a
    // cookie becomes an error page, never a cookie the browser would drop.
    let saved = match session.finish() {
        Ok(cookies) => apply(&cookies, response.headers_mut()).map_err(|e| e.to_string()),
        Err(err) => Err(err.to_string()),
    };
    match saved {
        Ok(()) => Ok(response),
        Err(err) => Ok(text(StatusCode::INTERNAL_SERVER_ERROR, &err)),
    }
}

fn page(session: &mut Session<Data>) -> Reply {
    let Ok(csrf) = session.csrf_token() else {
        return text(StatusCode::INTERNAL_SERVER_ERROR, "no randomness");
    };
    let form = |action: &str, inner: &str| {
        let hidden = format!("<input type=hidden name=csrf value={csrf}>");
        format!("<form method=post action={action}>{hidden}{inner}</form>")
    };
    let data = session.get();
    let body = match data.and_then(|d| d.user.as_deref()) {
        None => form("/login", "Name: <input name=name> <button>Log in</button>"),
        Some(user) => format!(
            "<p>Logged in as <b>{}</b>. Counter: <b>{}</b></p>{}{}",
            user.replace('&', "&amp;").replace('<', "&lt;"),
            data.map_or(0, |d| d.count),
            form("/count", "<button>+1</button>"),
            form("/logout", "<button>Log out</button>"),
        ),
    };
    let html = format!("<!doctype html><title>hyper example</title>{body}");
    reply(
        StatusCode::OK,
        (CONTENT_TYPE, "text/html; charset=utf-8"),
        html,
    )
}

fn back_home() -> Reply {
    reply(StatusCode::SEE_OTHER, (LOCATION, "/"), String::new())
}

fn text(status: StatusCode, body: &str) -> Reply {
    reply(
        status,
        (CONTENT_TYPE, "text/plain; charset=utf-8"),
        body.to_owned(),
    )
}

fn reply(status: StatusCode, (name, value): (HeaderName, &str), body: String) -> Reply {
    let response = Response::builder().status(status).header(name, value);
    response.body(Full::from(body)).unwrap_or_default()
}
