//! A deploy that changes the session type: version 1 issues sessions,
//! version 2 (with a migration) takes them over and re-seals them as its own
//! type, and a rollback to version 1 refuses version 2's cookies as a schema
//! mismatch instead of misreading them. Two real servers, one browser.

use axum::routing::get;
use axum::Router;
use sealed_session::integrations::axum::{SessionHandle, SessionLayer};
use sealed_session::{Session, SessionConfig};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::support::{config_with, key_text, ring, Browser};

/// The session type of version 1.
mod v1 {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Data")]
    pub(crate) struct Data {
        pub(crate) user: String,
        pub(crate) role: Role,
    }

    #[derive(Serialize, Deserialize, Debug)]
    #[serde(rename = "Role")]
    pub(crate) enum Role {
        Reader,
        Admin,
    }
}

/// The session type of version 2: a new field, and a new variant before
/// `Admin` (whose index moves from 1 to 2).
mod v2 {
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(rename = "Data")]
    pub(crate) struct Data {
        pub(crate) user: String,
        pub(crate) org: Option<u64>,
        pub(crate) role: Role,
    }

    #[derive(Serialize, Deserialize, Debug)]
    #[serde(rename = "Role")]
    pub(crate) enum Role {
        Reader,
        Editor,
        Admin,
    }

    impl From<super::v1::Data> for Data {
        fn from(old: super::v1::Data) -> Self {
            Self {
                user: old.user,
                org: None,
                role: match old.role {
                    super::v1::Role::Reader => Role::Reader,
                    super::v1::Role::Admin => Role::Admin,
                },
            }
        }
    }
}

/// What a page shows.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
struct Page {
    user: Option<String>,
    role: Option<String>,
    migrated: bool,
    load_error: Option<String>,
}

fn page<T>(session: &Session<T>, show: impl Fn(&T) -> (String, String)) -> String {
    let shown = session.get().map(show);
    let page = Page {
        user: shown.as_ref().map(|s| s.0.clone()),
        role: shown.map(|s| s.1),
        migrated: session.is_migrated(),
        load_error: session.load_error().map(|e| format!("{e:?}")),
    };
    serde_json::to_string(&page).unwrap()
}

fn version_1(config: SessionConfig) -> Router {
    async fn home(handle: SessionHandle<v1::Data>) -> String {
        handle.with(|session| page(session, |d| (d.user.clone(), format!("{:?}", d.role))))
    }
    async fn login(handle: SessionHandle<v1::Data>) -> &'static str {
        handle.regenerate();
        handle.insert(v1::Data {
            user: "ada".into(),
            role: v1::Role::Admin,
        });
        "logged in"
    }
    Router::new()
        .route("/", get(home))
        .route("/login", get(login))
        .layer(SessionLayer::<v1::Data>::new(config))
}

fn version_2(config: SessionConfig) -> Router {
    async fn home(handle: SessionHandle<v2::Data>) -> String {
        handle.with(|session| page(session, |d| (d.user.clone(), format!("{:?}", d.role))))
    }
    Router::new()
        .route("/", get(home))
        .layer(SessionLayer::<v2::Data>::new(config))
}

/// A server on 127.0.0.1, port 0; stopped when dropped.
struct Running {
    url: String,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(app: Router) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Running { url, task }
}

#[tokio::test]
async fn a_deploy_migrates_sessions_and_a_rollback_refuses_them() {
    let keys = ring(&format!("1:{}", key_text()));
    let old = serve(version_1(config_with(keys.clone(), |b| b))).await;
    let new = serve(version_2(config_with(keys, |b| {
        b.with_migration::<v1::Data, v2::Data>(v2::Data::from)
    })))
    .await;
    let browser = Browser::new();

    // Version 1 issues a session.
    let reply = browser.get(&format!("{}/login", old.url)).await;
    assert_eq!(reply.session_cookies().len(), 1, "{reply:?}");
    let issued = browser.cookie(crate::support::NAME).unwrap();
    let seen: Page =
        serde_json::from_str(&browser.get(&format!("{}/", old.url)).await.body).unwrap();
    assert_eq!(seen.role.as_deref(), Some("Admin"));

    // Version 2 takes it over: the user keeps the session, its role is
    // converted (not read by index), and the response re-seals it as v2.
    let reply = browser.get(&format!("{}/", new.url)).await;
    let seen: Page = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        seen,
        Page {
            user: Some("ada".into()),
            role: Some("Admin".into()),
            migrated: true,
            load_error: None,
        }
    );
    assert_eq!(reply.session_cookies().len(), 1, "re-sealed: {reply:?}");
    let resealed = browser.cookie(crate::support::NAME).unwrap();
    assert_ne!(resealed, issued);
    let seen: Page =
        serde_json::from_str(&browser.get(&format!("{}/", new.url)).await.body).unwrap();
    assert_eq!(seen.user.as_deref(), Some("ada"));
    assert!(!seen.migrated, "the cookie is now of version 2");

    // Rollback: version 1 gets a version 2 cookie. Read by position it
    // would be garbage (or, with other types, a silent misread); it is
    // refused by its fingerprint, and the cookie is left alone.
    let reply = browser.get(&format!("{}/", old.url)).await;
    let seen: Page = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        seen,
        Page {
            user: None,
            role: None,
            migrated: false,
            load_error: Some("SchemaMismatch".into()),
        }
    );
    assert!(reply.session_cookies().is_empty(), "{reply:?}");
    assert_eq!(
        browser.cookie(crate::support::NAME).as_deref(),
        Some(resealed.as_str())
    );

    // Rolling forward again, the session is still there.
    let seen: Page =
        serde_json::from_str(&browser.get(&format!("{}/", new.url)).await.body).unwrap();
    assert_eq!(seen.user.as_deref(), Some("ada"));
}
