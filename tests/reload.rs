//! The `reload` example as a real server on 127.0.0.1 (port 0): its key file
//! is rewritten through add, promote and drop, the process sends itself
//! SIGHUP, and each new primary key shows in the next `Set-Cookie`, with the
//! session kept. Bad files are reported and change nothing.
//!
//! Its own test binary: the SIGHUP goes to this whole process, whose only
//! SIGHUP listener is the example's reloader.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

#[allow(dead_code)]
#[path = "../examples/reload.rs"]
mod example;
// Shared with the integration tests, which use more of it.
#[allow(dead_code)]
#[path = "integration/files.rs"]
mod files;

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use sealed_session::{Key, KeyError, KeyId, Keyring, KeyringSwapError, ReloadError, Reloaded};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use files::{replace_file, TempDir};

const NAME: &str = "__Host-session";
/// The longest wait for one reload's report; a reload takes microseconds.
const REPORT_TIMEOUT: Duration = Duration::from_secs(10);

fn id(n: u32) -> KeyId {
    KeyId::new(n)
}

/// A subscriber for the whole process, installed by every test before
/// anything logs (a subscriber installed while other threads log may miss
/// events: tracing caches each call site's interest when first hit).
#[cfg(feature = "tracing")]
mod logs {
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex, OnceLock};

    type Lines = Arc<Mutex<Vec<String>>>;

    /// Records every event as one line of its level and fields.
    struct Capture(Lines);

    struct Fields(String);

    impl tracing::field::Visit for Fields {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    impl tracing::Subscriber for Capture {
        fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
            tracing::span::Id::from_u64(1)
        }
        fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
        fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
        fn event(&self, event: &tracing::Event<'_>) {
            let mut fields = Fields(event.metadata().level().to_string());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
        fn enter(&self, _: &tracing::span::Id) {}
        fn exit(&self, _: &tracing::span::Id) {}
    }

    /// The lines logged by every test of this binary so far.
    pub(crate) fn capture() -> Lines {
        static LINES: OnceLock<Lines> = OnceLock::new();
        Arc::clone(LINES.get_or_init(|| {
            let lines = Lines::default();
            tracing::subscriber::set_global_default(Capture(Arc::clone(&lines)))
                .expect("the only global subscriber");
            lines
        }))
    }
}

/// Installs the process-wide log capture (with the `tracing` feature).
fn init_logs() {
    #[cfg(feature = "tracing")]
    logs::capture();
}

