//! Every public error type of the crate and its `Display`.
//!
//! Messages are hand-written, lower case, without a trailing period, and never
//! contain cookie bytes, plaintext, key bytes or any other attacker-chosen text.

use core::fmt;

/// An error found while building keys or a [`Keyring`](crate::Keyring).
///
/// These happen at start-up, when keys are generated, imported or parsed from
/// a keyring line such as the `SESSION_KEYS` environment variable.
///
/// ```
/// use sealed_session::{Key, KeyError};
///
/// assert_eq!(Key::from_base64("c2hvcnQ").err(), Some(KeyError::InvalidLength { actual: 5 }));
/// assert_eq!(Key::from_bytes([0; 32]).err(), Some(KeyError::WeakKey));
/// ```
///
/// # Display and Debug
///
/// Both read as a sentence, so the message is clear whether an application
/// logs it with `{}` or returns it from `main() -> Result<(), Box<dyn Error>>`
/// (which prints the `Debug` form). `Debug` ends with the variant in
/// parentheses, for matching in code. Neither ever shows key text.
///
/// ```
/// use sealed_session::Keyring;
///
/// # std::env::set_var("APP_KEYS_EXAMPLE", "\"1:AAAA\"");
/// // A docker env file keeps the quotes of APP_KEYS_EXAMPLE="1:AAAA".
/// let err = Keyring::from_env("APP_KEYS_EXAMPLE").unwrap_err();
/// let shown = format!("Error: {err:?}");
/// assert!(shown.starts_with("Error: environment variable APP_KEYS_EXAMPLE: keyring entry 1"));
/// assert!(shown.contains("remove the quotes"));
/// assert!(!shown.contains("AAAA"));
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyError {
    /// The key text is not strict base64url without padding.
    InvalidEncoding,
    /// The decoded key is not 32 bytes long.
    InvalidLength {
        /// The number of bytes found.
        actual: usize,
    },
    /// The key bytes are all equal (for example all zero): such a key is a
    /// placeholder or a mistake, never the output of a random generator.
    WeakKey,
    /// A key id is not a canonical decimal number between 0 and 4294967295.
    InvalidKeyId {
        /// The position of the entry in the keyring line, counting from 1.
        entry: usize,
    },
    /// An entry of a keyring line is not of the form `ID:KEY`.
    InvalidSyntax {
        /// The position of the entry in the keyring line, counting from 1.
        entry: usize,
    },
    /// The key in an entry of a keyring line is not a valid key.
    InvalidKey {
        /// The position of the entry in the keyring line, counting from 1.
        entry: usize,
        /// Why the key was refused.
        reason: KeyErrorReason,
    },
    /// Two keys of one keyring have the same id.
    DuplicateId {
        /// The id that appears twice.
        id: crate::KeyId,
    },
    /// The same key bytes appear twice in one keyring, under different ids.
    DuplicateKey {
        /// The id of the second occurrence.
        id: crate::KeyId,
    },
    /// A keyring line holds no key at all.
    EmptyKeyring,
    /// No key of the keyring has this id.
    UnknownId {
        /// The id asked for.
        id: crate::KeyId,
    },
    /// The primary key cannot be removed; promote another key first.
    PrimaryKey,
    /// The environment variable that should hold the keyring is not set.
    MissingVariable {
        /// The variable's name.
        name: String,
    },
    /// The environment variable that should hold the keyring is not Unicode.
    NotUnicodeVariable {
        /// The variable's name.
        name: String,
    },
    /// The keyring line in an environment variable was refused.
    Variable {
        /// The variable's name.
        name: String,
        /// Why the line was refused (never [`KeyError::Variable`] itself).
        error: Box<KeyError>,
        /// A likely cause seen in the line, if any.
        hint: Option<KeyLineHint>,
    },
    /// The keyring file could not be opened or read.
    FileUnreadable {
        /// What the operating system reported.
        kind: std::io::ErrorKind,
    },
    /// The keyring file may be read or written by its group or by others
    /// (Unix): whoever can read it can forge sessions.
    FilePermissions {
        /// The file's permission bits, such as `0o644`.
        mode: u32,
    },
    /// The keyring file is larger than a keyring file can be.
    FileTooLarge {
        /// The largest keyring file read, in bytes.
        limit: usize,
    },
    /// The keyring file is not UTF-8 text.
    FileNotUtf8,
    /// The operating system's random number generator failed.
    Random,
}

