//! Python's way of printing bytes and socket addresses, which the book's output shows.

use std::fmt;
use std::net::SocketAddr;

/// Displays bytes as Python's `repr()` does: `b'Hi there, server'`.
///
/// Single quotes unless the bytes contain `'` and no `"`; `\\`, `\t`, `\n`, `\r` and the
/// chosen quote are escaped; any other byte below 0x20 or from 0x7f up is `\xNN`.
#[derive(Clone, Copy, Debug)]
pub struct PyBytes<'a>(pub &'a [u8]);

impl fmt::Display for PyBytes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quote = if self.0.contains(&b'\'') && !self.0.contains(&b'"') {
            b'"'
        } else {
            b'\''
        };
        let mut text = String::with_capacity(self.0.len() + 3);
        text.push('b');
        text.push(char::from(quote));
        for &byte in self.0 {
            match byte {
                b'\\' => text.push_str("\\\\"),
                b'\t' => text.push_str("\\t"),
                b'\n' => text.push_str("\\n"),
                b'\r' => text.push_str("\\r"),
                _ if byte == quote => {
                    text.push('\\');
                    text.push(char::from(byte));
                }
                0x20..0x7f => text.push(char::from(byte)),
                _ => text.push_str(&format!("\\x{byte:02x}")),
            }
        }
        text.push(char::from(quote));
        f.write_str(&text)
    }
}

/// Displays a socket address as Python's socket module returns it: a tuple.
///
/// IPv4 is `('127.0.0.1', 1060)`; IPv6 is `('::1', 1060, 0, 0)` (host, port, flowinfo,
/// scope id).
#[derive(Clone, Copy, Debug)]
pub struct PyAddr(pub SocketAddr);

impl fmt::Display for PyAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            SocketAddr::V4(a) => write!(f, "('{}', {})", a.ip(), a.port()),
            SocketAddr::V6(a) => write!(
                f,
                "('{}', {}, {}, {})",
                a.ip(),
                a.port(),
                a.flowinfo(),
                a.scope_id()
            ),
        }
    }
}

/// Displays text as Python's `repr()` of a `str` does: `'localhost'`, `''`.
///
/// Single quotes unless the text contains `'` and no `"`; `\\`, `\t`, `\n`, `\r` and the
/// chosen quote are escaped; other control characters are `\xNN`; everything else, non-ASCII
/// letters included, stands for itself.
#[derive(Clone, Copy, Debug)]
pub struct PyStr<'a>(pub &'a str);

impl fmt::Display for PyStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quote = if self.0.contains('\'') && !self.0.contains('"') {
            '"'
        } else {
            '\''
        };
        let mut text = String::with_capacity(self.0.len() + 2);
        text.push(quote);
        for c in self.0.chars() {
            match c {
                '\\' => text.push_str("\\\\"),
                '\t' => text.push_str("\\t"),
                '\n' => text.push_str("\\n"),
                '\r' => text.push_str("\\r"),
                _ if c == quote => {
                    text.push('\\');
                    text.push(c);
                }
                '\0'..='\x1f' | '\x7f'..='\u{9f}' => text.push_str(&format!("\\x{:02x}", c as u32)),
                _ => text.push(c),
            }
        }
        text.push(quote);
        f.write_str(&text)
    }
}

/// What the book prints of received bytes it decodes as ASCII: the `str` repr
/// (`'hello'`). Where Python's `decode('ascii')` would die, the ports print the bytes repr
/// instead (`b'H\xc3\xa9'`) and go on.
#[derive(Clone, Copy, Debug)]
pub struct PyText<'a>(pub &'a [u8]);

impl fmt::Display for PyText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(self.0) {
            Ok(text) if text.is_ascii() => write!(f, "{}", PyStr(text)),
            _ => write!(f, "{}", PyBytes(self.0)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ascii_prints_as_a_str_and_anything_else_as_bytes() {
        assert_eq!(PyText(b"it's").to_string(), "\"it's\"");
        assert_eq!(PyText(b"").to_string(), "''");
        assert_eq!(PyText("Hé".as_bytes()).to_string(), "b'H\\xc3\\xa9'");
    }

    use super::*;

    fn repr(bytes: &[u8]) -> String {
        PyBytes(bytes).to_string()
    }

    #[test]
    fn plain_bytes_use_single_quotes() {
        assert_eq!(repr(b"Hi there, server"), "b'Hi there, server'");
        assert_eq!(repr(b""), "b''");
    }

    #[test]
    fn single_quote_without_double_switches_to_double_quotes() {
        assert_eq!(repr(b"it's"), r#"b"it's""#);
    }

    #[test]
    fn double_quote_alone_stays_unescaped_in_single_quotes() {
        assert_eq!(repr(br#"say "hi""#), r#"b'say "hi"'"#);
    }

    #[test]
    fn both_quotes_escape_the_single_one() {
        assert_eq!(repr(br#"both '""#), r#"b'both \'"'"#);
    }

    #[test]
    fn control_bytes_use_named_escapes_or_hex() {
        assert_eq!(repr(b"\x00\x01\x08\t\n\x0b"), r"b'\x00\x01\x08\t\n\x0b'");
        assert_eq!(repr(b"\r"), r"b'\r'");
    }

    #[test]
    fn high_bytes_and_backslash() {
        assert_eq!(repr(b"\x7f\x80\xff\\"), r"b'\x7f\x80\xff\\'");
    }

    #[test]
    fn every_printable_ascii_byte_stands_for_itself() {
        for byte in 0x20..0x7f_u8 {
            if byte == b'\'' || byte == b'\\' {
                continue;
            }
            assert_eq!(repr(&[byte]), format!("b'{}'", char::from(byte)));
        }
    }

    #[test]
    fn strings_print_as_python_reprs() {
        assert_eq!(PyStr("localhost").to_string(), "'localhost'");
        assert_eq!(PyStr("").to_string(), "''");
        assert_eq!(PyStr("it's").to_string(), r#""it's""#);
        assert_eq!(PyStr("a\tb\\").to_string(), r"'a\tb\\'");
        assert_eq!(PyStr("\x01é").to_string(), r"'\x01é'");
    }

    #[test]
    fn addresses_print_as_python_tuples() {
        let v4: SocketAddr = "127.0.0.1:1060".parse().unwrap();
        assert_eq!(PyAddr(v4).to_string(), "('127.0.0.1', 1060)");
        let v6: SocketAddr = "[::1]:1060".parse().unwrap();
        assert_eq!(PyAddr(v6).to_string(), "('::1', 1060, 0, 0)");
        let scoped = SocketAddr::V6(std::net::SocketAddrV6::new(
            "fe80::1".parse().unwrap(),
            80,
            7,
            2,
        ));
        assert_eq!(PyAddr(scoped).to_string(), "('fe80::1', 80, 7, 2)");
    }
}
