//! Chapter 5, "Network Data and Network Errors": where a message ends.
//! Its rows of the catalog; the types are in the crate's root.

use crate::*;

pub static CHAPTER: Chapter = Chapter {
    number: 5,
    title: "Network Data and Network Errors",
    dir: "ch05-network-data",
    rows: || LISTINGS,
};

/// A row of this chapter, every other fact at its most common value.
const ROW: Listing = Listing {
    chapter: &CHAPTER,
    ..crate::ROW
};

/// A Chapter 5 listing: a server of one connection, and its client with `-c`.
const ONE_SHOT: Listing = Listing {
    transport: Transport::Tcp,
    lifetime: Lifetime::OneConnection,
    runs: Runs::OneConnection,
    commands: Some(Commands {
        server: "{bin} {-p} {server_args}",
        client: "{bin} -c {args} {-p}",
    }),
    listening: true,
    concurrency: Some(Concurrency::One),
    ..ROW
};

/// The chapter's listings, in the book's order.
pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "5-1",
        book: "Listing 5-1",
        krate: "streamer",
        bins: &["streamer"],
        script: Some("py3/chapter05/streamer.py"),
        usage: Some(Usage::Command("streamer [-c] [-p port] [hostname]")),
        summary: "the end of the stream ends the message: the client sends and closes",
        family: Some(Family::Streamer),
        log: Some(LogStyle::Streamer),
        ..ONE_SHOT
    },
    Listing {
        id: "5-2",
        book: "Listing 5-2",
        krate: "blocks",
        bins: &["blocks"],
        script: Some("py3/chapter05/blocks.py"),
        usage: Some(Usage::Command(
            "blocks [-c] [-p port] [hostname] [--max-block BYTES]",
        )),
        summary: "length-prefixed blocks: a 4-byte length before each, an empty block to end",
        family: Some(Family::Blocks),
        log: Some(LogStyle::Blocks),
        ..ONE_SHOT
    },
    Listing {
        id: "5-2-async",
        book: "Listing 5-2, the codec way (not in the book)",
        krate: "blocks-async",
        bins: &["blocks_async"],
        usage: Some(Usage::As("5-2")),
        summary: "Listing 5-2 on tokio: tokio_util's LengthDelimitedCodec, the same wire and lines",
        family: Some(Family::Blocks),
        log: Some(LogStyle::Blocks),
        ..ONE_SHOT
    },
    Listing {
        id: "examples.rst",
        book: "examples.rst",
        krate: "examples-rst",
        script: Some("py3/chapter05/examples.rst"),
        usage: Some(Usage::DocTests),
        summary: "the chapter's interactive session: byte order and text encodings, computed in Rust",
        lifetime: Lifetime::Once,
        recorded: Recorded::Nothing,
        ..ROW
    },
];
