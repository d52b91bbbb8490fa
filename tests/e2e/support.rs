//! Servers on 127.0.0.1:0, configuration helpers, and the steps of the
//! cookie-keeping [`Browser`] (browser.rs) on the test application's pages.

use std::time::{SystemTime, UNIX_EPOCH};

use sealed_session::{FixedClock, Key, Keyring, SessionConfig, SessionConfigBuilder, UnixSeconds};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::app::{self, View};
pub(crate) use crate::browser::{Browser, Reply, NAME};

/// A running server; stopped when dropped.
pub(crate) struct Server {
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// The configuration the server runs with (shared: `set_not_before` on
    /// it reaches the running server).
    pub(crate) config: SessionConfig,
    task: JoinHandle<()>,
}

impl Server {
    /// Starts the test application with `config` on 127.0.0.1, port 0. The
    /// listener is bound before this returns, so the server is ready: the
    /// kernel queues connections until the accept loop takes them.
    pub(crate) async fn start(config: SessionConfig) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let app = app::router(config.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("server runs");
        });
        Self {
            url: format!("http://{addr}"),
            config,
            task,
        }
    }

    /// The URL of `path` on this server.
    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The current time in whole seconds.
pub(crate) fn now() -> UnixSeconds {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    UnixSeconds::new(secs)
}

/// A new random key as its base64url text, for building keyring lines.
pub(crate) fn key_text() -> String {
    Key::generate().to_base64().to_string()
}

/// Parses a keyring line.
pub(crate) fn ring(line: &str) -> Keyring {
    Keyring::parse(line).expect("valid keyring line")
}

/// A configuration with the production defaults and `ring`, after `tweak`.
pub(crate) fn config_with(
    ring: Keyring,
    tweak: impl FnOnce(SessionConfigBuilder) -> SessionConfigBuilder,
) -> SessionConfig {
    tweak(SessionConfig::builder(ring))
        .build()
        .expect("valid configuration")
}

/// A configuration with the production defaults, a fresh key and a fixed
/// clock at the current time that the test moves itself.
pub(crate) fn config_with_clock() -> (SessionConfig, FixedClock) {
    let clock = FixedClock::new(now());
    let config = config_with(ring(&format!("1:{}", key_text())), |b| {
        b.with_clock(clock.clone())
    });
    (config, clock)
}

impl Reply {
    /// The page, parsed; the response must be a `200`.
    pub(crate) fn view(&self) -> View {
        assert_eq!(self.status, 200, "expected a page, got {self:?}");
        serde_json::from_str(&self.body).expect("a JSON page")
    }
}

impl Browser {
    /// GET `/` on `server` (takes the flash, mints a CSRF token) and parse it.
    pub(crate) async fn home(&self, server: &Server) -> View {
        self.get(&server.at("/")).await.view()
    }

    /// GET `/debug` on `server` (changes nothing) and parse it.
    pub(crate) async fn debug(&self, server: &Server) -> (View, Reply) {
        let reply = self.get(&server.at("/debug")).await;
        (reply.view(), reply)
    }

    /// A fresh CSRF token from `server`'s home page.
    pub(crate) async fn csrf(&self, server: &Server) -> String {
        self.home(server)
            .await
            .csrf
            .expect("the home page mints a token")
    }

    /// Logs in as `name` on `server` (CSRF token first, as a browser would
    /// have it from the login form).
    pub(crate) async fn login(&self, server: &Server, name: &str) -> Reply {
        let token = self.csrf(server).await;
        let reply = self
            .post(&server.at("/login"), &[("csrf", &token), ("name", name)])
            .await;
        assert_eq!(reply.status, 303, "login: {reply:?}");
        reply
    }

    /// POSTs to `path` on `server` with a fresh CSRF token and `fields`.
    pub(crate) async fn submit(
        &self,
        server: &Server,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Reply {
        let token = self.csrf(server).await;
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post(&server.at(path), &all).await
    }
}