/// A likely cause of a refused keyring line, found by looking at its shape
/// (never its key text); see [`KeyError::Variable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyLineHint {
    /// The value starts with `NAME=`: the whole assignment was stored
    /// instead of its value.
    Assignment,
    /// The value is wrapped in quotes, which docker `--env-file` files and
    /// some deploy tools keep as part of the value.
    Quoted,
    /// An entry has white space after its `:`.
    SpaceAfterColon,
    /// A key holds `+` or `/`: standard base64 instead of base64url.
    StandardBase64,
    /// A key ends with `=`: base64 padding, which keyring lines leave out.
    Padding,
}

impl fmt::Display for KeyLineHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Assignment => "the value starts with NAME=; store only what follows the '='",
            Self::Quoted => {
                "the value is in quotes; remove the quotes (docker env files keep them as part of the value)"
            }
            Self::SpaceAfterColon => "an entry has a space after ':'; write ID:KEY without spaces",
            Self::StandardBase64 => {
                "a key holds '+' or '/'; keys are base64url, with '-' and '_' instead"
            }
            Self::Padding => "a key ends with '='; keys are base64url without padding",
        })
    }
}

/// Why one key of a keyring line was refused; see [`KeyError::InvalidKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyErrorReason {
    /// The key text is not strict base64url without padding.
    InvalidEncoding,
    /// The key does not decode to 32 bytes.
    InvalidLength,
    /// The key bytes are all equal.
    WeakKey,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidEncoding => f.write_str("key is not base64url text without padding"),
            Self::InvalidLength { actual } => {
                write!(f, "key is {actual} bytes long, expected 32")
            }
            Self::WeakKey => f.write_str("key bytes are all equal; generate a random key"),
            Self::InvalidKeyId { entry } => write!(
                f,
                "keyring entry {entry} has an invalid key id, expected a decimal number up to 4294967295"
            ),
            Self::InvalidSyntax { entry } => {
                write!(f, "keyring entry {entry} is not of the form ID:KEY")
            }
            Self::InvalidKey { entry, reason } => {
                let why = match reason {
                    KeyErrorReason::InvalidEncoding => "not base64url text without padding",
                    KeyErrorReason::InvalidLength => "not 32 bytes long",
                    KeyErrorReason::WeakKey => "all equal bytes",
                };
                write!(f, "keyring entry {entry} has an invalid key: {why}")
            }
            Self::DuplicateId { id } => write!(f, "key id {id} appears twice in the keyring"),
            Self::DuplicateKey { id } => write!(
                f,
                "key {id} has the same bytes as another key of the keyring"
            ),
            Self::EmptyKeyring => f.write_str("keyring holds no key"),
            Self::UnknownId { id } => write!(f, "no key of the keyring has id {id}"),
            Self::PrimaryKey => {
                f.write_str("the primary key cannot be removed; promote another key first")
            }
            Self::MissingVariable { name } => {
                write!(f, "environment variable {name} is not set; it should hold a keyring line such as 1:<43 base64url characters>")
            }
            Self::NotUnicodeVariable { name } => {
                write!(f, "environment variable {name} is not unicode text")
            }
            Self::Variable { name, error, hint } => {
                write!(f, "environment variable {name}: {error}")?;
                match hint {
                    Some(hint) => write!(f, " (hint: {hint})"),
                    None => Ok(()),
                }
            }
            Self::FileUnreadable { kind } => write!(f, "keyring file could not be read: {kind}"),
            Self::FilePermissions { mode } => write!(
                f,
                "keyring file is accessible to group or others (mode {mode:o}), expected access for its owner only (chmod 600)"
            ),
            Self::FileTooLarge { limit } => write!(
                f,
                "keyring file is larger than {limit} bytes, expected one keyring line"
            ),
            Self::FileNotUtf8 => f.write_str("keyring file is not utf-8 text"),
            Self::Random => f.write_str("operating system random number generator failed"),
        }
    }
}

