//! `blocks [-c] [-p port] [hostname] [--max-block BYTES]`: Listing 5-2's command line.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::Address;

/// Transmit & receive blocks over TCP
#[derive(Parser)]
#[command(name = "blocks", version)]
struct Args {
    #[command(flatten)]
    address: Address,

    /// not in the book: the longest block the server accepts; a header promising more is
    /// refused before anything is allocated for it (default 8 MiB, tokio_util's
    /// LengthDelimitedCodec's own)
    #[arg(long, value_name = "BYTES", default_value_t = blocks::MAX_BLOCK)]
    max_block: u32,
}

fn main() -> ExitCode {
    let Args { address, max_block } = Args::parse();
    let Address {
        hostname,
        client,
        port,
    } = address;
    let result = if client {
        blocks::client((&hostname, port))
    } else {
        blocks::server((&hostname, port), max_block, &mut fopnp::log::stdout())
    };
    fopnp::exit_status("blocks", result)
}
