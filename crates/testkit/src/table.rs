//! Tables on the terminal whose columns line up: every column as wide as its widest cell,
//! headers included (a header may take two lines, split at `\n`).

/// How a column's cells sit in its width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

enum Row {
    Cells(Vec<String>),
    /// A line of its own (a section title, a blank line), outside the columns.
    Text(String),
}

/// A table built row by row and rendered with aligned columns.
pub struct Table {
    headers: Vec<(String, Align)>,
    rows: Vec<Row>,
}

impl Table {
    /// A table with these column headers and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Self {
            headers: columns
                .iter()
                .map(|(name, align)| (name.to_string(), *align))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row of cells (missing cells are blank).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(Row::Cells(cells));
    }

    /// Adds a line of its own between rows.
    pub fn text(&mut self, line: impl Into<String>) {
        self.rows.push(Row::Text(line.into()));
    }

    pub fn render(&self) -> String {
        let header_lines = self
            .headers
            .iter()
            .map(|(h, _)| h.lines().count())
            .max()
            .unwrap_or(1);
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|(h, _)| h.lines().map(width).max().unwrap_or(0))
            .collect();
        for row in &self.rows {
            if let Row::Cells(cells) = row {
                for (w, cell) in widths.iter_mut().zip(cells) {
                    *w = (*w).max(width(cell));
                }
            }
        }
        let line = |cells: &[String]| -> String {
            let mut out = String::new();
            for (i, (w, (_, align))) in widths.iter().zip(&self.headers).enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = " ".repeat(w - width(cell));
                if i > 0 {
                    out.push_str("  ");
                }
                match align {
                    Align::Left => {
                        out.push_str(cell);
                        out.push_str(&pad);
                    }
                    Align::Right => {
                        out.push_str(&pad);
                        out.push_str(cell);
                    }
                }
            }
            out.trim_end().to_string() + "\n"
        };
        let mut out = String::new();
        for k in 0..header_lines {
            // Headers sit at the bottom of their cell: a one-line header beside a
            // two-line one is on the second line.
            let cells: Vec<String> = self
                .headers
                .iter()
                .map(|(h, _)| {
                    let lines: Vec<&str> = h.lines().collect();
                    let skip = header_lines - lines.len();
                    if k < skip {
                        String::new()
                    } else {
                        lines[k - skip].to_string()
                    }
                })
                .collect();
            out.push_str(&line(&cells));
        }
        for row in &self.rows {
            match row {
                Row::Cells(cells) => out.push_str(&line(cells)),
                Row::Text(text) => {
                    out.push_str(text);
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// Display width: characters, not bytes (`×`, `→` and `≥` are one column each).
fn width(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_their_headers() {
        let mut t = Table::new(&[
            ("server", Align::Left),
            ("MB/s", Align::Right),
            ("peak\nMiB", Align::Right),
        ]);
        t.row(vec!["tcp_threaded → x".into(), "2362".into(), "3.0".into()]);
        t.text("");
        t.row(vec!["a".into(), "8".into(), "102.4".into()]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("{}peak", " ".repeat(25)));
        assert_eq!(lines[1], "server            MB/s    MiB");
        assert_eq!(lines[2], "tcp_threaded → x  2362    3.0");
        assert_eq!(lines[3], "");
        assert_eq!(lines[4], "a                    8  102.4");
        // Every value ends in the column of its header's end.
        let end = |l: &str, s: &str| l[..l.find(s).unwrap()].chars().count() + s.len();
        assert_eq!(end(lines[1], "MB/s"), end(lines[2], "2362"));
        assert_eq!(end(lines[1], "MB/s"), end(lines[4], "8"));
    }
}