impl fmt::Debug for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Variable { error, .. } => {
                write!(
                    f,
                    "{self} (KeyError::Variable, KeyError::{})",
                    error.variant()
                )
            }
            _ => write!(f, "{self} (KeyError::{})", self.variant()),
        }
    }
}

impl KeyError {
    /// The variant's name, for `Debug`.
    fn variant(&self) -> &'static str {
        match self {
            Self::InvalidEncoding => "InvalidEncoding",
            Self::InvalidLength { .. } => "InvalidLength",
            Self::WeakKey => "WeakKey",
            Self::InvalidKeyId { .. } => "InvalidKeyId",
            Self::InvalidSyntax { .. } => "InvalidSyntax",
            Self::InvalidKey { .. } => "InvalidKey",
            Self::DuplicateId { .. } => "DuplicateId",
            Self::DuplicateKey { .. } => "DuplicateKey",
            Self::EmptyKeyring => "EmptyKeyring",
            Self::UnknownId { .. } => "UnknownId",
            Self::PrimaryKey => "PrimaryKey",
            Self::MissingVariable { .. } => "MissingVariable",
            Self::NotUnicodeVariable { .. } => "NotUnicodeVariable",
            Self::Variable { .. } => "Variable",
            Self::FileUnreadable { .. } => "FileUnreadable",
            Self::FilePermissions { .. } => "FilePermissions",
            Self::FileTooLarge { .. } => "FileTooLarge",
            Self::FileNotUtf8 => "FileNotUtf8",
            Self::Random => "Random",
        }
    }
}

/// The wrapped error is part of the message (`Display`), so `source()` is
/// `None`: error reporters would otherwise print it twice.
impl std::error::Error for KeyError {}

/// Why [`Sealer::replace_keyring`](crate::Sealer::replace_keyring) refused
/// a new keyring: the swap would leave values this server sealed a moment
/// ago unable to open, logging their sessions out.
///
/// The running keyring is kept. To rotate without logging anyone out, go
/// through the steps of SECURITY.md ("Key rotation"): add, promote, and drop
/// the old key only after the absolute lifetime.
///
/// ```
/// use sealed_session::{Key, KeyId, Keyring, KeyringSwapError, Sealer};
///
/// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// // Key 2 promoted and key 1 dropped in one step: refused.
/// let err = sealer.replace_keyring(Keyring::new(KeyId::new(2), Key::generate()));
/// assert_eq!(err, Err(KeyringSwapError::PrimaryMissing { id: KeyId::new(1) }));
/// assert_eq!(sealer.keyring().primary_id(), KeyId::new(1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyringSwapError {
    /// The new keyring lacks the running primary key, which sealed every
    /// value this server issued until now.
    PrimaryMissing {
        /// The id of the running primary key.
        id: crate::KeyId,
    },
    /// The new keyring holds other key bytes under an id of the running
    /// keyring: values sealed under that id would fail authentication.
    KeyChanged {
        /// The id whose key differs.
        id: crate::KeyId,
    },
}

impl fmt::Display for KeyringSwapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PrimaryMissing { id } => write!(
                f,
                "new keyring lacks the running primary key {id}; add and promote a key before dropping the old one"
            ),
            Self::KeyChanged { id } => write!(
                f,
                "new keyring holds different key bytes under the running key id {id}"
            ),
        }
    }
}

