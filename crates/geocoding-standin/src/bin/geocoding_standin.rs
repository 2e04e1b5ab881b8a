//! `geocoding_standin [-p PORT] [--mode MODE] [--ca FILE]`: Chapter 1's stand-in for
//! Google's geocoder and Nominatim, on 127.0.0.1, until it is stopped. It prints
//! `Listening at ('127.0.0.1', PORT)`, then one line per request.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use geocoding_standin::{Mode, StandIn};

/// Serve Chapter 1's geocoding answers on loopback: Google's 2014 reply over http, and
/// Nominatim's over https (a certificate for the services' names, made at start-up), on
/// one port; point a search script at it with --connect 127.0.0.1:PORT
#[derive(Parser)]
#[command(name = "geocoding_standin", version)]
struct Args {
    /// port on 127.0.0.1, the book's 1060 as the sessions show it (0: the system
    /// chooses)
    #[arg(short = 'p', long, default_value_t = fopnp::cli::DEFAULT_PORT)]
    port: u16,
    /// how to answer every request
    #[arg(long, value_enum, default_value_t = Mode::Ok)]
    mode: Mode,
    /// write the CA that clients must trust here (PEM), before listening
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let log = fopnp::log::Log::stdout();
    let each = log.clone();
    let addr = SocketAddr::from(([127, 0, 0, 1], args.port));
    // Said before any request is read, so that it comes first in the log; a log that
    // cannot be written is no reason to stop answering.
    let listening = |port| {
        log.line_or_exit(
            "geocoding_standin",
            format_args!("Listening at ('127.0.0.1', {port})"),
        );
    };
    let each_request = move |request: &geocoding_standin::Request| {
        each.line_or_exit("geocoding_standin", format_args!("{}", request.summary()));
    };
    let result = StandIn::bind(addr, args.mode, args.ca.as_deref(), listening, each_request);
    let _stand_in = match result {
        Ok(stand_in) => stand_in,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "geocoding_standin: {error}");
            return ExitCode::FAILURE;
        }
    };
    // It serves until it is stopped.
    loop {
        std::thread::park();
    }
}
