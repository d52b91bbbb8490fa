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

use http::header::{
    HeaderMap, HeaderValue, InvalidHeaderValue, CACHE_CONTROL, COOKIE, SET_COOKIE, VARY,
};
use serde::de::DeserializeOwned;

use crate::clock::UnixSeconds;
use crate::config::SessionConfig;
use crate::session::{ResponseCookies, Session};

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

/// Writes `cookies` into response headers: appends each `Set-Cookie`, and,
/// when there is one, sets `Cache-Control: private, no-store` (replacing any
/// other value) and adds `Cookie` to `Vary` (unless `Vary` already names it
/// or is `*`). Writes nothing when `cookies` is empty.
///
/// # Errors
///
/// [`InvalidHeaderValue`] if a value is not a valid header value, which
/// cannot happen for values this crate renders (printable ASCII); it is
/// reported rather than dropped.
pub fn apply(cookies: &ResponseCookies, headers: &mut HeaderMap) -> Result<(), InvalidHeaderValue> {
    if cookies.is_empty() {
        return Ok(());
    }
    for value in cookies.set_cookie_headers() {
        headers.append(SET_COOKIE, HeaderValue::from_str(value)?);
    }
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(crate::session::CACHE_CONTROL),
    );
    let varies = headers
        .get_all(VARY)
        .iter()
        .any(|v| crate::session::vary_covers_cookie(v.as_bytes()));
    if !varies {
        headers.append(VARY, HeaderValue::from_static(crate::session::VARY));
    }
    Ok(())
}
