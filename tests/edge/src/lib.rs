//! The core as an edge application uses it on `wasm32-unknown-unknown`: a
//! clock the host provides, keys and nonces from getrandom's `wasm_js`
//! backend, the session loaded from a `Cookie` header and finished into
//! `Set-Cookie` headers. Only compiled (`cargo check --target
//! wasm32-unknown-unknown`), never run: it shows nothing in the core's
//! dependency tree blocks the target.
#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};
use sealed_session::{Clock, Keyring, SessionConfig, UnixSeconds};

/// A clock that asks the host for the time in milliseconds since the Unix
/// epoch, as `js_sys::Date::now` gives it.
#[derive(Debug)]
pub struct HostClock {
    /// The host's clock.
    pub now_ms: fn() -> f64,
}

impl Clock for HostClock {
    fn now(&self) -> UnixSeconds {
        let ms = (self.now_ms)();
        let secs = if ms.is_finite() && ms > 0.0 {
            // Whole seconds; a time past u64 is not a real clock reading.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let secs = (ms / 1000.0) as u64;
            secs
        } else {
            0
        };
        UnixSeconds::new(secs)
    }
}

/// What the session holds.
#[derive(Serialize, Deserialize, Default)]
pub struct Visits {
    /// Requests seen in this session.
    pub count: u32,
}

/// One request: the keyring line from the worker's secret, the request's
/// `Cookie` header, the host's clock; returns the `Set-Cookie` headers.
///
/// # Errors
///
/// A refused keyring line, a configuration error or a sealing error.
pub fn handle(
    keys: &str,
    cookie: Option<&str>,
    now_ms: fn() -> f64,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let config = SessionConfig::builder(Keyring::parse(keys)?)
        .with_clock(HostClock { now_ms })
        .build()?;
    let mut session = config.load::<Visits, _>(cookie);
    session.get_or_insert_default().count += 1;
    Ok(session.finish()?.set_cookie_headers().to_vec())
}