impl std::error::Error for KeyringSwapError {}

/// Why a reload of a key file did not change the running keyring, or why a
/// [`KeyFileReloader`](crate::KeyFileReloader) could not start. In every case
/// the running keyring is kept.
#[cfg(feature = "reload")]
#[cfg_attr(docsrs, doc(cfg(feature = "reload")))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReloadError {
    /// The key file could not be read, or does not hold a valid keyring.
    Key(KeyError),
    /// The keyring in the file would log sessions out; see
    /// [`Sealer::replace_keyring`](crate::Sealer::replace_keyring).
    Swap(KeyringSwapError),
    /// The reloader was started outside a tokio runtime.
    NoRuntime,
    /// The reloader has neither SIGHUP nor an interval to reload on.
    NoTrigger,
    /// The SIGHUP listener could not be installed (or the platform has no
    /// SIGHUP: [`std::io::ErrorKind::Unsupported`]).
    Signal {
        /// What the operating system reported.
        kind: std::io::ErrorKind,
    },
}

#[cfg(feature = "reload")]
impl fmt::Display for ReloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(e) => write!(f, "key file not loaded: {e}"),
            Self::Swap(e) => write!(f, "key file not applied: {e}"),
            Self::NoRuntime => f.write_str("key file reloader needs a tokio runtime"),
            Self::NoTrigger => {
                f.write_str("key file reloader needs SIGHUP or an interval to reload on")
            }
            Self::Signal { kind } => write!(f, "SIGHUP listener not installed: {kind}"),
        }
    }
}

#[cfg(feature = "reload")]
impl std::error::Error for ReloadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Key(e) => Some(e),
            Self::Swap(e) => Some(e),
            _ => None,
        }
    }
}

