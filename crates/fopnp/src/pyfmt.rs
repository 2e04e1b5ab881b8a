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

/// `urllib.parse.quote_plus(text)`: a space is `+`, and every byte but letters, digits
/// and `_.-` is `%XX` (`207+N.+Defiance+St%2C+Archbold%2C+OH`). One difference, from
/// form_urlencoded's rules: `*` stays and `~` is escaped, where Python does the opposite.
pub fn quote_plus(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `bytes.decode('utf-8')`, strict: the text, or where it stops being UTF-8, as Python's
/// `UnicodeDecodeError` says it (`byte 0xdf in position 431`), for a one-line message.
pub fn decode_utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        format!("byte 0x{:02x} in position {at}", bytes[at])
    })
}

/// Displays a float as Python's `repr()` does: the shortest digits that read back as the
/// same number, always with a point or an exponent (`41.0`, not `41`), and in exponent
/// form below 1e-4 and from 1e16 up (`1e-05`, `1e+16`), where Rust's `{}` never uses one.
#[derive(Clone, Copy, Debug)]
pub struct PyFloat(pub f64);

impl fmt::Display for PyFloat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if x.is_nan() {
            return f.write_str("nan");
        }
        if x.is_infinite() {
            return f.write_str(if x > 0.0 { "inf" } else { "-inf" });
        }
        // Rust's `{:e}` gives the same shortest digits, as `d.ddde±x`.
        let scientific = format!("{x:e}");
        let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
        let exponent: i32 = exponent.parse().unwrap_or(0);
        if (-4..16).contains(&exponent) {
            let fixed = format!("{x}");
            if fixed.contains('.') {
                f.write_str(&fixed)
            } else {
                write!(f, "{fixed}.0")
            }
        } else {
            let sign = if exponent < 0 { '-' } else { '+' };
            write!(f, "{mantissa}e{sign}{:02}", exponent.unsigned_abs())
        }
    }
}

/// A value of Python's, as `json.loads` returns it and `print` shows it: `{'lat':
/// 41.521954, 'lng': -84.306691}`. A dict keeps its keys in the order they came, as
/// Python's does (read one with `serde_json::from_str::<PyObject>`).
#[derive(Clone, Debug, PartialEq)]
pub enum PyObject {
    None,
    Bool(bool),
    /// An int (JSON's integers; one beyond 64 bits arrives as a float, where Python's
    /// `json` would keep every digit).
    Int(i128),
    Float(f64),
    Str(String),
    List(Vec<PyObject>),
    Dict(Vec<(String, PyObject)>),
}

impl PyObject {
    /// `obj[key]` of a dict (None: not a dict, or no such key).
    pub fn get(&self, key: &str) -> Option<&PyObject> {
        match self {
            PyObject::Dict(items) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// `obj[i]` of a list (None: not a list, or out of range).
    pub fn index(&self, i: usize) -> Option<&PyObject> {
        match self {
            PyObject::List(items) => items.get(i),
            _ => None,
        }
    }

    /// `obj[key]` as Python evaluates it, or Python's error, for a message: `KeyError:
    /// 'results'`, `IndexError: list index out of range`, `TypeError: string indices
    /// must be integers`.
    pub fn item(&self, key: Key<'_>) -> Result<&PyObject, String> {
        match (self, key) {
            (PyObject::Dict(_), Key::Name(name)) => self
                .get(name)
                .ok_or_else(|| format!("KeyError: {}", PyStr(name))),
            (PyObject::List(items), Key::Index(i)) => items
                .get(i)
                .ok_or_else(|| "IndexError: list index out of range".to_string()),
            (PyObject::Dict(_), Key::Index(i)) => Err(format!("KeyError: {i}")),
            (PyObject::List(_), Key::Name(_)) => {
                Err("TypeError: list indices must be integers or slices, not str".into())
            }
            (PyObject::Str(_), _) => Err("TypeError: string indices must be integers".into()),
            (other, _) => Err(format!(
                "TypeError: '{}' object is not subscriptable",
                other.type_name()
            )),
        }
    }

    /// `obj[k1][k2]...`, or where it failed: `answer['results'][0]: IndexError: list
    /// index out of range`, the expression named as `name`.
    pub fn path(&self, name: &str, keys: &[Key<'_>]) -> Result<&PyObject, String> {
        let mut expr = name.to_string();
        let mut at = self;
        for key in keys {
            match key {
                Key::Name(k) => expr += &format!("[{}]", PyStr(k)),
                Key::Index(i) => expr += &format!("[{i}]"),
            }
            at = at.item(*key).map_err(|e| format!("{expr}: {e}"))?;
        }
        Ok(at)
    }

    /// Python's name for its type, for a message: `dict`, `list`, `str`.
    pub fn type_name(&self) -> &'static str {
        match self {
            PyObject::None => "NoneType",
            PyObject::Bool(_) => "bool",
            PyObject::Int(_) => "int",
            PyObject::Float(_) => "float",
            PyObject::Str(_) => "str",
            PyObject::List(_) => "list",
            PyObject::Dict(_) => "dict",
        }
    }
}

/// A subscript: `obj['name']` or `obj[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key<'a> {
    Name(&'a str),
    Index(usize),
}

/// `print(obj)`: a str prints as itself, anything else as its repr.
impl fmt::Display for PyObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PyObject::Str(text) => f.write_str(text),
            other => write!(f, "{}", PyRepr(other)),
        }
    }
}

