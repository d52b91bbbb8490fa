//! Shared helpers: fixed-clock configurations, a browser-like cookie jar,
//! and `Cookie` header building for tampering.

use sealed_session::{
    FixedClock, Key, KeyId, Keyring, OpenError, ResponseCookies, Session, SessionConfig,
    SessionConfigBuilder, UnixSeconds,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The instant every test starts at.
pub(crate) const T0: u64 = 1_800_000_000;
/// The default cookie name.
pub(crate) const NAME: &str = "__Host-session";
/// The default per-cookie limit, name plus value.
pub(crate) const LIMIT: usize = 4096;
/// The value text each chunk carries with the default name and limit:
/// the limit minus the name and the two characters of `n.` or `.i`.
pub(crate) const PIECE: usize = LIMIT - NAME.len() - 2;

/// A fixed clock at [`T0`] and a configuration built with it from `ring`
/// after `tweak`.
pub(crate) fn config_from(
    ring: Keyring,
    tweak: impl FnOnce(SessionConfigBuilder) -> SessionConfigBuilder,
) -> (FixedClock, SessionConfig) {
    let clock = FixedClock::new(UnixSeconds::new(T0));
    let builder = SessionConfig::builder(ring).with_clock(clock.clone());
    let config = tweak(builder).build().expect("valid test configuration");
    (clock, config)
}

/// As [`config_from`] with a fresh random key.
pub(crate) fn config(
    tweak: impl FnOnce(SessionConfigBuilder) -> SessionConfigBuilder,
) -> (FixedClock, SessionConfig) {
    config_from(ring(), tweak)
}

/// A fresh one-key keyring.
pub(crate) fn ring() -> Keyring {
    Keyring::new(KeyId::new(1), Key::generate())
}

/// One parsed `Set-Cookie`: name, value, and whether it removes the cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SetCookie {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) removal: bool,
    /// Everything after `name=value`.
    pub(crate) attributes: String,
}

pub(crate) fn parse_set_cookie(line: &str) -> SetCookie {
    let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
    let (name, value) = pair.split_once('=').expect("name=value");
    let removal = attributes
        .split(';')
        .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
    SetCookie {
        name: name.trim().to_owned(),
        value: value.trim().to_owned(),
        removal,
        attributes: attributes.to_owned(),
    }
}

pub(crate) fn parse_response(response: &ResponseCookies) -> Vec<SetCookie> {
    response
        .set_cookie_headers()
        .iter()
        .map(|line| parse_set_cookie(line))
        .collect()
}

/// The cookies a response sets (not removals), as `(name, value)`.
pub(crate) fn stored(response: &ResponseCookies) -> Vec<(String, String)> {
    parse_response(response)
        .into_iter()
        .filter(|c| !c.removal)
        .map(|c| (c.name, c.value))
        .collect()
}

/// The names a response removes, in order.
pub(crate) fn removed(response: &ResponseCookies) -> Vec<String> {
    parse_response(response)
        .into_iter()
        .filter(|c| c.removal)
        .map(|c| c.name)
        .collect()
}

/// The names a response sets (not removals), in order.
pub(crate) fn set_names(response: &ResponseCookies) -> Vec<String> {
    stored(response).into_iter().map(|(n, _)| n).collect()
}

/// A browser-like cookie jar for one host and path: `Set-Cookie` replaces a
/// cookie of the same name in place (keeping its creation order), one with
/// `Max-Age=0` removes it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Jar {
    cookies: Vec<(String, String)>,
}

impl Jar {
    pub(crate) fn apply(&mut self, response: &ResponseCookies) {
        for cookie in parse_response(response) {
            let at = self.cookies.iter().position(|(n, _)| *n == cookie.name);
            match (cookie.removal, at) {
                (true, Some(at)) => {
                    self.cookies.remove(at);
                }
                (true, None) => {}
                (false, Some(at)) => self.cookies[at].1 = cookie.value,
                (false, None) => self.cookies.push((cookie.name, cookie.value)),
            }
        }
    }

    /// Sets a cookie as a script or another site of the domain could.
    pub(crate) fn set(&mut self, name: &str, value: &str) {
        match self.cookies.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_owned(),
            None => self.cookies.push((name.to_owned(), value.to_owned())),
        }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn names(&self) -> Vec<&str> {
        self.cookies.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// The `Cookie` header the browser would send.
    pub(crate) fn header(&self) -> String {
        header(&self.cookies)
    }

    /// Loads the session this jar carries.
    pub(crate) fn load<T: DeserializeOwned + 'static>(&self, config: &SessionConfig) -> Session<T> {
        config.load::<T, _>([self.header()])
    }

    /// Finishes `session` and applies its response; returns the response.
    pub(crate) fn finish<T: Serialize + DeserializeOwned + 'static>(
        &mut self,
        session: Session<T>,
    ) -> ResponseCookies {
        let response = session.finish().expect("session seals");
        self.apply(&response);
        response
    }
}

/// A `Cookie` header from `(name, value)` pairs.
pub(crate) fn header(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Loads a session from one `Cookie` header made of `pairs`.
pub(crate) fn load_pairs<T: DeserializeOwned + 'static>(
    config: &SessionConfig,
    pairs: &[(String, String)],
) -> Session<T> {
    config.load::<T, _>([header(pairs)])
}

/// Asserts that `session` holds nothing and failed to load with `expected`.
#[track_caller]
pub(crate) fn assert_refused<T>(session: &Session<T>, expected: &OpenError, context: &str) {
    assert!(session.get().is_none(), "{context}: data leaked through");
    assert!(session.is_new(), "{context}: session should be new");
    assert_eq!(session.load_error(), Some(expected), "{context}");
}

/// Asserts that `session` holds nothing and failed before authentication
/// (the value was not accepted as one of ours).
#[track_caller]
pub(crate) fn assert_forgery_refused<T>(session: &Session<T>, context: &str) {
    assert!(session.get().is_none(), "{context}: data leaked through");
    assert!(session.is_new(), "{context}: session should be new");
    let err = session
        .load_error()
        .unwrap_or_else(|| panic!("{context}: no load error"));
    assert!(
        matches!(
            err,
            OpenError::AuthenticationFailed
                | OpenError::Malformed
                | OpenError::UnsupportedVersion
                | OpenError::UnknownKeyId
                | OpenError::ChunksMismatch
                // A first cookie over the per-cookie limit.
                | OpenError::TooLarge { .. }
        ),
        "{context}: unexpected error {err:?}"
    );
    assert!(!err.is_authenticated(), "{context}: {err:?}");
}

/// Replaces the character at `at` of `text` by another base64url character.
pub(crate) fn flip_char(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).expect("ascii")
}
