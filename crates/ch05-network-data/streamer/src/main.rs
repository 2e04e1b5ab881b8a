//! `streamer [-c] [-p port] [hostname]`: Listing 5-1's command line.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::Address;

/// Transmit & receive a data stream
#[derive(Parser)]
#[command(name = "streamer", version)]
struct Args {
    #[command(flatten)]
    address: Address,
}

fn main() -> ExitCode {
    let Address {
        hostname,
        client,
        port,
    } = Args::parse().address;
    let result = if client {
        streamer::client((&hostname, port))
    } else {
        streamer::server((&hostname, port), &mut fopnp::log::stdout())
    };
    fopnp::exit_status("streamer", result)
}
