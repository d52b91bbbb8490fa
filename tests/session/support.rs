//! Shared helpers: fixed keys, a fixed clock, the application data type, a
//! minimal browser cookie jar and `Set-Cookie` field accessors.

use std::time::Duration;

use sealed_session::{
    FixedClock, Key, KeyId, Keyring, ResponseCookies, Session, SessionConfig, SessionConfigBuilder,
    UnixSeconds,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The start of every test's time line (2027-01-15).
pub(crate) const T0: u64 = 1_800_000_000;

/// The instant `secs` seconds after [`T0`].
pub(crate) fn at(secs: u64) -> UnixSeconds {
    UnixSeconds::new(T0 + secs)
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// 32 key bytes derived from `seed`, never all equal.
pub(crate) fn key_bytes(seed: u8) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (i, b) in (0u8..).zip(bytes.iter_mut()) {
        *b = seed.wrapping_mul(31).wrapping_add(i.wrapping_mul(7)) ^ 0x5a;
    }
    bytes
}

pub(crate) fn key(seed: u8) -> Key {
    Key::from_bytes(key_bytes(seed)).unwrap()
}

/// Key id 1 with key seed 1: the keyring of most tests.
pub(crate) fn ring() -> Keyring {
    Keyring::new(KeyId::new(1), key(1))
}

/// A clock at [`T0`].
pub(crate) fn clock() -> FixedClock {
    FixedClock::new(UnixSeconds::new(T0))
}

/// A builder with [`ring`] and `clock`.
pub(crate) fn builder(clock: &FixedClock) -> SessionConfigBuilder {
    SessionConfig::builder(ring()).with_clock(clock.clone())
}

/// The application's session data in these tests.
#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Data {
    pub(crate) user: Option<String>,
    pub(crate) visits: u32,
}

impl Data {
    pub(crate) fn user(name: &str) -> Self {
        Self {
            user: Some(name.to_owned()),
            visits: 0,
        }
    }
}

/// The one `Set-Cookie` of a response; panics unless there is exactly one.
pub(crate) fn only(response: &ResponseCookies) -> &str {
    let headers = response.set_cookie_headers();
    assert_eq!(
        headers.len(),
        1,
        "expected exactly one Set-Cookie: {headers:?}"
    );
    &headers[0]
}

/// `name` and `value` of a `Set-Cookie` header.
pub(crate) fn pair(set_cookie: &str) -> (&str, &str) {
    let first = set_cookie.split(';').next().unwrap();
    first.split_once('=').unwrap()
}

/// Everything after `name=value`.
pub(crate) fn attributes(set_cookie: &str) -> &str {
    let end = set_cookie.find(';').unwrap_or(set_cookie.len());
    &set_cookie[end..]
}

/// The value of attribute `name` (`Max-Age`, `Path`, ...), if present.
pub(crate) fn attribute<'a>(set_cookie: &'a str, name: &str) -> Option<&'a str> {
    set_cookie.split(';').skip(1).find_map(|part| {
        let part = part.trim();
        let (n, v) = part.split_once('=').unwrap_or((part, ""));
        n.eq_ignore_ascii_case(name).then_some(v)
    })
}

pub(crate) fn max_age(set_cookie: &str) -> u64 {
    attribute(set_cookie, "Max-Age").unwrap().parse().unwrap()
}

/// Whether `set_cookie` removes its cookie (`Max-Age=0` and an empty value).
pub(crate) fn is_removal(set_cookie: &str) -> bool {
    pair(set_cookie).1.is_empty() && attribute(set_cookie, "Max-Age") == Some("0")
}

/// The expected cache headers whenever a `Set-Cookie` goes out.
pub(crate) const CACHE: [(&str, &str); 2] =
    [("cache-control", "private, no-store"), ("vary", "Cookie")];

/// One cookie in a [`Browser`]'s jar.
#[derive(Debug, Clone)]
struct Stored {
    name: String,
    value: String,
    domain: String,
    path: String,
    /// Unix seconds at which the cookie is dropped; `None` for a session
    /// cookie (no `Max-Age`).
    expires_at: Option<u64>,
}

/// A minimal browser cookie jar, enough for these tests: it stores what
/// `Set-Cookie` headers say, keyed by name, domain and path (RFC 6265 §5.3
/// step 11), drops a cookie whose `Max-Age` is zero or has run out by the
/// shared clock, and writes the `Cookie` header of the next request, longer
/// paths first.
#[derive(Debug, Clone)]
pub(crate) struct Browser {
    clock: FixedClock,
    jar: Vec<Stored>,
}

impl Browser {
    pub(crate) fn new(clock: &FixedClock) -> Self {
        Self {
            clock: clock.clone(),
            jar: Vec::new(),
        }
    }

    fn now(&self) -> u64 {
        sealed_session::Clock::now(&self.clock).as_secs()
    }

    /// Applies every `Set-Cookie` of a response.
    pub(crate) fn receive(&mut self, response: &ResponseCookies) {
        for header in response.set_cookie_headers() {
            self.set_cookie(header);
        }
    }