/// An error found while building a [`Sealer`](crate::Sealer) configuration.
///
/// A configuration is checked once, when it is built: a built configuration
/// is always valid.
///
/// ```
/// use sealed_session::{ConfigError, Key, Keyring, KeyId, Sealer};
///
/// let keyring = Keyring::new(KeyId::new(1), Key::generate());
/// let err = Sealer::builder(keyring).with_cookie_name("bad name").build();
/// assert_eq!(err.err(), Some(ConfigError::InvalidCookieName));
/// ```
///
/// Like [`KeyError`], both `Display` and `Debug` read as a sentence; `Debug`
/// ends with the variant in parentheses.
///
/// ```
/// use sealed_session::ConfigError;
///
/// assert_eq!(
///     format!("{:?}", ConfigError::SameSiteNoneRequiresSecure),
///     "SameSite=None requires Secure (ConfigError::SameSiteNoneRequiresSecure)"
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The cookie name is empty or contains a character that RFC 6265 does
    /// not allow in a cookie name (separators, white space, controls,
    /// non-ASCII).
    InvalidCookieName,
    /// A lifetime is zero, or too long to be represented in Unix seconds.
    InvalidLifetime,
    /// The size limit leaves no room for the smallest possible cookie.
    LimitTooSmall {
        /// The smallest limit that holds an empty payload with this name at
        /// any timestamps.
        minimum: usize,
    },
    /// A session cookie limit above 4096 bytes: browsers would silently
    /// drop such cookies.
    LimitTooLarge {
        /// The largest limit allowed.
        maximum: usize,
    },
    /// A `__Host-` cookie name needs `Secure`, `Path=/` and no `Domain`.
    HostPrefixRequirements,
    /// A `__Secure-` cookie name needs `Secure`.
    SecurePrefixRequiresSecure,
    /// `SameSite=None` needs `Secure`.
    SameSiteNoneRequiresSecure,
    /// `Partitioned` needs `Secure`.
    PartitionedRequiresSecure,
    /// The `Domain` value is not a host name of ASCII letters, digits, `-`
    /// and `.`, or is longer than 1024 bytes.
    InvalidDomain,
    /// The `Path` value does not start with `/`, contains `;` or a
    /// non-printable or non-ASCII character, or is longer than 1024 bytes.
    InvalidPath,
    /// The rolling refresh percentage is outside 1 to 99.
    InvalidRolling,
    /// The chunk limit is outside 2 to 9, or the cookie size limit leaves
    /// no room for chunks.
    InvalidChunking,
    /// A type named by a migration has no [fingerprint](crate::Fingerprint)
    /// (configure a schema name for it).
    UnsupportedType(SchemaError),
    /// Two migrations start from the same type fingerprint, or one ends
    /// where it starts.
    AmbiguousMigration,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidCookieName => f.write_str(
                "cookie name must be a non-empty RFC 6265 token (ASCII, no separators, spaces or controls)",
            ),
            Self::InvalidLifetime => f.write_str(
                "lifetime must be at least one second and at most 100 years",
            ),
            Self::LimitTooSmall { minimum } => write!(
                f,
                "cookie size limit is too small, expected at least {minimum} bytes"
            ),
            Self::LimitTooLarge { maximum } => write!(
                f,
                "cookie size limit is larger than browsers keep, expected at most {maximum} bytes"
            ),
            Self::HostPrefixRequirements => f.write_str(
                "a __Host- cookie name requires Secure, Path=/ and no Domain",
            ),
            Self::SecurePrefixRequiresSecure => {
                f.write_str("a __Secure- cookie name requires Secure")
            }
            Self::SameSiteNoneRequiresSecure => f.write_str("SameSite=None requires Secure"),
            Self::PartitionedRequiresSecure => f.write_str("Partitioned requires Secure"),
            Self::InvalidDomain => f.write_str(
                "cookie domain must be an ascii host name of at most 1024 bytes",
            ),
            Self::InvalidPath => f.write_str(
                "cookie path must start with '/', hold printable ascii without ';', and be at most 1024 bytes",
            ),
            Self::InvalidRolling => {
                f.write_str("rolling refresh percentage must be between 1 and 99")
            }
            Self::InvalidChunking => f.write_str("chunk limit must be between 2 and 9"),
            Self::UnsupportedType(err) => write!(f, "migration type has no fingerprint: {err}"),
            Self::AmbiguousMigration => f.write_str(
                "two migrations start from the same type, or a migration ends where it starts",
            ),
        }
    }
}

impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            Self::InvalidCookieName => "InvalidCookieName",
            Self::InvalidLifetime => "InvalidLifetime",
            Self::LimitTooSmall { .. } => "LimitTooSmall",
            Self::LimitTooLarge { .. } => "LimitTooLarge",
            Self::HostPrefixRequirements => "HostPrefixRequirements",
            Self::SecurePrefixRequiresSecure => "SecurePrefixRequiresSecure",
            Self::SameSiteNoneRequiresSecure => "SameSiteNoneRequiresSecure",
            Self::PartitionedRequiresSecure => "PartitionedRequiresSecure",
            Self::InvalidDomain => "InvalidDomain",
            Self::InvalidPath => "InvalidPath",
            Self::InvalidRolling => "InvalidRolling",
            Self::InvalidChunking => "InvalidChunking",
            Self::UnsupportedType(_) => "UnsupportedType",
            Self::AmbiguousMigration => "AmbiguousMigration",
        };
        write!(f, "{self} (ConfigError::{variant})")
    }
}

impl std::error::Error for ConfigError {}

