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
            Self::Random => "Random",
        }
    }
}

/// The wrapped error is part of the message (`Display`), so `source()` is
/// `None`: error reporters would otherwise print it twice.
impl std::error::Error for KeyError {}

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
        }
    }
}

impl std::error::Error for SealError {}

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
            Self::Revoked => f.write_str("session was revoked"),
            Self::ChunksMismatch => {
                f.write_str("session cookie chunks are missing, duplicated or extra")
            }
        }
    }
}

impl std::error::Error for OpenError {}

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
