//! tower-sessions compatibility: a tower [`SessionManagerLayer`] that gives
//! every request a [`tower_sessions_core::Session`] whose record lives in
//! the sealed cookie instead of a store. Handlers (and crates built on that
//! `Session`, such as axum-login 0.18) keep calling `insert`, `get`,
//! `remove`, `cycle_id` and `flush` unchanged.
//!
//! ```
//! use axum::{routing::get, Router};
//! use sealed_session::integrations::tower_sessions::SessionManagerLayer;
//! use sealed_session::{Key, KeyId, Keyring, SessionConfig};
//! use tower_sessions_core::Session;
//!
//! async fn count(session: Session) -> Result<String, String> {
//!     let visits: u32 = session.get("visits").await.map_err(|e| e.to_string())?.unwrap_or(0);
//!     session.insert("visits", visits + 1).await.map_err(|e| e.to_string())?;
//!     Ok(format!("visit {}", visits + 1))
//! }
//!
//! let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
//! let _app: Router = Router::new()
//!     .route("/", get(count))
//!     .layer(SessionManagerLayer::new(config));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How the record is kept
//!
//! The request's cookie is opened with the crate's own rules (keyring, idle
//! and absolute lifetimes, clock skew, chunking). Its record (the
//! tower-sessions [`Id`] and the data map) is handed to the `Session`
//! through a store that lives for one request and holds only that record.
//! After the handler, a modified session is saved into that store and the
//! record is sealed into the response's cookie, under the usual cookie
//! attributes, size limit and cache headers; an unmodified one is re-sealed
//! only when the crate's policy says so (older key, rolling idle deadline).
//!
//! - [`Session::cycle_id`](tower_sessions_core::Session::cycle_id) (axum-login
//!   calls it at login) is [`Session::renew`](crate::Session::renew): the
//!   cookie gets a new session id and issue time, so a new absolute
//!   lifetime, keeping the data; the tower-sessions `Id` is new too.
//! - [`Session::flush`](tower_sessions_core::Session::flush) (axum-login's
//!   logout) sends the removal cookie; data stored after it starts a new
//!   session with new ids.
//! - The record's values are `serde_json::Value`s; they are sealed in a
//!   compact binary form, not as JSON text: the session's payload is the
//!   postcard encoding of the tower-sessions id (`i128`) and the map as a
//!   sequence of (key, value) pairs, each value a tagged union (null, bool,
//!   unsigned, signed, float, decimal text, string, array, object, bytes)
//!   in which numbers are varints and an array of integers from 0 to 255
//!   is raw bytes. axum-login's record (user id 42 and a 32-byte
//!   `session_auth_hash`) is 92 bytes of plaintext this way, against 194
//!   with JSON text values and 215 as one JSON document.
//!
//! # Where this differs from a session store
//!
//! - **No server-side deletion.** `flush` and `cycle_id` remove the cookie
//!   from the browser, but a copy of the old cookie taken before stays
//!   valid until its idle or absolute lifetime ends. Revocation is
//!   stateless: a not-before instant in the [`SessionConfig`], or a
//!   per-user check (axum-login's `session_auth_hash` is one: changing a
//!   user's password hash logs out every copy).
//! - **Replay.** Any earlier cookie of the same session opens until it
//!   expires, with the data it held then.
//! - **Expiry** is the configuration's idle and absolute lifetimes;
//!   [`Session::set_expiry`](tower_sessions_core::Session::set_expiry) and
//!   the record's `expiry_date` are not used. The record's `expiry_date`
//!   is set to the cookie's absolute expiry when loaded.
//! - **Size.** Everything stored travels in every request; a session that
//!   no longer fits the cookie limit makes the response a `500` (see
//!   [`SessionManagerLayer::with_error_response`]) instead of a cookie the
//!   browser would drop.
//! - `Session::load` and `Session::delete` act on this request's record
//!   only.

use core::fmt;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use async_trait::async_trait;
use http::header::COOKIE;
use http::{Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};
use time::OffsetDateTime;
use tower_layer::Layer;
use tower_service::Service;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{Error as StoreError, Result as StoreResult};
use tower_sessions_core::{Session as TowerSession, SessionStore};

