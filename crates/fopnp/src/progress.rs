//! Progress lines: `\r  N bytes sent ` rewritten in place, flushed at once so that a reader
//! watching the terminal sees the count move, and sees it freeze in a deadlock.

use std::io::{self, Write};
use std::time::{Duration, Instant};

/// Prints Python's `print('\r  %d bytes sent' % (n,), end=' ')` and flushes.
pub fn progress(out: &mut impl Write, count: u64, what: &str) -> io::Result<()> {
    write!(out, "\r  {count} {what} ")?;
    out.flush()
}

/// How often the variants redraw their progress line: at most ten times a second, so that
/// printing never limits throughput.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// Says when a throttled progress line is due.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last: Option<Instant>,
}

impl Throttle {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            last: None,
        }
    }

    /// True at most once per interval (and on the first call).
    pub fn due(&mut self) -> bool {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < self.interval => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Self::new(PROGRESS_INTERVAL)
    }
}

/// What a terminal shows for `output`: `\r` returns to the start of the line and later
/// text overwrites earlier text. Trailing blanks are dropped from each line.
pub fn render(output: &str) -> Vec<String> {
    output
        .split('\n')
        .map(|line| {
            let mut shown: Vec<char> = Vec::new();
            for segment in line.split('\r') {
                for (i, c) in segment.chars().enumerate() {
                    if i < shown.len() {
                        shown[i] = c;
                    } else {
                        shown.push(c);
                    }
                }
            }
            shown.into_iter().collect::<String>().trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_the_books_print_with_end_space() {
        let mut out = Vec::new();
        progress(&mut out, 16, "bytes sent").unwrap();
        progress(&mut out, 32, "bytes sent").unwrap();
        assert_eq!(out, b"\r  16 bytes sent \r  32 bytes sent ");
    }

    #[test]
    fn throttle_lets_the_first_through_then_waits() {
        let mut throttle = Throttle::new(Duration::from_secs(3600));
        assert!(throttle.due());
        assert!(!throttle.due());
        let mut eager = Throttle::new(Duration::ZERO);
        assert!(eager.due() && eager.due());
    }

    #[test]
    fn render_overwrites_after_carriage_return() {
        assert_eq!(
            render("Sending\n\r  16 bytes sent \r  32 bytes sent \nend"),
            ["Sending", "  32 bytes sent", "end"]
        );
        assert_eq!(
            render("\r  1000 bytes, 9 more \r  1000 bytes"),
            ["  1000 bytes, 9 more"]
        );
    }
}