/// An error found while sealing a payload into a cookie value.
///
/// ```
/// use sealed_session::{Key, Keyring, KeyId, SealError, Sealer};
///
/// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let huge = vec![7u8; 5000];
/// match sealer.seal(&huge) {
///     Err(SealError::TooLarge { actual, limit }) => assert!(actual > limit),
///     other => panic!("expected TooLarge, got {other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// The cookie (name plus value) would be larger than the configured limit.
    /// Nothing is truncated: the application must store less.
    TooLarge {
        /// The size the cookie would have, name plus value, in bytes.
        actual: usize,
        /// The configured limit, name plus value, in bytes.
        limit: usize,
    },
    /// The payload could not be serialized with postcard (for example a map
    /// or sequence whose length is not known in advance).
    Serialize,
    /// The session has passed its absolute expiry or idle deadline and
    /// cannot be sealed again.
    Expired,
    /// A timestamp would not fit in 64-bit Unix seconds.
    TimeOverflow,
    /// The operating system's random number generator failed.
    Random,
    /// The payload type has no [fingerprint](crate::Fingerprint): it cannot
    /// be traced, and no schema name was configured for it.
    UnsupportedType(SchemaError),
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { actual, limit } => write!(
                f,
                "sealed cookie would be {actual} bytes, over the limit of {limit} bytes"
            ),
            Self::Serialize => f.write_str("session payload could not be serialized"),
            Self::Expired => f.write_str("session is past its absolute expiry or idle deadline"),
            Self::TimeOverflow => f.write_str("timestamp does not fit in 64-bit unix seconds"),
            Self::Random => f.write_str("operating system random number generator failed"),
            Self::UnsupportedType(err) => write!(f, "session type has no fingerprint: {err}"),
        }
    }
}

impl std::error::Error for SealError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::UnsupportedType(err) => Some(err),
            _ => None,
        }
    }
}

/// Why a cookie value did not open.
///
/// # Security
///
/// Treat every `OpenError` the same way: as "no session". The variants exist
/// for logs and metrics only; never show them to the client or branch on them
/// in a way the client can observe. The variants before authentication
/// ([`TooLarge`](Self::TooLarge), [`Malformed`](Self::Malformed),
/// [`UnsupportedVersion`](Self::UnsupportedVersion),
/// [`UnknownKeyId`](Self::UnknownKeyId),
/// [`AuthenticationFailed`](Self::AuthenticationFailed)) say something about
/// arbitrary client input; the ones after authentication say something about
/// a value this application sealed itself
/// ([`OpenError::is_authenticated`]).
///
/// ```
/// use sealed_session::{Key, Keyring, KeyId, OpenError, Sealer};
///
/// let sealer = Sealer::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let err = sealer.open::<u32>("not a sealed value").unwrap_err();
/// assert_eq!(err, OpenError::Malformed);
/// assert!(!err.is_authenticated());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenError {
    /// The cookie (name plus value) is longer than the configured limit; it
    /// was rejected before any decoding.
    TooLarge {
        /// The size of the cookie, name plus value, in bytes.
        actual: usize,
        /// The configured limit, name plus value, in bytes.
        limit: usize,
    },
    /// The value is not strict base64url without padding, or too short to
    /// hold a sealed envelope.
    Malformed,
    /// The format version byte is not one this build can open.
    UnsupportedVersion,
    /// The key id named by the value is not in the keyring (a retired key,
    /// or a forgery). No decryption was attempted.
    UnknownKeyId,
    /// The authentication tag did not verify: wrong key, wrong cookie name,
    /// or a modified value.
    AuthenticationFailed,
    /// The session is past its absolute expiry.
    Expired,
    /// The session was inactive for longer than the idle timeout.
    IdleTimeout,
    /// The session was issued (or last active) further in the future than the
    /// clock-skew allowance permits.
    IssuedInFuture,
    /// The authenticated timestamps contradict each other (for example an
    /// expiry before the issue time).
    InvalidTimestamps,
    /// The authenticated payload does not decode as the requested type, or
    /// has bytes left over after it.
    PayloadMismatch,
    /// The value was sealed as another type: its authenticated type
    /// [fingerprint](crate::Fingerprint) is not the one of the type asked
    /// for (and, in the session layer, no migration starts from it). The
    /// payload was not decoded.
    SchemaMismatch,
    /// The type asked for has no [fingerprint](crate::Fingerprint): it
    /// cannot be traced, and no schema name was configured for it. Nothing
    /// was decoded; this is a programming error, not bad input.
    UnsupportedType(SchemaError),
    /// The session was issued before the configured not-before instant, or
    /// the application's revocation check refused it.
    Revoked,
    /// A chunked session's cookies do not fit together: a chunk is
    /// missing, duplicated, or one more than announced is present.
    ChunksMismatch,
}