use super::{CachePolicy, SessionAdapter};
use crate::config::SessionConfig;
use crate::error::{OpenError, SealError};
use crate::key::KeyId;
use crate::session::Session;

/// The tower-sessions-core this layer works with (0.14, the version
/// axum-login 0.18 uses), for applications that do not depend on it
/// themselves.
pub use tower_sessions_core;

/// A tower [`Layer`] that inserts a [`tower_sessions_core::Session`] into
/// every request's extensions and keeps its record in the sealed cookie;
/// the counterpart of `tower_sessions::SessionManagerLayer`, without a
/// store. It works with any response body that has a `Default` (as
/// tower-sessions' own layer does).
///
/// Loading and finishing are the other adapters' ([`SessionAdapter`]): the
/// [rejection hook](Self::on_rejected) sees every refused cookie, and a
/// response that sets the cookie gets the cache headers of the
/// [`CachePolicy`]. If sealing fails at the end of the request (most often
/// [`SealError::TooLarge`]), the handler's response is replaced by a `500`
/// with an empty body; see [`with_error_response`](Self::with_error_response).
pub struct SessionManagerLayer<E = DefaultErrorResponse> {
    adapter: SessionAdapter<SealedRecord, SealError>,
    on_error: E,
}

impl SessionManagerLayer {
    /// A layer using `config` (cookie name, attributes, lifetimes, keys).
    #[must_use]
    pub fn new(config: SessionConfig) -> Self {
        Self {
            adapter: SessionAdapter::with_default_error(config, SealError::clone),
            on_error: DefaultErrorResponse,
        }
    }
}

impl<E> SessionManagerLayer<E> {
    /// The response sent instead of the handler's when the session cannot be
    /// sealed.
    ///
    /// Default: `500 Internal Server Error` with an empty body.
    #[must_use]
    pub fn with_error_response<F, B>(
        self,
        respond: F,
    ) -> SessionManagerLayer<CustomErrorResponse<F>>
    where
        F: Fn(&SealError) -> Response<B> + Send + Sync + 'static,
    {
        SessionManagerLayer {
            adapter: self.adapter,
            on_error: CustomErrorResponse(Arc::new(respond)),
        }
    }

    /// Calls `hook` once per request whose session cookie was refused; see
    /// [`SessionAdapter::on_rejected`].
    ///
    /// Default: none.
    #[must_use]
    pub fn on_rejected(
        mut self,
        hook: impl Fn(&OpenError, Option<KeyId>) + Send + Sync + 'static,
    ) -> Self {
        self.adapter = self.adapter.on_rejected(hook);
        self
    }

    /// What happens to `Cache-Control` and `Vary` on responses that set the
    /// session cookie; see [`CachePolicy`].
    ///
    /// Default: [`CachePolicy::Overwrite`] (`Cache-Control: private,
    /// no-store`, `Vary: Cookie`).
    #[must_use]
    pub fn with_cache_policy(mut self, policy: CachePolicy) -> Self {
        self.adapter = self.adapter.with_cache_policy(policy);
        self
    }

    /// The session configuration.
    #[must_use]
    pub fn config(&self) -> &SessionConfig {
        self.adapter.config()
    }
}

impl<E: Clone> Clone for SessionManagerLayer<E> {
    fn clone(&self) -> Self {
        Self {
            adapter: self.adapter.clone(),
            on_error: self.on_error.clone(),
        }
    }
}

impl<E> fmt::Debug for SessionManagerLayer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionManagerLayer")
            .field("adapter", &self.adapter)
            .finish_non_exhaustive()
    }
}

/// What [`SessionManagerLayer`] answers when the session cannot be sealed.
pub trait ErrorResponder<B>: Clone + Send + Sync + 'static {
    /// The response for `err`.
    fn respond(&self, err: &SealError) -> Response<B>;
}

/// The default [`ErrorResponder`]: `500 Internal Server Error`, empty body.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultErrorResponse;

impl<B: Default> ErrorResponder<B> for DefaultErrorResponse {
    fn respond(&self, _err: &SealError) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        response
    }
}

/// The [`ErrorResponder`] set by
/// [`SessionManagerLayer::with_error_response`].
pub struct CustomErrorResponse<F>(Arc<F>);

