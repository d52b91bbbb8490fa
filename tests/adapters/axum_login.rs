//! axum-login 0.18's whole flow on the sealed tower-sessions layer: its own
//! backend with an in-memory user table, login, a route behind
//! `login_required!`, logout, a password change that ends every copy of the
//! session, and a key rotation in the middle of a session.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, RwLock};

use axum::extract::Form;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use axum_login::{login_required, AuthManager, AuthSession, AuthUser, AuthnBackend, UserId};
use sealed_session::integrations::tower_sessions::SessionManagerLayer;
use sealed_session::SessionConfig;
use serde::Deserialize;
use tower_sessions_core::Session;

use crate::support::{config, key_text, AxumServer, Browser, NAME};

#[derive(Debug, Clone)]
struct User {
    id: u64,
    name: String,
    password: String,
    /// What axum-login compares on every request: here the password
    /// itself (a real backend uses the password hash).
    auth_hash: Vec<u8>,
}

impl AuthUser for User {
    type Id = u64;

    fn id(&self) -> u64 {
        self.id
    }

    fn session_auth_hash(&self) -> &[u8] {
        &self.auth_hash
    }
}

/// The user table, shared with the test so it can change a password.
#[derive(Debug, Clone, Default)]
struct Backend {
    users: Arc<RwLock<HashMap<u64, User>>>,
}

impl Backend {
    fn with_user(id: u64, name: &str, password: &str) -> Self {
        let backend = Self::default();
        backend.set_password(id, name, password);
        backend
    }

