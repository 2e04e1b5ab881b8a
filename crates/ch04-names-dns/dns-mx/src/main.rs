//! `dns_mx [--nameserver IP:PORT] [--timeout SECONDS] domain`: Chapter 4's `dns_mx.py`.

use std::process::ExitCode;

use clap::Parser;

/// Find mailserver IP address
#[derive(Parser)]
#[command(name = "dns_mx", version)]
struct Args {
    /// domain that you want to send mail to
    domain: String,
    #[command(flatten)]
    dns: dns_resolver::Where,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = args
        .dns
        .resolver()
        .map_err(fopnp::Error::new)
        .and_then(|resolver| {
            dns_mx::resolve_email_domain(&args.domain, &resolver, &mut fopnp::log::stdout())
        });
    fopnp::exit_status("dns_mx", result)
}
