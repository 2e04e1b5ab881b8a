//! Chapter 2, "UDP": datagrams, their sizes and their claims.
//! Its rows of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 2,
    title: "UDP",
    dir: "ch02-udp",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    ..crate::ROW
};

/// A Chapter 2 listing: a UDP server and its client.
const DATAGRAM: Listing = Listing {
    transport: Transport::Udp,
    log: Some(LogStyle::Datagrams),
    listening: true,
    concurrency: Some(Concurrency::EventLoop),
    ..ROW
};

/// A Chapter 2 claim, run by `udp_claims CLAIM`.
const CLAIM: Listing = Listing {
    book: "the chapter's claims",
    krate: "udp-claims",
    bins: &["udp_claims"],
    usage: Some(Usage::Command("udp_claims CLAIM [--flip]")),
    transport: Transport::Udp,
    lifetime: Lifetime::Once,
    ..ROW
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "2-1",
        book: "Listing 2-1",
        krate: "udp-local",
        bins: &["udp_local"],
        script: Some("py3/chapter02/udp_local.py"),
        usage: Some(Usage::Command("udp_local {client,server} [-p PORT]")),
        summary: "UDP client and server on localhost: the time, and its length in reply",
        family: Some(Family::UdpLocal),
        runs: Runs::ServerAndClient { deadlocks: false },
        commands: Some(Commands {
            server: "{bin} server {-p} {server_args}",
            client: "{bin} client {args} {-p}",
        }),
        ..DATAGRAM
    },
    Listing {
        id: "2-2",
        book: "Listing 2-2",
        krate: "udp-remote",
        bins: &["udp_remote"],
        script: Some("py3/chapter02/udp_remote.py"),
        usage: Some(Usage::Command(
            "udp_remote {client,server} host [-p PORT] [--drop-rate P] [--seed N]",
        )),
        summary: "a server that pretends to drop half the datagrams; a client that backs off",
        family: Some(Family::UdpRemote),
        runs: Runs::ServerAndClient { deadlocks: false },
        commands: Some(Commands {
            server: "{bin} server 127.0.0.1 {-p} {server_args}",
            client: "{bin} client localhost {args} {-p}",
        }),
        // A seed whose first datagram is dropped and second answered: the book's session.
        session: Session {
            server: &["--seed", "2"],
            client: &[],
        },
        ..DATAGRAM
    },
    Listing {
        id: "2-3",
        book: "Listing 2-3",
        krate: "big-sender",
        bins: &["big_sender"],
        script: Some("py3/chapter02/big_sender.py"),
        usage: Some(Usage::Command("big_sender host [-p PORT] [--size BYTES]")),
        summary: "a datagram too big for the path, with don't-fragment set: the path's MTU",
        transport: Transport::Udp,
        lifetime: Lifetime::Once,
        runs: Runs::Alone {
            subcommand: "localhost",
        },
        ..ROW
    },
    Listing {
        id: "2-4",
        book: "Listing 2-4",
        krate: "udp-broadcast",
        bins: &["udp_broadcast"],
        script: Some("py3/chapter02/udp_broadcast.py"),
        usage: Some(Usage::Command(
            "udp_broadcast {client,server} host [-p port]",
        )),
        summary: "SO_BROADCAST: a datagram to the network's broadcast address, and a server that hears it",
        runs: Runs::ServerAndClient { deadlocks: false },
        commands: Some(Commands {
            server: "{bin} server 127.255.255.255 {-p} {server_args}",
            client: "{bin} client 127.255.255.255 {args} {-p}",
        }),
        ..DATAGRAM
    },
    Listing {
        id: "takes-anyone",
        summary: "an unconnected client takes a reply from anyone",
        runs: Runs::Alone {
            subcommand: "takes-anyone",
        },
        ..CLAIM
    },
    Listing {
        id: "connect-filters",
        summary: "connect() drops strangers' datagrams and reports ICMP refusals",
        runs: Runs::Alone {
            subcommand: "connect-filters",
        },
        ..CLAIM
    },
    Listing {
        id: "never-learns",
        summary: "an unconnected client never learns that nobody is listening",
        runs: Runs::Alone {
            subcommand: "never-learns",
        },
        ..CLAIM
    },
    Listing {
        id: "size-limits",
        summary: "nothing over 65,507 bytes is sent; a short receive buffer truncates silently",
        runs: Runs::Alone {
            subcommand: "size-limits",
        },
        ..CLAIM
    },
    Listing {
        id: "dont-fragment",
        summary: "don't-fragment refuses what exceeds a 1500-byte path; fragments arrive whole",
        runs: Runs::Alone {
            subcommand: "dont-fragment",
        },
        needs: NAMESPACE,
        ..CLAIM
    },
    Listing {
        id: "broadcast-needs-permission",
        summary: "a broadcast without SO_BROADCAST is refused",
        runs: Runs::Alone {
            subcommand: "broadcast-needs-permission",
        },
        ..CLAIM
    },
];
