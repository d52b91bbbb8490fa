//! Key and configuration helpers, an axum server, and the cookie-keeping
//! `Browser` of the e2e tests.

use sealed_session::{Key, Keyring, SessionConfig};

#[path = "../e2e/browser.rs"]
mod browser;

pub(crate) use browser::{Browser, Reply, NAME};

/// A new random key as its base64url text, for building keyring lines.
pub(crate) fn key_text() -> String {
    Key::generate().to_base64().to_string()
}

/// A configuration with the production defaults and the keyring `line`.
pub(crate) fn config(line: &str) -> SessionConfig {
    SessionConfig::builder(Keyring::parse(line).expect("valid keyring line"))
        .build()
        .expect("valid configuration")
}

impl Reply {
    /// Asserts that the response carries exactly one session cookie, with
    /// the cache headers, and returns it.
    pub(crate) fn one_session_cookie(&self) -> &str {
        let cookies = self.session_cookies();
        assert_eq!(cookies.len(), 1, "{self:?}");
        assert_eq!(self.cache_control.as_deref(), Some("private, no-store"));
        assert!(
            self.vary.iter().any(|v| v.eq_ignore_ascii_case("cookie")),
            "{self:?}"
        );
        cookies[0]
    }
}

impl Browser {
    /// The session cookie's current value, if the jar has one.
    pub(crate) fn session_value(&self) -> Option<String> {
        self.cookie(NAME)
    }

    /// Puts `value` into the jar as the session cookie (a copied or
    /// replayed cookie).
    pub(crate) fn set_session_value(&self, value: &str) {
        self.set_cookie(NAME, value);
    }
}

/// A running axum server on 127.0.0.1, port 0; stopped when dropped.
pub(crate) struct AxumServer {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl AxumServer {
    /// Serves `app`. The listener is bound before this returns, so the
    /// server is ready: the kernel queues connections until it accepts.
    pub(crate) async fn start(app: axum::Router) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, task }
    }

    /// The URL of `path` on this server.
    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for AxumServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
