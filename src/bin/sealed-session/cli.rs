//! The `sealed-session` command: `keygen` and `rotate`.
//!
//! Shared by the installed binary (`cargo install sealed-session --features
//! cli`) and `examples/keygen.rs`. It only calls the library's public API.
//!
//! A keyring line is secret: it is read from an environment variable or
//! standard input, never from the command line (where `ps` and shell history
//! would show it), and no message repeats key text.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use sealed_session::{Key, KeyError, KeyId, Keyring};
use zeroize::Zeroizing;

/// The help text.
pub(crate) const USAGE: &str = "\
sealed-session: keys for sealed-session cookies

usage:
  sealed-session keygen [--id N] [--var NAME]
      prints a new key and a keyring line holding only that key
  sealed-session rotate [--id N] [--var NAME] [--stdin]
      reads the current keyring line from $NAME (default SESSION_KEYS), or
      from standard input with --stdin, and prints the three lines of a
      rotation to a new key: add, promote, drop

options:
  --id N       the new key's id (default: today's date as YYYYMMDD, or one
               more than the largest id of the current ring if that is larger;
               an id already in the ring is refused)
  --var NAME   the environment variable of the keyring line (default
               SESSION_KEYS); keygen also avoids the ids of a ring found there
  --stdin      rotate: read the current line from standard input

The keyring line is never taken from the command line, where other users of
the machine can see it. The output holds secret keys: send it to your secret
store, not to a log.";

/// The longest keyring line read from standard input.
const MAX_STDIN_BYTES: u64 = 1 << 20;

/// Runs the command with `args` (without the program name).
pub(crate) fn main_with(args: impl IntoIterator<Item = String>) -> ExitCode {
    match run(args) {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("sealed-session: cannot write the output: {err}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(message) => {
            eprintln!("sealed-session: {message}");
            ExitCode::FAILURE
        }
    }
}

/// What the command line asks for.
struct Options {
    command: Command,
    id: Option<KeyId>,
    var: String,
    stdin: bool,
}

#[derive(PartialEq)]
enum Command {
    Keygen,
    Rotate,
    Help,
    Version,
}

/// Runs the command; the text to print on success (which may hold keys, so
/// it is zeroized when dropped), the message for standard error on failure.
fn run(args: impl IntoIterator<Item = String>) -> Result<Zeroizing<String>, String> {
    let options = parse_args(args)?;
    match options.command {
        Command::Help => Ok(Zeroizing::new(format!("{USAGE}\n"))),
        Command::Version => Ok(Zeroizing::new(format!(
            "sealed-session {}\n",
            env!("CARGO_PKG_VERSION")
        ))),
        Command::Keygen => keygen(&options),
        Command::Rotate => rotate(&options),
    }
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut command = None;
    let mut options = Options {
        command: Command::Help,
        id: None,
        var: "SESSION_KEYS".to_owned(),
        stdin: false,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "keygen" | "rotate" | "help" if command.is_none() => {
                command = Some(match arg.as_str() {
                    "keygen" => Command::Keygen,
                    "rotate" => Command::Rotate,
                    _ => Command::Help,
                });
            }
            "-h" | "--help" => command = Some(Command::Help),
            "-V" | "--version" => command = Some(Command::Version),
            "--id" => {
                let text = args.next().ok_or("--id needs a number")?;
                let id = text.parse::<KeyId>().map_err(|_| {
                    "--id needs a decimal number up to 4294967295 without leading zeros"
                })?;
                options.id = Some(id);
            }
            "--var" => {
                let name = args.next().ok_or("--var needs a variable name")?;
                if name.is_empty() || name.contains(['=', '\0']) {
                    return Err("--var needs a variable name without '='".to_owned());
                }
                options.var = name;
            }
            "--stdin" => options.stdin = true,
            _ => return Err(unexpected(&arg)),
        }
    }
    options.command = command.ok_or_else(|| format!("no command given\n\n{USAGE}"))?;
    if options.stdin && options.command == Command::Keygen {
        return Err("--stdin is for rotate; keygen reads no keyring".to_owned());
    }
    Ok(options)
}

/// The message for an argument not understood. It is repeated only if it
/// looks like a mistyped option: anything else may be a key pasted where it
/// does not belong, and is not echoed.
fn unexpected(arg: &str) -> String {
    let option_like = arg.starts_with("--")
        && arg.len() <= 24
        && arg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if option_like {
        format!("unknown option {arg}; see --help")
    } else {
        "unexpected argument (not shown); a keyring line is read from an environment \
         variable or, with --stdin, from standard input, never from the command line; see --help"
            .to_owned()
    }
}

