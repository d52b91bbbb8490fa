//! [`Keyring`]: one primary key that seals, older keys that only open.

use core::fmt;
use std::collections::HashMap;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{KeyError, KeyErrorReason};
use crate::key::{Key, KeyId};

/// The keys of a deployment: one primary key that seals, and any number of
/// older keys that only open.
///
/// Every key has a [`KeyId`] that is carried in each sealed value, so opening
/// finds its key by id at once, at the same cost for 1 key or 1000; a value
/// naming an unknown id is refused without any decryption attempt.
///
/// # Keyring lines
///
/// A keyring fits in one line, for an environment variable such as
/// `SESSION_KEYS`: entries `ID:KEY` separated by commas, the **first entry is
/// the primary key**. `ID` is a decimal number (0 to 4294967295, no leading
/// zeros) and `KEY` is 32 bytes in base64url without padding (43 characters).
/// Spaces, tabs, CR and LF around entries are ignored (no other white space;
/// FORMAT.md §9 gives the exact rules).
///
/// ```text
/// SESSION_KEYS="20261201:<43 chars>,20261101:<43 chars>"
/// ```
///
/// # Rotation across a fleet
///
/// 1. Generate a new key and **append** it to every server's line (open
///    only): servers can now open values sealed with it, but nobody seals with
///    it yet. Deploy everywhere.
/// 2. **Promote** it: move it to the front of every line. Servers seal with
///    it; values under the old key still open and report
///    [`needs_reseal`](crate::SessionMeta::needs_reseal), so they are re-sealed
///    under the new key on their next request. Deploy everywhere.
/// 3. After the longest session lifetime (the absolute lifetime), **drop** the
///    old key. Values still sealed with it are refused as
///    [`UnknownKeyId`](crate::OpenError::UnknownKeyId).
///
/// ```
/// use sealed_session::{Key, KeyId, Keyring};
///
/// let old = Key::generate();
/// let new = Key::generate();
/// let line = format!("2:{},1:{}", new.to_base64().as_str(), old.to_base64().as_str());
/// let ring = Keyring::parse(&line)?;
/// assert_eq!(ring.primary_id(), KeyId::new(2));
/// assert_eq!(ring.len(), 2);
/// assert!(ring.contains(KeyId::new(1)));
/// // Debug shows ids, never key bytes.
/// assert_eq!(format!("{ring:?}"), "Keyring { primary: KeyId(2), ids: [KeyId(2), KeyId(1)], .. }");
/// # Ok::<(), sealed_session::KeyError>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    /// Keys in order, primary first.
    entries: Vec<(KeyId, Arc<Key>)>,
    /// Index into `entries` by id.
    index: HashMap<KeyId, usize>,
}

impl Keyring {
    /// A keyring with one key, which is the primary key.
    #[must_use]
    pub fn new(id: KeyId, key: Key) -> Self {
        let mut index = HashMap::with_capacity(1);
        index.insert(id, 0);
        Self {
            entries: vec![(id, Arc::new(key))],
            index,
        }
    }

    /// Adds an open-only key (an older key, or a new key not yet promoted).
    ///
    /// # Errors
    ///
    /// [`KeyError::DuplicateId`] if the id is taken, [`KeyError::DuplicateKey`]
    /// if the same key bytes are already in the ring.
    ///
    /// ```
    /// use sealed_session::{Key, KeyError, KeyId, Keyring};
    ///
    /// let ring = Keyring::new(KeyId::new(2), Key::generate())
    ///     .with_old_key(KeyId::new(1), Key::generate())?;
    /// assert_eq!(ring.len(), 2);
    /// let again = ring.with_old_key(KeyId::new(1), Key::generate());
    /// assert_eq!(again.err(), Some(KeyError::DuplicateId { id: KeyId::new(1) }));
    /// # Ok::<(), KeyError>(())
    /// ```
    pub fn with_old_key(mut self, id: KeyId, key: Key) -> Result<Self, KeyError> {
        self.push(id, key)?;
        Ok(self)
    }

    /// Makes the key `id`, already in the ring, the primary key. The former
    /// primary stays as an open-only key.
    ///
    /// # Errors
    ///
    /// [`KeyError::UnknownId`] if no key has that id.
    pub fn with_primary(mut self, id: KeyId) -> Result<Self, KeyError> {
        let pos = *self.index.get(&id).ok_or(KeyError::UnknownId { id })?;
        let entry = self.entries.remove(pos);
        self.entries.insert(0, entry);
        self.reindex();
        Ok(self)
    }

    /// Removes the open-only key `id`, if present. The primary key cannot be
    /// removed this way.
    ///
    /// # Errors
    ///
    /// [`KeyError::PrimaryKey`] if `id` is the primary key's id.
    pub fn without_key(mut self, id: KeyId) -> Result<Self, KeyError> {
        if id == self.primary_id() {
            return Err(KeyError::PrimaryKey);
        }
        if let Some(pos) = self.index.get(&id).copied() {
            self.entries.remove(pos);
            self.reindex();
        }
        Ok(self)
    }

