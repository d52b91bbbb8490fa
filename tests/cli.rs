//! The `sealed-session` command, run as a user runs it: the built binary,
//! with the keyring line in an environment variable or on standard input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use sealed_session::{Key, KeyId, Keyring};

const BIN: &str = env!("CARGO_BIN_EXE_sealed-session");

/// Runs the command with `args`, `SESSION_KEYS` set to `keys` (or unset),
/// and `stdin` on standard input.
fn run(args: &[&str], keys: Option<&str>, stdin: &str) -> Output {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("SESSION_KEYS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(keys) = keys {
        command.env("SESSION_KEYS", keys);
    }
    let mut child = command.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr_of_failure(out: &Output) -> String {
    assert!(!out.status.success(), "succeeded");
    assert!(out.stdout.is_empty(), "a failure printed {:?}", out.stdout);
    String::from_utf8(out.stderr.clone()).unwrap()
}

/// The values of the `NAME=…` lines of the output, in order.
fn assignments<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            l.strip_prefix(name)
                .and_then(|l| l.strip_prefix('='))
                .unwrap_or_else(|| panic!("unexpected line {l:?}"))
        })
        .collect()
}

fn ids(ring: &Keyring) -> Vec<u32> {
    ring.ids().map(KeyId::get).collect()
}

