//! The actix-web middleware and extractor, driven through `actix_web::test`
//! (no network).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::future::Future;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{web, App, Error, HttpResponse};
use serde::{Deserialize, Serialize};

use sealed_session::integrations::actix::{SessionHandle, SessionMiddleware};
use sealed_session::{FixedClock, Key, KeyId, Keyring, SessionConfig, UnixSeconds};

const NOW: u64 = 1_800_000_000;
const ATTRIBUTES: &str = "; Max-Age=86400; Path=/; Secure; HttpOnly; SameSite=Lax";

#[derive(Serialize, Deserialize, Default)]
struct Data {
    visits: u32,
    user: Option<String>,
    blob: Vec<u8>,
}

fn config() -> SessionConfig {
    SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate()))
        .with_clock(FixedClock::new(UnixSeconds::new(NOW)))
        .build()
        .unwrap()
}

fn run<F: Future>(test: F) -> F::Output {
    actix_web::rt::System::new().block_on(test)
}

async fn peek(session: SessionHandle<Data>) -> String {
    let session = session.lock();
    let (visits, user) = session
        .get()
        .map_or((0, None), |d| (d.visits, d.user.clone()));
    format!("visits={visits} user={}", user.as_deref().unwrap_or("-"))
}

async fn count(session: SessionHandle<Data>) -> String {
    let visits = {
        let mut session = session.lock();
        let data = session.get_or_insert_default();
        data.visits += 1;
        data.visits
    };
    format!("visits={visits}")
}

async fn login(session: SessionHandle<Data>) -> &'static str {
    let mut session = session.lock();
    session.regenerate();
    session.get_or_insert_default().user = Some("ada".to_owned());
    "welcome"
}

async fn logout(session: SessionHandle<Data>) -> &'static str {
    session.lock().destroy();
    "bye"
}

async fn hoard(session: SessionHandle<Data>) -> &'static str {
    session.lock().get_or_insert_default().blob = vec![7; 8_000];
    "stored"
}

async fn varied(session: SessionHandle<Data>) -> HttpResponse {
    session.lock().get_or_insert_default().visits += 1;
    HttpResponse::Ok()
        .append_header((header::VARY, "Accept-Encoding, cookie"))
        .finish()
}

async fn accept_varied(session: SessionHandle<Data>) -> HttpResponse {
    session.lock().get_or_insert_default().visits += 1;
    HttpResponse::Ok()
        .append_header((header::VARY, "Accept"))
        .finish()
}

fn routes(
    middleware: SessionMiddleware<Data>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    App::new()
        .route("/", web::get().to(peek))
        .route("/count", web::post().to(count))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/hoard", web::post().to(hoard))
        .route("/varied", web::post().to(varied))
        .route("/accept-varied", web::post().to(accept_varied))
        .wrap(middleware)
}

/// The `name=value` part of every `Set-Cookie` of `response`.
fn set_cookies<B>(response: &ServiceResponse<B>) -> Vec<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Sends `request` to `app` (a macro: actix does not name its request type).
macro_rules! call {
    ($app:expr, $request:expr) => {
        test::call_service($app, $request.to_request())
    };
}

fn request_cookie(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap().to_owned()
}

async fn body<B: MessageBody>(response: ServiceResponse<B>) -> String {
    String::from_utf8(test::read_body(response).await.to_vec()).unwrap()
}

#[test]
fn first_request_without_cookie_sets_none() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let response = call!(&app, TestRequest::get().uri("/")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(set_cookies(&response).is_empty());
        assert!(response.headers().get(header::CACHE_CONTROL).is_none());
        assert!(response.headers().get(header::VARY).is_none());
        assert_eq!(body(response).await, "visits=0 user=-");
    });
}

#[test]
fn login_sets_host_cookie_and_cache_headers() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let response = call!(&app, TestRequest::post().uri("/login")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 1);
        assert!(cookies[0].starts_with("__Host-session="));
        assert!(cookies[0].ends_with(ATTRIBUTES), "{}", cookies[0]);
        assert_eq!(
            response.headers().get(header::CACHE_CONTROL).unwrap(),
            "private, no-store"
        );
        let vary: Vec<_> = response.headers().get_all(header::VARY).collect();
        assert_eq!(vary, [&HeaderValue::from_static("Cookie")]);

        let again = TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE, request_cookie(&cookies[0])));
        let response = call!(&app, again).await;
        assert!(set_cookies(&response).is_empty());
        assert_eq!(body(response).await, "visits=0 user=ada");
    });
}

