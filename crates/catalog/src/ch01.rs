//! Chapter 1, "Introduction to Client-Server Networking": one geocoding query at four
//! levels of the stack, a name turned into an address, and text turned into bytes.
//! Its rows of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 1,
    title: "Introduction to Client-Server Networking",
    dir: "ch01-client-server",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    lifetime: Lifetime::Once,
    ..crate::ROW
};

/// Google's geocoder (http) and Nominatim (https) on one loopback port, its CA written to
/// `ca.pem` before it listens.
pub static GEOCODING: StandIn = StandIn {
    package: "geocoding-standin",
    bin: "geocoding_standin",
    command: "{bin} {-p} --ca ca.pem",
    log: "standin.log",
    marker: None,
    transport: Transport::Tcp,
};

/// A search script: run against the stand-in, the book's way and then the repository's.
const SEARCH: Listing = Listing {
    runs: Runs::Steps {
        stand_in: Some(&GEOCODING),
    },
    ..ROW
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "search1",
        book: "search1.py",
        krate: "search1",
        bins: &["search1"],
        script: Some("py3/chapter01/search1.py"),
        usage: Some(Usage::Command(
            "search1 [--nominatim] [--connect IP:PORT] [--ca FILE]",
        )),
        summary: "the query as a library call: Google's geocoder (pygeocoder's role), or Nominatim (geopy's)",
        steps: &[
            "{bin} --connect 127.0.0.1:{port} --ca ca.pem",
            "{bin} --nominatim --connect 127.0.0.1:{port} --ca ca.pem",
        ],
        ..SEARCH
    },
    Listing {
        id: "search2",
        book: "search2.py",
        krate: "search2",
        bins: &["search2"],
        script: Some("py3/chapter01/search2.py"),
        usage: Some(Usage::Command(
            "search2 [--nominatim] [--connect IP:PORT] [--ca FILE]",
        )),
        summary: "the query with requests' level of HTTP (reqwest): a URL, its parameters, and JSON",
        steps: &[
            "{bin} --connect 127.0.0.1:{port}",
            "{bin} --nominatim --connect 127.0.0.1:{port} --ca ca.pem",
        ],
        ..SEARCH
    },
    Listing {
        id: "search3",
        book: "search3.py",
        krate: "search3",
        bins: &["search3"],
        script: Some("py3/chapter01/search3.py"),
        usage: Some(Usage::Command(
            "search3 [--nominatim] [--connect IP:PORT] [--ca FILE]",
        )),
        summary: "the query at http.client's level: the path built by hand, the body read and parsed",
        steps: &[
            "{bin} --connect 127.0.0.1:{port}",
            "{bin} --nominatim --connect 127.0.0.1:{port} --ca ca.pem",
        ],
        ..SEARCH
    },
    Listing {
        id: "search4",
        book: "search4.py",
        krate: "search4",
        bins: &["search4"],
        script: Some("py3/chapter01/search4.py"),
        usage: Some(Usage::Command(
            "search4 [--nominatim] [--connect IP:PORT] [--ca FILE]",
        )),
        summary: "the query on a raw TCP socket: the request written by hand, the whole reply printed",
        steps: &["{bin} --connect 127.0.0.1:{port}"],
        ..SEARCH
    },
    Listing {
        id: "getname",
        book: "getname.py",
        krate: "getname",
        bins: &["getname"],
        script: Some("py3/chapter01/getname.py"),
        usage: Some(Usage::Command("getname [--resolve NAME=ADDR]")),
        summary: "a host name turned into its IPv4 address, as gethostbyname does",
        runs: Runs::Steps { stand_in: None },
        steps: &["{bin} --resolve maps.google.com=127.0.0.1"],
        ..ROW
    },
    Listing {
        id: "stringcodes",
        book: "stringcodes.py",
        krate: "stringcodes",
        bins: &["stringcodes"],
        script: Some("py3/chapter01/stringcodes.py"),
        usage: Some(Usage::Command("stringcodes")),
        summary: "UTF-16 bytes decoded into text, and text encoded as UTF-8 into eagle.txt",
        runs: Runs::Steps { stand_in: None },
        steps: &["{bin}", "cat eagle.txt"],
        ..ROW
    },
    Listing {
        id: "1",
        book: "the chapter's README",
        krate: "(all of Chapter 1)",
        summary: "the four search levels side by side against one stand-in, then getname and stringcodes",
        runs: Runs::Tour,
        recorded: Recorded::Nothing,
        ..ROW
    },
];