fn line(entries: &[u32]) -> String {
    entries
        .iter()
        .map(|id| format!("{id}:{}", Key::generate().to_base64().as_str()))
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn keygen_prints_one_line_the_crate_reads() {
    let text = stdout(&run(&["keygen"], None, ""));
    let lines = assignments(&text, "SESSION_KEYS");
    assert_eq!(lines.len(), 1);
    let ring = Keyring::parse(lines[0]).unwrap();
    assert_eq!(ring.len(), 1);
    // Today's date as YYYYMMDD.
    assert!((20_000_101..=99_991_231).contains(&ring.primary_id().get()));

    let text = stdout(&run(
        &["keygen", "--id", "7", "--var", "APP_KEYS"],
        None,
        "",
    ));
    let lines = assignments(&text, "APP_KEYS");
    assert_eq!(ids(&Keyring::parse(lines[0]).unwrap()), [7]);
}

#[test]
fn keygen_avoids_the_ids_of_the_ring_in_the_environment() {
    // The ring holds an id above any date: the new key takes the next one.
    let existing = line(&[99_999_999, 3]);
    let text = stdout(&run(&["keygen"], Some(&existing), ""));
    let ring = Keyring::parse(assignments(&text, "SESSION_KEYS")[0]).unwrap();
    assert_eq!(ids(&ring), [100_000_000]);
    // An id asked for that is taken is refused, with no key printed.
    let err = stderr_of_failure(&run(&["keygen", "--id", "3"], Some(&existing), ""));
    assert!(err.contains("key id 3 is already in SESSION_KEYS"), "{err}");
}

#[test]
fn rotate_prints_add_promote_and_drop() {
    let current = line(&[5, 2]);
    let text = stdout(&run(&["rotate", "--id", "9"], Some(&current), ""));
    let steps: Vec<Keyring> = assignments(&text, "SESSION_KEYS")
        .into_iter()
        .map(|l| Keyring::parse(l).unwrap())
        .collect();
    assert_eq!(
        steps.iter().map(ids).collect::<Vec<_>>(),
        [vec![5, 2, 9], vec![9, 5, 2], vec![9]]
    );
    // The existing keys are carried over unchanged, and every step holds the
    // same new key.
    assert!(steps[0].to_line().starts_with(current.as_str()));
    let new_key = |r: &Keyring| {
        r.to_line()
            .split(',')
            .find(|e| e.starts_with("9:"))
            .unwrap()
            .to_owned()
    };
    assert_eq!(new_key(&steps[0]), new_key(&steps[1]));
    assert_eq!(new_key(&steps[1]), *steps[2].to_line());
    assert!(
        text.contains("# 1. Add") && text.contains("# 2. Promote") && text.contains("# 3. Drop")
    );
}

/// The collision of the former keygen: two keys made on the same day.
#[test]
fn keys_made_on_one_day_never_collide() {
    let first = stdout(&run(&["keygen"], None, ""));
    let mut current = assignments(&first, "SESSION_KEYS")[0].to_owned();
    let mut seen = ids(&Keyring::parse(&current).unwrap());
    for _ in 0..3 {
        let text = stdout(&run(&["rotate"], Some(&current), ""));
        let promoted = assignments(&text, "SESSION_KEYS")[1].to_owned();
        let ring = Keyring::parse(&promoted).unwrap();
        let new = ring.primary_id().get();
        assert!(new > *seen.iter().max().unwrap(), "{new} after {seen:?}");
        seen.push(new);
        current = promoted;
    }
}

#[test]
fn rotate_reads_standard_input() {
    let current = line(&[1]);
    let text = stdout(&run(
        &["rotate", "--stdin", "--id", "2", "--var", "K"],
        None,
        &format!("{current}\n"),
    ));
    let lines = assignments(&text, "K");
    assert_eq!(ids(&Keyring::parse(lines[1]).unwrap()), [2, 1]);
}

#[test]
fn rotate_at_the_largest_id_asks_for_one() {
    let current = line(&[u32::MAX - 1]);
    let text = stdout(&run(&["rotate"], Some(&current), ""));
    let promoted = Keyring::parse(assignments(&text, "SESSION_KEYS")[1]).unwrap();
    assert_eq!(promoted.primary_id().get(), u32::MAX);

    let full = line(&[u32::MAX]);
    let err = stderr_of_failure(&run(&["rotate"], Some(&full), ""));
    assert!(err.contains("choose a free id with --id"), "{err}");
    let text = stdout(&run(&["rotate", "--id", "1"], Some(&full), ""));
    assert_eq!(assignments(&text, "SESSION_KEYS").len(), 3);
}

#[test]
fn refusals_name_the_variable_and_never_show_key_text() {
    let key = Key::generate().to_base64().to_string();
    // Missing: says where the line is read from.
    let err = stderr_of_failure(&run(&["rotate"], None, ""));
    assert!(
        err.contains("SESSION_KEYS is not set") && err.contains("--stdin"),
        "{err}"
    );
    // Quoted, as a docker env file keeps it.
    let err = stderr_of_failure(&run(&["rotate"], Some(&format!("\"1:{key}\"")), ""));
    assert!(
        err.contains("environment variable SESSION_KEYS") && err.contains("quotes"),
        "{err}"
    );
    assert!(!err.contains(&key[..8]), "{err}");
    // A keyring line given as an argument is refused and not echoed.
    let err = stderr_of_failure(&run(
        &["rotate", &format!("1:{key}")],
        Some(&line(&[1])),
        "",
    ));
    assert!(err.contains("never from the command line"), "{err}");
    assert!(!err.contains(&key[..8]), "{err}");
    // A taken id.
    let err = stderr_of_failure(&run(&["rotate", "--id", "4"], Some(&line(&[4])), ""));
    assert!(err.contains("key id 4 is already in SESSION_KEYS"), "{err}");
    // Usage mistakes.
    let err = stderr_of_failure(&run(&[], None, ""));
    assert!(err.contains("no command given"), "{err}");
    let err = stderr_of_failure(&run(&["keygen", "--idd"], None, ""));
    assert!(err.contains("unknown option --idd"), "{err}");
    let err = stderr_of_failure(&run(&["keygen", "--id", "07"], None, ""));
    assert!(err.contains("without leading zeros"), "{err}");
}

#[test]
fn help_and_version() {
    let text = stdout(&run(&["--help"], None, ""));
    assert!(text.contains("sealed-session keygen") && text.contains("sealed-session rotate"));
    let text = stdout(&run(&["--version"], None, ""));
    assert_eq!(
        text,
        format!("sealed-session {}\n", env!("CARGO_PKG_VERSION"))
    );
}
