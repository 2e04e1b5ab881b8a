//! `timeapp_test [-p PORT]`: Chapter 10's `_test.py`, against the time app on
//! 127.0.0.1:PORT (the book's runs it on 8000).

use std::process::ExitCode;

use clap::Parser;

/// Check that a time app works: six requests, each printed as (status, Content-Type,
/// text), and their statuses checked
#[derive(Parser)]
#[command(name = "timeapp_test", version)]
struct Args {
    /// the port the app listens on, at 127.0.0.1
    #[arg(short = 'p', long, default_value_t = 8000)]
    port: u16,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = timeapp_test::check(args.port, &mut fopnp::log::stdout());
    fopnp::exit_status("timeapp_test", result.map_err(fopnp::Error::new))
}
