//! Rocket 0.5 integration: a [`SessionFairing`] that loads the session
//! before routing and writes its cookies into the response, and the
//! [`SessionHandle`] and [`RequireSession`] request guards. [`CsrfError`]
//! and [`SealError`] are responders (`403` and `500`), so a handler can
//! return them.
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
//! fn count(session: SessionHandle<Data>) -> String {
//!     let visits = session.update(|data| {
//!         data.visits += 1;
//!         data.visits
//!     });
//!     format!("visit {visits}")
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
//! The rules are those of the other adapters, from the same core
//! ([`SessionAdapter`]): the session is loaded from every `Cookie` header of
//! the request before any guard runs (so an untouched session is still
//! re-sealed when its key is old or its idle deadline is due), the
//! revocation check and rejection hook run then, and after the handler the
//! session's `Set-Cookie` headers are written with the [`CachePolicy`]
//! (by default `Cache-Control: private, no-store` and `Vary: Cookie`).
//! The handle locks inside each call, so an async handler may hold it
//! across `.await`.

use core::convert::Infallible;
use core::fmt;
use std::io::Cursor;
use std::sync::atomic::{AtomicBool, Ordering};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::{ContentType, Status};
use rocket::request::{FromRequest, Outcome};
use rocket::response::{self, Responder};
use rocket::{Data, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::adapter::private::Sealed;
use super::adapter::{Header, ResponseHeaders};
use super::{AdapterResponse, SessionAdapter};
use crate::error::{CsrfError, SealError};

pub use super::{CachePolicy, RequireSession, SessionHandle};

/// A Rocket [`Fairing`] that gives every request a
/// [`Session<T>`](crate::Session) and writes its cookies into the response:
/// `rocket::build().attach(SessionFairing::<T>::new(config))`. Its options
/// are those of [`SessionAdapter`] (revocation check, error response,
/// rejection hook, session-required response, [`CachePolicy`]).
///
/// If sealing fails at the end of the request (most often
/// [`SealError::TooLarge`]: the session no longer fits a cookie), the
/// response is replaced by a `500 Internal Server Error` with a short
/// plain-text body, never a cookie the browser would drop; see
/// [`with_error_response`](SessionAdapter::with_error_response).
///
/// ```
/// use rocket::http::Status;
/// use rocket::Response;
/// use sealed_session::integrations::rocket::SessionFairing;
/// use sealed_session::{Key, KeyId, Keyring, SealError, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let _sessions = SessionFairing::<Vec<u8>>::new(config).with_error_response(|err| {
///     let status = match err {
///         SealError::TooLarge { .. } => Status::PayloadTooLarge,
///         _ => Status::InternalServerError,
///     };
///     Response::build().status(status).finalize()
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type SessionFairing<T> = SessionAdapter<T, Response<'static>>;

impl Sealed for Response<'static> {}

impl AdapterResponse for Response<'static> {
    fn seal_failed(err: &SealError) -> Self {
        plain_text(Status::InternalServerError, super::seal_error_text(err))
    }

    fn session_required() -> Self {
        Response::build().status(Status::Unauthorized).finalize()
    }
}

/// What the fairing leaves in the request's local cache for the guards and
/// for [`Fairing::on_response`]; one type per `T`.
struct Slot<T> {
    /// `None` when no fairing for `T` is attached (the default the guards
    /// create).
    handle: Option<SessionHandle<T>>,
    /// Set by [`RequireSession`] when it refused the request.
    refused: AtomicBool,
}

impl<T> Slot<T> {
    fn empty() -> Self {
        Self {
            handle: None,
            refused: AtomicBool::new(false),
        }
    }
}

#[rocket::async_trait]
impl<T> Fairing for SessionAdapter<T, Response<'static>>
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
        let handle = self.start(request.headers().get("Cookie"));
        request.local_cache(|| Slot {
            handle: Some(handle),
            refused: AtomicBool::new(false),
        });
    }

    async fn on_response<'r>(&self, request: &'r Request<'_>, response: &mut Response<'r>) {
        let slot = request.local_cache(Slot::<T>::empty);
        let Some(handle) = &slot.handle else {
            return;
        };
        if slot.refused.load(Ordering::Relaxed) {
            if let Some(respond) = self.session_required() {
                *response = respond();
            }
        }
        if let Err(replacement) = self.finish(handle, response) {
            *response = replacement;
        }
    }
}

