//! A cookie-keeping HTTP client that behaves like a browser on loopback,
//! shared by the `e2e` and `adapters` test binaries (each uses part of it).
#![allow(dead_code)]

use std::sync::Mutex;
use std::time::Duration;

/// The default session cookie name.
pub(crate) const NAME: &str = "__Host-session";
/// The most a browser keeps of one cookie, name plus value.
pub(crate) const BROWSER_COOKIE_LIMIT: usize = 4096;
/// Every request gives up after this long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) set_cookies: Vec<String>,
    pub(crate) location: Option<String>,
    /// The last `Cache-Control` header.
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
        let all = |name: reqwest::header::HeaderName| -> Vec<String> {
            headers
                .get_all(name)
                .iter()
                .map(|v| v.to_str().expect("ASCII header").to_owned())
                .collect()
        };
        let set_cookies = all(reqwest::header::SET_COOKIE);
        let location = all(reqwest::header::LOCATION).pop();
        let cache_control = all(reqwest::header::CACHE_CONTROL).pop();
        let vary = all(reqwest::header::VARY);
        let body = response.text().await.expect("body read in time");
        for header in &set_cookies {
            self.store(header);
        }
        Reply {
            status,
            set_cookies,
            location,
            cache_control,
            vary,
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
