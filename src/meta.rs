//! What an opened value tells besides its payload: [`SessionId`],
//! [`SessionMeta`] and [`Opened`].

use core::fmt;

use subtle::ConstantTimeEq;

use crate::clock::UnixSeconds;
use crate::format::SESSION_ID_LEN;
use crate::key::KeyId;

/// The random id of a session: 128 bits from the operating system's CSPRNG,
/// drawn when a session is first sealed and again on regeneration.
///
/// The id travels inside the encrypted envelope, and CSRF tokens carry it
/// masked ([`Session::csrf_token`](crate::Session::csrf_token)): the page a
/// token is rendered into can recover it. It is not a credential (the
/// sealed cookie is), so this is harmless; do not use the id as a secret of
/// your own. Its `Debug` output is redacted; compare ids with
/// [`SessionId::ct_eq`].
///
/// ```
/// use sealed_session::{Key, KeyId, Keyring, Sealer};
///
/// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let a = sealer.open::<()>(&sealer.seal(&())?)?;
/// let b = sealer.open::<()>(&sealer.seal(&())?)?;
/// assert!(!a.meta.session_id().ct_eq(b.meta.session_id()));
/// assert_eq!(format!("{:?}", a.meta.session_id()), "SessionId(..)");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct SessionId([u8; SESSION_ID_LEN]);

impl SessionId {
    pub(crate) fn from_bytes(bytes: [u8; SESSION_ID_LEN]) -> Self {
        Self(bytes)
    }

    /// A fresh random id from the operating system's CSPRNG.
    pub(crate) fn generate() -> Result<Self, crate::error::SealError> {
        let mut id = Self([0; SESSION_ID_LEN]);
        crate::random::fill(&mut id.0).map_err(|()| crate::error::SealError::Random)?;
        Ok(id)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; SESSION_ID_LEN] {
        &self.0
    }

    /// Compares two ids in constant time.
    #[must_use]
    pub fn ct_eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId(..)")
    }
}

/// The authenticated metadata of an opened session.
///
/// ```
/// use std::time::Duration;
/// use sealed_session::{Key, KeyId, Keyring, Sealer, UnixSeconds};
///
/// let t0 = UnixSeconds::new(1_800_000_000);
/// let sealer = Sealer::builder(Keyring::new(KeyId::new(9), Key::generate()))
///     .with_absolute_ttl(Duration::from_secs(3600))
///     .with_idle_timeout(Duration::from_secs(600))
///     .build()?;
/// let value = sealer.seal_at(&String::from("cart"), t0)?;
/// let opened = sealer.open_at::<String>(&value, UnixSeconds::new(1_800_000_100))?;
/// assert_eq!(opened.meta.issued_at(), t0);
/// assert_eq!(opened.meta.last_active_at(), t0);
/// assert_eq!(opened.meta.expires_at(), UnixSeconds::new(1_800_003_600));
/// assert_eq!(opened.meta.idle_expires_at(), Some(UnixSeconds::new(1_800_000_600)));
/// assert_eq!(opened.meta.key_id(), KeyId::new(9));
/// assert!(!opened.meta.needs_reseal());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct SessionMeta {
    pub(crate) session_id: SessionId,
    pub(crate) issued_at: UnixSeconds,
    pub(crate) last_active_at: UnixSeconds,
    pub(crate) expires_at: UnixSeconds,
    /// The expiry as sealed in the value, which re-sealing keeps.
    pub(crate) sealed_expires_at: UnixSeconds,
    pub(crate) idle_expires_at: Option<UnixSeconds>,
    pub(crate) key_id: KeyId,
    pub(crate) needs_reseal: bool,
}

impl SessionMeta {
    /// The session's random id.
    #[must_use]
    pub fn session_id(&self) -> &SessionId {
        &self.session_id
    }

    /// When the session was first sealed (or last regenerated).
    #[must_use]
    pub fn issued_at(&self) -> UnixSeconds {
        self.issued_at
    }

    /// When the session was last sealed with fresh activity; the idle timeout
    /// counts from here.
    #[must_use]
    pub fn last_active_at(&self) -> UnixSeconds {
        self.last_active_at
    }

    /// The absolute expiry: the earlier of the expiry sealed in the value and
    /// `issued_at` plus the configuration's current absolute lifetime, so a
    /// shortened lifetime applies to sessions already issued.
    #[must_use]
    pub fn expires_at(&self) -> UnixSeconds {
        self.expires_at
    }

    /// When the session times out if it sees no activity, or `None` without
    /// an idle timeout. Never later than [`expires_at`](Self::expires_at).
    #[must_use]
    pub fn idle_expires_at(&self) -> Option<UnixSeconds> {
        self.idle_expires_at
    }

    /// The id of the key that sealed the value.
    #[must_use]
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Whether the value was sealed with a key other than the current primary
    /// key, and should be sealed again (which uses the primary key).
    #[must_use]
    pub fn needs_reseal(&self) -> bool {
        self.needs_reseal
    }
}

/// An opened value: the application's payload and the session's metadata.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Opened<T> {
    /// The application's data.
    pub payload: T,
    /// The authenticated metadata.
    pub meta: SessionMeta,
}
