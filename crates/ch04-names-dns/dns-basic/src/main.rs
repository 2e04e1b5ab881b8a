//! `dns_basic [--nameserver IP:PORT] [--timeout SECONDS] [--type TYPE] name`: Chapter
//! 4's `dns_basic.py`.

use std::process::ExitCode;

use clap::Parser;

/// Resolve a name using DNS
#[derive(Parser)]
#[command(name = "dns_basic", version)]
struct Args {
    /// name that you want to look up in DNS
    name: String,
    #[command(flatten)]
    dns: dns_resolver::Where,
    /// ask for this type only (A, AAAA, CNAME, MX, NS, TXT, SOA...), instead of the
    /// book's five in turn
    #[arg(long = "type", value_name = "TYPE", value_parser = record_type)]
    qtype: Option<dns_resolver::Type>,
}

/// A record type by its name, in any case.
fn record_type(text: &str) -> Result<dns_resolver::Type, String> {
    match text.to_ascii_uppercase().parse::<dns_resolver::Type>() {
        Ok(dns_resolver::Type::Unknown(_)) | Err(_) => {
            Err(format!("{text:?} is not a record type"))
        }
        Ok(qtype) => Ok(qtype),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let result = args
        .dns
        .resolver()
        .map_err(fopnp::Error::new)
        .and_then(|resolver| {
            let types = args.qtype.map_or(dns_basic::TYPES.to_vec(), |t| vec![t]);
            dns_basic::lookup_types(&args.name, &types, &resolver, &mut fopnp::log::stdout())
        });
    fopnp::exit_status("dns_basic", result)
}
