//! `big_sender host [-p PORT] [--size BYTES]`: Listing 2-3's command line, with one
//! option that is not in the book.

use std::process::ExitCode;

use clap::Parser;

/// Send UDP packet to get MTU
#[derive(Parser)]
#[command(name = "big_sender", version)]
struct Args {
    /// the host to which to target the packet
    host: String,

    /// UDP port (default 1060)
    #[arg(short = 'p', value_name = "PORT", default_value_t = fopnp::cli::DEFAULT_PORT, hide_default_value = true)]
    port: u16,

    /// not in the book: the datagram's size (the book's 999999, which no IPv4 datagram
    /// can carry, so that its "sent" branch never runs)
    #[arg(long, value_name = "BYTES", default_value_t = big_sender::BOOK_SIZE)]
    size: usize,
}

fn main() -> ExitCode {
    let Args { host, port, size } = Args::parse();
    let result = big_sender::send_big_datagram(&host, port, size, &mut fopnp::log::stdout());
    fopnp::exit_status("big_sender", result)
}
