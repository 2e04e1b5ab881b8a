//! `safe_tls [-a cafile] [-s certfile] host port`: the command line of Chapter 6's
//! `safe_tls.py`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Safe TLS client and server
#[derive(Parser)]
#[command(name = "safe_tls", version)]
struct Args {
    /// hostname or IP address
    host: String,
    /// TCP port number
    port: u16,
    /// authority: path to CA certificate PEM file
    #[arg(short = 'a', value_name = "cafile")]
    a: Option<PathBuf>,
    /// run as server: path to server PEM file
    #[arg(short = 's', value_name = "certfile")]
    s: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = match &args.s {
        Some(certfile) => safe_tls::server(&args.host, args.port, certfile, args.a.as_deref()),
        None => safe_tls::client(&args.host, args.port, args.a.as_deref()),
    };
    fopnp::exit_status("safe_tls", result)
}
