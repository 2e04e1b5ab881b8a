//! Listing 3-2's streams as the book defines them: `capitalize this!` repeated, and its
//! uppercase. Written here independently of the listing crates, as the oracle the
//! implementations are checked against.

/// The 16-byte message Listing 3-2's client repeats.
pub const MESSAGE: &[u8; 16] = b"capitalize this!";
/// What the server sends back for it.
pub const REPLY: &[u8; 16] = b"CAPITALIZE THIS!";

/// `(bytecount + 15) // 16 * 16`: the book's round-up to a multiple of 16.
pub fn round_up(bytecount: u64) -> u64 {
    bytecount.div_ceil(16).saturating_mul(16)
}

/// Whether `data` is the stream of `unit` repeated, starting at byte `offset` of it.
/// (Compared 16 bytes at a time: the tooling builds unoptimised, and checks gigabytes.)
pub fn is_stream(unit: &[u8; 16], offset: u64, data: &[u8]) -> bool {
    let start = (offset % 16) as usize;
    let (head, rest) = data.split_at(data.len().min(16 - start));
    head == &unit[start..start + head.len()] && rest.chunks(16).all(|c| c == &unit[..c.len()])
}

/// The first `len` bytes of `unit` repeated.
pub fn stream(unit: &[u8; 16], len: usize) -> Vec<u8> {
    let mut stream = unit.repeat(len.div_ceil(16));
    stream.truncate(len);
    stream
}

/// Python's `bytes.upper()`: ASCII letters uppercased, every other byte unchanged.
pub fn upper(data: &[u8]) -> Vec<u8> {
    data.to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_start_anywhere() {
        assert!(is_stream(MESSAGE, 0, b"capitalize this!capi"));
        assert!(is_stream(REPLY, 14, b"S!CAPITAL"));
        assert!(!is_stream(REPLY, 0, b"capitalize"));
        assert!(is_stream(REPLY, 30, b""));
        assert!(!is_stream(
            REPLY,
            3,
            b"ITALIZE THIS!CAPITALIZE THIS!CAPITALIZE this!"
        ));
        assert!(is_stream(
            REPLY,
            3,
            b"ITALIZE THIS!CAPITALIZE THIS!CAPITALIZE THIS!"
        ));
        assert_eq!(stream(REPLY, 20), b"CAPITALIZE THIS!CAPI");
        assert_eq!([0, 1, 16, 17].map(round_up), [0, 16, 16, 32]);
    }
}
