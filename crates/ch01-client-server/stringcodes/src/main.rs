//! `stringcodes`: Chapter 1's `stringcodes.py`.

use std::process::ExitCode;

use clap::Parser;

/// Decode the book's UTF-16 bytes and print the text's repr; then encode "We copy you
/// down, Eagle." as UTF-8 into eagle.txt in the current directory (replacing it)
#[derive(Parser)]
#[command(name = "stringcodes", version)]
struct Args {}

fn main() -> ExitCode {
    let Args {} = Args::parse();
    let result = stringcodes::main(std::path::Path::new("."), &mut fopnp::log::stdout());
    fopnp::exit_status("stringcodes", result)
}
