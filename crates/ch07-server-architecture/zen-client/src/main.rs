//! `zen_client host [-e] [-p port]`: the command line of the book's `client.py`.

use std::process::ExitCode;

use clap::Parser;

/// Example client
#[derive(Parser)]
#[command(name = "zen_client", version)]
struct Args {
    /// IP or hostname
    host: String,

    /// cause an error
    #[arg(short = 'e')]
    e: bool,

    /// TCP port (default 1060)
    #[arg(short = 'p', value_name = "port", default_value_t = zen_utils::DEFAULT_PORT, hide_default_value = true)]
    p: u16,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = zen_client::client(&args.host, args.p, args.e, &mut fopnp::log::stdout());
    fopnp::exit_status("zen_client", result)
}