/// Sends SIGHUP to this process, through the system's `kill`.
fn sighup() {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// The next reload's outcome, waited for at most `REPORT_TIMEOUT`.
async fn next_report(
    reports: &mut UnboundedReceiver<Result<Reloaded, ReloadError>>,
) -> Result<Reloaded, ReloadError> {
    tokio::time::timeout(REPORT_TIMEOUT, reports.recv())
        .await
        .expect("a reload is reported in time")
        .expect("the reloader runs")
}

/// One visit with `cookie` (if any): the visit count in the body, and the
/// new session cookie value with the key id it was sealed under.
async fn visit(client: &reqwest::Client, url: &str, cookie: Option<&str>) -> (u32, String, KeyId) {
    let mut request = client.get(url);
    if let Some(value) = cookie {
        request = request.header(reqwest::header::COOKIE, format!("{NAME}={value}"));
    }
    let response = request.send().await.expect("answered");
    assert_eq!(response.status(), 200);
    let value = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find_map(|h| h.strip_prefix(&format!("{NAME}=")))
        .and_then(|rest| rest.split(';').next())
        .expect("a session Set-Cookie")
        .to_owned();
    let body = response.text().await.unwrap();
    let count = body
        .trim()
        .strip_prefix("visit ")
        .and_then(|n| n.parse().ok())
        .expect("a visit count");
    // FORMAT.md §2: version byte, then the key id as 4 big-endian bytes.
    let envelope = URL_SAFE_NO_PAD.decode(&value).unwrap();
    let key_id = KeyId::new(u32::from_be_bytes(envelope[1..5].try_into().unwrap()));
    (count, value, key_id)
}

#[tokio::test]
async fn the_example_reloads_its_key_file_on_sighup_and_keeps_every_session() {
    init_logs();
    let dir = TempDir::new("sighup");
    let path = dir.0.join("session-keys");
    let start = Keyring::new(id(1), Key::generate());
    let rotation = start.rotate_to(id(2), Key::generate()).unwrap();
    replace_file(&path, start.to_file_contents().as_bytes());

    let (sender, mut reports) = unbounded_channel();
    let config = example::start(&path, None, move |result| {
        let _ = sender.send(result.clone());
    })
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        axum::serve(listener, example::app(config)).await.unwrap();
    });
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(REPORT_TIMEOUT)
        .build()
        .unwrap();

    let (count, under_1, key) = visit(&client, &url, None).await;
    assert_eq!((count, key), (1, id(1)));

    // Add and promote key 2 in the file; key 1 still opens.
    replace_file(&path, rotation.promoted().to_file_contents().as_bytes());
    sighup();
    let done = next_report(&mut reports).await.unwrap();
    assert_eq!(done.previous_ids(), [id(1)]);
    assert_eq!(done.current_ids(), [id(2), id(1)]);
    let (count, under_2, key) = visit(&client, &url, Some(&under_1)).await;
    assert_eq!((count, key), (2, id(2)), "the session moved to key 2");

    // A file that does not parse, one others may read, and one that drops
    // the running primary: each reported, each changing nothing.
    let bad: [(Vec<u8>, u32, ReloadError); 3] = [
        (
            b"not a keyring\n".to_vec(),
            0o600,
            ReloadError::Key(KeyError::InvalidSyntax { entry: 1 }),
        ),
        (
            rotation.dropped().to_file_contents().as_bytes().to_vec(),
            0o644,
            ReloadError::Key(KeyError::FilePermissions { mode: 0o644 }),
        ),
        (
            Keyring::new(id(3), Key::generate())
                .to_file_contents()
                .as_bytes()
                .to_vec(),
            0o600,
            ReloadError::Swap(KeyringSwapError::PrimaryMissing { id: id(2) }),
        ),
    ];
    let mut latest = under_2;
    for (n, (contents, mode, expected)) in (0u32..).zip(bad) {
        replace_file(&path, &contents);
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
        sighup();
        assert_eq!(next_report(&mut reports).await, Err(expected));
        let (count, value, key) = visit(&client, &url, Some(&latest)).await;
        assert_eq!((count, key), (3 + n, id(2)));
        latest = value;
    }

    // Drop key 1: a value under it no longer opens (a new session starts),
    // values under key 2 do.
    replace_file(&path, rotation.dropped().to_file_contents().as_bytes());
    sighup();
    let done = next_report(&mut reports).await.unwrap();
    assert_eq!(done.current_ids(), [id(2)]);
    let (count, _, key) = visit(&client, &url, Some(&under_1)).await;
    assert_eq!((count, key), (1, id(2)), "key 1 dropped: a new session");
    let (count, _, _) = visit(&client, &url, Some(&latest)).await;
    assert_eq!(count, 6);

    // The same file again: reported, unchanged.
    sighup();
    let done = next_report(&mut reports).await.unwrap();
    assert!(!done.is_changed());

    server.abort();

    // Without SIGHUP, an interval picks the file up by itself.
    let quiet_dir = TempDir::new("interval");
    let quiet = quiet_dir.0.join("session-keys");
    replace_file(&quiet, start.to_file_contents().as_bytes());
    let (sender, mut reports) = unbounded_channel();
    let config = sealed_session::SessionConfig::builder(Keyring::from_file(&quiet).unwrap())
        .build()
        .unwrap();
    let ticker = sealed_session::KeyFileReloader::new(config.sealer(), &quiet)
        .without_sighup()
        .with_interval(Duration::from_millis(20))
        .spawn(move |result| {
            let _ = sender.send(result.clone());
        })
        .unwrap();
    replace_file(&quiet, rotation.added().to_file_contents().as_bytes());
    // Ticks before the rename report the unchanged file; wait, a bounded
    // number of times, for the one that sees the new file.
    let mut seen = None;
    for _ in 0..100 {
        let done = next_report(&mut reports).await.unwrap();
        if done.is_changed() {
            seen = Some(done);
            break;
        }
    }
    let done = seen.expect("the interval reload saw the new file");
    assert_eq!(done.current_ids(), [id(1), id(2)]);
    assert_eq!(
        config.sealer().keyring().ids().collect::<Vec<_>>(),
        [id(1), id(2)]
    );
    ticker.abort();
}

