//! [`KeyFileReloader`]: reloads a key file into a running [`Sealer`] on
//! SIGHUP, on an interval, or both (feature `reload`, on tokio).

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use crate::error::ReloadError;
use crate::key::KeyId;
use crate::keyring::Keyring;
use crate::seal::Sealer;

/// Reloads a key file ([`Keyring::from_file`]) into a running [`Sealer`]
/// (and so into every [`SessionConfig`](crate::SessionConfig) and framework
/// layer built on it), so that a rotation step is a change of the file: no
/// restart, no logouts.
///
/// Each reload reads the file and swaps its keyring in with
/// [`Sealer::replace_keyring`]. A file that cannot be read, does not parse,
/// is accessible to others, or holds a keyring that would strand values
/// sealed a moment ago changes nothing: the running keyring stays, and the
/// error is reported (to the callback of [`spawn`](Self::spawn), and with
/// the `tracing` feature as a warning). With `tracing`, every reload logs
/// the key ids before and after; key bytes are never logged.
///
/// Replace the file atomically (write a new file beside it, then rename it
/// over the old one, as Kubernetes does for mounted secrets): a reload that
/// meets a half-written file reports it and keeps the running keyring, and
/// the next one picks the whole file up.
///
/// ```no_run
/// use std::time::Duration;
/// use sealed_session::{KeyFileReloader, Keyring, SessionConfig};
///
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let path = "/run/secrets/session-keys";
/// let config = SessionConfig::builder(Keyring::from_file(path)?).build()?;
/// KeyFileReloader::new(config.sealer(), path)
///     .with_interval(Duration::from_secs(60))
///     .spawn(|result| {
///         if let Err(err) = result {
///             eprintln!("session keys: {err}");
///         }
///     })?;
/// // ... serve with `config` ...
/// # Ok(())
/// # }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "reload")))]
#[derive(Debug, Clone)]
#[must_use]
pub struct KeyFileReloader {
    sealer: Sealer,
    path: PathBuf,
    on_sighup: bool,
    interval: Option<StdDuration>,
}

/// A reload that took effect: the key ids before and after, primary first.
#[cfg_attr(docsrs, doc(cfg(feature = "reload")))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    previous: Vec<KeyId>,
    current: Vec<KeyId>,
}

impl Reloaded {
    /// The ids of the replaced keyring, primary first.
    #[must_use]
    pub fn previous_ids(&self) -> &[KeyId] {
        &self.previous
    }

    /// The ids of the keyring now in use, primary first.
    #[must_use]
    pub fn current_ids(&self) -> &[KeyId] {
        &self.current
    }

    /// Whether the file held other keys than those already in use (the
    /// swap refuses other bytes under a running id, so equal ids mean equal
    /// keys).
    #[must_use]
    pub fn is_changed(&self) -> bool {
        self.previous != self.current
    }
}

impl KeyFileReloader {
    /// A reloader of the key file at `path` into `sealer` (a handle: the
    /// sealer and its clones share the keyring), on SIGHUP.
    pub fn new(sealer: &Sealer, path: impl Into<PathBuf>) -> Self {
        Self {
            sealer: sealer.clone(),
            path: path.into(),
            on_sighup: true,
            interval: None,
        }
    }

    /// Also reloads every `every`, for platforms or orchestrators that
    /// change the file without signalling the process (mounted secrets
    /// usually change this way).
    ///
    /// Default: no interval.
    pub fn with_interval(mut self, every: StdDuration) -> Self {
        self.interval = Some(every);
        self
    }

    /// Does not reload on SIGHUP (only on the interval).
    ///
    /// Default: reloads on SIGHUP.
    pub fn without_sighup(mut self) -> Self {
        self.on_sighup = false;
        self
    }

    /// The key file's path.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reloads the file now, once.
    ///
    /// # Errors
    ///
    /// [`ReloadError::Key`] if the file cannot be read or parsed,
    /// [`ReloadError::Swap`] if its keyring would log sessions out. The
    /// running keyring is kept in both cases.
    pub fn reload(&self) -> Result<Reloaded, ReloadError> {
        let result = self.try_reload();
        #[cfg(feature = "tracing")]
        self.log(&result);
        result
    }