    /// Applies one `Set-Cookie` header.
    pub(crate) fn set_cookie(&mut self, header: &str) {
        let (name, value) = pair(header);
        let domain = attribute(header, "Domain")
            .map(|d| d.trim_start_matches('.').to_ascii_lowercase())
            .unwrap_or_default();
        let path = attribute(header, "Path").unwrap_or("/").to_owned();
        let max_age: Option<i64> = attribute(header, "Max-Age").map(|v| v.parse().unwrap());
        let now = self.now();
        self.jar
            .retain(|c| !(c.name == name && c.domain == domain && c.path == path));
        match max_age {
            Some(age) if age <= 0 => {}
            _ => self.jar.push(Stored {
                name: name.to_owned(),
                value: value.to_owned(),
                domain,
                path,
                expires_at: max_age.map(|a| now + a.unsigned_abs()),
            }),
        }
    }

    /// Adds a cookie as another site or an attacker could (cookie tossing).
    pub(crate) fn plant(&mut self, name: &str, value: &str, domain: &str, path: &str) {
        self.jar.push(Stored {
            name: name.to_owned(),
            value: value.to_owned(),
            domain: domain.to_owned(),
            path: path.to_owned(),
            expires_at: None,
        });
    }

    fn live(&self) -> Vec<&Stored> {
        let now = self.now();
        let mut live: Vec<&Stored> = self
            .jar
            .iter()
            .filter(|c| c.expires_at.is_none_or(|e| now < e))
            .collect();
        // Longer paths first; stable, so older cookies first among equals.
        live.sort_by_key(|c| std::cmp::Reverse(c.path.len()));
        live
    }

    /// The `Cookie` header of the next request, or `None` for no cookie.
    pub(crate) fn cookie_header(&self) -> Option<String> {
        let live = self.live();
        if live.is_empty() {
            return None;
        }
        let pairs: Vec<String> = live
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(pairs.join("; "))
    }

    /// The live value of cookie `name`, if exactly one is stored.
    pub(crate) fn value(&self, name: &str) -> Option<String> {
        let found: Vec<&Stored> = self.live().into_iter().filter(|c| c.name == name).collect();
        match found.as_slice() {
            [] => None,
            [one] => Some(one.value.clone()),
            more => panic!("{} cookies named {name}", more.len()),
        }
    }

    /// How many live cookies the jar holds.
    pub(crate) fn len(&self) -> usize {
        self.live().len()
    }

    /// Loads the session of the next request with `config`.
    pub(crate) fn request<T: DeserializeOwned + 'static>(
        &self,
        config: &SessionConfig,
    ) -> Session<T> {
        config.load(self.cookie_header())
    }

    /// Finishes `session` and applies its response; returns the response.
    pub(crate) fn respond<T: Serialize + DeserializeOwned + 'static>(
        &mut self,
        session: Session<T>,
    ) -> ResponseCookies {
        let response = session.finish().unwrap();
        self.receive(&response);
        response
    }
}

/// The browser helper itself must behave, or every scenario built on it
/// proves nothing.
#[test]
fn browser_helper_follows_set_cookie() {
    let clock = clock();
    let mut browser = Browser::new(&clock);
    assert_eq!(browser.cookie_header(), None);
    browser.set_cookie("a=1; Max-Age=10; Path=/");
    browser.set_cookie("b=2; Max-Age=100; Path=/app");
    browser.set_cookie("a=3; Max-Age=10; Domain=example.com; Path=/");
    assert_eq!(browser.cookie_header().unwrap(), "b=2; a=1; a=3");
    // Replaces only the cookie with the same name, domain and path.
    browser.set_cookie("a=4; Max-Age=10; Path=/");
    assert_eq!(browser.cookie_header().unwrap(), "b=2; a=3; a=4");
    // A removal with another path leaves it alone; with the same, drops it.
    browser.set_cookie("a=; Max-Age=0; Path=/app");
    assert_eq!(browser.len(), 3);
    browser.set_cookie("a=; Max-Age=0; Domain=example.com; Path=/");
    assert_eq!(browser.cookie_header().unwrap(), "b=2; a=4");
    // Max-Age runs out by the shared clock.
    clock.advance(secs(9));
    assert_eq!(browser.len(), 2);
    clock.advance(secs(1));
    assert_eq!(browser.cookie_header().unwrap(), "b=2");
    assert_eq!(browser.value("b").as_deref(), Some("2"));
    assert_eq!(browser.value("a"), None);
}

#[test]
fn set_cookie_accessors() {
    let h = "n=v=w; Max-Age=5; Domain=example.com; Path=/p; Secure";
    assert_eq!(pair(h), ("n", "v=w"));
    assert_eq!(
        attributes(h),
        "; Max-Age=5; Domain=example.com; Path=/p; Secure"
    );
    assert_eq!(attribute(h, "path"), Some("/p"));
    assert_eq!(attribute(h, "Secure"), Some(""));
    assert_eq!(attribute(h, "HttpOnly"), None);
    assert_eq!(max_age(h), 5);
    assert!(!is_removal(h));
    assert!(is_removal("n=; Max-Age=0; Path=/"));
}