impl<F> Clone for CustomErrorResponse<F> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<F> fmt::Debug for CustomErrorResponse<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomErrorResponse")
            .finish_non_exhaustive()
    }
}

impl<F, B> ErrorResponder<B> for CustomErrorResponse<F>
where
    F: Fn(&SealError) -> Response<B> + Send + Sync + 'static,
{
    fn respond(&self, err: &SealError) -> Response<B> {
        (self.0)(err)
    }
}

impl<S, E: Clone> Layer<S> for SessionManagerLayer<E> {
    type Service = SessionManager<S, E>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionManager {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`SessionManagerLayer`].
pub struct SessionManager<S, E = DefaultErrorResponse> {
    inner: S,
    layer: SessionManagerLayer<E>,
}

impl<S: Clone, E: Clone> Clone for SessionManager<S, E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            layer: self.layer.clone(),
        }
    }
}

impl<S, E> fmt::Debug for SessionManager<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionManager")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

impl<S, E, ReqBody, ResBody> Service<Request<ReqBody>> for SessionManager<S, E>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Send + 'static,
    E: ErrorResponder<ResBody>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let adapter = self.layer.adapter.clone();
        let handle = adapter.start(request.headers().get_all(COOKIE));
        let (store, loaded_id) = handle.with(RequestStore::new);
        let session = TowerSession::new(loaded_id, Arc::new(store.clone()), None);
        request.extensions_mut().insert(session.clone());
        let on_error = self.layer.on_error.clone();
        // The clone that was made ready by `poll_ready` serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let mut response = inner.call(request).await?;
            let finished = match end_of_request(&session, &store, response.status()).await {
                Ok(end) => {
                    handle.with_mut(|sealed| end.apply(sealed));
                    adapter.finish(&handle, response.headers_mut())
                }
                Err(err) => Err(err),
            };
            Ok(match finished {
                Ok(()) => response,
                Err(err) => on_error.respond(&err),
            })
        })
    }
}

/// What the handler's use of the tower-sessions `Session` does to the
/// sealed session.
enum End {
    /// The session is empty (no id, no data): ended, with the removal
    /// cookie if the request carried a cookie of ours.
    Destroy,
    /// Unmodified, or a server error: the crate's policy decides whether to
    /// re-seal.
    Keep,
    /// The record to seal; `renew` when `cycle_id` or `flush` dropped the
    /// id the request came with (a new session id and issue time).
    Store { record: SealedRecord, renew: bool },
}

impl End {
    fn apply(self, sealed: &mut Session<SealedRecord>) {
        match self {
            Self::Destroy => sealed.destroy(),
            Self::Keep => {}
            Self::Store { record, renew } => {
                if renew {
                    sealed.renew();
                }
                sealed.insert(record);
            }
        }
    }
}

/// Reads what the handler did to the tower-sessions `Session`, with
/// tower-sessions' own rules: an empty session (no id, no data) is ended; a
/// modified one is saved unless the response is a server error.
async fn end_of_request(
    session: &TowerSession,
    store: &RequestStore,
    status: StatusCode,
) -> Result<End, SealError> {
    if session.is_empty().await {
        return Ok(End::Destroy);
    }
    if !session.is_modified() || status.is_server_error() {
        return Ok(End::Keep);
    }
    session.save().await.map_err(|_| SealError::Serialize)?;
    let record = store.saved().ok_or(SealError::Serialize)?;
    Ok(End::Store {
        record: SealedRecord::from_record(&record),
        renew: store.was_deleted(),
    })
}

/// The per-request [`SessionStore`]: the one record the cookie held, and
/// what the `Session` saved or deleted.
#[derive(Clone)]
struct RequestStore {
    cell: Arc<Mutex<Cell>>,
}

struct Cell {
    loaded: Option<SealedRecord>,
    /// The loaded cookie's absolute expiry.
    expires_at: Option<OffsetDateTime>,
    saved: Option<Record>,
    deleted: bool,
}

