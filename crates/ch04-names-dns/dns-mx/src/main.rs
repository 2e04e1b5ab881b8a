//! `dns_mx [--nameserver IP:PORT] name`: Chapter 4's `dns_mx.py`.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;

/// Find mailserver IP address
#[derive(Parser)]
#[command(name = "dns_mx", version)]
struct Args {
    /// domain that you want to send mail to
    domain: String,
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
    .and_then(|resolver| {
        dns_mx::resolve_email_domain(&args.domain, &resolver, &mut fopnp::log::stdout())
    });
    fopnp::exit_status("dns_mx", result)
}