#[tokio::test]
async fn a_reloader_needs_a_trigger_and_no_trigger_is_refused() {
    init_logs();
    let config = sealed_session::SessionConfig::builder(Keyring::new(id(1), Key::generate()))
        .build()
        .unwrap();
    let err = sealed_session::KeyFileReloader::new(config.sealer(), "/nonexistent")
        .without_sighup()
        .spawn(|_| {})
        .unwrap_err();
    assert_eq!(err, ReloadError::NoTrigger);
    // A reload of a missing file reports it and keeps the keyring.
    let once = sealed_session::KeyFileReloader::new(config.sealer(), "/nonexistent/keys");
    assert_eq!(
        once.reload(),
        Err(ReloadError::Key(KeyError::FileUnreadable {
            kind: std::io::ErrorKind::NotFound
        }))
    );
    assert_eq!(config.sealer().keyring().primary_id(), id(1));
}

#[test]
fn outside_a_runtime_the_reloader_does_not_start() {
    init_logs();
    let config = sealed_session::SessionConfig::builder(Keyring::new(id(1), Key::generate()))
        .build()
        .unwrap();
    let err = sealed_session::KeyFileReloader::new(config.sealer(), "/nonexistent")
        .spawn(|_| {})
        .unwrap_err();
    assert_eq!(err, ReloadError::NoRuntime);
    assert_eq!(err.to_string(), "key file reloader needs a tokio runtime");
}

/// With the `tracing` feature, every reload logs the key ids before and
/// after (and, on failure, the running ids and the error), never key text.
#[cfg(feature = "tracing")]
#[test]
fn reloads_log_key_ids_and_never_key_bytes() {
    let logs = logs::capture();
    let dir = TempDir::new("tracing");
    let path = dir.0.join("session-keys");
    let start = Keyring::new(id(1), Key::generate());
    let rotation = start.rotate_to(id(2), Key::generate()).unwrap();
    replace_file(&path, start.to_file_contents().as_bytes());
    let config = sealed_session::SessionConfig::builder(Keyring::from_file(&path).unwrap())
        .build()
        .unwrap();
    let reloader = sealed_session::KeyFileReloader::new(config.sealer(), &path);

    replace_file(&path, rotation.promoted().to_file_contents().as_bytes());
    reloader.reload().unwrap();
    reloader.reload().unwrap();
    replace_file(&path, b"2:not-a-key\n");
    reloader.reload().unwrap_err();

    // Other tests log too: keep the lines about this test's file.
    let here = format!("path={}", path.display());
    let lines: Vec<String> = logs
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.contains(&here))
        .cloned()
        .collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(lines[0].starts_with("INFO"), "{}", lines[0]);
    assert!(
        lines[0].contains("previous=[KeyId(1)]")
            && lines[0].contains("current=[KeyId(2), KeyId(1)]"),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("DEBUG"), "{}", lines[1]);
    assert!(lines[2].starts_with("WARN"), "{}", lines[2]);
    assert!(
        lines[2].contains("running=[KeyId(2), KeyId(1)]")
            && lines[2].contains("keyring entry 1 has an invalid key"),
        "{}",
        lines[2]
    );
    let line = rotation.promoted().to_line();
    let all = lines.join("\n");
    for key_text in line
        .split(',')
        .filter_map(|e| e.split_once(':'))
        .map(|(_, k)| k)
    {
        for start in 0..key_text.len() - 8 {
            let window = &key_text[start..start + 8];
            assert!(!all.contains(window), "a log shows key text: {all}");
        }
    }
    assert!(!all.contains("not-a-key"));
}