/// `keygen`: a new key and a keyring holding only it.
fn keygen(options: &Options) -> Result<Zeroizing<String>, String> {
    // A ring already in the environment only steers the choice of id.
    let existing = match Keyring::from_env(&options.var) {
        Ok(ring) => Some(ring),
        Err(KeyError::MissingVariable { .. }) => None,
        Err(err) => {
            eprintln!("sealed-session: note: the new id was not checked against it: {err}");
            None
        }
    };
    let id = choose_id(options.id, existing.as_ref(), &options.var)?;
    let key = Key::try_generate().map_err(|e| e.to_string())?;
    let line = Keyring::new(id, key).to_line();
    let mut out = Zeroizing::new(String::with_capacity(256));
    out.push_str(&format!(
        "# A new key, id {id}: a keyring line holding only this key.\n\
         # To rotate a running deployment to a new key instead, use `sealed-session rotate`.\n"
    ));
    push_assignment(&mut out, &options.var, &line);
    Ok(out)
}

/// `rotate`: the add, promote and drop lines for a new key.
fn rotate(options: &Options) -> Result<Zeroizing<String>, String> {
    let var = &options.var;
    let ring = if options.stdin {
        let mut text = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .take(MAX_STDIN_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Keyring::parse(&text).map_err(|e| format!("standard input: {e}"))?
    } else {
        Keyring::from_env(var).map_err(|err| match err {
            KeyError::MissingVariable { .. } => format!(
                "{err}\nrotate reads the current line from ${var}, or from standard input with --stdin"
            ),
            _ => err.to_string(),
        })?
    };
    let id = choose_id(options.id, Some(&ring), var)?;
    let key = Key::try_generate().map_err(|e| e.to_string())?;
    let rotation = ring.rotate_to(id, key).map_err(|e| e.to_string())?;
    let mut out = Zeroizing::new(String::with_capacity(1024));
    out.push_str(&format!(
        "# Rotation of {var} to a new key, id {id}, in three deploys.\n\
         # With a key file that running servers reload (Keyring::from_file, the reload\n\
         # feature), each step is a change of the file instead of a deploy: its new\n\
         # content is the text after `{var}=`.\n\
         # 1. Add: deploy this to every server. The new key opens sessions; nothing is sealed with it yet.\n"
    ));
    push_assignment(&mut out, var, &rotation.added().to_line());
    out.push_str(
        "# 2. Promote: once every server runs step 1, deploy this. The new key seals; \
         sessions under older keys are re-sealed on their next request.\n",
    );
    push_assignment(&mut out, var, &rotation.promoted().to_line());
    out.push_str(
        "# 3. Drop: once the longest absolute session lifetime (24 hours by default) \
         has passed since step 2, deploy this. Sessions still under older keys are refused.\n",
    );
    push_assignment(&mut out, var, &rotation.dropped().to_line());
    Ok(out)
}

/// `NAME=LINE` and a line break. No quotes are needed (the line holds only
/// digits, base64url, `:` and `,`), so the same text works in a shell, a
/// docker env file and a systemd `Environment=`.
fn push_assignment(out: &mut String, var: &str, line: &str) {
    out.push_str(var);
    out.push('=');
    out.push_str(line);
    out.push('\n');
}

/// The id of the new key: `requested` if given and free; otherwise today's
/// date as `YYYYMMDD`, or one more than the ring's largest id when that is
/// larger, so a new key never takes an id the ring already has (two keys
/// made on one day get `YYYYMMDD` and `YYYYMMDD + 1`).
fn choose_id(requested: Option<KeyId>, ring: Option<&Keyring>, var: &str) -> Result<KeyId, String> {
    if let Some(id) = requested {
        if ring.is_some_and(|r| r.contains(id)) {
            return Err(format!(
                "key id {id} is already in {var}; choose another with --id, or leave --id out"
            ));
        }
        return Ok(id);
    }
    let today = today()?;
    let Some(ring) = ring else {
        return Ok(today);
    };
    let next = ring.next_id().ok_or_else(|| {
        format!("the largest key id in {var} is 4294967295; choose a free id with --id")
    })?;
    Ok(if next.get() > today.get() {
        next
    } else {
        today
    })
}

/// Today's date (UTC) as a key id such as 20261129.
fn today() -> Result<KeyId, String> {
    let date = time::OffsetDateTime::now_utc().date();
    let year = u32::try_from(date.year()).map_err(|_| "the system clock is before year 0")?;
    let number = year * 10_000 + u32::from(u8::from(date.month())) * 100 + u32::from(date.day());
    Ok(KeyId::new(number))
}
