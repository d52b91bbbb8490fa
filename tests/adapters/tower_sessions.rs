//! The tower-sessions layer with plain `tower_sessions_core::Session`
//! handlers, on a real axum server.

use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use sealed_session::integrations::tower_sessions::SessionManagerLayer;
use sealed_session::integrations::CachePolicy;
use sealed_session::SessionConfig;
use serde_json::{json, Value};
use tower_sessions_core::Session;

use crate::support::{config, key_text, AxumServer, Browser};

/// Everything JSON can hold, nested.
fn sample() -> Value {
    json!({
        "null": null, "yes": true, "big": u64::MAX, "negative": i64::MIN,
        "float": -1.5e300, "text": "é\"\\\u{0}", "bytes": [0, 1, 127, 128, 255],
        "nested": {"list": [{"a": []}, {}], "empty": ""}
    })
}

async fn put(session: Session) -> StatusCode {
    session
        .insert("sample", sample())
        .await
        .map_or(StatusCode::INTERNAL_SERVER_ERROR, |()| StatusCode::OK)
}

async fn show(session: Session) -> String {
    let value: Option<Value> = session.get("sample").await.unwrap();
    let id = session.id().map(|id| id.to_string()).unwrap_or_default();
    format!("{id}|{}", value.map(|v| v.to_string()).unwrap_or_default())
}

async fn cycle(session: Session) -> StatusCode {
    session
        .cycle_id()
        .await
        .map_or(StatusCode::INTERNAL_SERVER_ERROR, |()| StatusCode::OK)
}

async fn flush(session: Session) -> StatusCode {
    session
        .flush()
        .await
        .map_or(StatusCode::INTERNAL_SERVER_ERROR, |()| StatusCode::OK)
}

/// Flush, then store again: a new session.
async fn flush_and_put(session: Session) -> StatusCode {
    session.flush().await.unwrap();
    put(session).await
}

/// Stores, then fails: tower-sessions saves nothing on a server error.
async fn put_then_fail(session: Session) -> StatusCode {
    session.insert("sample", 1).await.unwrap();
    StatusCode::SERVICE_UNAVAILABLE
}

async fn huge(session: Session) -> StatusCode {
    let noise: Vec<u64> = (0..2000).map(|i| i * 1_000_003).collect();
    session
        .insert("noise", noise)
        .await
        .map_or(StatusCode::INTERNAL_SERVER_ERROR, |()| StatusCode::OK)
}

/// The application on `config`.
async fn server(config: SessionConfig) -> AxumServer {
    let app = Router::new()
        .route("/put", post(put))
        .route("/show", get(show))
        .route("/cycle", post(cycle))
        .route("/flush", post(flush))
        .route("/flush-and-put", post(flush_and_put))
        .route("/put-then-fail", post(put_then_fail))
        .route("/huge", post(huge))
        .layer(SessionManagerLayer::new(config));
    AxumServer::start(app).await
}

/// The id and the value `/show` reports.
async fn show_of(browser: &Browser, server: &AxumServer) -> (String, String) {
    let body = browser.get(&server.at("/show")).await.body;
    let (id, value) = body.split_once('|').unwrap();
    (id.to_owned(), value.to_owned())
}

#[tokio::test]
async fn values_round_trip_and_ids_follow_cycle_and_flush() {
    let server = server(config(&format!("1:{}", key_text()))).await;
    let browser = Browser::new();
    assert_eq!(
        show_of(&browser, &server).await,
        (String::new(), String::new())
    );

    let reply = browser.post(&server.at("/put"), &[]).await;
    assert_eq!(reply.status, 200);
    reply.one_session_cookie();
    let (id, value) = show_of(&browser, &server).await;
    assert_eq!(value, sample().to_string());
    assert_eq!(id.len(), 22, "a tower-sessions id: {id}");

    // cycle_id: new ids, same data.
    let cookie = browser.session_value().unwrap();
    browser
        .post(&server.at("/cycle"), &[])
        .await
        .one_session_cookie();
    let (cycled, value) = show_of(&browser, &server).await;
    assert_eq!(value, sample().to_string());
    assert_ne!(cycled, id);
    assert_ne!(browser.session_value().unwrap(), cookie);

    // flush: the cookie is removed.
    let reply = browser.post(&server.at("/flush"), &[]).await;
    assert!(
        reply.one_session_cookie().contains("Max-Age=0"),
        "{reply:?}"
    );
    assert!(browser.session_value().is_none());

    // flush then insert: a new session with a new id.
    browser.post(&server.at("/put"), &[]).await;
    let (first, _) = show_of(&browser, &server).await;
    let reply = browser.post(&server.at("/flush-and-put"), &[]).await;
    assert!(
        !reply.one_session_cookie().contains("Max-Age=0"),
        "{reply:?}"
    );
    let (second, value) = show_of(&browser, &server).await;
    assert_ne!(first, second);
    assert_eq!(value, sample().to_string());
}

