//! `getname [--resolve NAME=ADDR]...`: Chapter 1's `getname.py`.

use std::net::Ipv4Addr;
use std::process::ExitCode;

use clap::Parser;

/// Look up maps.google.com's IPv4 address, as socket.gethostbyname() does, and print it
#[derive(Parser)]
#[command(name = "getname", version)]
struct Args {
    /// answer NAME with ADDR before asking the system's resolver, as a line of the hosts
    /// file would (may be given more than once)
    #[arg(long, value_name = "NAME=ADDR", value_parser = getname::parse_resolve)]
    resolve: Vec<(String, Ipv4Addr)>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = getname::main(&args.resolve, &mut fopnp::log::stdout());
    fopnp::exit_status("getname", result)
}
