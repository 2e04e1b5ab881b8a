//! `search3 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search3.py`.

use std::process::ExitCode;

use clap::Parser;

/// Geocode the book's address at http.client's level: the request's path built by hand,
/// the body read, decoded and parsed; Google's geocoder over http (the book's), or with
/// --nominatim OpenStreetMap's over https (the repository's)
#[derive(Parser)]
#[command(name = "search3", version)]
struct Args {
    #[command(flatten)]
    search: fopnp::cli::Search,
}

fn main() -> ExitCode {
    let Args { search } = Args::parse();
    search.run(
        "search3",
        |r, out| search3::geocode(search3::ADDRESS, r, out),
        |r, out| search3::geocode_nominatim(search3::ADDRESS, r, out),
    )
}
