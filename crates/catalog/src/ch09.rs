//! Chapter 9, "HTTP Clients": the chapter's session at the Python prompt (requests,
//! urllib, http.client) against a local httpbin, and one fetch at four levels. Its rows
//! of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 9,
    title: "HTTP Clients",
    dir: "ch09-http-clients",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    lifetime: Lifetime::Once,
    runs: Runs::Steps {
        stand_in: Some(&HTTPBIN),
    },
    ..crate::ROW
};

/// httpbin's endpoints on one loopback port, keeping connections alive (the book's
/// gunicorn sync worker closes each: `httpbin --close`). It logs each request with its
/// connection's number, and `/status/204?mark=N` is the conformance driver's marker.
/// Its port is always shown: its default is 0, not the book's 1060.
pub static HTTPBIN: StandIn = StandIn {
    package: "httpbin",
    bin: "httpbin",
    command: "{bin} -p {port}",
    log: "httpbin.log",
    transport: Transport::Tcp,
    marker: Some(
        "GET /status/204?mark={n} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    ),
};

/// The chapter's listings: its session first, as the book gives it.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "examples",
        book: "examples.doctest",
        krate: "examples-doctest",
        bins: &["examples_doctest"],
        script: Some("py3/chapter09/examples.doctest"),
        usage: Some(Usage::Command("examples_doctest [BASE_URL]")),
        summary: "the chapter's session at the prompt: requests, urllib and http.client, as reqwest, ureq and hyper",
        steps: &["{bin} http://127.0.0.1:{port}"],
        ..ROW
    },
    Listing {
        id: "http_get",
        book: "the chapter's levels of a client",
        krate: "http-get",
        bins: &["http_get"],
        usage: Some(Usage::Command(
            "http_get [--level LEVEL] [-X METHOD] [-i] [--timeout SECONDS] [--repeat N [--fresh]] URL",
        )),
        summary: "one fetch at a level of your choice, redirects followed and the body printed: the http-client table's client",
        family: Some(Family::HttpClient),
        // Each level is an implementation of the http-client table.
        flavours: &[
            "--level reqwest",
            "--level ureq",
            "--level hyper",
            "--level socket",
        ],
        steps: &[
            "{bin} --level reqwest http://127.0.0.1:{port}/headers",
            "{bin} --level ureq http://127.0.0.1:{port}/headers",
            "{bin} --level hyper http://127.0.0.1:{port}/headers",
            "{bin} --level socket http://127.0.0.1:{port}/headers",
            "{bin} --level socket http://127.0.0.1:{port}/redirect/2",
        ],
        ..ROW
    },
    Listing {
        id: "9",
        book: "the chapter's README",
        krate: "(all of Chapter 9)",
        summary: "the session, then one fetch at each level, against one local httpbin",
        runs: Runs::Tour,
        recorded: Recorded::Nothing,
        ..ROW
    },
];