impl OpenError {
    /// Whether the value was authenticated before this error was found: the
    /// value was sealed with one of our keys, and is refused for its contents
    /// (expiry, timestamps, payload type) rather than as garbage or forgery.
    ///
    /// ```
    /// use sealed_session::OpenError;
    ///
    /// assert!(OpenError::Expired.is_authenticated());
    /// assert!(!OpenError::AuthenticationFailed.is_authenticated());
    /// ```
    #[must_use]
    pub fn is_authenticated(&self) -> bool {
        matches!(
            self,
            Self::Expired
                | Self::IdleTimeout
                | Self::IssuedInFuture
                | Self::InvalidTimestamps
                | Self::PayloadMismatch
                | Self::SchemaMismatch
                | Self::Revoked
        )
    }

    /// The variant's name in snake case, as the test vectors write outcomes
    /// (`"expired"`, `"unknown_key_id"`): a stable label for logs and
    /// metrics.
    ///
    /// ```
    /// use sealed_session::OpenError;
    ///
    /// assert_eq!(OpenError::AuthenticationFailed.as_str(), "authentication_failed");
    /// assert_eq!(OpenError::TooLarge { actual: 5000, limit: 4096 }.as_str(), "too_large");
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::Malformed => "malformed",
            Self::UnsupportedVersion => "unsupported_version",
            Self::UnknownKeyId => "unknown_key_id",
            Self::AuthenticationFailed => "authentication_failed",
            Self::Expired => "expired",
            Self::IdleTimeout => "idle_timeout",
            Self::IssuedInFuture => "issued_in_future",
            Self::InvalidTimestamps => "invalid_timestamps",
            Self::PayloadMismatch => "payload_mismatch",
            Self::Revoked => "revoked",
            Self::ChunksMismatch => "chunks_mismatch",
            Self::SchemaMismatch => "schema_mismatch",
            Self::UnsupportedType(_) => "unsupported_type",
        }
    }
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { actual, limit } => write!(
                f,
                "cookie is {actual} bytes, over the limit of {limit} bytes"
            ),
            Self::Malformed => f.write_str("cookie value is not a base64url sealed envelope"),
            Self::UnsupportedVersion => {
                f.write_str("cookie value has an unsupported format version")
            }
            Self::UnknownKeyId => f.write_str("cookie value names a key id not in the keyring"),
            Self::AuthenticationFailed => f.write_str("cookie value failed authentication"),
            Self::Expired => f.write_str("session is past its absolute expiry"),
            Self::IdleTimeout => f.write_str("session was idle for longer than the idle timeout"),
            Self::IssuedInFuture => {
                f.write_str("session timestamps are in the future beyond the allowed clock skew")
            }
            Self::InvalidTimestamps => f.write_str("session timestamps are inconsistent"),
            Self::PayloadMismatch => {
                f.write_str("session payload does not decode as the expected type")
            }
            Self::SchemaMismatch => {
                f.write_str("session was sealed as another type (type fingerprint differs)")
            }
            Self::UnsupportedType(err) => write!(f, "session type has no fingerprint: {err}"),
            Self::Revoked => f.write_str("session was revoked"),
            Self::ChunksMismatch => {
                f.write_str("session cookie chunks are missing, duplicated or extra")
            }
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::UnsupportedType(err) => Some(err),
            _ => None,
        }
    }
}