    /// Reloads on every SIGHUP and interval tick, in a task on the current
    /// tokio runtime, passing each outcome to `report`; returns the task's
    /// handle (abort it to stop reloading). The SIGHUP listener is in place
    /// when this returns.
    ///
    /// # Errors
    ///
    /// [`ReloadError::NoRuntime`] outside a tokio runtime,
    /// [`ReloadError::NoTrigger`] without SIGHUP or an interval,
    /// [`ReloadError::Signal`] if the SIGHUP listener cannot be installed
    /// (on platforms without SIGHUP, use [`without_sighup`](Self::without_sighup)).
    ///
    /// # Panics
    ///
    /// As tokio does, if the runtime lacks its I/O driver (for SIGHUP) or
    /// its time driver (for the interval); `#[tokio::main]` and
    /// `Builder::enable_all` enable both.
    pub fn spawn<F>(self, mut report: F) -> Result<tokio::task::JoinHandle<()>, ReloadError>
    where
        F: FnMut(&Result<Reloaded, ReloadError>) + Send + 'static,
    {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| ReloadError::NoRuntime)?;
        if !self.on_sighup && self.interval.is_none() {
            return Err(ReloadError::NoTrigger);
        }
        let mut hangups = if self.on_sighup {
            Some(hangup_listener()?)
        } else {
            None
        };
        let mut ticks = self.interval.map(|every| {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks
        });
        Ok(runtime.spawn(async move {
            loop {
                tokio::select! {
                    received = next_hangup(&mut hangups) => {
                        if !received {
                            // No more signals will come: keep the interval.
                            hangups = None;
                            if ticks.is_none() {
                                return;
                            }
                            continue;
                        }
                    }
                    () = next_tick(&mut ticks) => {}
                }
                report(&self.reload());
            }
        }))
    }

    fn try_reload(&self) -> Result<Reloaded, ReloadError> {
        let ring = Keyring::from_file(&self.path).map_err(ReloadError::Key)?;
        let current = ring.ids().collect();
        let previous = self
            .sealer
            .swap_keyring(ring)
            .map_err(ReloadError::Swap)?
            .ids()
            .collect();
        Ok(Reloaded { previous, current })
    }

    /// Logs the outcome: key ids only, never key bytes.
    #[cfg(feature = "tracing")]
    fn log(&self, result: &Result<Reloaded, ReloadError>) {
        let path = self.path.display();
        match result {
            Ok(done) if done.is_changed() => tracing::info!(
                path = %path,
                previous = ?done.previous_ids(),
                current = ?done.current_ids(),
                "session keyring reloaded"
            ),
            Ok(done) => tracing::debug!(
                path = %path,
                current = ?done.current_ids(),
                "session keyring file unchanged"
            ),
            Err(err) => {
                let running: Vec<KeyId> = self.sealer.keyring().ids().collect();
                tracing::warn!(
                    path = %path,
                    running = ?running,
                    error = %err,
                    "session keyring not reloaded; the running keyring stays"
                );
            }
        }
    }
}

#[cfg(unix)]
type Hangups = tokio::signal::unix::Signal;

/// No SIGHUP outside Unix.
#[cfg(not(unix))]
type Hangups = core::convert::Infallible;

#[cfg(unix)]
fn hangup_listener() -> Result<Hangups, ReloadError> {
    use tokio::signal::unix::{signal, SignalKind};
    signal(SignalKind::hangup()).map_err(|e| ReloadError::Signal { kind: e.kind() })
}

#[cfg(not(unix))]
fn hangup_listener() -> Result<Hangups, ReloadError> {
    Err(ReloadError::Signal {
        kind: std::io::ErrorKind::Unsupported,
    })
}

/// Waits for the next SIGHUP; `false` once no more can come. Never ready
/// without a listener.
async fn next_hangup(hangups: &mut Option<Hangups>) -> bool {
    match hangups {
        #[cfg(unix)]
        Some(listener) => listener.recv().await.is_some(),
        #[cfg(not(unix))]
        Some(never) => match *never {},
        None => std::future::pending().await,
    }
}

/// Waits for the next interval tick; never ready without an interval.
async fn next_tick(ticks: &mut Option<tokio::time::Interval>) {
    match ticks {
        Some(ticks) => {
            ticks.tick().await;
        }
        None => std::future::pending().await,
    }
}
