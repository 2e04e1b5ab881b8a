//! `search2 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search2.py`.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::Redirect;

/// Geocode the book's address with requests' level of HTTP: Google's geocoder over http
/// (the book's), or with --nominatim OpenStreetMap's over https (the repository's)
#[derive(Parser)]
#[command(name = "search2", version)]
struct Args {
    /// ask Nominatim, as the repository's search2.py does today
    #[arg(long)]
    nominatim: bool,
    #[command(flatten)]
    redirect: Redirect,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = fopnp::log::stdout();
    let result = if args.nominatim {
        search2::geocode_nominatim(search2::ADDRESS, &args.redirect, &mut out)
    } else {
        search2::geocode(search2::ADDRESS, &args.redirect, &mut out)
    };
    fopnp::exit_status("search2", result)
}
