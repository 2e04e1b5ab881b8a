//! `search1 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search1.py`.

use std::process::ExitCode;

use clap::Parser;
use fopnp::cli::Redirect;

/// Geocode the book's address with a geocoding library: Google's geocoder (the book's
/// pygeocoder), or with --nominatim OpenStreetMap's (the repository's geopy), over https
#[derive(Parser)]
#[command(name = "search1", version)]
struct Args {
    /// ask Nominatim, as the repository's search1.py does today
    #[arg(long)]
    nominatim: bool,
    #[command(flatten)]
    redirect: Redirect,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut out = fopnp::log::stdout();
    let result = if args.nominatim {
        search1::nominatim(&args.redirect, &mut out)
    } else {
        search1::google(&args.redirect, &mut out)
    };
    fopnp::exit_status("search1", result)
}
