//! Chapter 5's interactive session, `py3/chapter05/examples.rst`, which the book runs as a
//! doctest: each snippet here is a Rust doc test that computes the same bytes or text in
//! Rust, and checks it against what Python prints. `cargo test -p examples-rst` runs them.
//!
//! # Bytes into text: one byte string, five code pages
//!
//! The chapter decodes the six bytes `67 68 69 e7 e8 e9` under several code pages, to show
//! that bytes are not text until a codec says which characters they mean. Latin-1 maps
//! each byte to the code point of the same number, which Rust can do by hand; the other
//! ISO-8859 pages come from `encoding_rs`, whose labels are the WHATWG ones (it reads the
//! label `latin1` as windows-1252, so Latin-1 itself is done by hand).
//!
//! ```
//! use examples_rst::{SIX, decode_latin1};
//! use encoding_rs::{ISO_8859_2, ISO_8859_7, ISO_8859_8};
//!
//! // .decode('latin1')
//! assert_eq!(decode_latin1(&SIX), "ghiçèé");
//! // .decode('latin2'), .decode('greek'), .decode('hebrew')
//! for (codec, python) in [(ISO_8859_2, "ghiçčé"), (ISO_8859_7, "ghiηθι"), (ISO_8859_8, "ghiחטי")] {
//!     let (text, malformed) = codec.decode_without_bom_handling(&SIX);
//!     assert!(!malformed);
//!     assert_eq!(text, python, "{}", codec.name());
//! }
//! ```
//!
//! **Skipped: `.decode('EBCDIC-CP-BE')` (cp500), `'ÅÇÑXYZ'`.** Neither std nor
//! `encoding_rs` has an EBCDIC code page; `encoding_rs` implements the WHATWG encodings
//! only, and the book's point (the same bytes, other characters) is made by the four
//! above.
//!
//! # Text into bytes: UTF-16, UTF-32 and UTF-8
//!
//! `len('Namárië!')` is 8 characters; Python's `UTF-16` and `UTF-32` codecs write a byte
//! order mark first, in the machine's order (little-endian here). `encoding_rs` does not
//! encode UTF-16 and has no UTF-32, so std's `encode_utf16` and `char` do it.
//!
//! ```
//! use examples_rst::{NAMARIE, utf16_with_bom, utf32_with_bom};
//! use fopnp::PyBytes;
//!
//! assert_eq!(NAMARIE.chars().count(), 8);
//! let utf16 = utf16_with_bom(NAMARIE);
//! assert_eq!(
//!     PyBytes(&utf16).to_string(),
//!     r"b'\xff\xfeN\x00a\x00m\x00\xe1\x00r\x00i\x00\xeb\x00!\x00'"
//! );
//! assert_eq!(utf16.len(), 18);
//! let utf32 = utf32_with_bom(NAMARIE);
//! assert_eq!(&utf32[..8], b"\xff\xfe\x00\x00N\x00\x00\x00");
//! assert_eq!(utf32.len(), 36);
//! let utf8 = NAMARIE.as_bytes();
//! assert_eq!(PyBytes(utf8).to_string(), r"b'Nam\xc3\xa1ri\xc3\xab!'");
//! assert_eq!(utf8.len(), 10);
//! ```
//!
//! # When a codec cannot: errors, `replace` and `ignore`
//!
//! Decoding `b'\x80'` as ASCII, and encoding Greek as Latin-1, fail; the error names the
//! position, as Python's does. The `replace` and `ignore` handlers trade the error for a
//! replacement or for nothing. (`encoding_rs` would write `&#951;` where Python writes
//! `?`, so these are by hand too.)
//!
//! ```
//! use examples_rst::{Errors, decode_ascii, encode_latin1};
//! use fopnp::PyBytes;
//!
//! let error = decode_ascii(b"\x80", Errors::Strict).unwrap_err();
//! assert_eq!(
//!     error,
//!     "'ascii' codec can't decode byte 0x80 in position 0: ordinal not in range(128)"
//! );
//! let error = encode_latin1("ghiηθι", Errors::Strict).unwrap_err();
//! assert_eq!(
//!     error,
//!     "'latin-1' codec can't encode characters in position 3-5: ordinal not in range(256)"
//! );
//! assert_eq!(decode_ascii(b"ab\x80def", Errors::Replace).unwrap(), "ab\u{fffd}def");
//! assert_eq!(decode_ascii(b"ab\x80def", Errors::Ignore).unwrap(), "abdef");
//! let replaced = encode_latin1("ghiηθι", Errors::Replace).unwrap();
//! assert_eq!(PyBytes(&replaced).to_string(), "b'ghi???'");
//! let ignored = encode_latin1("ghiηθι", Errors::Ignore).unwrap();
//! assert_eq!(PyBytes(&ignored).to_string(), "b'ghi'");
//! ```
//!
//! # Byte order: `struct.pack('<i')` and `struct.pack('>i')`
//!
//! Network byte order is big-endian, the `!` and `>` of `struct`; Listing 5-2's headers
//! use it.
//!
//! ```
//! use fopnp::PyBytes;
//!
//! let n: i32 = 4253;
//! assert_eq!(PyBytes(&n.to_le_bytes()).to_string(), r"b'\x9d\x10\x00\x00'");
//! assert_eq!(PyBytes(&n.to_be_bytes()).to_string(), r"b'\x00\x00\x10\x9d'");
//! let unpacked = i32::from_be_bytes(n.to_be_bytes());
//! assert_eq!(format!("({unpacked},)"), "(4253,)");
//! ```
//!
//! **Skipped: the `pickle` snippets** (`pickle.dumps([5, 6, 7])`, `pickle.loads` of a
//! string with trailing bytes, and `pickle.load` from a `BytesIO` that is left at byte
//! 14). Pickle is Python's own object format, with no Rust counterpart in this
//! workspace's dependencies; the book's point, that a self-delimiting format lets the
//! reader find where a message ends, is what Listing 5-2's length prefix does. (The
//! book's `b'\x80\x03...'` is protocol 3; Python 3.8 and later write protocol 4 by
//! default, so that snippet fails on them too.)

