//! Chapter 1, `stringcodes.py`: bytes from the outside world decoded into text, and text
//! encoded into bytes before it goes out.
//!
//! ```python
//! if __name__ == '__main__':
//!     # Translating from the outside world of bytes to Unicode characters.
//!     input_bytes = b'\xff\xfe4\x001\x003\x00 \x00i\x00s\x00 \x00i\x00n\x00.\x00'
//!     input_characters = input_bytes.decode('utf-16')
//!     print(repr(input_characters))
//!
//!     # Translating characters back into bytes before sending them.
//!     output_characters = 'We copy you down, Eagle.\n'
//!     output_bytes = output_characters.encode('utf-8')
//!     with open('eagle.txt', 'wb') as f:
//!         f.write(output_bytes)
//! ```

use std::io::Write;
use std::path::Path;

use fopnp::{Context, Error, PyStr};

/// The book's input: a byte-order mark, then `413 is in.` in UTF-16, little-endian.
pub const INPUT_BYTES: &[u8] = b"\xff\xfe4\x001\x003\x00 \x00i\x00s\x00 \x00i\x00n\x00.\x00";

/// What the script writes to `eagle.txt`.
pub const OUTPUT_CHARACTERS: &str = "We copy you down, Eagle.\n";

/// `bytes.decode('utf-16')`: the byte-order mark says which end comes first (without
/// one, little-endian, as on the machines Python runs on); an odd length or a lone
/// surrogate is an error, as Python's.
pub fn decode_utf16(bytes: &[u8]) -> Result<String, String> {
    let (little, body) = match bytes {
        [0xff, 0xfe, rest @ ..] => (true, rest),
        [0xfe, 0xff, rest @ ..] => (false, rest),
        rest => (true, rest),
    };
    if body.len() % 2 == 1 {
        return Err(format!(
            "truncated data: {} bytes is an odd number",
            bytes.len()
        ));
    }
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| format!("illegal UTF-16 surrogate 0x{:04x}", e.unpaired_surrogate()))
}

/// The script, writing `eagle.txt` into `dir`: prints first, and fails after, as the
/// book's does when the file cannot be written.
pub fn main(dir: &Path, out: &mut dyn Write) -> Result<(), Error> {
    let input_characters = decode_utf16(INPUT_BYTES).map_err(Error::msg)?;
    writeln!(out, "{}", PyStr(&input_characters))?;
    out.flush()?;

    let output_bytes = OUTPUT_CHARACTERS.as_bytes();
    let path = dir.join("eagle.txt");
    std::fs::write(&path, output_bytes).context(|| "cannot write eagle.txt")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_order_mark_decides_and_bad_input_is_an_error() {
        assert_eq!(decode_utf16(INPUT_BYTES).unwrap(), "413 is in.");
        assert_eq!(decode_utf16(b"\xfe\xff\x00h\x00i").unwrap(), "hi");
        assert_eq!(decode_utf16(b"h\x00").unwrap(), "h");
        assert!(decode_utf16(b"\xff\xfeh").unwrap_err().contains("odd"));
        assert!(
            decode_utf16(b"\xff\xfe\x00\xd8")
                .unwrap_err()
                .contains("surrogate")
        );
    }
}