/// `repr(obj)` of a [`PyObject`]: a str in quotes, as inside a dict or a list.
#[derive(Clone, Copy, Debug)]
pub struct PyRepr<'a>(pub &'a PyObject);

impl fmt::Display for PyRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            PyObject::None => f.write_str("None"),
            PyObject::Bool(true) => f.write_str("True"),
            PyObject::Bool(false) => f.write_str("False"),
            PyObject::Int(n) => write!(f, "{n}"),
            PyObject::Float(x) => write!(f, "{}", PyFloat(*x)),
            PyObject::Str(text) => write!(f, "{}", PyStr(text)),
            PyObject::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", PyRepr(item))?;
                }
                f.write_str("]")
            }
            PyObject::Dict(items) => {
                f.write_str("{")?;
                for (i, (key, value)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}: {}", PyStr(key), PyRepr(value))?;
                }
                f.write_str("}")
            }
        }
    }
}

/// `print(a, b)` of a tuple: `(41.521954, -84.306691)`.
#[derive(Clone, Copy, Debug)]
pub struct PyPair(pub f64, pub f64);

impl fmt::Display for PyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", PyFloat(self.0), PyFloat(self.1))
    }
}

impl<'de> serde::Deserialize<'de> for PyObject {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> serde::de::Visitor<'de> for ObjectVisitor {
    type Value = PyObject;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<PyObject, E> {
        Ok(PyObject::None)
    }

    fn visit_none<E>(self) -> Result<PyObject, E> {
        Ok(PyObject::None)
    }

    fn visit_bool<E>(self, v: bool) -> Result<PyObject, E> {
        Ok(PyObject::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<PyObject, E> {
        Ok(PyObject::Int(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<PyObject, E> {
        Ok(PyObject::Int(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<PyObject, E> {
        Ok(PyObject::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<PyObject, E> {
        Ok(PyObject::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<PyObject, E> {
        Ok(PyObject::Str(v))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<PyObject, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(PyObject::List(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<PyObject, A::Error> {
        let mut items: Vec<(String, PyObject)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, PyObject>()? {
            // A repeated key keeps its first place and its last value, as a dict does.
            match items.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => items.push((key, value)),
            }
        }
        Ok(PyObject::Dict(items))
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

    #[test]
    fn floats_print_as_pythons_repr() {
        let repr = |x: f64| PyFloat(x).to_string();
        assert_eq!(repr(41.521954), "41.521954");
        assert_eq!(repr(-84.30803998029151), "-84.30803998029151");
        assert_eq!(repr(41.0), "41.0");
        assert_eq!(repr(0.0001), "0.0001");
        assert_eq!(repr(0.00001), "1e-05");
        assert_eq!(repr(1.5e-7), "1.5e-07");
        assert_eq!(repr(1e15), "1000000000000000.0");
        assert_eq!(repr(1e16), "1e+16");
        assert_eq!(repr(-2.5e300), "-2.5e+300");
        assert_eq!(repr(-0.0), "-0.0");
        assert_eq!(repr(f64::INFINITY), "inf");
        assert_eq!(
            PyPair(41.521954, -84.306691).to_string(),
            "(41.521954, -84.306691)"
        );
    }

    #[test]
    fn json_prints_as_the_dict_python_loads_keys_in_order() {
        let text = r#"{"lng": -84.306691, "lat": 41.521954, "n": 7, "ok": true,
                       "none": null, "s": "it's", "l": [1.0, "a"], "lng": 2}"#;
        let obj: PyObject = serde_json::from_str(text).unwrap();
        assert_eq!(
            obj.to_string(),
            r#"{'lng': 2, 'lat': 41.521954, 'n': 7, 'ok': True, 'none': None, 's': "it's", 'l': [1.0, 'a']}"#
        );
        assert_eq!(obj.get("lat"), Some(&PyObject::Float(41.521954)));
        assert_eq!(
            obj.get("l").and_then(|l| l.index(1)).map(|a| a.to_string()),
            Some("a".into())
        );
        assert_eq!(obj.type_name(), "dict");
        let answer: PyObject = serde_json::from_str(r#"{"results": [], "s": "x"}"#).unwrap();
        let path = |keys: &[Key]| answer.path("answer", keys).map(|o| o.to_string());
        assert_eq!(
            path(&[Key::Name("results"), Key::Index(0)]),
            Err("answer['results'][0]: IndexError: list index out of range".into())
        );
        assert_eq!(
            path(&[Key::Name("status")]),
            Err("answer['status']: KeyError: 'status'".into())
        );
        assert_eq!(
            path(&[Key::Name("s"), Key::Name("t")]),
            Err("answer['s']['t']: TypeError: string indices must be integers".into())
        );
        assert_eq!(path(&[Key::Name("s")]), Ok("x".into()));
        assert_eq!(
            quote_plus("207 N. Defiance St, Archbold, OH"),
            "207+N.+Defiance+St%2C+Archbold%2C+OH"
        );
    }

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