    fn set_password(&self, id: u64, name: &str, password: &str) {
        let user = User {
            id,
            name: name.to_owned(),
            password: password.to_owned(),
            auth_hash: password.as_bytes().to_vec(),
        };
        self.users.write().unwrap().insert(id, user);
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Credentials {
    name: String,
    password: String,
}

impl AuthnBackend for Backend {
    type User = User;
    type Credentials = Credentials;
    type Error = Infallible;

    async fn authenticate(&self, creds: Credentials) -> Result<Option<User>, Infallible> {
        let users = self.users.read().unwrap();
        Ok(users
            .values()
            .find(|u| u.name == creds.name && u.password == creds.password)
            .cloned())
    }

    async fn get_user(&self, user_id: &UserId<Self>) -> Result<Option<User>, Infallible> {
        Ok(self.users.read().unwrap().get(user_id).cloned())
    }
}

type Auth = AuthSession<Backend>;

async fn login(mut auth: Auth, Form(creds): Form<Credentials>) -> (StatusCode, String) {
    match auth.authenticate(creds).await {
        Ok(Some(user)) => match auth.login(&user).await {
            Ok(()) => (StatusCode::OK, format!("welcome {}", user.name)),
            Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()),
        },
        _ => (StatusCode::UNAUTHORIZED, "bad credentials".to_owned()),
    }
}

async fn logout(mut auth: Auth) -> StatusCode {
    match auth.logout().await {
        Ok(_) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

async fn protected(auth: Auth) -> String {
    let name = auth.user.map(|u| u.name).unwrap_or_default();
    format!("hello {name}")
}

/// Stores a value before login, to see that login keeps it.
async fn remember(session: Session) -> StatusCode {
    match session.insert("theme", "dark").await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The session's tower-sessions id and the remembered value.
async fn whoami(session: Session) -> String {
    let theme: Option<String> = session.get("theme").await.unwrap_or_default();
    let id = session.id().map(|id| id.to_string()).unwrap_or_default();
    format!("{id} {}", theme.unwrap_or_default())
}

/// The application on `config`, with axum-login over `backend`.
async fn server(config: SessionConfig, backend: Backend) -> AxumServer {
    let app = Router::new()
        .route("/protected", get(protected))
        .route_layer(login_required!(Backend))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/remember", post(remember))
        .route("/whoami", get(whoami))
        .layer(tower_layer::layer_fn(move |inner| {
            AuthManager::new(inner, backend.clone(), "axum-login.data")
        }))
        .layer(SessionManagerLayer::new(config));
    AxumServer::start(app).await
}

fn ada() -> [(&'static str, &'static str); 2] {
    [("name", "ada"), ("password", "lovelace")]
}

#[tokio::test]
async fn login_protected_route_and_logout() {
    let backend = Backend::with_user(1, "ada", "lovelace");
    let server = server(config(&format!("1:{}", key_text())), backend).await;
    let browser = Browser::new();

    // Not logged in: the protected route refuses, and no cookie is set.
    let reply = browser.get(&server.at("/protected")).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(reply.session_cookies().is_empty(), "{reply:?}");

    // Wrong password.
    let reply = browser
        .post(&server.at("/login"), &[("name", "ada"), ("password", "x")])
        .await;
    assert_eq!(reply.status, 401);
    assert!(browser.session_value().is_none());

    // A value stored before login; its session id.
    assert_eq!(browser.post(&server.at("/remember"), &[]).await.status, 200);
    let before = browser.get(&server.at("/whoami")).await.body;
    let cookie_before = browser.session_value().unwrap();
    assert!(before.ends_with(" dark"), "{before}");

    // Login: axum-login cycles the id (session fixation); the data stays.
    let reply = browser.post(&server.at("/login"), &ada()).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "welcome ada"));
    reply.one_session_cookie();
    let after = browser.get(&server.at("/whoami")).await.body;
    assert!(after.ends_with(" dark"), "{after}");
    assert_ne!(before, after, "login gives the session a new id");
    assert_ne!(browser.session_value().unwrap(), cookie_before);

    // The protected route; a read-only request sends no cookie.
    let reply = browser.get(&server.at("/protected")).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello ada"));
    assert!(reply.session_cookies().is_empty(), "{reply:?}");

    // Logout removes the cookie; the protected route refuses again.
    let logged_in = browser.session_value().unwrap();
    let reply = browser.post(&server.at("/logout"), &[]).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.one_session_cookie().contains("Max-Age=0"),
        "{reply:?}"
    );
    assert!(browser.session_value().is_none());
    assert_eq!(browser.get(&server.at("/protected")).await.status, 401);

    // No server-side deletion: a copy taken before the logout still opens
    // until it expires (documented; stateless revocation is below).
    browser.set_session_value(&logged_in);
    assert_eq!(browser.get(&server.at("/protected")).await.status, 200);
}

#[tokio::test]
async fn a_password_change_ends_every_copy_of_the_session() {
    let backend = Backend::with_user(1, "ada", "lovelace");
    let server = server(config(&format!("1:{}", key_text())), backend.clone()).await;
    let browser = Browser::new();
    assert_eq!(browser.post(&server.at("/login"), &ada()).await.status, 200);
    let copy = browser.session_value().unwrap();
    assert_eq!(browser.get(&server.at("/protected")).await.status, 200);

    backend.set_password(1, "ada", "babbage");
    let reply = browser.get(&server.at("/protected")).await;
    assert_eq!(reply.status, 401, "{reply:?}");
    assert!(
        reply.one_session_cookie().contains("Max-Age=0"),
        "{reply:?}"
    );
    browser.set_session_value(&copy);
    assert_eq!(browser.get(&server.at("/protected")).await.status, 401);
}

#[tokio::test]
async fn a_key_rotation_keeps_the_user_logged_in() {
    let (old, new) = (key_text(), key_text());
    let backend = Backend::with_user(1, "ada", "lovelace");
    let before = server(config(&format!("1:{old}")), backend.clone()).await;
    let during = server(config(&format!("2:{new},1:{old}")), backend.clone()).await;
    let after = server(config(&format!("2:{new}")), backend).await;
    let browser = Browser::new();

    assert_eq!(browser.post(&before.at("/login"), &ada()).await.status, 200);
    let sealed_with_old = browser.session_value().unwrap();
    // The new key alone cannot open it.
    let reply = browser.get(&after.at("/protected")).await;
    assert_eq!(reply.status, 401);
    browser.set_session_value(&sealed_with_old);

    // The rotated server opens the old cookie and re-seals it with the new
    // key, on a request that changes nothing.
    let reply = browser.get(&during.at("/protected")).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello ada"));
    reply.one_session_cookie();
    assert_ne!(browser.session_value().unwrap(), sealed_with_old);

    // Once re-sealed, a server without the old key keeps the user in.
    let reply = browser.get(&after.at("/protected")).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "hello ada"));
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
    assert!(!browser.session_value().unwrap().is_empty());
    assert!(browser.session_value().is_some_and(|v| !v.contains(NAME)));
}
