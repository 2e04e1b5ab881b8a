//! `timeapp_raw [-p PORT] [--close] [host]`: Chapter 10's timeapp_raw.py, served (gunicorn's role) on
//! hyper until it is stopped.

use std::process::ExitCode;

use clap::Parser;

/// Serve the time of day at http://127.0.0.1:PORT/, as the book's timeapp_raw.py under gunicorn
#[derive(Parser)]
#[command(name = "timeapp_raw", version)]
struct Args {
    #[command(flatten)]
    at: wsgi::Where,
}

fn main() -> ExitCode {
    let args = Args::parse();
    wsgi::main("timeapp_raw", &args.at, timeapp_raw::app())
}