#[test]
fn counter_persists_across_requests() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let mut cookie: Option<String> = None;
        for expected in 1..=3 {
            let mut request = TestRequest::post().uri("/count");
            if let Some(c) = &cookie {
                request = request.insert_header((header::COOKIE, c.clone()));
            }
            let response = call!(&app, request).await;
            let cookies = set_cookies(&response);
            assert_eq!(cookies.len(), 1);
            cookie = Some(request_cookie(&cookies[0]));
            assert_eq!(body(response).await, format!("visits={expected}"));
        }
        // Other cookies in the same header, and a second Cookie header, are
        // fine.
        let request = TestRequest::get()
            .uri("/")
            .append_header((header::COOKIE, "theme=dark"))
            .append_header((header::COOKIE, format!("a=b; {}", cookie.unwrap())));
        assert_eq!(body(call!(&app, request).await).await, "visits=3 user=-");
    });
}

#[test]
fn tampered_cookie_gives_fresh_session() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let response = call!(&app, TestRequest::post().uri("/count")).await;
        let mut cookie = request_cookie(&set_cookies(&response)[0]).into_bytes();
        let middle = cookie.len() / 2;
        cookie[middle] = if cookie[middle] == b'A' { b'B' } else { b'A' };
        let cookie = String::from_utf8(cookie).unwrap();

        let request = TestRequest::post()
            .uri("/count")
            .insert_header((header::COOKIE, cookie));
        let response = call!(&app, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookies = set_cookies(&response);
        assert_eq!(cookies.len(), 1);
        assert!(cookies[0].ends_with(ATTRIBUTES));
        assert_eq!(body(response).await, "visits=1");
    });
}

#[test]
fn oversize_session_is_a_500_without_cookie() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let response = call!(&app, TestRequest::post().uri("/hoard")).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(set_cookies(&response).is_empty());
        assert_eq!(
            response.headers().get(header::CONTENT_TYPE).unwrap(),
            "text/plain; charset=utf-8"
        );
        assert_eq!(
            body(response).await,
            "session data too large to store in a cookie"
        );
    });
}

#[test]
fn custom_error_response() {
    run(async {
        let middleware = SessionMiddleware::new(config())
            .with_error_response(|_| HttpResponse::PayloadTooLarge().body("too big"));
        let app = test::init_service(routes(middleware)).await;
        let response = call!(&app, TestRequest::post().uri("/hoard")).await;
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(set_cookies(&response).is_empty());
        assert_eq!(body(response).await, "too big");
    });
}

#[test]
fn logout_sends_removal_cookie() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let response = call!(&app, TestRequest::post().uri("/login")).await;
        let cookie = request_cookie(&set_cookies(&response)[0]);

        let request = TestRequest::post()
            .uri("/logout")
            .insert_header((header::COOKIE, cookie));
        let response = call!(&app, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            set_cookies(&response),
            ["__Host-session=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; Secure; HttpOnly; SameSite=Lax"]
        );
        assert_eq!(
            response.headers().get(header::CACHE_CONTROL).unwrap(),
            "private, no-store"
        );
    });
}

#[test]
fn vary_is_appended_once() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let response = call!(&app, TestRequest::post().uri("/varied")).await;
        assert_eq!(set_cookies(&response).len(), 1);
        let vary: Vec<_> = response.headers().get_all(header::VARY).collect();
        assert_eq!(vary, ["Accept-Encoding, cookie"]);

        let response = call!(&app, TestRequest::post().uri("/accept-varied")).await;
        let mut vary: Vec<_> = response
            .headers()
            .get_all(header::VARY)
            .map(|v| v.to_str().unwrap())
            .collect();
        vary.sort_unstable();
        assert_eq!(vary, ["Accept", "Cookie"]);
    });
}

#[test]
fn revocation_check_voids_session() {
    run(async {
        let config = config();
        let app = test::init_service(routes(SessionMiddleware::new(config.clone()))).await;
        let response = call!(&app, TestRequest::post().uri("/login")).await;
        let cookie = request_cookie(&set_cookies(&response)[0]);

        let revoking = SessionMiddleware::new(config)
            .with_revocation_check(|data: &Data, _| data.user.as_deref() == Some("ada"));
        let app = test::init_service(routes(revoking)).await;
        let request = TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE, cookie));
        assert_eq!(body(call!(&app, request).await).await, "visits=0 user=-");
    });
}

#[test]
fn missing_middleware_is_a_500() {
    run(async {
        let app = test::init_service(App::new().route("/", web::get().to(peek))).await;
        let response = call!(&app, TestRequest::get().uri("/")).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(set_cookies(&response).is_empty());
        assert_eq!(
            body(response).await,
            "no session middleware for this session type wraps the handler"
        );
    });
}
