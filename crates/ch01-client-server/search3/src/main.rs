//! `search3 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search3.py`.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::Redirect;

/// Geocode the book's address at http.client's level: the request's path built by hand,
/// the body read, decoded and parsed; Google's geocoder over http (the book's), or with
/// --nominatim OpenStreetMap's over https (the repository's)
#[derive(Parser)]
#[command(name = "search3", version)]
struct Args {
    /// ask Nominatim, as the repository's search3.py does today
    #[arg(long)]
    nominatim: bool,
    #[command(flatten)]
    redirect: Redirect,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = fopnp::log::stdout();
    let result = if args.nominatim {
        search3::geocode_nominatim(search3::ADDRESS, &args.redirect, &mut out)
    } else {
        search3::geocode(search3::ADDRESS, &args.redirect, &mut out)
    };
    fopnp::exit_status("search3", result)
}
