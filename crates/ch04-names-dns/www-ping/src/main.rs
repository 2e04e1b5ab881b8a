//! `www_ping [-p PORT] hostname`: Chapter 4's `www_ping.py`.

use std::process::ExitCode;

use clap::Parser;
use www_ping::Outcome;

/// Try connecting to port 80
#[derive(Parser)]
#[command(name = "www_ping", version)]
struct Args {
    /// hostname that you want to contact
    hostname: String,
    /// try this port instead of 80, the www service's (the book's is always 80)
    #[arg(short = 'p', long, value_name = "PORT")]
    port: Option<u16>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match www_ping::connect_to(&args.hostname, args.port, &mut fopnp::log::stdout()) {
        Ok(Outcome::Success | Outcome::NetworkFailure) => ExitCode::SUCCESS,
        Ok(Outcome::NameServiceFailure) => ExitCode::FAILURE,
        Err(error) => fopnp::exit_status("www_ping", Err(error)),
    }
}