    /// Parses a keyring line (see the type's documentation for the syntax).
    ///
    /// # Errors
    ///
    /// The first rule broken, in the order of FORMAT.md §9:
    /// [`KeyError::EmptyKeyring`]; then, entry by entry,
    /// [`KeyError::InvalidSyntax`], [`KeyError::InvalidKeyId`] and
    /// [`KeyError::InvalidKey`], which name the entry (counting from 1), and
    /// [`KeyError::DuplicateId`] and [`KeyError::DuplicateKey`], which name
    /// the key id. The message never contains key text.
    ///
    /// ```
    /// use sealed_session::{KeyError, Keyring};
    ///
    /// assert_eq!(Keyring::parse("  ").err(), Some(KeyError::EmptyKeyring));
    /// assert_eq!(Keyring::parse("7").err(), Some(KeyError::InvalidSyntax { entry: 1 }));
    /// ```
    pub fn parse(line: &str) -> Result<Self, KeyError> {
        let trimmed = line.trim_matches(is_line_space);
        if trimmed.is_empty() {
            return Err(KeyError::EmptyKeyring);
        }
        let mut ring: Option<Self> = None;
        for (n, raw) in trimmed.split(',').enumerate() {
            let entry = n + 1;
            let (id, key) = parse_entry(raw.trim_matches(is_line_space), entry)?;
            match ring.as_mut() {
                None => ring = Some(Self::new(id, key)),
                Some(r) => r.push(id, key)?,
            }
        }
        ring.ok_or(KeyError::EmptyKeyring)
    }

    /// Reads and parses the keyring line in the environment variable `name`.
    ///
    /// # Errors
    ///
    /// [`KeyError::MissingVariable`] if the variable is not set or not
    /// Unicode, otherwise as [`Keyring::parse`].
    pub fn from_env(name: &str) -> Result<Self, KeyError> {
        let value = Zeroizing::new(std::env::var(name).map_err(|_| KeyError::MissingVariable)?);
        Self::parse(&value)
    }

    /// The keyring as one line, primary first, which [`Keyring::parse`] reads
    /// back.
    ///
    /// # Security
    ///
    /// This is every secret key of the ring. The text is zeroized when
    /// dropped; write it only to a secret store.
    #[must_use]
    pub fn to_line(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(self.entries.len() * 55));
        for (n, (id, key)) in self.entries.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            out.push_str(&id.to_string());
            out.push(':');
            out.push_str(&key.to_base64());
        }
        out
    }

    /// The id of the primary key, which seals every new value.
    #[must_use]
    pub fn primary_id(&self) -> KeyId {
        self.primary().0
    }

    /// The ids of all keys, primary first.
    pub fn ids(&self) -> impl ExactSizeIterator<Item = KeyId> + '_ {
        self.entries.iter().map(|(id, _)| *id)
    }

    /// Whether a key with this id is in the ring.
    #[must_use]
    pub fn contains(&self, id: KeyId) -> bool {
        self.index.contains_key(&id)
    }

    /// The number of keys, primary included (never zero).
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always `false`: a keyring holds at least its primary key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The primary key and its id.
    pub(crate) fn primary(&self) -> (KeyId, &Key) {
        // Invariant: every constructor puts the primary key at index 0 and no
        // method removes it, so `entries` is never empty.
        #[allow(clippy::indexing_slicing)]
        let (id, key) = &self.entries[0];
        (*id, key)
    }

    /// The key with this id, found in constant time by id (never by trying keys).
    pub(crate) fn find(&self, id: KeyId) -> Option<&Key> {
        let (primary_id, primary) = self.primary();
        if id == primary_id {
            return Some(primary);
        }
        let pos = *self.index.get(&id)?;
        self.entries.get(pos).map(|(_, key)| &**key)
    }

    fn push(&mut self, id: KeyId, key: Key) -> Result<(), KeyError> {
        if self.index.contains_key(&id) {
            return Err(KeyError::DuplicateId { id });
        }
        // Check every key (no early exit) so the time taken does not depend
        // on which key matched.
        let mut duplicate = false;
        for (_, existing) in &self.entries {
            duplicate |= existing.ct_eq(&key);
        }
        if duplicate {
            return Err(KeyError::DuplicateKey { id });
        }
        self.index.insert(id, self.entries.len());
        self.entries.push((id, Arc::new(key)));
        Ok(())
    }

    fn reindex(&mut self) {
        self.index.clear();
        for (pos, (id, _)) in self.entries.iter().enumerate() {
            self.index.insert(*id, pos);
        }
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<KeyId> = self.ids().collect();
        f.debug_struct("Keyring")
            .field("primary", &self.primary_id())
            .field("ids", &ids)
            .finish_non_exhaustive()
    }
}

fn is_line_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn parse_entry(entry_text: &str, entry: usize) -> Result<(KeyId, Key), KeyError> {
    let (id_text, key_text) = entry_text
        .split_once(':')
        .ok_or(KeyError::InvalidSyntax { entry })?;
    let id = KeyId::parse_decimal(id_text).ok_or(KeyError::InvalidKeyId { entry })?;
    let key = Key::from_base64(key_text).map_err(|e| {
        let reason = match e {
            KeyError::WeakKey => KeyErrorReason::WeakKey,
            KeyError::InvalidLength { .. } => KeyErrorReason::InvalidLength,
            _ => KeyErrorReason::InvalidEncoding,
        };
        KeyError::InvalidKey { entry, reason }
    })?;
    Ok((id, key))
}
