//! `dns_basic [--nameserver IP:PORT] name`: Chapter 4's `dns_basic.py`.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

/// Resolve a name using DNS
#[derive(Parser)]
#[command(name = "dns_basic", version)]
struct Args {
    /// name that you want to look up in DNS
    name: String,
    /// ask this DNS server (an address and a port) instead of those in /etc/resolv.conf
    #[arg(long, value_name = "IP:PORT")]
    nameserver: Option<SocketAddr>,
    /// how long a server may take to answer one attempt, in seconds (dnspython's 2);
    /// a query gives up after three times this
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0, value_parser = fopnp::cli::seconds)]
    timeout: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = dns_resolver::Resolver::new(
        args.nameserver,
        std::time::Duration::from_secs_f64(args.timeout),
    )
    .map_err(fopnp::Error::new)
    .and_then(|resolver| dns_basic::lookup(&args.name, &resolver, &mut fopnp::log::stdout()));
    fopnp::exit_status("dns_basic", result)
}
