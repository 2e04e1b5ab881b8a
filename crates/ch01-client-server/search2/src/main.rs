//! `search2 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search2.py`.

use std::process::ExitCode;

use clap::Parser;

/// Geocode the book's address with requests' level of HTTP: Google's geocoder over http
/// (the book's), or with --nominatim OpenStreetMap's over https (the repository's)
#[derive(Parser)]
#[command(name = "search2", version)]
struct Args {
    #[command(flatten)]
    search: fopnp::cli::Search,
}

fn main() -> ExitCode {
    let Args { search } = Args::parse();
    search.run(
        "search2",
        |r, out| search2::geocode(search2::ADDRESS, r, out),
        |r, out| search2::geocode_nominatim(search2::ADDRESS, r, out),
    )
}
