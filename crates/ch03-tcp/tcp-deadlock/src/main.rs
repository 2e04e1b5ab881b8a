//! `tcp_deadlock {client,server} host [bytecount] [-p PORT]`: Listing 3-2's command line.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::{Endpoint, Role, StreamEndpoint};

/// Get deadlocked over TCP
#[derive(Parser)]
#[command(name = "tcp_deadlock", version)]
struct Args {
    #[command(flatten)]
    stream: StreamEndpoint,
}

fn main() -> ExitCode {
    let StreamEndpoint {
        endpoint: Endpoint { role, host, port },
        bytecount,
        buffers,
    } = Args::parse().stream;
    let mut out = fopnp::log::stdout();
    let result = match role {
        Role::Client => tcp_deadlock::client(&host, port, bytecount, buffers, &mut out),
        Role::Server => tcp_deadlock::server(&host, port, buffers, &mut out),
    };
    fopnp::exit_status("tcp_deadlock", result)
}
