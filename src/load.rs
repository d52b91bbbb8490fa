//! Loading a request's [`Session`] from its `Cookie` headers: the
//! [`SessionConfig`] methods that start a request.
//!
//! They live here rather than in `config.rs` so that the configuration does
//! not depend on the session it configures.

use serde::de::DeserializeOwned;

use crate::chunk::ChunkSlots;
use crate::clock::UnixSeconds;
use crate::config::SessionConfig;
use crate::error::OpenError;
use crate::schema::Fingerprint;
use crate::session::{Record, Session};

impl SessionConfig {
    /// Loads the session of a request from its raw `Cookie` header values
    /// (pass every `Cookie` header of the request; HTTP/2 may split them),
    /// at the clock's time.
    ///
    /// Never fails: a missing cookie, or cookies that do not open, give a
    /// new empty session, with the reason in [`Session::load_error`].
    /// Several cookies with the session's name are each tried (at most
    /// [`MAX_COOKIE_CANDIDATES`](crate::header::MAX_COOKIE_CANDIDATES)); the first
    /// that opens wins.
    pub fn load<T, H>(&self, cookie_headers: impl IntoIterator<Item = H>) -> Session<T>
    where
        T: DeserializeOwned + 'static,
        H: AsRef<[u8]>,
    {
        self.load_at(cookie_headers, self.inner().sealer.now())
    }

    /// [`SessionConfig::load`] at the time `now`.
    pub fn load_at<T, H>(
        &self,
        cookie_headers: impl IntoIterator<Item = H>,
        now: UnixSeconds,
    ) -> Session<T>
    where
        T: DeserializeOwned + 'static,
        H: AsRef<[u8]>,
    {
        let mut session = Session::fresh(self.clone(), now);
        if self.inner().max_chunks > 1 {
            // Chunks may sit in any header: look at them all first.
            let headers: Vec<H> = cookie_headers.into_iter().collect();
            let name = self.cookie_name();
            let mut slots = ChunkSlots::default();
            for header in &headers {
                for (cookie, value) in crate::header::cookie_pairs(header.as_ref()) {
                    slots.offer(name, cookie, value, self.inner().cookie_limit);
                }
            }
            session.note_chunks(slots.present());
            for header in &headers {
                if !self.try_header(&mut session, header.as_ref(), Some(&slots)) {
                    break;
                }
            }
        } else {
            for header in cookie_headers {
                if !self.try_header(&mut session, header.as_ref(), None) {
                    break;
                }
            }
        }
        session
    }

    /// Tries the candidates of one header; returns whether to go on.
    fn try_header<T: DeserializeOwned + 'static>(
        &self,
        session: &mut Session<T>,
        header: &[u8],
        slots: Option<&ChunkSlots>,
    ) -> bool {
        for value in crate::header::cookie_values(header, self.cookie_name()) {
            let assembled = slots.map(|s| {
                s.assemble(
                    self.cookie_name(),
                    value,
                    self.inner().cookie_limit,
                    self.inner().max_chunks,
                )
            });
            let go_on = match assembled {
                None => session.try_candidate(value),
                Some(Ok(whole)) => session.try_candidate(&whole),
                Some(Err(err)) => session.note_failure(err),
            };
            if !go_on {
                return false;
            }
        }
        true
    }

    /// Loads the session from a cookie value that a framework has already
    /// extracted (`None` when the request has no such cookie), at the
    /// clock's time.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring, OpenError, SessionConfig};
    ///
    /// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
    /// let session = config.load_value::<u32>(Some("garbage"));
    /// assert!(session.is_new());
    /// assert_eq!(session.load_error(), Some(&OpenError::Malformed));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_value<T: DeserializeOwned + 'static>(&self, value: Option<&str>) -> Session<T> {
        self.load_values_at(value, self.inner().sealer.now())
    }

    /// Loads the session from already extracted cookie values (every value
    /// sent under the session's name, in header order) at the time `now`.
    pub fn load_values_at<'a, T: DeserializeOwned + 'static>(
        &self,
        values: impl IntoIterator<Item = &'a str>,
        now: UnixSeconds,
    ) -> Session<T> {
        let mut session = Session::fresh(self.clone(), now);
        for value in values {
            // With chunking on, the sealer's own limit is the chunked
            // capacity: the per-cookie limit is checked here.
            let go_on = match crate::chunk::check_fits(
                self.cookie_name(),
                value,
                self.inner().cookie_limit,
            ) {
                Ok(()) => session.try_candidate(value),
                Err(err) => session.note_failure(err),
            };
            if !go_on {
                break;
            }
        }
        session
    }

    /// A new, empty session at the clock's time, as for a request without
    /// a cookie.
    #[must_use]
    pub fn new_session<T: DeserializeOwned + 'static>(&self) -> Session<T> {
        Session::fresh(self.clone(), self.inner().sealer.now())
    }

    /// Opens a record sealed as an earlier session type (fingerprint
    /// `schema`) and converts its data, one migration after the other,
    /// into `T` (record fingerprint `target`). The chain is followed by
    /// fingerprint alone, and checked to reach `T` before anything is
    /// decoded.
    pub(crate) fn migrate<T: 'static>(
        &self,
        schema: Fingerprint,
        target: Fingerprint,
        bytes: &[u8],
    ) -> Result<Record<T>, OpenError> {
        let migrations = &*self.inner().migrations;
        let next = |from: Fingerprint| migrations.iter().find(|m| m.from == from);
        let first = next(schema).ok_or(OpenError::SchemaMismatch)?;
        let mut step = first;
        let mut steps = 1;
        while step.to != target {
            step = next(step.to)
                .filter(|_| steps < migrations.len())
                .ok_or(OpenError::SchemaMismatch)?;
            steps += 1;
        }
        let (mut data, flash) = (first.decode)(bytes)?;
        let mut step = first;
        loop {
            if let Some(old) = data {
                data = Some((step.convert)(old).ok_or(OpenError::SchemaMismatch)?);
            }
            if step.to == target {
                break;
            }
            step = next(step.to).ok_or(OpenError::SchemaMismatch)?;
        }
        let data = match data {
            // Two types of one shape share a fingerprint; a conversion to
            // a type of that shape that is not `T` is refused here.
            Some(any) => Some(*any.downcast::<T>().map_err(|_| OpenError::SchemaMismatch)?),
            None => None,
        };
        Ok(Record { data, flash })
    }
}
