//! [`Keyring`]: one primary key that seals, older keys that only open.

use core::fmt;
use std::collections::HashMap;
use std::io::Read as _;
use std::path::Path;
use std::sync::Arc;

use zeroize::Zeroizing;

use crate::error::{KeyError, KeyErrorReason, KeyLineHint, KeyringSwapError};
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
/// The same text in a file is read by [`Keyring::from_file`].
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
/// With the keyring in a file, each step is a change of the file that
/// running servers pick up ([`Sealer::replace_keyring`](crate::Sealer::replace_keyring));
/// [`Keyring::rotate_to`] makes the three files.
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
    /// [`KeyError::MissingVariable`] if the variable is not set,
    /// [`KeyError::NotUnicodeVariable`] if it is not Unicode, and
    /// [`KeyError::Variable`] wrapping the error of [`Keyring::parse`]
    /// otherwise. Each names the variable; [`KeyError::Variable`] adds a
    /// hint when the value has a common mistake: surrounding quotes (docker
    /// env files keep them), a space after `:`, standard base64 or padding,
    /// or a whole `NAME=value` assignment. No message shows key text.
    ///
    /// ```
    /// use sealed_session::{KeyError, KeyLineHint, Keyring};
    ///
    /// # std::env::remove_var("NO_SUCH_KEYS");
    /// assert_eq!(
    ///     Keyring::from_env("NO_SUCH_KEYS").err(),
    ///     Some(KeyError::MissingVariable { name: "NO_SUCH_KEYS".into() })
    /// );
    /// # std::env::set_var("SPACED_KEYS", "1: AAAA");
    /// // SPACED_KEYS="1: AAAA"
    /// match Keyring::from_env("SPACED_KEYS") {
    ///     Err(KeyError::Variable { name, hint, .. }) => {
    ///         assert_eq!(name, "SPACED_KEYS");
    ///         assert_eq!(hint, Some(KeyLineHint::SpaceAfterColon));
    ///     }
    ///     other => panic!("expected a refused line, got {other:?}"),
    /// }
    /// ```
    pub fn from_env(name: &str) -> Result<Self, KeyError> {
        let value = Zeroizing::new(std::env::var(name).map_err(|e| match e {
            std::env::VarError::NotPresent => KeyError::MissingVariable {
                name: name.to_owned(),
            },
            std::env::VarError::NotUnicode(_) => KeyError::NotUnicodeVariable {
                name: name.to_owned(),
            },
        })?);
        Self::parse(&value).map_err(|error| KeyError::Variable {
            name: name.to_owned(),
            error: Box::new(error),
            hint: line_hint(&value),
        })
    }

    /// Reads and parses the keyring line in the file at `path` (a mounted
    /// secret, for example), in the syntax of [`Keyring::parse`]; a trailing
    /// line break is allowed, as any white space around entries. At most
    /// 64 KiB (over 1,000 keys) are read.
    ///
    /// # Security
    ///
    /// On Unix the file must be accessible to its owner only (mode `0600` or
    /// `0400`): a file that its group or others may read or write is
    /// refused, as anyone who reads it can forge sessions and anyone who
    /// writes it can choose the keys. Mounted secrets often default to
    /// wider modes: set Kubernetes' `defaultMode: 0400` or Docker's
    /// `mode: 0400`. Elsewhere no permission check is made.
    ///
    /// # Errors
    ///
    /// [`KeyError::FileUnreadable`] if the file cannot be opened or read,
    /// [`KeyError::FilePermissions`] for a group- or world-accessible file,
    /// [`KeyError::FileTooLarge`], [`KeyError::FileNotUtf8`], otherwise as
    /// [`Keyring::parse`]. No error contains key text or the path.
    ///
    /// ```
    /// use sealed_session::{Key, KeyError, KeyId, Keyring};
    /// # let dir = std::env::temp_dir().join(format!("sealed-session-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("session-keys");
    /// let ring = Keyring::new(KeyId::new(1), Key::generate());
    /// std::fs::write(&path, ring.to_file_contents().as_bytes())?;
    /// # #[cfg(unix)]
    /// # {
    /// # use std::os::unix::fs::PermissionsExt;
    /// # std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    /// # assert_eq!(Keyring::from_file(&path).err(), Some(KeyError::FilePermissions { mode: 0o644 }));
    /// // chmod 600: only the owner may read it.
    /// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    /// # }
    /// let read = Keyring::from_file(&path)?;
    /// assert_eq!(read.primary_id(), KeyId::new(1));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let unreadable = |e: std::io::Error| KeyError::FileUnreadable { kind: e.kind() };
        let file = std::fs::File::open(path).map_err(unreadable)?;
        // The permissions of the file opened (symbolic links followed), not
        // of a path that could change between the check and the read.
        check_owner_only(&file.metadata().map_err(unreadable)?)?;
        // Room for the whole limit up front: the buffer never grows, so no
        // copy of the text is left behind in a freed allocation.
        let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_KEY_FILE_BYTES + 1));
        file.take(MAX_KEY_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(unreadable)?;
        if bytes.len() > MAX_KEY_FILE_BYTES {
            return Err(KeyError::FileTooLarge {
                limit: MAX_KEY_FILE_BYTES,
            });
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| KeyError::FileNotUtf8)?;
        Self::parse(text)
    }

    /// The keyring as the text of a key file: its line and a line break,
    /// which [`Keyring::from_file`] reads back.
    ///
    /// # Security
    ///
    /// This is every secret key of the ring. The text is zeroized when
    /// dropped; write it only to a secret store, in a file only its owner
    /// can read.
    #[must_use]
    pub fn to_file_contents(&self) -> Zeroizing<String> {
        let mut out = self.to_line();
        out.push('\n');
        out
    }

    /// The keyrings of the three steps of a rotation from this keyring to
    /// the new key `key` under `id` (SECURITY.md, "Key rotation"): what a
    /// key file holds after each step. A command-line tool prints them with
    /// [`Keyring::to_file_contents`].
    ///
    /// # Errors
    ///
    /// [`KeyError::DuplicateId`] if `id` is in the ring,
    /// [`KeyError::DuplicateKey`] if `key` is.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring};
    ///
    /// let ring = Keyring::new(KeyId::new(1), Key::generate());
    /// let rotation = ring.rotate_to(KeyId::new(2), Key::generate())?;
    /// let ids = |r: &Keyring| r.ids().map(KeyId::get).collect::<Vec<_>>();
    /// assert_eq!(ids(rotation.added()), [1, 2]);
    /// assert_eq!(ids(rotation.promoted()), [2, 1]);
    /// assert_eq!(ids(rotation.dropped()), [2]);
    /// assert!(ring.rotate_to(KeyId::new(1), Key::generate()).is_err());
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    pub fn rotate_to(&self, id: KeyId, key: Key) -> Result<Rotation, KeyError> {
        let added = self.clone().with_old_key(id, key)?;
        let promoted = added.clone().with_primary(id)?;
        let mut dropped = promoted.clone();
        for old in self.ids() {
            dropped = dropped.without_key(old)?;
        }
        Ok(Rotation {
            added,
            promoted,
            dropped,
        })
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

    /// One more than the largest id in the ring: an id for a new key that is
    /// not taken and sorts after every key of the ring. `None` when the
    /// largest id is already 4294967295.
    ///
    /// ```
    /// use sealed_session::{Key, KeyId, Keyring};
    ///
    /// let ring = Keyring::new(KeyId::new(3), Key::generate())
    ///     .with_old_key(KeyId::new(9), Key::generate())?;
    /// assert_eq!(ring.next_id(), Some(KeyId::new(10)));
    /// let full = Keyring::new(KeyId::new(u32::MAX), Key::generate());
    /// assert_eq!(full.next_id(), None);
    /// # Ok::<(), sealed_session::KeyError>(())
    /// ```
    #[must_use]
    pub fn next_id(&self) -> Option<KeyId> {
        let largest = self.ids().map(KeyId::get).max()?;
        largest.checked_add(1).map(KeyId::new)
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

    /// Checks that `new` can replace this keyring on a running server: it
    /// holds this ring's primary key, and no id of this ring names other
    /// key bytes in `new`. Every shared id is compared (no early exit), in
    /// constant time per key.
    pub(crate) fn check_replacement(&self, new: &Self) -> Result<(), KeyringSwapError> {
        let primary_id = self.primary_id();
        if !new.contains(primary_id) {
            return Err(KeyringSwapError::PrimaryMissing { id: primary_id });
        }
        let mut changed = None;
        for (id, key) in &self.entries {
            if let Some(other) = new.find(*id) {
                if !other.ct_eq(key) && changed.is_none() {
                    changed = Some(*id);
                }
            }
        }
        match changed {
            Some(id) => Err(KeyringSwapError::KeyChanged { id }),
            None => Ok(()),
        }
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

/// The keyrings after each step of a rotation to a new key, made by
/// [`Keyring::rotate_to`]. Each step goes to every server (a deploy, or a
/// change of the key file that running servers reload) before the next one
/// starts.
///
/// Its `Debug` output shows key ids only.
#[derive(Debug, Clone)]
pub struct Rotation {
    added: Keyring,
    promoted: Keyring,
    dropped: Keyring,
}

impl Rotation {
    /// Step 1, **add**: the new key at the end. Servers open values sealed
    /// with it; none seals with it yet.
    #[must_use]
    pub fn added(&self) -> &Keyring {
        &self.added
    }

    /// Step 2, **promote**: the new key first. Servers seal with it; values
    /// under the older keys still open and are re-sealed under it on their
    /// next request. Start it once every server runs step 1.
    #[must_use]
    pub fn promoted(&self) -> &Keyring {
        &self.promoted
    }

    /// Step 3, **drop**: the new key alone. Values under the older keys are
    /// refused. Start it once every server runs step 2 and the absolute
    /// lifetime has passed since.
    #[must_use]
    pub fn dropped(&self) -> &Keyring {
        &self.dropped
    }
}

/// The largest keyring file [`Keyring::from_file`] reads.
const MAX_KEY_FILE_BYTES: usize = 64 * 1024;

/// Refuses a file whose group or others have any permission (Unix).
#[cfg(unix)]
fn check_owner_only(metadata: &std::fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::FilePermissions { mode });
    }
    Ok(())
}

/// No permission bits to check outside Unix.
#[cfg(not(unix))]
fn check_owner_only(_metadata: &std::fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

fn is_line_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// The likeliest mistake in a refused keyring line, judged from its shape
/// alone: the characters looked at are separators, quotes and the few
/// base64 characters that are wrong here, and nothing of the line is kept.
pub(crate) fn line_hint(line: &str) -> Option<KeyLineHint> {
    let trimmed = line.trim_matches(is_line_space);
    let first_entry = trimmed.split(',').next().unwrap_or_default();
    let before_colon = first_entry.split(':').next().unwrap_or_default();
    if before_colon.contains('=') {
        return Some(KeyLineHint::Assignment);
    }
    if trimmed.starts_with(['"', '\'']) || trimmed.ends_with(['"', '\'']) {
        return Some(KeyLineHint::Quoted);
    }
    let entries = || trimmed.split(',').map(|e| e.trim_matches(is_line_space));
    let keys = || entries().filter_map(|e| e.split_once(':').map(|(_, key)| key));
    if keys().any(|key| key.starts_with(is_line_space)) {
        return Some(KeyLineHint::SpaceAfterColon);
    }
    if keys().any(|key| key.contains(['+', '/'])) {
        return Some(KeyLineHint::StandardBase64);
    }
    if keys().any(|key| key.ends_with('=')) {
        return Some(KeyLineHint::Padding);
    }
    None
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
