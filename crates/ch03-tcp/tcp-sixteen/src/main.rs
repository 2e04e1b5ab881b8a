//! `tcp_sixteen {client,server} host [-p PORT]`: Listing 3-1's command line.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::{Endpoint, Role};

/// Send and receive over TCP
#[derive(Parser)]
#[command(name = "tcp_sixteen", version)]
struct Args {
    #[command(flatten)]
    endpoint: Endpoint,
}

fn main() -> ExitCode {
    let Endpoint { role, host, port } = Args::parse().endpoint;
    let mut out = fopnp::log::stdout();
    let result = match role {
        Role::Client => tcp_sixteen::client(&host, port, &mut out),
        Role::Server => tcp_sixteen::server(&host, port, &mut out),
    };
    fopnp::exit_status("tcp_sixteen", result)
}
