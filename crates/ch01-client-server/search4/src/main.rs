//! `search4 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search4.py`.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::Redirect;

/// Geocode the book's address on a raw TCP socket: the request written by hand, the
/// whole reply printed; Google's geocoder over http (the book's), or with --nominatim
/// OpenStreetMap's over https (the repository's)
#[derive(Parser)]
#[command(name = "search4", version)]
struct Args {
    /// ask Nominatim, as the repository's search4.py does today
    #[arg(long)]
    nominatim: bool,
    #[command(flatten)]
    redirect: Redirect,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = fopnp::log::stdout();
    let result = if args.nominatim {
        search4::geocode_nominatim(search4::ADDRESS, &args.redirect, &mut out)
    } else {
        search4::geocode(search4::ADDRESS, &args.redirect, &mut out)
    };
    fopnp::exit_status("search4", result)
}
