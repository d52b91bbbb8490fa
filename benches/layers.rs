//! The framework adapters' own cost: the axum layer and the actix-web
//! middleware, each called in-process on a request carrying our cookie,
//! against the same service without them, beside the open and the seal
//! alone.
//!
//! ```sh
//! cargo bench -p sealed-session-benches --bench layers -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! The layer's own work is `(layer_read − bare) − open` for a request that
//! only reads the session, and `(layer_write − bare) − open_and_seal` for
//! one that changes it; `layer_read_no_cookie − bare_no_cookie` measures it
//! directly, without the open's own variance.
// A bench's set-up either works or the bench is meaningless: it may panic.
#![allow(missing_docs, clippy::expect_used, clippy::missing_panics_doc)]

use std::hint::black_box;

use actix_web::test::{self as actix_test, TestRequest};
use actix_web::web;
use axum::body::Body;
use axum::http::{header, Request};
use axum::routing::get;
use axum::Router;
use criterion::{criterion_group, criterion_main, Criterion};
use sealed_session::integrations::{actix, axum as axum_layer};
use sealed_session::{FixedClock, Key, KeyId, Keyring, Session, SessionConfig, UnixSeconds};
use serde::{Deserialize, Serialize};
use tower::ServiceExt as _;

/// A logged-in user's session.
#[derive(Serialize, Deserialize, Clone, Default)]
struct User {
    id: u64,
    name: String,
    role: String,
    visits: u32,
}

fn user() -> User {
    User {
        id: 4_242_424_242,
        name: "ada.lovelace1815".to_owned(),
        role: "editor".to_owned(),
        visits: 1,
    }
}

const NOW: u64 = 1_800_000_000;

/// The configuration (a fixed clock: no rolling refresh falls due) and a
/// request `Cookie` header holding a session of [`user`].
fn setup() -> (SessionConfig, String) {
    let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate()))
        .with_clock(FixedClock::new(UnixSeconds::new(NOW)))
        .build()
        .expect("valid configuration");
    let mut session = config.new_session::<User>();
    session.insert(user());
    let set_cookie = session
        .finish()
        .expect("seals")
        .into_set_cookie_headers()
        .remove(0);
    let cookie = set_cookie.split(';').next().unwrap_or_default().to_owned();
    // Two other cookies beside ours, as a browser sends them.
    (config, format!("theme=dark; {cookie}; _ga=GA1.1.12345"))
}

fn core(c: &mut Criterion, config: &SessionConfig, cookie: &str) {
    let mut group = c.benchmark_group("layers/core");
    group.bench_function("open", |b| {
        b.iter(|| black_box(config.load::<User, _>(Some(black_box(cookie)))));
    });
    let loaded: Session<User> = config.load(Some(cookie));
    assert!(loaded.get().is_some(), "the cookie opens");
    group.bench_function("open_and_seal", |b| {
        b.iter(|| {
            let mut session: Session<User> = config.load(Some(cookie));
            if let Some(user) = session.get_mut() {
                user.visits += 1;
            }
            black_box(session.finish())
        });
    });
    group.finish();
}

async fn axum_bare() -> &'static str {
    "ok"
}

async fn axum_read(session: axum_layer::SessionHandle<User>) -> &'static str {
    black_box(session.with(|s| s.get().map(|u| u.id)));
    "ok"
}

async fn axum_write(session: axum_layer::SessionHandle<User>) -> &'static str {
    session.update(|u| u.visits += 1);
    "ok"
}

fn axum(c: &mut Criterion, config: &SessionConfig, cookie: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let with_cookie = |cookie: Option<&str>| {
        let mut request = Request::get("/");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::empty()).expect("request")
    };
    let request = || with_cookie(Some(cookie));
    let bare = Router::new().route("/", get(axum_bare));
    let layer = axum_layer::SessionLayer::<User>::new(config.clone());
    let read = Router::new()
        .route("/", get(axum_read))
        .layer(layer.clone());
    let write = Router::new().route("/", get(axum_write)).layer(layer);
    let response = runtime
        .block_on(write.clone().oneshot(request()))
        .expect("responds");
    assert!(response.headers().contains_key(header::SET_COOKIE));

    let mut group = c.benchmark_group("layers/axum");
    for (name, app) in [
        ("bare", &bare),
        ("layer_read", &read),
        ("layer_write", &write),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(runtime.block_on(app.clone().oneshot(request()))));
        });
    }
    // Without a cookie the open costs nothing: what is left is the layer's
    // own work.
    for (name, app) in [("bare_no_cookie", &bare), ("layer_read_no_cookie", &read)] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(runtime.block_on(app.clone().oneshot(with_cookie(None)))));
        });
    }
    group.finish();
}

async fn actix_bare() -> &'static str {
    "ok"
}

async fn actix_read(session: actix::SessionHandle<User>) -> &'static str {
    black_box(session.with(|s| s.get().map(|u| u.id)));
    "ok"
}

async fn actix_write(session: actix::SessionHandle<User>) -> &'static str {
    session.update(|u| u.visits += 1);
    "ok"
}

fn actix(c: &mut Criterion, config: &SessionConfig, cookie: &str) {
    let system = actix_web::rt::System::new();
    let request = || {
        TestRequest::get()
            .uri("/")
            .insert_header((header::COOKIE.as_str(), cookie))
            .to_request()
    };
    let middleware = actix::SessionMiddleware::<User>::new(config.clone());
    let bare = system.block_on(actix_test::init_service(
        actix_web::App::new().route("/", web::get().to(actix_bare)),
    ));
    let read = system.block_on(actix_test::init_service(
        actix_web::App::new()
            .route("/", web::get().to(actix_read))
            .wrap(middleware.clone()),
    ));
    let write = system.block_on(actix_test::init_service(
        actix_web::App::new()
            .route("/", web::get().to(actix_write))
            .wrap(middleware),
    ));
    let response = system.block_on(actix_test::call_service(&write, request()));
    assert!(response.headers().contains_key("set-cookie"));

    let mut group = c.benchmark_group("layers/actix");
    group.bench_function("bare", |b| {
        b.iter(|| black_box(system.block_on(actix_test::call_service(&bare, request()))));
    });
    group.bench_function("layer_read", |b| {
        b.iter(|| black_box(system.block_on(actix_test::call_service(&read, request()))));
    });
    group.bench_function("layer_write", |b| {
        b.iter(|| black_box(system.block_on(actix_test::call_service(&write, request()))));
    });
    let no_cookie = || TestRequest::get().uri("/").to_request();
    group.bench_function("bare_no_cookie", |b| {
        b.iter(|| black_box(system.block_on(actix_test::call_service(&bare, no_cookie()))));
    });
    group.bench_function("layer_read_no_cookie", |b| {
        b.iter(|| black_box(system.block_on(actix_test::call_service(&read, no_cookie()))));
    });
    group.finish();
}

fn layers(c: &mut Criterion) {
    let (config, cookie) = setup();
    core(c, &config, &cookie);
    axum(c, &config, &cookie);
    actix(c, &config, &cookie);
}

fn short() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = short();
    targets = layers
}
criterion_main!(benches);
