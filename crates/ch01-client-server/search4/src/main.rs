//! `search4 [--nominatim] [--connect IP:PORT] [--ca FILE]`: Chapter 1's `search4.py`.

use std::process::ExitCode;

use clap::Parser;

/// Geocode the book's address on a raw TCP socket: the request written by hand, the
/// whole reply printed; Google's geocoder over http (the book's), or with --nominatim
/// OpenStreetMap's over https (the repository's)
#[derive(Parser)]
#[command(name = "search4", version)]
struct Args {
    #[command(flatten)]
    search: fopnp::cli::Search,
}

fn main() -> ExitCode {
    let Args { search } = Args::parse();
    search.run(
        "search4",
        |r, out| search4::geocode(search4::ADDRESS, r, out),
        |r, out| search4::geocode_nominatim(search4::ADDRESS, r, out),
    )
}
