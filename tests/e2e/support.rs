//! Servers on 127.0.0.1:0 and a cookie-keeping HTTP client that behaves like
//! a browser on loopback.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sealed_session::{FixedClock, Key, Keyring, SessionConfig, SessionConfigBuilder, UnixSeconds};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::app::{self, View};

/// The default session cookie name.
pub(crate) const NAME: &str = "__Host-session";
/// The most a browser keeps of one cookie, name plus value.
pub(crate) const BROWSER_COOKIE_LIMIT: usize = 4096;
/// Every request gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

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

/// One response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) location: Option<String>,
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

    /// The page, parsed; the response must be a `200`.
    pub(crate) fn view(&self) -> View {
        assert_eq!(self.status, 200, "expected a page, got {self:?}");
        serde_json::from_str(&self.body).expect("a JSON page")
    }
}

/// An HTTP client with a cookie jar that does what a browser does with the
/// cookies of a loopback site, and panics where a browser would silently
/// drop a cookie:
/// - keeps `Secure` cookies over `http://127.0.0.1` (browsers treat
///   loopback as a secure context);
/// - refuses, by panicking, a cookie over 4096 bytes (name plus value), a
///   `__Secure-`/`__Host-` cookie without `Secure`, a `__Host-` cookie with
///   a `Domain` or a `Path` other than `/`;
/// - removes a cookie on `Max-Age` of zero or less;
/// - shares cookies between ports of the same host (cookies are not
///   isolated by port, RFC 6265 §8.5), so one `Browser` talking to two
///   servers on 127.0.0.1 is one browser behind a load balancer.
///
/// Redirects are not followed, so every `Set-Cookie` is seen.
pub(crate) struct Browser {
    client: reqwest::Client,
    /// Name and value, in the order first set.
    jar: Mutex<Vec<(String, String)>>,
}

impl Browser {
    pub(crate) fn new() -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(REQUEST_TIMEOUT)
            .build()
            .expect("HTTP client");
        Self {
            client,
            jar: Mutex::new(Vec::new()),
        }
    }

    /// GET `url` with the jar's cookies.
    pub(crate) async fn get(&self, url: &str) -> Reply {
        self.send(self.client.get(url)).await
    }

    /// POST `fields` as an HTML form to `url` with the jar's cookies.
    pub(crate) async fn post(&self, url: &str, fields: &[(&str, &str)]) -> Reply {
        self.send(self.client.post(url).form(fields)).await
    }

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

    /// The jar's value for cookie `name`.
    pub(crate) fn cookie(&self, name: &str) -> Option<String> {
        let jar = self.jar.lock().unwrap();
        jar.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
    }

    /// Puts `value` in the jar as cookie `name` (as a script or an attacker
    /// with access to the browser could).
    pub(crate) fn set_cookie(&self, name: &str, value: &str) {
        let mut jar = self.jar.lock().unwrap();
        match jar.iter_mut().find(|(n, _)| n == name) {
            Some(entry) => entry.1 = value.to_owned(),
            None => jar.push((name.to_owned(), value.to_owned())),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let cookie_header = {
            let jar = self.jar.lock().unwrap();
            jar.iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let request = if cookie_header.is_empty() {
            request
        } else {
            request.header(reqwest::header::COOKIE, cookie_header)
        };
        let response = request.send().await.expect("request answered in time");
        let status = response.status().as_u16();
        let headers = response.headers();
        let set_cookies: Vec<String> = headers
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().expect("ASCII Set-Cookie").to_owned())
            .collect();
        let location = headers
            .get(reqwest::header::LOCATION)
            .map(|v| v.to_str().expect("ASCII Location").to_owned());
        let body = response.text().await.expect("body read in time");
        for header in &set_cookies {
            self.store(header);
        }
        Reply {
            status,
            set_cookies,
            location,
            body,
        }
    }

    /// Applies one `Set-Cookie` as a browser on a loopback origin does.
    fn store(&self, header: &str) {
        let mut parts = header.split(';');
        let (name, value) = parts
            .next()
            .and_then(|pair| pair.split_once('='))
            .map(|(n, v)| (n.trim(), v.trim()))
            .expect("Set-Cookie starts with NAME=VALUE");
        let (mut secure, mut path, mut domain, mut max_age) = (false, None, false, None);
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            match key.trim().to_ascii_lowercase().as_str() {
                "secure" => secure = true,
                "path" => path = Some(val.trim().to_owned()),
                "domain" => domain = true,
                "max-age" => max_age = Some(val.trim().parse::<i64>().expect("numeric Max-Age")),
                _ => {}
            }
        }
        assert!(
            name.len() + value.len() <= BROWSER_COOKIE_LIMIT,
            "a browser would drop cookie {name}: {} bytes",
            name.len() + value.len()
        );
        if name.starts_with("__Secure-") || name.starts_with("__Host-") {
            assert!(
                secure,
                "a browser would drop {name} without Secure: {header}"
            );
        }
        if name.starts_with("__Host-") {
            assert!(
                path.as_deref() == Some("/") && !domain,
                "a browser would drop {name} without Path=/ or with a Domain: {header}"
            );
        }
        let mut jar = self.jar.lock().unwrap();
        jar.retain(|(n, _)| n != name);
        if max_age.is_none_or(|age| age > 0) {
            jar.push((name.to_owned(), value.to_owned()));
        }
    }
}
