//! The `sealed-session` command, run from a clone of this repository:
//!
//! ```sh
//! cargo run --example keygen                        # a new key and its keyring line
//! cargo run --example keygen -- keygen --id 7       # the same, with id 7
//! SESSION_KEYS="$OLD" cargo run --example keygen -- rotate   # the three rotation lines
//! ```
//!
//! Outside a clone, install the command instead:
//! `cargo install sealed-session --features cli`, then `sealed-session keygen`.
//! Without a command, this example runs `keygen`.
//!
//! The output holds secret keys: send it to your secret store, not to a log.

use std::process::ExitCode;

#[path = "../src/bin/sealed-session/cli.rs"]
mod cli;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .first()
        .is_none_or(|first| first.starts_with("--") && first != "--help")
    {
        args.insert(0, "keygen".to_owned());
    }
    cli::main_with(args)
}
