//! Chapter 3, "TCP": Listings 3-1 and 3-2, page 53's ways out of the deadlock, and its claims.
//! Its rows of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 3,
    title: "TCP",
    dir: "ch03-tcp",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    ..crate::ROW
};

/// Chapter 3's session: the server on 127.0.0.1, the client to localhost.
const PAIR: Option<Commands> = Some(Commands {
    server: "{bin} server 127.0.0.1 {-p} {server_args}",
    client: "{bin} client localhost {args} {-p}",
});

/// A Listing 3-2 variant: the same protocol and command line, no deadlock.
const VARIANT: Listing = Listing {
    usage: Some(Usage::As("3-2")),
    family: Some(Family::Uppercase),
    runs: Runs::ServerAndClient { deadlocks: false },
    commands: PAIR,
    log: Some(LogStyle::Variant),
    listening: true,
    session: Session {
        server: &[],
        client: &["1048576"],
    },
    // A gibibyte: far past the deadlock's threshold.
    run_args: &["1073741824"],
    ..ROW
};

/// A page 53 demonstration.
const DEMO: Listing = Listing {
    book: "page 53",
    krate: "page53",
    bins: &["page53"],
    usage: Some(Usage::Command("page53 CLAIM")),
    lifetime: Lifetime::Once,
    ..ROW
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "3-1",
        book: "Listing 3-1",
        krate: "tcp-sixteen",
        bins: &["tcp_sixteen"],
        script: Some("py3/chapter03/tcp_sixteen.py"),
        usage: Some(Usage::Command("tcp_sixteen {client,server} host [-p PORT]")),
        summary: "TCP client and server that send and receive 16 octets",
        family: Some(Family::Sixteen),
        runs: Runs::ServerAndClient { deadlocks: false },
        commands: PAIR,
        log: Some(LogStyle::Sixteen),
        listening: true,
        concurrency: Some(Concurrency::One),
        ..ROW
    },
    Listing {
        id: "3-2",
        book: "Listing 3-2",
        krate: "tcp-deadlock",
        bins: &["tcp_deadlock"],
        script: Some("py3/chapter03/tcp_deadlock.py"),
        usage: Some(Usage::Command(
            "tcp_deadlock {client,server} host [bytecount] [-p PORT]",
        )),
        summary: "TCP client and server that leave too much data waiting (deadlocks when large)",
        runs: Runs::ServerAndClient { deadlocks: true },
        log: Some(LogStyle::Deadlock),
        concurrency: Some(Concurrency::One),
        skips: Skips {
            server: &[(
                "hundred-clients",
                "serves one client at a time, as the book's listen(1) server does",
            )],
            client: &[(
                "hundred-clients",
                "sends 16 bytes per call: 100 MiB in 16-byte sends is 6.5 million send() calls, \
                 too slow for the test budget",
            )],
        },
        session: Session {
            server: &[],
            client: &["32"],
        },
        run_args: &[],
        ..VARIANT
    },
    Listing {
        id: "3-2-threaded",
        book: "page 53, way out (b)",
        krate: "tcp-threaded",
        bins: &["tcp_threaded"],
        summary: "Listing 3-2 without the deadlock: one thread sends while another receives",
        concurrency: Some(Concurrency::ThreadPerClient),
        ..VARIANT
    },
    Listing {
        id: "3-2-nonblocking",
        book: "page 53, way out (a)",
        krate: "tcp-nonblocking",
        bins: &["tcp_nonblocking"],
        summary: "Listing 3-2 without the deadlock: nonblocking sockets driven by poll()",
        concurrency: Some(Concurrency::EventLoop),
        ..VARIANT
    },
    Listing {
        id: "3-2-async",
        book: "page 53, way out (a), tokio",
        krate: "tcp-async",
        bins: &["tcp_async"],
        summary: "Listing 3-2 without the deadlock: async tasks, both halves of the socket at once",
        concurrency: Some(Concurrency::EventLoop),
        ..VARIANT
    },
    Listing {
        id: "half-close",
        summary: "shutdown(Write): the peer reads EOF, and the reply still comes back",
        runs: Runs::Alone {
            subcommand: "half-close",
        },
        ..DEMO
    },
    Listing {
        id: "shut-rd",
        summary: "shutdown(Read): does the peer really meet an error? (not on Linux)",
        runs: Runs::Alone {
            subcommand: "shut-rd",
        },
        ..DEMO
    },
    Listing {
        id: "close-vs-shutdown",
        summary: "close() of one handle versus shutdown() of the shared socket",
        runs: Runs::Alone {
            subcommand: "close-vs-shutdown",
        },
        ..DEMO
    },
    Listing {
        id: "eof-vs-wouldblock",
        summary: "EOF (0 bytes) versus \"would block\", and a reset",
        runs: Runs::Alone {
            subcommand: "eof-vs-wouldblock",
        },
        ..DEMO
    },
    Listing {
        id: "udp-flood",
        summary: "UDP drops what is not read in time; TCP makes the sender wait",
        transport: Transport::Udp,
        runs: Runs::Alone {
            subcommand: "udp-flood",
        },
        session: Session {
            server: &[],
            client: &["--datagrams", "20000"],
        },
        ..DEMO
    },
];
