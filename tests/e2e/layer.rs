//! The axum layer's options and extractors, called in-process
//! (`ServiceExt::oneshot`): the session-requiring extractor, the rejection
//! hook, the cache policy, and the crate's errors as responses.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt as _;
use sealed_session::integrations::axum::{
    CachePolicy, RequireSession, SessionHandle, SessionLayer,
};
use sealed_session::{Key, KeyId, Keyring, OpenError, SealError, SessionConfig};
use tower::ServiceExt as _;

fn config(id: u32) -> SessionConfig {
    SessionConfig::builder(Keyring::new(KeyId::new(id), Key::generate()))
        .build()
        .unwrap()
}

async fn login(session: SessionHandle<String>) -> &'static str {
    session.regenerate();
    session.insert("ada".to_owned());
    "welcome"
}

async fn account(session: RequireSession<String>) -> String {
    session.get().unwrap_or_default()
}

async fn strict(session: SessionHandle<String>) -> Response {
    session.insert("x".to_owned());
    ([(header::CACHE_CONTROL, "no-store, max-age=0")], "stored").into_response()
}

async fn hoard(session: SessionHandle<String>) -> Result<&'static str, SealError> {
    session.insert("x".repeat(8000));
    // A handler can seal early and answer the error itself.
    session.with(|s| s.response_cookies().map(drop))?;
    Ok("unreachable")
}

fn app(layer: SessionLayer<String>) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/account", get(account))
        .route("/strict", post(strict))
        .route("/hoard", post(hoard))
        .layer(layer)
}

async fn send(app: &Router, method: &str, uri: &str, cookie: Option<&str>) -> Response {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

fn cookie_of(response: &Response) -> String {
    let set_cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn text(response: Response) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn require_session_rejects_with_401_or_the_configured_response() {
    let plain = app(SessionLayer::new(config(1)));
    let response = send(&plain, "GET", "/account", None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    let cookie = cookie_of(&send(&plain, "POST", "/login", None).await);
    let response = send(&plain, "GET", "/account", Some(&cookie)).await;
    assert_eq!(text(response).await, "ada");

    let redirecting = SessionLayer::new(config(1))
        .with_session_required_response(|| Redirect::to("/login").into_response());
    let redirecting = app(redirecting);
    let response = send(&redirecting, "GET", "/account", None).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/login");
}

#[tokio::test]
async fn on_rejected_reports_reason_and_key_id() {
    let old = app(SessionLayer::new(config(7)));
    let cookie = cookie_of(&send(&old, "POST", "/login", None).await);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    let app = app(
        SessionLayer::new(config(8)).on_rejected(move |err, key_id| {
            record.lock().unwrap().push((err.as_str(), key_id));
        }),
    );
    let response = send(&app, "GET", "/account", Some(&cookie)).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    send(&app, "GET", "/account", None).await;
    assert_eq!(
        *seen.lock().unwrap(),
        [(OpenError::UnknownKeyId.as_str(), Some(KeyId::new(7)))]
    );
}

#[tokio::test]
async fn cache_policy_decides_cache_control_and_vary() {
    for (policy, cache_control, vary) in [
        (
            CachePolicy::Overwrite,
            Some("private, no-store"),
            Some("Cookie"),
        ),
        (
            CachePolicy::KeepNoStore,
            Some("no-store, max-age=0"),
            Some("Cookie"),
        ),
        (
            CachePolicy::KeepHandler,
            Some("no-store, max-age=0"),
            Some("Cookie"),
        ),
        (CachePolicy::Off, Some("no-store, max-age=0"), None),
    ] {
        let app = app(SessionLayer::new(config(1)).with_cache_policy(policy));
        let response = send(&app, "POST", "/strict", None).await;
        let headers = response.headers();
        assert!(headers.get(header::SET_COOKIE).is_some());
        let get = |name| headers.get(name).map(|v| v.to_str().unwrap());
        assert_eq!(get(header::CACHE_CONTROL), cache_control, "{policy:?}");
        assert_eq!(get(header::VARY), vary, "{policy:?}");
    }
}

#[tokio::test]
async fn seal_error_is_a_500_without_detail() {
    let app = app(SessionLayer::new(config(1)));
    let response = send(&app, "POST", "/hoard", None).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert!(response.headers().get(header::SET_COOKIE).is_none());
    assert_eq!(
        text(response).await,
        "session data too large to store in a cookie"
    );
}