impl RequestStore {
    /// The store for the record `sealed` holds, and the id to give the
    /// `Session` (none for a new session or a cookie that did not open).
    fn new(sealed: &Session<SealedRecord>) -> (Self, Option<Id>) {
        let loaded = sealed.get().cloned();
        let id = loaded.as_ref().map(|record| Id(record.id));
        let expires_at = sealed
            .meta()
            .and_then(|meta| meta.expires_at().to_datetime());
        let store = Self {
            cell: Arc::new(Mutex::new(Cell {
                loaded,
                expires_at,
                saved: None,
                deleted: false,
            })),
        };
        (store, id)
    }

    fn lock(&self) -> MutexGuard<'_, Cell> {
        // Every method leaves the cell consistent between statements.
        self.cell.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn was_deleted(&self) -> bool {
        self.lock().deleted
    }

    fn saved(&self) -> Option<Record> {
        self.lock().saved.clone()
    }
}

impl fmt::Debug for RequestStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The record is session content: never printed.
        f.debug_struct("RequestStore").finish_non_exhaustive()
    }
}

#[async_trait]
impl SessionStore for RequestStore {
    async fn create(&self, record: &mut Record) -> StoreResult<()> {
        let mut cell = self.lock();
        if cell
            .loaded
            .as_ref()
            .is_some_and(|loaded| Id(loaded.id) == record.id)
        {
            // `flush` keeps the old id in the record; a new session gets a
            // new one, as a store's collision check would give it.
            record.id = Id::default();
        }
        cell.saved = Some(record.clone());
        Ok(())
    }

    async fn save(&self, record: &Record) -> StoreResult<()> {
        self.lock().saved = Some(record.clone());
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> StoreResult<Option<Record>> {
        let cell = self.lock();
        let Some(loaded) = cell.loaded.as_ref().filter(|l| Id(l.id) == *session_id) else {
            return Ok(None);
        };
        if cell.deleted {
            return Ok(None);
        }
        let expiry_date = cell
            .expires_at
            .ok_or_else(|| StoreError::Decode("expiry out of range".into()))?;
        let mut data = HashMap::with_capacity(loaded.data.len());
        for (key, value) in &loaded.data {
            data.insert(key.clone(), value.to_json()?);
        }
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> StoreResult<()> {
        let mut cell = self.lock();
        if cell
            .loaded
            .as_ref()
            .is_some_and(|l| Id(l.id) == *session_id)
        {
            cell.deleted = true;
        }
        Ok(())
    }
}

/// What is sealed: the tower-sessions id and the data map, its values in
/// [`CompactValue`] form.
#[derive(Clone, Serialize, Deserialize)]
struct SealedRecord {
    id: i128,
    data: Vec<(String, CompactValue)>,
}

impl SealedRecord {
    fn from_record(record: &Record) -> Self {
        Self {
            id: record.id.0,
            data: record
                .data
                .iter()
                .map(|(key, value)| (key.clone(), CompactValue::from_json(value)))
                .collect(),
        }
    }
}

/// A `serde_json::Value` in a shape postcard can encode (the variants'
/// order is part of what is sealed: append only) (it cannot decode
/// `Value` itself, which needs a self-describing format): integers become
/// varints, so a byte array costs about one byte per element instead of up
/// to four characters of JSON text.
#[derive(Clone, Serialize, Deserialize)]
enum CompactValue {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    /// A number none of the above holds (serde_json's
    /// `arbitrary_precision`), as its decimal text.
    Decimal(String),
    String(String),
    Array(Vec<CompactValue>),
    Object(Vec<(String, CompactValue)>),
    /// A non-empty array of integers from 0 to 255 (how serde_json writes a
    /// `Vec<u8>`, such as axum-login's `session_auth_hash`): one byte each.
    Bytes(Vec<u8>),
}

impl CompactValue {
    fn from_json(value: &Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Bool(b) => Self::Bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Self::Unsigned(u),
                (None, Some(i), _) => Self::Signed(i),
                (None, None, Some(f)) => Self::Float(f),
                // Only with serde_json's `arbitrary_precision`: kept exact.
                (None, None, None) => Self::Decimal(n.to_string()),
            },
            Value::String(s) => Self::String(s.clone()),
            Value::Array(items) => match small_unsigned(items) {
                Some(bytes) => Self::Bytes(bytes),
                None => Self::Array(items.iter().map(Self::from_json).collect()),
            },
            Value::Object(map) => Self::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Self::from_json(v)))
                    .collect(),
            ),
        }
    }

    fn to_json(&self) -> StoreResult<Value> {
        Ok(match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(*b),
            Self::Unsigned(u) => Value::Number((*u).into()),
            Self::Signed(i) => Value::Number((*i).into()),
            Self::Float(f) => Value::Number(
                Number::from_f64(*f)
                    .ok_or_else(|| StoreError::Decode("non-finite number".into()))?,
            ),
            Self::Decimal(text) => Value::Number(
                text.parse()
                    .map_err(|_| StoreError::Decode("number out of range".into()))?,
            ),
            Self::String(s) => Value::String(s.clone()),
            Self::Array(items) => Value::Array(
                items
                    .iter()
                    .map(Self::to_json)
                    .collect::<StoreResult<Vec<_>>>()?,
            ),
            Self::Bytes(bytes) => Value::Array(bytes.iter().map(|&b| Value::from(b)).collect()),
            Self::Object(entries) => {
                let mut map = Map::with_capacity(entries.len());
                for (key, value) in entries {
                    map.insert(key.clone(), value.to_json()?);
                }
                Value::Object(map)
            }
        })
    }
}

