//! Rocket 0.5 integration: a [`SessionFairing`] that loads the session
//! before routing and writes its cookies into the response, and the
//! [`SessionHandle`] request guard.
//!
//! ```
//! use rocket::{get, routes};
//! use serde::{Deserialize, Serialize};
//! use sealed_session::integrations::rocket::{SessionFairing, SessionHandle};
//! use sealed_session::{Key, KeyId, Keyring, SessionConfig};
//!
//! #[derive(Serialize, Deserialize, Default)]
//! struct Data { visits: u32 }
//!
//! #[get("/")]
//! fn count(session: SessionHandle<'_, Data>) -> String {
//!     let mut session = session.lock();
//!     let data = session.get_or_insert_default();
//!     data.visits += 1;
//!     format!("visit {}", data.visits)
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
//! let rocket = rocket::build()
//!     .attach(SessionFairing::<Data>::new(config))
//!     .mount("/", routes![count]);
//! assert_eq!(rocket.routes().count(), 1);
//! # Ok(()) }
//! ```
//!
//! The rules are those of the other adapters: the session is loaded from
//! every `Cookie` header of the request (before any guard runs, so an
//! untouched session is still re-sealed when its key is old or its idle
//! deadline is due), finished after the handler, and every response that
//! carries a `Set-Cookie` gets `Cache-Control: private, no-store` and
//! `Vary: Cookie`.

use core::fmt;
use std::io::Cursor;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::{Data, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::config::SessionConfig;
use crate::meta::SessionMeta;
use crate::session::{vary_covers_cookie, ResponseCookies, Session, CACHE_CONTROL, VARY};

type RevocationCheck<T> = Arc<dyn Fn(&T, &SessionMeta) -> bool + Send + Sync>;

/// A Rocket [`Fairing`] that gives every request a [`Session<T>`] and
/// writes its cookies into the response.
///
/// If sealing fails at the end of the request (most often
/// [`SealError::TooLarge`](crate::SealError::TooLarge): the session no longer fits a cookie), the
/// response is replaced by a `500 Internal Server Error` with a short
/// plain-text body, never a cookie the browser would drop.
pub struct SessionFairing<T> {
    config: SessionConfig,
    revocation: Option<RevocationCheck<T>>,
    _data: PhantomData<fn() -> T>,
}

impl<T> SessionFairing<T> {
    /// A fairing using `config`.
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            revocation: None,
            _data: PhantomData,
        }
    }

    /// Runs `is_revoked` on every loaded session before routing; see
    /// [`Session::revoke_if`].
    #[must_use]
    pub fn with_revocation_check(
        mut self,
        is_revoked: impl Fn(&T, &SessionMeta) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.revocation = Some(Arc::new(is_revoked));
        self
    }
}

impl<T> fmt::Debug for SessionFairing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionFairing")
            .field("config", &self.config)
            .field("revocation_check", &self.revocation.is_some())
            .finish_non_exhaustive()
    }
}

/// The request-local slot the fairing fills; one type per `T`.
struct Slot<T> {
    session: Option<Mutex<Session<T>>>,
}

impl<T> Slot<T> {
    fn empty() -> Self {
        Self { session: None }
    }
}

#[rocket::async_trait]
impl<T> Fairing for SessionFairing<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    fn info(&self) -> Info {
        Info {
            name: "sealed-session",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        let mut session: Session<T> = self.config.load(request.headers().get("Cookie"));
        if let Some(check) = &self.revocation {
            session.revoke_if(|data, meta| check(data, meta));
        }
        request.local_cache(|| Slot {
            session: Some(Mutex::new(session)),
        });
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let slot = request.local_cache(Slot::<T>::empty);
        let Some(session) = &slot.session else {
            return;
        };
        let cookies = session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .response_cookies();
        match cookies {
            Ok(cookies) => apply(&cookies, response),
            Err(err) => {
                let text = super::seal_error_text(&err);
                *response = Response::build()
                    .status(Status::InternalServerError)
                    .raw_header("Content-Type", "text/plain; charset=utf-8")
                    .sized_body(text.len(), Cursor::new(text))
                    .finalize();
            }
        }
    }
}

/// Writes `cookies` into `response`: each `Set-Cookie`, and, when there is
/// one, `Cache-Control: private, no-store` (replacing any other value) and
/// `Vary: Cookie` (unless `Vary` already names it or is `*`).
fn apply(cookies: &ResponseCookies, response: &mut Response<'_>) {
    if cookies.is_empty() {
        return;
    }
    for value in cookies.set_cookie_headers() {
        response.adjoin_raw_header("Set-Cookie", value.clone());
    }
    response.set_raw_header("Cache-Control", CACHE_CONTROL);
    let varies = response
        .headers()
        .get("Vary")
        .any(|value| vary_covers_cookie(value.as_bytes()));
    if !varies {
        response.adjoin_raw_header("Vary", VARY);
    }
}

/// The request's session, as a request guard. Needs a
/// [`SessionFairing<T>`] for the same `T`; without one the request fails
/// with a `500` (a programming error), and the guard's error is
/// [`MissingSessionFairing`].
///
/// Lock it briefly and never across an `.await`:
/// `let mut session = handle.lock(); …; drop(session);`.
pub struct SessionHandle<'r, T> {
    session: &'r Mutex<Session<T>>,
}

impl<T> SessionHandle<'_, T> {
    /// Locks the session for reading or changing it.
    pub fn lock(&self) -> MutexGuard<'_, Session<T>> {
        // A handler that panicked while holding the lock left the session
        // as it was; using it is as safe as before the panic.
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> fmt::Debug for SessionHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionHandle").finish_non_exhaustive()
    }
}

/// The error of a [`SessionHandle<T>`] guard when no [`SessionFairing<T>`]
/// for that `T` is attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingSessionFairing;

impl fmt::Display for MissingSessionFairing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no session fairing for this session type is attached")
    }
}

impl std::error::Error for MissingSessionFairing {}

#[rocket::async_trait]
impl<'r, T> FromRequest<'r> for SessionHandle<'r, T>
where
    T: Send + 'static,
{
    type Error = MissingSessionFairing;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match &request.local_cache(Slot::<T>::empty).session {
            Some(session) => Outcome::Success(SessionHandle { session }),
            None => Outcome::Error((Status::InternalServerError, MissingSessionFairing)),
        }
    }
}
