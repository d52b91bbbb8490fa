//! Adapter for the `http` crate's types, for hyper or any framework built on
//! them: take a [`HeaderMap`], give header values.
//!
//! ```
//! use http::{HeaderMap, HeaderValue, header};
//! use sealed_session::{Key, KeyId, Keyring, SessionConfig};
//! use sealed_session::integrations::http::{apply, load};
//!
//! let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
//!
//! // Request 1: no cookie. Store something, write the response headers.
//! let mut session = load::<u32>(&config, &HeaderMap::new());
//! session.insert(1);
//! let mut response_headers = HeaderMap::new();
//! apply(&session.finish()?, &mut response_headers)?;
//! assert_eq!(response_headers[header::CACHE_CONTROL], "private, no-store");
//!
//! // Request 2: the browser sends the cookie back.
//! let set_cookie = response_headers[header::SET_COOKIE].to_str()?;
//! let mut request_headers = HeaderMap::new();
//! request_headers.insert(header::COOKIE, HeaderValue::from_str(set_cookie.split(';').next().unwrap_or_default())?);
//! assert_eq!(load::<u32>(&config, &request_headers).get(), Some(&1));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use http::header::{HeaderMap, HeaderName, HeaderValue, CACHE_CONTROL, COOKIE, SET_COOKIE, VARY};
use serde::de::DeserializeOwned;

use super::adapter::{Header, ResponseHeaders};
use super::CachePolicy;
use crate::clock::UnixSeconds;
use crate::config::SessionConfig;
use crate::session::{ResponseCookies, Session};

pub use http::header::InvalidHeaderValue;

/// Loads the session from every `Cookie` header of `headers`, at the
/// configuration's clock time. See [`SessionConfig::load`].
pub fn load<T: DeserializeOwned + 'static>(
    config: &SessionConfig,
    headers: &HeaderMap,
) -> Session<T> {
    config.load(headers.get_all(COOKIE))
}

/// [`load`] at the time `now`.
pub fn load_at<T: DeserializeOwned + 'static>(
    config: &SessionConfig,
    headers: &HeaderMap,
    now: UnixSeconds,
) -> Session<T> {
    config.load_at(headers.get_all(COOKIE), now)
}

/// Writes `cookies` into response headers with the default
/// [`CachePolicy::Overwrite`]: appends each `Set-Cookie`, and, when there
/// is one, sets `Cache-Control: private, no-store` (replacing any other
/// value) and adds `Cookie` to `Vary` (unless `Vary` already names it or
/// is `*`). Writes nothing when `cookies` is empty.
///
/// # Errors
///
/// [`InvalidHeaderValue`] if a value is not a valid header value, which
/// cannot happen for values this crate renders (printable ASCII); it is
/// reported rather than dropped.
pub fn apply(cookies: &ResponseCookies, headers: &mut HeaderMap) -> Result<(), InvalidHeaderValue> {
    apply_with_policy(cookies, CachePolicy::default(), headers)
}

/// [`apply`] with another [`CachePolicy`] for `Cache-Control` and `Vary`.
///
/// ```
/// use http::{header, HeaderMap, HeaderValue};
/// use sealed_session::integrations::{http::apply_with_policy, CachePolicy};
/// use sealed_session::{Key, KeyId, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let mut session = config.new_session::<u32>();
/// session.insert(1);
/// let mut headers = HeaderMap::new();
/// headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store, max-age=0"));
/// apply_with_policy(&session.finish()?, CachePolicy::KeepNoStore, &mut headers)?;
/// assert_eq!(headers[header::CACHE_CONTROL], "no-store, max-age=0");
/// assert_eq!(headers[header::VARY], "Cookie");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`apply`].
pub fn apply_with_policy(
    cookies: &ResponseCookies,
    policy: CachePolicy,
    headers: &mut HeaderMap,
) -> Result<(), InvalidHeaderValue> {
    super::adapter::write(cookies.clone(), policy, headers)
}

fn name(header: Header) -> HeaderName {
    match header {
        Header::SetCookie => SET_COOKIE,
        Header::CacheControl => CACHE_CONTROL,
        Header::Vary => VARY,
    }
}

impl ResponseHeaders for HeaderMap {
    type Error = InvalidHeaderValue;

    fn append(&mut self, header: Header, value: String) -> Result<(), InvalidHeaderValue> {
        let value = HeaderValue::try_from(value)?;
        HeaderMap::append(self, name(header), value);
        Ok(())
    }

    fn append_static(&mut self, header: Header, value: &'static str) {
        HeaderMap::append(self, name(header), HeaderValue::from_static(value));
    }

    fn set_static(&mut self, header: Header, value: &'static str) {
        self.insert(name(header), HeaderValue::from_static(value));
    }

    fn any(&self, header: Header, test: fn(&[u8]) -> bool) -> bool {
        self.get_all(name(header))
            .iter()
            .any(|v| test(v.as_bytes()))
    }
}
