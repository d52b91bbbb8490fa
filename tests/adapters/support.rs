//! A cookie-keeping HTTP client and key helpers.

use std::sync::Mutex;
use std::time::Duration;

use sealed_session::{Key, Keyring, SessionConfig};

/// The default session cookie name.
pub(crate) const NAME: &str = "__Host-session";
/// Every request gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

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

/// One response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) vary: Vec<String>,
    pub(crate) body: String,
}

impl Reply {
    /// The `Set-Cookie` headers for the session cookie.
    pub(crate) fn session_cookies(&self) -> Vec<&str> {
        self.set_cookies
            .iter()
            .map(String::as_str)
            .filter(|c| c.starts_with(&format!("{NAME}=")))
            .collect()
    }

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

/// An HTTP client with a cookie jar that keeps cookies the way a browser
/// does on loopback: by name, sent to every port of 127.0.0.1, removed on
/// `Max-Age=0`. Redirects are not followed, so every `Set-Cookie` is seen.
pub(crate) struct Browser {
    client: reqwest::Client,
    jar: Mutex<Vec<(String, String)>>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .build()
            .expect("client");
        Self {
            client,
            jar: Mutex::new(Vec::new()),
        }
    }

    /// The session cookie's current value, if the jar has one.
    pub(crate) fn session_value(&self) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        jar.iter().find(|(n, _)| n == NAME).map(|(_, v)| v.clone())
    }

    /// Puts `value` into the jar as the session cookie (a copied or
    /// replayed cookie).
    pub(crate) fn set_session_value(&self, value: &str) {
        let mut jar = self.jar.lock().unwrap();
        jar.retain(|(n, _)| n != NAME);
        jar.push((NAME.to_owned(), value.to_owned()));
    }

    pub(crate) async fn get(&self, url: &str) -> Reply {
        self.send(self.client.get(url)).await
    }

    pub(crate) async fn post(&self, url: &str, form: &[(&str, &str)]) -> Reply {
        self.send(self.client.post(url).form(form)).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let cookie = {
            let jar = self.jar.lock().unwrap();
            jar.iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let request = if cookie.is_empty() {
            request
        } else {
            request.header("cookie", cookie)
        };
        let response = request.send().await.expect("request");
        let headers = response.headers();
        let all = |name: &str| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().expect("ASCII header").to_owned())
                .collect()
        };
        let set_cookies = all("set-cookie");
        let cache_control = all("cache-control").pop();
        let vary = all("vary");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        for line in &set_cookies {
            self.take(line);
        }
        Reply {
            status,
            set_cookies,
            cache_control,
            vary,
            body,
        }
    }

    fn take(&self, set_cookie: &str) {
        let pair = set_cookie.split(';').next().unwrap();
        let (name, value) = pair.split_once('=').unwrap();
        let removed = set_cookie
            .split(';')
            .any(|attr| attr.trim().eq_ignore_ascii_case("max-age=0"));
        let mut jar = self.jar.lock().unwrap();
        jar.retain(|(n, _)| n != name);
        if !removed {
            jar.push((name.to_owned(), value.to_owned()));
        }
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
