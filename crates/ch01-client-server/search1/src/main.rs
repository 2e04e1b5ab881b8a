//! `search1 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search1.py`.

use std::process::ExitCode;

use clap::Parser;

/// Geocode the book's address with a geocoding library: Google's geocoder (the book's
/// pygeocoder), or with --nominatim OpenStreetMap's (the repository's geopy), over https
#[derive(Parser)]
#[command(name = "search1", version)]
struct Args {
    #[command(flatten)]
    search: fopnp::cli::Search,
}

fn main() -> ExitCode {
    let Args { search } = Args::parse();
    search.run("search1", search1::google, search1::nominatim)
}
