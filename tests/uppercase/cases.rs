//! The uppercase protocol's conformance cases, written once and independent of any
//! implementation. `adapters.rs` says how each implementation runs them.

/// Bytecounts for which a client must put exactly `round_up(N)` bytes of `capitalize this!`
/// repeated on the wire, half-close, and still receive the whole answer; and for which
/// every client × server pair must complete with exact bytes both ways.
pub const STREAM_SIZES: &[(&str, u64)] = &[
    ("0 bytes: half-close at once", 0),
    ("1 byte, rounded up to 16", 1),
    ("16 bytes", 16),
    ("17 bytes, rounded up to 32", 17),
    ("1 MiB", 1 << 20),
    ("4 MiB, the most the book's pair always survives", 4 << 20),
];

/// Past every socket buffer: a client that reads while it sends completes; one that sends
/// everything before reading (the book's) stalls, against every server (BOOK.md: always
/// from 12 MB up).
pub const BIG_STREAM: (&str, u64) = ("64 MiB", 64 << 20);

/// How a scripted client delivers its payload to a server.
#[derive(Clone, Copy, Debug)]
pub enum Delivery {
    /// Everything in as few writes as the socket allows, then half-close.
    Whole,
    /// One byte per segment (TCP_NODELAY), then half-close.
    OneBytePerSegment,
    /// Pieces of the given size, each answered before the next is sent, then half-close:
    /// the server answers as it reads and closes only after the client's EOF.
    PingPong(usize),
}

/// What a scripted client sends to a server, which must answer with exactly the uppercase
/// (ASCII letters only) of every byte, in order, and then close.
pub struct ServerCase {
    pub name: &'static str,
    pub payload: fn() -> Vec<u8>,
    pub delivery: Delivery,
}

pub const SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        name: "half-close at once: no bytes, then EOF",
        payload: Vec::new,
        delivery: Delivery::Whole,
    },
    ServerCase {
        name: "the book's message",
        payload: || b"capitalize this!".to_vec(),
        delivery: Delivery::Whole,
    },
    ServerCase {
        name: "all 256 byte values: only ASCII letters change",
        payload: || (0..=255).collect(),
        delivery: Delivery::Whole,
    },
    ServerCase {
        name: "one byte per segment",
        payload: || b"capitalize this! and this, too.".to_vec(),
        delivery: Delivery::OneBytePerSegment,
    },
    ServerCase {
        name: "answers each piece before the client's EOF, and stays open until it",
        payload: || b"capitalize this!".repeat(8),
        delivery: Delivery::PingPong(16),
    },
    ServerCase {
        name: "1 MiB of every byte value",
        payload: || (0..=255u8).cycle().take(1 << 20).collect(),
        delivery: Delivery::Whole,
    },
];

/// Many clients at once against a server that serves them concurrently.
pub const CONCURRENT: (&str, usize, u64) = ("100 clients × 1 MiB at once", 100, 1 << 20);

/// Every case name, for checking that a skip names a real case.
pub fn all_case_names() -> Vec<&'static str> {
    STREAM_SIZES
        .iter()
        .map(|(name, _)| *name)
        .chain([BIG_STREAM.0, CONCURRENT.0])
        .chain(SERVER_CASES.iter().map(|case| case.name))
        .collect()
}
