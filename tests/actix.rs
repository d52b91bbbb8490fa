//! The actix-web middleware and extractor, driven through `actix_web::test`
//! (no network).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::future::Future;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::test::{self, TestRequest};
use actix_web::{web, App, Error, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use sealed_session::integrations::actix::{
    CachePolicy, RequireSession, SessionHandle, SessionMiddleware,
};
use sealed_session::{
    CsrfError, FixedClock, Key, KeyId, Keyring, OpenError, SealError, SessionConfig, UnixSeconds,
};

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
    let (visits, user) =
        session.with(|s| s.get().map_or((0, None), |d| (d.visits, d.user.clone())));
    format!("visits={visits} user={}", user.as_deref().unwrap_or("-"))
}

async fn count(session: SessionHandle<Data>) -> String {
    let visits = session.update(|data| {
        data.visits += 1;
        data.visits
    });
    format!("visits={visits}")
}

/// A user lookup that suspends, as a database query does.
async fn find_user(name: &str) -> String {
    tokio::task::yield_now().await;
    name.to_owned()
}

/// The natural login handler: await a lookup with the handle in scope, then
/// regenerate and store the user.
async fn login(session: SessionHandle<Data>) -> &'static str {
    let user = find_user("ada").await;
    session.regenerate();
    session.update(|data| data.user = Some(user));
    "welcome"
}

async fn logout(session: SessionHandle<Data>) -> &'static str {
    session.destroy();
    "bye"
}

async fn hoard(session: SessionHandle<Data>) -> &'static str {
    session.update(|data| data.blob = vec![7; 8_000]);
    "stored"
}

/// Mints a CSRF token (saving a new session).
async fn token(session: SessionHandle<Data>) -> Result<String, SealError> {
    session.csrf_token()
}

/// A CSRF-checked action: the error is the response.
async fn checked(
    session: SessionHandle<Data>,
    request: HttpRequest,
) -> Result<&'static str, CsrfError> {
    let token = request
        .headers()
        .get("x-csrf")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    session.verify_csrf(token)?;
    Ok("checked")
}

async fn account(session: RequireSession<Data>) -> String {
    session
        .with(|s| s.get().and_then(|d| d.user.clone()))
        .unwrap_or_default()
}

async fn strict(session: SessionHandle<Data>) -> HttpResponse {
    session.update(|data| data.visits += 1);
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store, max-age=0"))
        .finish()
}

async fn varied(session: SessionHandle<Data>) -> HttpResponse {
    session.update(|data| data.visits += 1);
    HttpResponse::Ok()
        .append_header((header::VARY, "Accept-Encoding, cookie"))
        .finish()
}

async fn accept_varied(session: SessionHandle<Data>) -> HttpResponse {
    session.update(|data| data.visits += 1);
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
        .route("/token", web::get().to(token))
        .route("/checked", web::post().to(checked))
        .route("/account", web::get().to(account))
        .route("/strict", web::post().to(strict))
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

#[test]
fn login_after_an_await_regenerates_to_an_empty_session() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        // Data planted before the login.
        let response = call!(&app, TestRequest::post().uri("/count")).await;
        let planted = request_cookie(&set_cookies(&response)[0]);
        let login = TestRequest::post()
            .uri("/login")
            .insert_header((header::COOKIE, planted.clone()));
        let response = call!(&app, login).await;
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = request_cookie(&set_cookies(&response)[0]);
        assert_ne!(cookie, planted);
        let again = TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE, cookie));
        assert_eq!(
            body(call!(&app, again).await).await,
            "visits=0 user=ada",
            "the planted visit did not survive the login"
        );
    });
}

