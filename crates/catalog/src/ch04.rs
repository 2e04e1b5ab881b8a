//! Chapter 4, "Socket Names and DNS": a name turned into a socket the way the book
//! recommends, and DNS asked directly. Its rows of the catalog; the types are in the
//! crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 4,
    title: "Socket Names and DNS",
    dir: "ch04-names-dns",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    lifetime: Lifetime::Once,
    runs: Runs::Steps {
        stand_in: Some(&DNS),
    },
    ..crate::ROW
};

/// A zone under example.com on one loopback port, over UDP and TCP.
pub static DNS: StandIn = StandIn {
    package: "dns-standin",
    bin: "dns_standin",
    command: "{bin} {-p}",
    log: "standin.log",
    marker: None,
    transport: Transport::Udp,
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "www_ping",
        book: "www_ping.py",
        krate: "www-ping",
        bins: &["www_ping"],
        script: Some("py3/chapter04/www_ping.py"),
        usage: Some(Usage::Command("www_ping [-p PORT] hostname")),
        summary: "getaddrinfo() with the flags a client wants, then a connection to the first address",
        // glibc's resolver cannot be pointed at the stand-in without a namespace: the
        // session connects by number (to the stand-in's TCP side, then to a refusal).
        steps: &["{bin} -p {port} 127.0.0.1", "{bin} -p {port} ::1"],
        ..ROW
    },
    Listing {
        id: "dns_basic",
        book: "dns_basic.py",
        krate: "dns-basic",
        bins: &["dns_basic"],
        script: Some("py3/chapter04/dns_basic.py"),
        usage: Some(Usage::Command(
            "dns_basic [--nameserver IP:PORT] [--timeout SECONDS] [--type TYPE] name",
        )),
        summary: "a name's A, AAAA, CNAME, MX and NS records, asked of DNS itself",
        // The dns table's client (with --type, one type at a time).
        family: Some(Family::Dns),
        steps: &[
            "{bin} --nameserver 127.0.0.1:{port} www.example.com",
            "{bin} --nameserver 127.0.0.1:{port} alias.example.com",
        ],
        ..ROW
    },
    Listing {
        id: "dns_mx",
        book: "dns_mx.py",
        krate: "dns-mx",
        bins: &["dns_mx"],
        script: Some("py3/chapter04/dns_mx.py"),
        usage: Some(Usage::Command(
            "dns_mx [--nameserver IP:PORT] [--timeout SECONDS] domain",
        )),
        summary: "a mail domain's MX records, in order, and each mail server's addresses",
        steps: &[
            "{bin} --nameserver 127.0.0.1:{port} example.com",
            "{bin} --nameserver 127.0.0.1:{port} nomx.example.com",
            "{bin} --nameserver 127.0.0.1:{port} v6mx.example.com",
        ],
        ..ROW
    },
    Listing {
        id: "getaddrinfo-examples",
        book: "the chapter's getaddrinfo() session",
        krate: "examples-getaddrinfo",
        usage: Some(Usage::DocTests),
        summary: "the chapter's interactive getaddrinfo() calls that need no name server, as doc tests",
        runs: Runs::ByOthers,
        recorded: Recorded::Nothing,
        ..ROW
    },
    Listing {
        id: "4",
        book: "the chapter's README",
        krate: "(all of Chapter 4)",
        summary: "www_ping, dns_basic and dns_mx in turn against one stand-in zone",
        runs: Runs::Tour,
        recorded: Recorded::Nothing,
        ..ROW
    },
];