#[tokio::test]
async fn a_server_error_saves_nothing() {
    let server = server(config(&format!("1:{}", key_text()))).await;
    let browser = Browser::new();
    let reply = browser.post(&server.at("/put-then-fail"), &[]).await;
    assert_eq!(reply.status, 503);
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
}

#[tokio::test]
async fn a_session_too_large_for_a_cookie_is_a_500_without_cookie() {
    let server = server(config(&format!("1:{}", key_text()))).await;
    let browser = Browser::new();
    let reply = browser.post(&server.at("/huge"), &[]).await;
    assert_eq!((reply.status, reply.body.as_str()), (500, ""), "{reply:?}");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
}

#[tokio::test]
async fn the_error_response_can_be_replaced() {
    let layer =
        SessionManagerLayer::new(config(&format!("1:{}", key_text()))).with_error_response(|err| {
            let mut response =
                axum::response::Response::new(axum::body::Body::from(err.to_string()));
            *response.status_mut() = StatusCode::INSUFFICIENT_STORAGE;
            response
        });
    let server = AxumServer::start(Router::new().route("/huge", post(huge)).layer(layer)).await;
    let reply = Browser::new().post(&server.at("/huge"), &[]).await;
    assert_eq!(reply.status, 507, "{reply:?}");
    assert!(reply.body.contains("over the limit"), "{reply:?}");
}

/// A plain tower service with a `String` body (not axum's): the layer works
/// with any body that has a `Default`.
#[derive(Clone)]
struct Plain;

impl tower_service::Service<http::Request<()>> for Plain {
    type Response = http::Response<String>;
    type Error = std::convert::Infallible;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<()>) -> Self::Future {
        let session = request.extensions().get::<Session>().cloned().unwrap();
        Box::pin(async move {
            session.insert("n", 1).await.unwrap();
            Ok(http::Response::new("stored".to_owned()))
        })
    }
}

#[tokio::test]
async fn any_body_with_a_default_works() {
    use tower_layer::Layer;
    use tower_service::Service;

    let mut service = SessionManagerLayer::new(config(&format!("1:{}", key_text()))).layer(Plain);
    let response = service.call(http::Request::new(())).await.unwrap();
    assert_eq!(response.body(), "stored");
    let set_cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.starts_with("__Host-session="), "{set_cookie}");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
}

#[tokio::test]
async fn the_rejection_hook_and_cache_policy_are_the_cores() {
    let rejected = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = std::sync::Arc::clone(&rejected);
    let layer = SessionManagerLayer::new(config(&format!("1:{}", key_text())))
        .on_rejected(move |err, _key_id| seen.lock().unwrap().push(err.as_str()))
        .with_cache_policy(CachePolicy::KeepNoStore);
    let app = Router::new()
        .route("/put", post(put))
        .route(
            "/put-no-store",
            post(|session: Session| async move {
                session.insert("other", 1).await.unwrap();
                [("cache-control", "no-store, max-age=0")]
            }),
        )
        .layer(layer);
    let server = AxumServer::start(app).await;
    let browser = Browser::new();

    browser.set_session_value("forged");
    let reply = browser.post(&server.at("/put"), &[]).await;
    assert_eq!(reply.status, 200);
    reply.one_session_cookie();
    assert_eq!(rejected.lock().unwrap().len(), 1);

    let reply = browser.post(&server.at("/put-no-store"), &[]).await;
    assert_eq!(reply.session_cookies().len(), 1, "{reply:?}");
    assert_eq!(reply.cache_control.as_deref(), Some("no-store, max-age=0"));
    assert_eq!(rejected.lock().unwrap().len(), 1);
}
