//! Chapter 6, "TLS/SSL": safe_tls.py and test_tls.py.
//! Its rows of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 6,
    title: "TLS/SSL",
    dir: "ch06-tls",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    ..crate::ROW
};

/// A Chapter 6 listing: a TLS server of one connection, and its client.
const TLS: Listing = Listing {
    family: Some(Family::Tls),
    lifetime: Lifetime::OneConnection,
    runs: Runs::OneConnection,
    commands: Some(Commands {
        server: "{bin} {server_args} -s certs/localhost.pem 127.0.0.1 {port}",
        client: "{bin} {args} -a certs/ca.crt localhost {port}",
    }),
    needs: CERTIFICATES,
    listening: true,
    concurrency: Some(Concurrency::One),
    ..ROW
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "6-safe",
        book: "safe_tls.py",
        krate: "safe-tls",
        bins: &["safe_tls"],
        script: Some("py3/chapter06/safe_tls.py"),
        usage: Some(Usage::Command(
            "safe_tls [-a cafile] [-s certfile] host port",
        )),
        summary: "TLS with safe defaults: the client checks the CA and the name; one line, then close_notify",
        log: Some(LogStyle::TlsMessage),
        ..TLS
    },
    Listing {
        id: "6-test",
        book: "test_tls.py",
        krate: "test-tls",
        bins: &["test_tls"],
        script: Some("py3/chapter06/test_tls.py"),
        usage: Some(Usage::Command(
            "test_tls [-a cafile] [-c certfile] [-C ciphers] [-p PROTOCOL] [-s certfile] [-d] [-v] host port",
        )),
        summary: "attempt a TLS connection and report the peer's certificate, the version and the cipher",
        log: Some(LogStyle::TlsReport),
        ..TLS
    },
];
