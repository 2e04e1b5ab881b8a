//! `udp_broadcast {client,server} host [-p port]`: Listing 2-4's command line.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::{Role, UdpEndpoint};

/// Send, receive UDP broadcast
#[derive(Parser)]
#[command(name = "udp_broadcast", version)]
struct Args {
    #[command(flatten)]
    endpoint: UdpEndpoint,
}

fn main() -> ExitCode {
    let UdpEndpoint { role, host, port } = Args::parse().endpoint;
    let result = match role {
        Role::Client => udp_broadcast::client(&host, port),
        Role::Server => udp_broadcast::server(&host, port, &mut fopnp::log::stdout()),
    };
    fopnp::exit_status("udp_broadcast", result)
}
