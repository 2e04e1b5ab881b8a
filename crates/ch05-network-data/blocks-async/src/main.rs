//! `blocks_async [-c] [-p port] [hostname] [--max-block BYTES]`: Listing 5-2's command
//! line, on tokio.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::Address;

/// Transmit & receive blocks over TCP (tokio and LengthDelimitedCodec)
#[derive(Parser)]
#[command(name = "blocks_async", version)]
struct Args {
    #[command(flatten)]
    address: Address,

    /// not in the book: the longest block the server accepts; a header promising more is
    /// refused (default 8 MiB, LengthDelimitedCodec's own)
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
        blocks_async::block_on(blocks_async::client((&hostname, port)))
    } else {
        blocks_async::block_on(blocks_async::server(
            (&hostname, port),
            max_block,
            &mut fopnp::log::stdout(),
        ))
    };
    fopnp::exit_status("blocks_async", result)
}
