//! `udp_local {client,server} [-p PORT]`: Listing 2-1's command line.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::{Role, UdpLocal};

/// Send and receive UDP locally
#[derive(Parser)]
#[command(name = "udp_local", version)]
struct Args {
    #[command(flatten)]
    local: UdpLocal,
}

fn main() -> ExitCode {
    let UdpLocal { role, port } = Args::parse().local;
    let mut out = fopnp::log::stdout();
    let result = match role {
        Role::Client => udp_local::client(port, &mut out),
        Role::Server => udp_local::server(port, &mut out),
    };
    fopnp::exit_status("udp_local", result)
}
