//! Listing 3-2's protocol (family `3-2`), streaming uppercase with half-close: its cases,
//! independent of any implementation. The client sends `capitalize this!` repeated to
//! `round_up(bytecount)` bytes, half-closes, and reads the uppercase until the server
//! closes; the server answers the uppercase of every byte (ASCII letters only) in order
//! and closes after the client's EOF.

/// A bytecount for which a client must put exactly `round_up(N)` bytes of `capitalize
/// this!` repeated on the wire, half-close, and still receive the whole answer; and for
/// which every client × server pair must complete with exact bytes both ways.
#[derive(Clone, Copy, Debug)]
pub struct StreamCase {
    pub id: &'static str,
    pub title: &'static str,
    pub bytecount: u64,
}

pub const STREAM_SIZES: &[StreamCase] = &[
    StreamCase {
        id: "zero-bytes",
        title: "0 bytes: the client half-closes at once",
        bytecount: 0,
    },
    StreamCase {
        id: "one-byte",
        title: "1 byte, rounded up to 16",
        bytecount: 1,
    },
    StreamCase {
        id: "sixteen-bytes",
        title: "16 bytes, the book's default",
        bytecount: 16,
    },
    StreamCase {
        id: "seventeen-bytes",
        title: "17 bytes, rounded up to 32",
        bytecount: 17,
    },
    StreamCase {
        id: "one-mib",
        title: "1 MiB",
        bytecount: 1 << 20,
    },
    StreamCase {
        id: "four-mib",
        title: "4 MiB, the most the book's pair always survives",
        bytecount: 4 << 20,
    },
];

/// Past every default socket buffer: a client that reads while it sends completes; one
/// that sends everything before reading (the book's) stalls, against every server (on
/// Linux's loopback, always from about 12 MB up).
pub const BIG_STREAM: StreamCase = StreamCase {
    id: "sixty-four-mib",
    title: "64 MiB: completes if the client reads while sending, deadlocks if not",
    bytecount: 64 << 20,
};

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
    pub id: &'static str,
    pub title: &'static str,
    pub payload: fn() -> Vec<u8>,
    pub delivery: Delivery,
}

pub const SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "half-close-at-once",
        title: "no bytes, then EOF: the server closes too",
        payload: Vec::new,
        delivery: Delivery::Whole,
    },
    ServerCase {
        id: "the-books-message",
        title: "capitalize this!",
        payload: || b"capitalize this!".to_vec(),
        delivery: Delivery::Whole,
    },
    ServerCase {
        id: "all-byte-values",
        title: "all 256 byte values: only ASCII letters change",
        payload: || (0..=255).collect(),
        delivery: Delivery::Whole,
    },
    ServerCase {
        id: "one-byte-per-segment",
        title: "one byte per segment",
        payload: || b"capitalize this! and this, too.".to_vec(),
        delivery: Delivery::OneBytePerSegment,
    },
    ServerCase {
        id: "answers-before-eof",
        title: "answers each piece before the client's EOF, and stays open until it",
        payload: || b"capitalize this!".repeat(8),
        delivery: Delivery::PingPong(16),
    },
    ServerCase {
        id: "one-mib-every-byte",
        title: "1 MiB of every byte value",
        payload: || (0..=255u8).cycle().take(1 << 20).collect(),
        delivery: Delivery::Whole,
    },
];

/// Many clients at once against a server that serves them concurrently.
#[derive(Clone, Copy, Debug)]
pub struct ConcurrentCase {
    pub id: &'static str,
    pub title: &'static str,
    pub clients: usize,
    pub bytecount: u64,
}

pub const CONCURRENT: ConcurrentCase = ConcurrentCase {
    id: "hundred-clients",
    title: "100 clients × 1 MiB at once",
    clients: 100,
    bytecount: 1 << 20,
};

/// Every case ID of the family, for checking that a skip names a real case.
pub fn all_case_ids() -> Vec<&'static str> {
    STREAM_SIZES
        .iter()
        .map(|case| case.id)
        .chain([BIG_STREAM.id, CONCURRENT.id])
        .chain(SERVER_CASES.iter().map(|case| case.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let ids = all_case_ids();
        for id in &ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{id}"
            );
            assert_eq!(ids.iter().filter(|other| *other == id).count(), 1, "{id}");
        }
    }
}
