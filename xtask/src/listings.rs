//! The table of listings that `cargo xtask list` shows and `cargo xtask run` runs.

use std::io::{self, Write};

/// One runnable listing.
#[derive(Debug)]
pub struct Listing {
    /// The ID users type: `3-1`.
    pub id: &'static str,
    /// Where it is in the book.
    pub book: &'static str,
    /// The crate that ports it.
    pub krate: &'static str,
    /// The binary, named after the Python script.
    pub bin: &'static str,
    /// One line saying what it does.
    pub summary: &'static str,
    /// Client arguments used when `run` is given none.
    pub default_args: &'static [&'static str],
    /// Whether the server's output shows it is done with the client.
    pub settled: fn(&str) -> bool,
    /// How `run` runs it.
    pub kind: Kind,
}

/// What kind of thing `cargo xtask run` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A server and a client, shown as the book's sessions are.
    Session,
    /// One program, `bin SUBCOMMAND`, that prints its own observations and verdict.
    Demo(&'static str),
}

/// A page 53 demonstration: `page53 SUBCOMMAND`.
const fn demo(id: &'static str, summary: &'static str) -> Listing {
    Listing {
        id,
        book: "Chapter 3, page 53",
        krate: "page53",
        bin: "page53",
        summary,
        default_args: &[],
        settled: |_| true,
        kind: Kind::Demo(id),
    }
}

pub static LISTINGS: &[Listing] = &[
    Listing {
        id: "3-1",
        book: "Chapter 3, Listing 3-1",
        krate: "tcp-sixteen",
        bin: "tcp_sixteen",
        summary: "TCP client and server that send and receive 16 octets",
        default_args: &[],
        // Back to accepting after the one connection.
        settled: |log| log.matches("Waiting to accept a new connection\n").count() >= 2,
        kind: Kind::Session,
    },
    Listing {
        id: "3-2",
        book: "Chapter 3, Listing 3-2",
        krate: "tcp-deadlock",
        bin: "tcp_deadlock",
        summary: "TCP client and server that leave too much data waiting (deadlocks when large)",
        default_args: &[],
        // Done with the one connection, or reported its failure.
        settled: |log| log.contains("  Socket closed\n") || log.contains(" failed: "),
        kind: Kind::Session,
    },
    Listing {
        id: "3-2-threaded",
        book: "Chapter 3, page 53 (b)",
        krate: "tcp-threaded",
        bin: "tcp_threaded",
        summary: "Listing 3-2 without the deadlock: one thread sends while another receives",
        default_args: &["1073741824"],
        settled: variant_settled,
        kind: Kind::Session,
    },
    Listing {
        id: "3-2-nonblocking",
        book: "Chapter 3, page 53 (a)",
        krate: "tcp-nonblocking",
        bin: "tcp_nonblocking",
        summary: "Listing 3-2 without the deadlock: nonblocking sockets driven by poll()",
        default_args: &["1073741824"],
        settled: variant_settled,
        kind: Kind::Session,
    },
    demo(
        "half-close",
        "shutdown(Write): the peer reads EOF, and the reply still comes back",
    ),
    demo(
        "shut-rd",
        "shutdown(Read): does the peer really meet an error? (not on Linux)",
    ),
    demo(
        "close-vs-shutdown",
        "close() of one handle versus shutdown() of the shared socket",
    ),
    demo(
        "eof-vs-wouldblock",
        "EOF (0 bytes) versus \"would block\", and a reset",
    ),
    demo(
        "udp-flood",
        "UDP drops what is not read in time; TCP makes the sender wait",
    ),
];

/// The variants log one line when a connection closes or fails.
fn variant_settled(log: &str) -> bool {
    log.contains("  Socket closed: ") || log.contains(" failed after ")
}

/// Finds a listing by ID, crate name or binary name.
pub fn find(name: &str) -> Option<&'static Listing> {
    LISTINGS.iter().find(|l| l.id == name).or_else(|| {
        LISTINGS
            .iter()
            .find(|l| l.kind == Kind::Session && (l.krate == name || l.bin == name))
    })
}

fn write_list(out: &mut impl Write) -> io::Result<()> {
    let id = LISTINGS.iter().map(|l| l.id.len()).max().unwrap_or(2);
    let book = LISTINGS.iter().map(|l| l.book.len()).max().unwrap_or(4);
    let krate = LISTINGS.iter().map(|l| l.krate.len()).max().unwrap_or(5);
    writeln!(
        out,
        "{:<id$}  {:<book$}  {:<krate$}  what it does",
        "ID", "book", "crate"
    )?;
    for l in LISTINGS {
        writeln!(
            out,
            "{:<id$}  {:<book$}  {:<krate$}  {}",
            l.id, l.book, l.krate, l.summary
        )?;
    }
    Ok(())
}

pub fn print_list() {
    let _ = write_list(&mut io::stdout().lock());
}

pub fn print_list_to_stderr() {
    let _ = write_list(&mut io::stderr().lock());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_crates_and_binaries_are_unique_and_found() {
        for l in LISTINGS {
            assert!(std::ptr::eq(find(l.id).unwrap(), l), "{}", l.id);
            if l.kind == Kind::Session {
                for name in [l.krate, l.bin] {
                    assert!(std::ptr::eq(find(name).unwrap(), l), "{name}");
                }
            }
        }
        assert!(find("9-9").is_none());
    }
}
