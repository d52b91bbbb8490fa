//! Prints a new session key and ready `SESSION_KEYS` lines.
//!
//! ```sh
//! cargo run --example keygen                       # a new key, id = today (YYYYMMDD)
//! cargo run --example keygen -- --id 7             # a new key with id 7
//! SESSION_KEYS="$OLD" cargo run --example keygen   # and the two rotation steps
//! cargo run --example keygen -- --ring "$OLD"      # the same, ring given as argument
//! ```
//!
//! With an existing ring (from `--ring` or the `SESSION_KEYS` environment
//! variable), it also prints the two lines of a rolling rotation
//! (SECURITY.md, "Key rotation"): first the new key added at the end (opens,
//! does not seal), then the new key promoted to the front (seals).
//!
//! The output holds secret keys: send it to your secret store, not to a log.

use std::process::ExitCode;

use sealed_session::{Key, KeyError, KeyId, Keyring};

const USAGE: &str = "usage: keygen [--id N] [--ring LINE]  (LINE defaults to $SESSION_KEYS)";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("keygen: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut id = None;
    let mut ring_line = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--id" => {
                let text = args.next().ok_or(USAGE)?;
                let parsed = text.parse::<KeyId>().map_err(|_| {
                    format!("--id {text:?} is not a decimal number up to 4294967295 without leading zeros")
                })?;
                id = Some(parsed);
            }
            "--ring" => ring_line = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => return Err(format!("unknown argument {arg:?}\n{USAGE}")),
        }
    }
    // Read the existing ring first: a bad one is reported before any key is made.
    let ring = match ring_line {
        Some(line) => Some(Keyring::parse(&line).map_err(|e| format!("--ring: {e}"))?),
        None if std::env::var_os("SESSION_KEYS").is_some() => {
            Some(Keyring::from_env("SESSION_KEYS").map_err(|e| format!("SESSION_KEYS: {e}"))?)
        }
        None => None,
    };
    let id = match id {
        Some(id) => id,
        None => today()?,
    };
    let key = Key::try_generate().map_err(|e| e.to_string())?;
    let text = key.to_base64();
    // The rotation lines are made before anything is printed, so an error
    // (such as an id already in the ring) prints no key.
    let rotation = match ring {
        Some(ring) => {
            let explain = |e: KeyError| match e {
                KeyError::DuplicateId { .. } => format!("{e}; choose another id with --id N"),
                _ => e.to_string(),
            };
            let copy = Key::from_base64(&text).map_err(|e| e.to_string())?;
            let step1 = ring.with_old_key(id, copy).map_err(explain)?;
            let step2 = step1.clone().with_primary(id).map_err(explain)?;
            Some((step1.to_line(), step2.to_line()))
        }
        None => None,
    };
    println!("# New key, id {id} (32 random bytes, base64url):");
    println!("{}", text.as_str());
    println!("# A keyring with only this key (a new deployment):");
    println!(
        "SESSION_KEYS=\"{}\"",
        Keyring::new(id, key).to_line().as_str()
    );
    if let Some((step1, step2)) = rotation {
        println!();
        println!(
            "# Rotation to key {id}, without logging anyone out (SECURITY.md, \"Key rotation\"):"
        );
        println!("# 1. Deploy this line to every server: the new key opens sessions, none seals with it yet.");
        println!("SESSION_KEYS=\"{}\"", step1.as_str());
        println!("# 2. Once all run step 1, deploy this: the new key seals; older sessions are re-sealed on their next request.");
        println!("SESSION_KEYS=\"{}\"", step2.as_str());
        println!(
            "# 3. After the longest absolute session lifetime, drop the old keys from the line."
        );
    }
    Ok(())
}

/// Today's date (UTC) as a key id such as 20261129.
fn today() -> Result<KeyId, String> {
    let date = time::OffsetDateTime::now_utc().date();
    let year = u32::try_from(date.year()).map_err(|_| "the system clock is before year 0")?;
    let number = year * 10_000 + u32::from(u8::from(date.month())) * 100 + u32::from(date.day());
    Ok(KeyId::new(number))
}