/// Why a type has no [fingerprint](crate::Fingerprint).
///
/// The fingerprint is traced from the type's `Deserialize` implementation.
/// What postcard cannot decode (anything that needs `deserialize_any`) cannot
/// be traced either; a type whose `Deserialize` refuses placeholder values
/// cannot be traced. Such a type needs a schema name:
/// [`SealerBuilder::with_schema_name`](crate::SealerBuilder::with_schema_name)
/// or [`SessionConfigBuilder::with_schema_name`](crate::SessionConfigBuilder::with_schema_name).
///
/// ```
/// use serde::Deserialize;
/// use sealed_session::{Fingerprint, SchemaError};
///
/// #[derive(Deserialize)]
/// #[serde(untagged)]
/// # #[allow(dead_code)]
/// enum Either { Number(u64), Text(String) }
///
/// assert_eq!(Fingerprint::of::<Either>().err(), Some(SchemaError::SelfDescribing));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// The type needs a self-describing format (`deserialize_any`,
    /// `deserialize_identifier` or `deserialize_ignored_any`): untagged,
    /// internally or adjacently tagged enums, flattened fields,
    /// `serde_json::Value`. postcard cannot decode such types either.
    SelfDescribing,
    /// The type (or a type inside it) has no finite value, or it is an
    /// enum without variants.
    NoFiniteValue {
        /// The serde name of the type.
        type_name: &'static str,
    },
    /// Two different types inside the payload type have the same serde
    /// name; rename one with `#[serde(rename = "...")]`.
    NameConflict {
        /// The serde name used twice.
        type_name: &'static str,
    },
    /// A hand-written `Deserialize` asked for a number of elements other
    /// than the struct or tuple it declared.
    Unsupported,
    /// The type's `Deserialize` refused the placeholder values of the trace
    /// (for example a validating `try_from` conversion).
    Rejected,
    /// The type has too many enum variants nested in one another to be
    /// traced in reasonable time.
    TooComplex,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SelfDescribing => f.write_str(
                "type needs a self-describing format (untagged, internally tagged or flattened); configure a schema name",
            ),
            Self::NoFiniteValue { type_name } => {
                write!(f, "type {type_name} has no finite value; configure a schema name")
            }
            Self::NameConflict { type_name } => write!(
                f,
                "two different types are named {type_name}; rename one or configure a schema name"
            ),
            Self::Unsupported => f.write_str(
                "type deserializes a different number of elements than it declares; configure a schema name",
            ),
            Self::Rejected => f.write_str(
                "type refused the placeholder values of the trace; configure a schema name",
            ),
            Self::TooComplex => {
                f.write_str("type is too complex to trace; configure a schema name")
            }
        }
    }
}

impl std::error::Error for SchemaError {}

/// Why a CSRF token was refused.
///
/// ```
/// use sealed_session::{CsrfError, Key, KeyId, Keyring, SessionConfig};
///
/// let config = SessionConfig::builder(Keyring::new(KeyId::new(1), Key::generate())).build()?;
/// let mut session = config.new_session::<()>();
/// assert_eq!(session.verify_csrf("anything"), Err(CsrfError::NoSession));
/// let token = session.csrf_token()?;
/// assert_eq!(session.verify_csrf(&token), Ok(()));
/// assert_eq!(session.verify_csrf("AAAA"), Err(CsrfError::Malformed));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CsrfError {
    /// The request has no session, so no token can be valid.
    NoSession,
    /// The token is not 43 characters of strict base64url.
    Malformed,
    /// The token belongs to another session, or to this session before it
    /// was regenerated.
    Mismatch,
}

impl fmt::Display for CsrfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSession => f.write_str("no session to check the csrf token against"),
            Self::Malformed => f.write_str("csrf token is not 43 characters of base64url"),
            Self::Mismatch => f.write_str("csrf token does not belong to this session"),
        }
    }
}

impl std::error::Error for CsrfError {}
