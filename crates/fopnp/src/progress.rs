//! Progress lines: `\r  N bytes sent ` rewritten in place, flushed at once so that a reader
//! watching the terminal sees the count move, and sees it freeze in a deadlock; and the
//! lines page 53's concurrent servers log as connections come and go.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::PyAddr;

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

/// The variants' progress: they send and receive at once, so one line shows both counts,
/// redrawn at most ten times a second; at the end it gives way to two lines in Listing
/// 3-2's shape, `  N bytes sent` and `  N bytes received`.
#[derive(Debug, Default)]
pub struct TwoWayProgress {
    throttle: Throttle,
    width: usize,
}

impl TwoWayProgress {
    /// Redraws `\r  S bytes sent, R bytes received ` if a redraw is due.
    pub fn update(&mut self, out: &mut impl Write, sent: u64, received: u64) -> io::Result<()> {
        if !self.throttle.due() {
            return Ok(());
        }
        let line = format!("\r  {sent} bytes sent, {received} bytes received ");
        self.width = self.width.max(line.len());
        out.write_all(line.as_bytes())?;
        out.flush()
    }

    /// Prints the final counts, always, blanking what is left of the longer progress line.
    pub fn finish(&mut self, out: &mut impl Write, sent: u64, received: u64) -> io::Result<()> {
        let line = format!("\r  {sent} bytes sent ");
        let blank = self.width.saturating_sub(line.len());
        write!(out, "{line}{:blank$}\n  {received} bytes received \n", "")?;
        out.flush()
    }
}

/// The last count printed before `what` (` bytes sent`) in a progress transcript.
pub fn last_count(output: &str, what: &str) -> Option<u64> {
    let at = output.rfind(what)?;
    let digits: String = output[..at]
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
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

/// Page 53's concurrent servers (not the book's: Listing 3-2's server serves one client
/// and prints its progress) log one line when a connection is accepted...
pub fn connection_accepted(
    out: &mut dyn Write,
    recv_size: usize,
    peer: SocketAddr,
) -> io::Result<()> {
    writeln!(
        out,
        "Processing up to {recv_size} bytes at a time from {}",
        PyAddr(peer)
    )
}

/// ...and one when it closes (their lines interleave, so each names the peer)...
pub fn connection_closed(out: &mut dyn Write, peer: SocketAddr, processed: u64) -> io::Result<()> {
    writeln!(
        out,
        "  Socket closed: {}, {processed} bytes processed",
        PyAddr(peer)
    )
}

/// ...or one when it fails, which ends that connection only.
pub fn connection_failed(
    out: &mut dyn Write,
    peer: SocketAddr,
    processed: u64,
    error: &dyn std::fmt::Display,
) -> io::Result<()> {
    writeln!(
        out,
        "  Connection from {} failed after {processed} bytes: {error}",
        PyAddr(peer)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_last_progress_count() {
        let log = "Sending 64 bytes\n\r  16 bytes sent \r  32 bytes sent ";
        assert_eq!(last_count(log, " bytes sent"), Some(32));
        assert_eq!(last_count(log, " bytes received"), None);
    }

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
    fn two_way_progress_ends_in_two_plain_lines() {
        let mut out = Vec::new();
        let mut progress = TwoWayProgress::default();
        progress.update(&mut out, 65536, 1000).unwrap();
        progress.update(&mut out, 131072, 2000).unwrap(); // throttled away
        progress.finish(&mut out, 1048576, 1048576).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("131072"));
        assert_eq!(
            render(&text),
            ["  1048576 bytes sent", "  1048576 bytes received", ""]
        );
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
