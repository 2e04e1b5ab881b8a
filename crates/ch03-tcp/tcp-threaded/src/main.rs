//! `tcp_threaded {client,server} host [bytecount] [-p PORT]`: Listing 3-2's command line.

use std::process::ExitCode;

use clap::Parser;
use fopnp::Log;
use fopnp::cli::{Endpoint, Role, StreamEndpoint};

/// Stream over TCP without deadlock, using threads
#[derive(Parser)]
#[command(name = "tcp_threaded", version)]
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
    let result = match role {
        Role::Client => {
            tcp_threaded::client(&host, port, bytecount, buffers, &mut fopnp::log::stdout())
        }
        Role::Server => tcp_threaded::server(&host, port, buffers, Log::stdout()),
    };
    fopnp::exit_status("tcp_threaded", result)
}
