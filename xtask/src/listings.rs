//! The table of listings that `cargo xtask list` shows and `cargo xtask run` runs.

use std::io::{self, Write};

use testkit::table::{Align, Table};

/// One runnable listing.
#[derive(Debug)]
pub struct Listing {
    /// The ID users type: `3-1`, `srv_single`.
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
    /// How `run` runs it.
    pub kind: Kind,
}

/// What kind of thing `cargo xtask run` runs.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// Chapter 3: `BIN server 127.0.0.1` and `BIN client localhost ARGS`, shown as the
    /// book's sessions are. `settled` says the server's log is done with the client.
    Pair {
        settled: fn(&str) -> bool,
        /// Whether a stall is page 53's deadlock (Listing 3-2 as the book wrote it).
        deadlocks: bool,
    },
    /// One program, `BIN SUBCOMMAND`, that prints its own observations and verdict.
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
        kind: Kind::Demo(id),
    }
}

/// A Chapter 3 client-and-server listing.
const fn pair(
    id: &'static str,
    book: &'static str,
    krate: &'static str,
    bin: &'static str,
    summary: &'static str,
    default_args: &'static [&'static str],
    settled: fn(&str) -> bool,
) -> Listing {
    Listing {
        id,
        book,
        krate,
        bin,
        summary,
        default_args,
        kind: Kind::Pair {
            settled,
            deadlocks: false,
        },
    }
}

pub static LISTINGS: &[Listing] = &[
    pair(
        "3-1",
        "Chapter 3, Listing 3-1",
        "tcp-sixteen",
        "tcp_sixteen",
        "TCP client and server that send and receive 16 octets",
        &[],
        // Back to accepting after the one connection.
        |log| log.matches("Waiting to accept a new connection\n").count() >= 2,
    ),
    Listing {
        id: "3-2",
        book: "Chapter 3, Listing 3-2",
        krate: "tcp-deadlock",
        bin: "tcp_deadlock",
        summary: "TCP client and server that leave too much data waiting (deadlocks when large)",
        default_args: &[],
        kind: Kind::Pair {
            // Done with the one connection, or reported its failure.
            settled: |log| log.contains("  Socket closed\n") || log.contains(" failed: "),
            deadlocks: true,
        },
    },
    pair(
        "3-2-threaded",
        "Chapter 3, page 53 (b)",
        "tcp-threaded",
        "tcp_threaded",
        "Listing 3-2 without the deadlock: one thread sends while another receives",
        &["1073741824"],
        variant_settled,
    ),
    pair(
        "3-2-nonblocking",
        "Chapter 3, page 53 (a)",
        "tcp-nonblocking",
        "tcp_nonblocking",
        "Listing 3-2 without the deadlock: nonblocking sockets driven by poll()",
        &["1073741824"],
        variant_settled,
    ),
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
            .find(|l| !matches!(l.kind, Kind::Demo(_)) && (l.krate == name || l.bin == name))
    })
}

fn write_list(out: &mut impl Write) -> io::Result<()> {
    let mut table = Table::new(&[
        ("ID", Align::Left),
        ("book", Align::Left),
        ("crate", Align::Left),
        ("what it does", Align::Left),
    ]);
    for l in LISTINGS {
        table.row(vec![
            l.id.into(),
            l.book.into(),
            l.krate.into(),
            l.summary.into(),
        ]);
    }
    out.write_all(table.render().as_bytes())
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
            if !matches!(l.kind, Kind::Demo(_)) {
                for name in [l.krate, l.bin] {
                    assert!(std::ptr::eq(find(name).unwrap(), l), "{name}");
                }
            }
        }
        assert!(find("9-9").is_none());
    }
}