fn name(header: Header) -> &'static str {
    match header {
        Header::SetCookie => "Set-Cookie",
        Header::CacheControl => "Cache-Control",
        Header::Vary => "Vary",
    }
}

/// Rocket's header values are not validated; the values this crate renders
/// are printable ASCII.
impl ResponseHeaders for Response<'_> {
    type Error = Infallible;

    fn append(&mut self, header: Header, value: String) -> Result<(), Infallible> {
        self.adjoin_raw_header(name(header), value);
        Ok(())
    }

    fn append_static(&mut self, header: Header, value: &'static str) {
        self.adjoin_raw_header(name(header), value);
    }

    fn set_static(&mut self, header: Header, value: &'static str) {
        self.set_raw_header(name(header), value);
    }

    fn any(&self, header: Header, test: fn(&[u8]) -> bool) -> bool {
        self.headers()
            .get(name(header))
            .any(|value| test(value.as_bytes()))
    }
}

/// The request guard: the request's session. Needs a [`SessionFairing<T>`]
/// for the same `T`; without one the request fails with a `500` (a
/// programming error), and the guard's error is [`MissingSessionFairing`].
///
/// ```
/// # #![allow(dead_code)]
/// use rocket::post;
/// use sealed_session::integrations::rocket::SessionHandle;
///
/// async fn find_user(name: &str) -> Option<String> { Some(name.to_owned()) }
///
/// #[post("/login/<name>")]
/// async fn login(session: SessionHandle<Option<String>>, name: &str) -> &'static str {
///     let Some(user) = find_user(name).await else { return "unknown user" };
///     session.regenerate(); // a new, empty session: against fixation
///     session.insert(Some(user));
///     "welcome"
/// }
/// ```
#[rocket::async_trait]
impl<'r, T> FromRequest<'r> for SessionHandle<T>
where
    T: Send + 'static,
{
    type Error = MissingSessionFairing;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match &request.local_cache(Slot::<T>::empty).handle {
            Some(handle) => Outcome::Success(handle.clone()),
            None => Outcome::Error((Status::InternalServerError, MissingSessionFairing)),
        }
    }
}

/// The request guard for routes that need a session holding data (a
/// logged-in user, say). A request whose session holds none fails with
/// `401 Unauthorized`, which Rocket hands to its `401` catcher; with
/// [`with_session_required_response`](SessionAdapter::with_session_required_response)
/// the fairing sends that response instead.
///
/// ```
/// # #![allow(dead_code)]
/// use rocket::get;
/// use sealed_session::integrations::rocket::RequireSession;
///
/// #[get("/account")]
/// fn account(session: RequireSession<String>) -> String {
///     session.get().unwrap_or_default()
/// }
/// ```
#[rocket::async_trait]
impl<'r, T> FromRequest<'r> for RequireSession<T>
where
    T: Send + 'static,
{
    type Error = SessionRequired;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        let slot = request.local_cache(Slot::<T>::empty);
        match &slot.handle {
            Some(handle) if handle.has_data() => Outcome::Success(Self(handle.clone())),
            Some(_) => {
                slot.refused.store(true, Ordering::Relaxed);
                Outcome::Error((Status::Unauthorized, SessionRequired::NoData))
            }
            None => Outcome::Error((Status::InternalServerError, SessionRequired::MissingFairing)),
        }
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

/// The error of a [`RequireSession<T>`] guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionRequired {
    /// The session holds no data (`401`).
    NoData,
    /// No [`SessionFairing<T>`] for that `T` is attached (`500`).
    MissingFairing,
}

impl fmt::Display for SessionRequired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoData => f.write_str("this request needs a session"),
            Self::MissingFairing => fmt::Display::fmt(&MissingSessionFairing, f),
        }
    }
}

impl std::error::Error for SessionRequired {}

/// A refused CSRF token is a `403 Forbidden` with a plain-text body that
/// does not say which check failed.
impl<'r> Responder<'r, 'static> for CsrfError {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Ok(plain_text(Status::Forbidden, super::CSRF_ERROR_TEXT))
    }
}

/// A session that cannot be sealed is a `500 Internal Server Error` with a
/// short plain-text body naming no session content (the fairing's default
/// error response).
impl<'r> Responder<'r, 'static> for SealError {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Ok(Response::seal_failed(&self))
    }
}

fn plain_text(status: Status, text: &'static str) -> Response<'static> {
    Response::build()
        .status(status)
        .header(ContentType::Plain)
        .sized_body(text.len(), Cursor::new(text))
        .finalize()
}