/// The items as bytes if there are some and all are integers from 0 to 255.
fn small_unsigned(items: &[Value]) -> Option<Vec<u8>> {
    if items.is_empty() {
        return None;
    }
    items
        .iter()
        .map(|item| item.as_u64().and_then(|n| u8::try_from(n).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn round_trip(value: &Value) -> Value {
        let bytes = postcard::to_allocvec(&CompactValue::from_json(value)).unwrap();
        let back: CompactValue = postcard::from_bytes(&bytes).unwrap();
        back.to_json().unwrap()
    }

    #[test]
    fn every_json_value_round_trips() {
        for value in [
            json!(null),
            json!(true),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(-0.0),
            json!(1.5e-300),
            json!("é\"\\\u{0}"),
            json!([[], {}, [1, [2, [3]]]]),
            json!([0, 255, 256]),
            json!([0, 255, 1.0]),
            json!([0, 255, -1]),
            json!([7, 0, 255]),
            json!({"a": {"b": [null, false, -7, 0.25, "x"]}}),
        ] {
            assert_eq!(round_trip(&value), value);
        }
    }

    #[test]
    fn a_non_finite_float_is_a_decode_error() {
        assert!(matches!(
            CompactValue::Float(f64::NAN).to_json(),
            Err(StoreError::Decode(_))
        ));
    }

    /// The sealed plaintext of axum-login's record (user id and the
    /// `session_auth_hash` bytes) in the compact form, against the same
    /// map with JSON text values and the record as one JSON document.
    fn sizes(auth_hash: &[u8]) -> (usize, usize, usize) {
        let data = json!({"user_id": 42, "auth_hash": auth_hash});
        let record = Record {
            id: Id(i128::MAX - 12_345),
            data: HashMap::from([("axum-login.data".to_owned(), data.clone())]),
            expiry_date: OffsetDateTime::UNIX_EPOCH,
        };
        assert!(matches!(
            CompactValue::from_json(&json!(auth_hash)),
            CompactValue::Bytes(_)
        ));
        let compact = postcard::to_allocvec(&SealedRecord::from_record(&record))
            .unwrap()
            .len();
        let text = vec![("axum-login.data".to_owned(), data.to_string())];
        let json_text = postcard::to_allocvec(&(record.id.0, text)).unwrap().len();
        let json_doc = serde_json::to_vec(
            &json!({"id": record.id.to_string(), "data": {"axum-login.data": data}}),
        )
        .unwrap()
        .len();
        (compact, json_text, json_doc)
    }

    #[test]
    fn the_compact_form_is_smaller_than_json_text() {
        // A 32-byte digest and a 97-byte argon2 PHC string.
        let digest = [0xA5_u8; 32];
        let phc = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        for hash in [&digest[..], phc.as_bytes()] {
            let (compact, json_text, json_doc) = sizes(hash);
            println!("auth_hash {} bytes: compact {compact}, JSON text values {json_text}, JSON document {json_doc}", hash.len());
            assert!(compact < json_text && json_text < json_doc);
        }
    }
}
