//! `sealed-session`: makes session keys and the keyring lines of a key
//! rotation. Install it with `cargo install sealed-session --features cli`;
//! `sealed-session --help` lists the commands.

use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    cli::main_with(std::env::args().skip(1))
}