#[test]
fn csrf_error_is_a_403_without_detail() {
    run(async {
        let app = test::init_service(routes(SessionMiddleware::new(config()))).await;
        let response = call!(&app, TestRequest::get().uri("/token")).await;
        let cookie = request_cookie(&set_cookies(&response)[0]);
        let token = body(response).await;
        let good = TestRequest::post()
            .uri("/checked")
            .insert_header((header::COOKIE, cookie.clone()))
            .insert_header(("x-csrf", token));
        assert_eq!(body(call!(&app, good).await).await, "checked");
        let bad = TestRequest::post()
            .uri("/checked")
            .insert_header((header::COOKIE, cookie))
            .insert_header(("x-csrf", "A".repeat(43)));
        let response = call!(&app, bad).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(body(response).await, "CSRF check failed");
    });
}

#[test]
fn require_session_rejects_with_401_or_the_configured_response() {
    run(async {
        let config = config();
        let app = test::init_service(routes(SessionMiddleware::new(config.clone()))).await;
        let response = call!(&app, TestRequest::get().uri("/account")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookies(&response).is_empty());

        let response = call!(&app, TestRequest::post().uri("/login")).await;
        let cookie = request_cookie(&set_cookies(&response)[0]);
        let request = TestRequest::get()
            .uri("/account")
            .insert_header((header::COOKIE, cookie));
        assert_eq!(body(call!(&app, request).await).await, "ada");

        let redirecting = SessionMiddleware::new(config).with_session_required_response(|| {
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/login"))
                .finish()
        });
        let app = test::init_service(routes(redirecting)).await;
        let response = call!(&app, TestRequest::get().uri("/account")).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(response.headers().get(header::LOCATION).unwrap(), "/login");
    });
}

#[test]
fn on_rejected_reports_reason_and_key_id() {
    run(async {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let old = SessionConfig::builder(Keyring::new(KeyId::new(7), Key::generate()))
            .with_clock(FixedClock::new(UnixSeconds::new(NOW)))
            .build()
            .unwrap();
        let app = test::init_service(routes(SessionMiddleware::new(old))).await;
        let response = call!(&app, TestRequest::post().uri("/count")).await;
        let cookie = request_cookie(&set_cookies(&response)[0]);

        let record = std::sync::Arc::clone(&seen);
        let middleware = SessionMiddleware::new(config()).on_rejected(move |err, key_id| {
            record.lock().unwrap().push((err.clone(), key_id));
        });
        let app = test::init_service(routes(middleware)).await;
        for value in [cookie.as_str(), "__Host-session=garbage"] {
            let request = TestRequest::get()
                .uri("/")
                .insert_header((header::COOKIE, value.to_owned()));
            assert_eq!(body(call!(&app, request).await).await, "visits=0 user=-");
        }
        // No cookie: nothing refused, nothing reported.
        call!(&app, TestRequest::get().uri("/")).await;
        assert_eq!(
            *seen.lock().unwrap(),
            [
                (OpenError::UnknownKeyId, Some(KeyId::new(7))),
                (OpenError::Malformed, None)
            ]
        );
    });
}

#[test]
fn cache_policy_keeps_a_stricter_value_or_stays_off() {
    run(async {
        let config = config();
        let cache_control = |policy| {
            let config = config.clone();
            async move {
                let middleware = SessionMiddleware::new(config).with_cache_policy(policy);
                let app = test::init_service(routes(middleware)).await;
                let response = call!(&app, TestRequest::post().uri("/strict")).await;
                assert_eq!(set_cookies(&response).len(), 1);
                let vary = response.headers().get(header::VARY).cloned();
                let value = response.headers().get(header::CACHE_CONTROL).cloned();
                (value, vary)
            }
        };
        let (value, vary) = cache_control(CachePolicy::Overwrite).await;
        assert_eq!(value.unwrap(), "private, no-store");
        assert_eq!(vary.unwrap(), "Cookie");
        let (value, vary) = cache_control(CachePolicy::KeepNoStore).await;
        assert_eq!(value.unwrap(), "no-store, max-age=0");
        assert_eq!(vary.unwrap(), "Cookie");
        let (value, vary) = cache_control(CachePolicy::Off).await;
        assert_eq!(value.unwrap(), "no-store, max-age=0");
        assert!(vary.is_none());
    });
}
