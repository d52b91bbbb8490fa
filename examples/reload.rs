//! A visit counter whose session keys come from a key file, reloaded on
//! SIGHUP and every 60 seconds: a key rotation is a change of the file, with
//! no restart and nobody logged out (SECURITY.md, "Rotation without a
//! redeploy").
//!
//! ```sh
//! umask 077   # the key file must be readable by its owner only
//! printf '1:%s\n' "$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n')" > keys
//! cargo run --example reload --features "reload axum" -- keys
//! # in another terminal: change the file (add, promote, drop), then
//! kill -HUP "$(pgrep -f 'examples/reload')"
//! ```
//!
//! `ADDR` sets the address (default `127.0.0.1:3000`). Every reload is
//! reported on standard error with the key ids before and after; a bad file
//! is reported and the running keys are kept.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use sealed_session::integrations::axum::{SessionHandle, SessionLayer};
use sealed_session::{KeyFileReloader, Keyring, ReloadError, Reloaded, SessionConfig};
use serde::{Deserialize, Serialize};

/// What the example keeps in the cookie.
#[derive(Serialize, Deserialize, Default)]
struct Visits {
    count: u32,
}

/// Counts one visit: the session changes, so every response re-seals it
/// with the primary key of the moment.
async fn visit(session: SessionHandle<Visits>) -> String {
    let count = session.update(|visits| {
        visits.count += 1;
        visits.count
    });
    format!("visit {count}\n")
}

/// The application: `GET /` counts visits in the session.
pub(crate) fn app(config: SessionConfig) -> Router {
    Router::new()
        .route("/", get(visit))
        .layer(SessionLayer::<Visits>::new(config))
}

/// Loads the key file at `path` and starts reloading it into the returned
/// configuration on SIGHUP (and every `interval`, if any), passing each
/// outcome to `report`. Needs a tokio runtime.
pub(crate) fn start(
    path: &Path,
    interval: Option<Duration>,
    report: impl FnMut(&Result<Reloaded, ReloadError>) + Send + 'static,
) -> Result<SessionConfig, Box<dyn std::error::Error>> {
    let config = SessionConfig::builder(Keyring::from_file(path)?).build()?;
    let reloader = KeyFileReloader::new(config.sealer(), path);
    let reloader = match interval {
        Some(every) => reloader.with_interval(every),
        None => reloader,
    };
    reloader.spawn(report)?;
    Ok(config)
}

/// Writes one reload's outcome to standard error: key ids only.
fn report(result: &Result<Reloaded, ReloadError>) {
    match result {
        Ok(done) if done.is_changed() => eprintln!(
            "session keys reloaded: {:?} -> {:?}",
            done.previous_ids(),
            done.current_ids()
        ),
        Ok(_) => {}
        Err(err) => eprintln!("session keys not reloaded, the running keys stay: {err}"),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: reload KEY_FILE");
        return ExitCode::FAILURE;
    };
    match serve(Path::new(&path)).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("reload: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let config = start(path, Some(Duration::from_secs(60)), report)?;
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app(config)).await?;
    Ok(())
}
