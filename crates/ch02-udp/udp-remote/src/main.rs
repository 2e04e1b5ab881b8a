//! `udp_remote {client,server} host [-p PORT] [--drop-rate P] [--seed N]`: Listing 2-2's
//! command line, with two options that are not in the book.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::{Role, UdpEndpoint};

/// Send and receive UDP, pretending packets are often dropped
#[derive(Parser)]
#[command(name = "udp_remote", version)]
struct Args {
    #[command(flatten)]
    endpoint: UdpEndpoint,

    /// not in the book: the share of datagrams the server pretends to drop (the book's
    /// 0.5), from 0 to 1
    #[arg(long, value_name = "P", default_value_t = 0.5, value_parser = drop_rate)]
    drop_rate: f64,

    /// not in the book: seeds the server's choice of what to drop, so that a run can be
    /// repeated (the book's is unseeded)
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}

fn drop_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("{text:?} is not a share from 0 to 1")),
    }
}

fn main() -> ExitCode {
    let Args {
        endpoint,
        drop_rate,
        seed,
    } = Args::parse();
    let UdpEndpoint { role, host, port } = endpoint;
    let mut out = fopnp::log::stdout();
    let result = match role {
        Role::Client => udp_remote::client(&host, port, &mut out),
        Role::Server => {
            let dropping = udp_remote::Dropping::new(drop_rate, seed);
            udp_remote::server(&host, port, dropping, &mut out)
        }
    };
    fopnp::exit_status("udp_remote", result)
}
