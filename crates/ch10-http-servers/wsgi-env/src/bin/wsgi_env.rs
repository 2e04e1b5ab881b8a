//! `wsgi_env [-p PORT] [--close] [host]`: Chapter 10's `wsgi_env.py`, serving until it
//! is stopped.

use std::process::ExitCode;

use clap::Parser;

/// Answer every request with its WSGI environment, pretty-printed
#[derive(Parser)]
#[command(name = "wsgi_env", version)]
struct Args {
    #[command(flatten)]
    at: wsgi::Where,
}

fn main() -> ExitCode {
    let args = Args::parse();
    wsgi::main_saying("wsgi_env", &args.at, wsgi_env::service(), |host, port| {
        format!("Serving on {host} port {port}")
    })
}