/// The six bytes `b'\x67\x68\x69\xe7\xe8\xe9'` that the chapter decodes.
pub const SIX: [u8; 6] = [0x67, 0x68, 0x69, 0xe7, 0xe8, 0xe9];

/// The chapter's text for its encodings.
pub const NAMARIE: &str = "Namárië!";

/// Python's codec error handlers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errors {
    /// Fail at the first character the codec cannot handle (Python's default).
    Strict,
    /// Put U+FFFD (decoding) or `?` (encoding) in its place.
    Replace,
    /// Leave it out.
    Ignore,
}

/// `bytes.decode('latin1')`: each byte is the code point of the same number.
pub fn decode_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// `bytes.decode('ascii', errors)`, with Python's message for a strict failure.
pub fn decode_ascii(bytes: &[u8], errors: Errors) -> Result<String, String> {
    let mut text = String::new();
    for (position, &byte) in bytes.iter().enumerate() {
        match (byte.is_ascii(), errors) {
            (true, _) => text.push(char::from(byte)),
            (false, Errors::Strict) => {
                return Err(format!(
                    "'ascii' codec can't decode byte {byte:#04x} in position {position}: ordinal not in range(128)"
                ));
            }
            (false, Errors::Replace) => text.push(char::REPLACEMENT_CHARACTER),
            (false, Errors::Ignore) => {}
        }
    }
    Ok(text)
}

/// `str.encode('latin-1', errors)`, with Python's message for a strict failure (it
/// names the run of characters that cannot be encoded).
pub fn encode_latin1(text: &str, errors: Errors) -> Result<Vec<u8>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut bytes = Vec::new();
    for (position, &c) in chars.iter().enumerate() {
        match (u8::try_from(u32::from(c)), errors) {
            (Ok(byte), _) => bytes.push(byte),
            (Err(_), Errors::Strict) => {
                let end = position
                    + chars[position..]
                        .iter()
                        .take_while(|&&c| u32::from(c) > 0xff)
                        .count();
                let span = if end - position == 1 {
                    format!("character '\\u{:04x}' in position {position}", u32::from(c))
                } else {
                    format!("characters in position {position}-{}", end - 1)
                };
                return Err(format!(
                    "'latin-1' codec can't encode {span}: ordinal not in range(256)"
                ));
            }
            (Err(_), Errors::Replace) => bytes.push(b'?'),
            (Err(_), Errors::Ignore) => {}
        }
    }
    Ok(bytes)
}

/// `str.encode('UTF-16')`: a byte order mark, then little-endian code units.
pub fn utf16_with_bom(text: &str) -> Vec<u8> {
    std::iter::once(0xfeff)
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect()
}

/// `str.encode('UTF-32')`: a byte order mark, then little-endian code points.
pub fn utf32_with_bom(text: &str) -> Vec<u8> {
    std::iter::once(0xfeff)
        .chain(text.chars().map(u32::from))
        .flat_map(u32::to_le_bytes)
        .collect()
}
