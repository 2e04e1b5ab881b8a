//! `pprint`'s layout where the listings need it: its width, and how it cuts a string too
//! long for its line.

use crate::PyStr;

/// pprint's width.
pub const WIDTH: usize = 80;

/// pprint's `_pprint_str` for a string inside a container, at column `indent` with
/// `allowance` columns kept for what follows: its repr if that fits, or else its lines,
/// each split after whitespace into pieces that fit, one repr a line.
pub fn pformat_str(text: &str, indent: usize, allowance: usize) -> String {
    let width = |s: &str| PyStr(s).to_string().chars().count();
    let whole = PyStr(text).to_string();
    let max_width = WIDTH.saturating_sub(indent);
    if text.is_empty() || whole.chars().count() <= max_width.saturating_sub(allowance) {
        return whole;
    }
    let lines = split_lines(text);
    let mut chunks: Vec<String> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let last_line = i == lines.len() - 1;
        let max_width1 = if last_line {
            max_width.saturating_sub(allowance)
        } else {
            max_width
        };
        if width(line) <= max_width1 {
            chunks.push(PyStr(line).to_string());
            continue;
        }
        // `re.findall(r'\S*\s*', line)`: runs of non-space, each with the space after it.
        let parts = words(line);
        let mut current = String::new();
        for (j, part) in parts.iter().enumerate() {
            let candidate = format!("{current}{part}");
            let max_width2 = if j == parts.len() - 1 && last_line {
                max_width.saturating_sub(allowance)
            } else {
                max_width
            };
            if width(&candidate) > max_width2 {
                if !current.is_empty() {
                    chunks.push(PyStr(&current).to_string());
                }
                current = part.to_string();
            } else {
                current = candidate;
            }
        }
        if !current.is_empty() {
            chunks.push(PyStr(&current).to_string());
        }
    }
    chunks.join(&format!("\n{}", " ".repeat(indent)))
}

/// `str.splitlines(keepends=True)`.
fn split_lines(text: &str) -> Vec<&str> {
    let breaks = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if breaks(c) {
            let mut end = at + c.len_utf8();
            if c == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
                chars.next();
                end += 1;
            }
            lines.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// The runs of non-whitespace, each with the whitespace after it.
fn words(line: &str) -> Vec<&str> {
    let space = |c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c);
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (at, c) in line.char_indices() {
        if space(c) {
            in_space = true;
        } else if in_space {
            parts.push(&line[start..at]);
            start = at;
            in_space = false;
        }
    }
    if start < line.len() {
        parts.push(&line[start..]);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_ends_and_words_their_spaces_as_python_splits_them() {
        assert_eq!(split_lines("a\r\nb\nc"), ["a\r\n", "b\n", "c"]);
        assert_eq!(words("ab  cd e"), ["ab  ", "cd ", "e"]);
        // A value at column 10 with one column kept for the `}`: cut after a space.
        assert_eq!(pformat_str("short", 10, 1), "'short'");
        let long = "word ".repeat(16);
        assert_eq!(
            pformat_str(&long, 16, 1),
            "'word word word word word word word word word word word word '\n                'word word word word '"
        );
    }
}
