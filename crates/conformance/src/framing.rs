//! Chapter 5's two ways to frame a message (families `streamer` and `blocks`): their
//! cases, independent of any implementation. Both servers serve one connection and exit,
//! so each case gets a fresh server, and its exit status and what it printed are the
//! verdict. The bad inputs of the chapter are cases here: a length of `ffffffff`, an end
//! of file in a header or a block, a block in one-byte pieces, a reset, bytes that are not
//! ASCII.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use fopnp::PyBytes;

use testkit::with_deadline;

use crate::external::Ended;
use crate::table::{CASE_LIMIT, Running, ServerSpec, Table};
use crate::{ClientRun, RunClient, Verdict};

/// The three Zen lines `streamer -c` sends, 96 bytes.
pub const LINES: [&[u8]; 3] = [
    b"Beautiful is better than ugly.\n",
    b"Explicit is better than implicit.\n",
    b"Simple is better than complex.\n",
];

/// The blocks `blocks -c` sends: the three lines without their newlines, then the empty
/// block that ends them.
pub const BLOCKS: [&[u8]; 4] = [
    b"Beautiful is better than ugly.",
    b"Explicit is better than implicit.",
    b"Simple is better than complex.",
    b"",
];

/// A block on the wire: its 4-byte big-endian length, then its bytes.
pub fn frame(block: &[u8]) -> Vec<u8> {
    let mut wire = (block.len() as u32).to_be_bytes().to_vec();
    wire.extend_from_slice(block);
    wire
}

/// The 109 bytes of the book's blocks.
pub fn blocks_wire() -> Vec<u8> {
    BLOCKS.iter().flat_map(|b| frame(b)).collect()
}

/// What a case does as the client, and what the server must do.
pub struct ServerCase {
    pub id: &'static str,
    pub title: &'static str,
    /// Talks to the server at the port; returns the connection if the case holds it open
    /// until the server exits.
    pub send: fn(u16) -> Result<Option<TcpStream>, String>,
    /// Whether the server must exit with success.
    pub exits_ok: bool,
    /// For the workspace's own servers: checks the lines printed after `Accepted
    /// connection from ...`.
    pub lines: fn(&[&str]) -> Result<(), String>,
    /// For the workspace's own servers that fail: a phrase of their one line on stderr.
    pub says: Option<&'static str>,
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(sock)
}

/// Sends `pieces` one write each (with a moment between, so that they arrive apart) and
/// closes.
fn send_pieces(port: u16, pieces: &[&[u8]]) -> Result<Option<TcpStream>, String> {
    let mut sock = connect(port)?;
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            thread::sleep(Duration::from_millis(2));
        }
        sock.write_all(piece).map_err(|e| format!("send: {e}"))?;
    }
    Ok(None)
}

fn one_byte_pieces(port: u16, data: &[u8]) -> Result<Option<TcpStream>, String> {
    let pieces: Vec<&[u8]> = data.chunks(1).collect();
    send_pieces(port, &pieces)
}

/// Sends `data`, then resets the connection (`SO_LINGER` 0, then close).
fn reset_after(port: u16, data: &[u8]) -> Result<Option<TcpStream>, String> {
    let mut sock = connect(port)?;
    sock.write_all(data).map_err(|e| format!("send: {e}"))?;
    socket2::SockRef::from(&sock)
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| e.to_string())?;
    Ok(None)
}

fn expect(lines: &[&str], expected: &[String]) -> Result<(), String> {
    if lines == expected {
        Ok(())
    } else {
        Err(format!("printed {lines:?}, expected {expected:?}"))
    }
}

/// `Block says: b'...'` for each of `blocks`.
fn block_lines(blocks: &[&[u8]]) -> Vec<String> {
    blocks
        .iter()
        .map(|b| format!("Block says: {}", PyBytes(b)))
        .collect()
}

fn books_blocks(lines: &[&str]) -> Result<(), String> {
    expect(lines, &block_lines(&BLOCKS[..3]))
}

pub const BLOCKS_SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "the-books-blocks",
        title: "the book's three blocks and the empty block, 109 bytes in one piece",
        send: |port| send_pieces(port, &[&blocks_wire()]),
        exits_ok: true,
        lines: books_blocks,
        says: None,
    },
    ServerCase {
        id: "one-byte-pieces",
        title: "the same 109 bytes, one byte per segment",
        send: |port| one_byte_pieces(port, &blocks_wire()),
        exits_ok: true,
        lines: books_blocks,
        says: None,
    },
    ServerCase {
        id: "header-split",
        title: "each header split across two reads",
        send: |port| {
            let wire: Vec<Vec<u8>> = BLOCKS.iter().map(|b| frame(b)).collect();
            let mut pieces: Vec<&[u8]> = Vec::new();
            for framed in &wire {
                pieces.extend([&framed[..2], &framed[2..]]);
            }
            send_pieces(port, &pieces)
        },
        exits_ok: true,
        lines: books_blocks,
        says: None,
    },
    ServerCase {
        id: "bytes-not-ascii",
        title: "a block b'hi\\xff', printed as Python prints bytes",
        send: |port| send_pieces(port, &[&frame(b"hi\xff"), &frame(b"")]),
        exits_ok: true,
        lines: |lines| expect(lines, &block_lines(&[b"hi\xff"])),
        says: None,
    },
    ServerCase {
        id: "eof-in-header",
        title: "the end of the stream two bytes into a header",
        send: |port| send_pieces(port, &[b"\0\0"]),
        exits_ok: false,
        lines: |lines| expect(lines, &[]),
        says: Some("socket closed with 2 bytes left in this block"),
    },
    ServerCase {
        id: "eof-in-block",
        title: "a header saying 100, four bytes, then the end of the stream",
        send: |port| send_pieces(port, &[b"\0\0\0\x64abcd"]),
        exits_ok: false,
        lines: |lines| expect(lines, &[]),
        says: Some("socket closed with 96 bytes left in this block"),
    },
    ServerCase {
        id: "eof-before-the-empty-block",
        title: "a block, then the end of the stream where the next header should be",
        send: |port| send_pieces(port, &[&frame(b"hello")]),
        exits_ok: false,
        lines: |lines| expect(lines, &block_lines(&[b"hello"])),
        says: Some("socket closed with 4 bytes left in this block"),
    },
    ServerCase {
        id: "oversized-length",
        title: "a header of ffffffff and one byte, the connection held open: refused in time",
        send: |port| {
            let mut sock = connect(port)?;
            sock.write_all(b"\xff\xff\xff\xffx")
                .map_err(|e| format!("send: {e}"))?;
            Ok(Some(sock))
        },
        exits_ok: false,
        lines: |lines| expect(lines, &[]),
        says: Some("4294967295"),
    },
    ServerCase {
        id: "reset-mid-block",
        title: "a header saying 100, ten bytes, then a reset",
        send: |port| reset_after(port, b"\0\0\0\x64abcdefghij"),
        exits_ok: false,
        lines: |lines| expect(lines, &[]),
        // A reset is reported as this connection's failure (as "reset by peer", or as "not
        // connected" if it came before the server's half-close).
        says: Some("connection from ('127.0.0.1', "),
    },
];

/// Holds `Received N bytes` lines to `total`, then the end of file and the message.
fn streamed(lines: &[&str], total: usize, message: &[&str]) -> Result<(), String> {
    let pieces: Vec<usize> = lines
        .iter()
        .map_while(|l| {
            l.strip_prefix("Received ")?
                .strip_suffix(" bytes")?
                .parse()
                .ok()
        })
        .collect();
    let sum: usize = pieces.iter().sum();
    if sum != total || pieces.contains(&0) {
        return Err(format!("pieces {pieces:?} sum to {sum}, not {total}"));
    }
    let mut expected: Vec<String> = vec![
        "Received zero bytes - end of file".into(),
        "Message:".into(),
        String::new(),
    ];
    expected.extend(message.iter().map(|l| l.to_string()));
    expect(&lines[pieces.len()..], &expected)
}

fn three_lines(lines: &[&str]) -> Result<(), String> {
    streamed(
        lines,
        96,
        &[
            "Beautiful is better than ugly.",
            "Explicit is better than implicit.",
            "Simple is better than complex.",
            "",
        ],
    )
}

pub const STREAMER_SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "the-three-lines",
        title: "the book's three lines, three writes, then the end of the stream",
        send: |port| send_pieces(port, &LINES),
        exits_ok: true,
        lines: three_lines,
        says: None,
    },
    ServerCase {
        id: "one-byte-pieces",
        title: "the same 96 bytes, one byte per segment",
        send: |port| one_byte_pieces(port, &LINES.concat()),
        exits_ok: true,
        lines: three_lines,
        says: None,
    },
    ServerCase {
        id: "empty-message",
        title: "connect, then close at once",
        send: |port| send_pieces(port, &[]),
        exits_ok: true,
        lines: |lines| streamed(lines, 0, &[""]),
        says: None,
    },
    ServerCase {
        id: "bytes-not-ascii",
        title: "café: Python dies decoding it; the message is printed as bytes",
        send: |port| send_pieces(port, &["café\n".as_bytes()]),
        exits_ok: true,
        lines: |lines| streamed(lines, 6, &["b'caf\\xc3\\xa9\\n'"]),
        says: None,
    },
    ServerCase {
        id: "reset-mid-message",
        title: "six bytes, then a reset",
        send: |port| reset_after(port, b"hello\n"),
        exits_ok: false,
        lines: |_| Ok(()),
        // A reset is reported as this connection's failure (as "reset by peer", or as "not
        // connected" if it came before the server's half-close).
        says: Some("connection from ('127.0.0.1', "),
    },
];

/// The table of a family.
pub fn server_cases(blocks: bool) -> &'static [ServerCase] {
    if blocks {
        BLOCKS_SERVER_CASES
    } else {
        STREAMER_SERVER_CASES
    }
}

/// Holds one case's ending to the case: the exit status always; what it printed only for
/// the workspace's own servers (`own`).
pub fn judge(case: &ServerCase, ended: &Ended, own: bool) -> Result<(), String> {
    if ended.status.success() != case.exits_ok {
        return Err(format!(
            "exited with {} (expected {}){}",
            ended.status,
            if case.exits_ok { "success" } else { "failure" },
            match ended.stderr.trim().lines().last() {
                Some(line) => format!(", saying {line:?}"),
                None => String::new(),
            }
        ));
    }
    if !own {
        return Ok(());
    }
    let lines: Vec<&str> = ended.stdout.lines().collect();
    let Some(at) = lines
        .iter()
        .position(|l| l.starts_with("Accepted connection from ('127.0.0.1', "))
    else {
        return Err(format!("no `Accepted connection from` line in {lines:?}"));
    };
    let head = [
        "Run this script in another window with \"-c\" to connect",
        "Listening at ('127.0.0.1', ",
    ];
    if at != 2 || lines[0] != head[0] || !lines[1].starts_with(head[1]) {
        return Err(format!("the first lines are not the book's: {lines:?}"));
    }
    (case.lines)(&lines[at + 1..])?;
    match case.says {
        None if !ended.stderr.is_empty() => Err(format!("it said {:?}", ended.stderr)),
        Some(phrase) if ended.stderr.lines().count() != 1 || !ended.stderr.contains(phrase) => Err(
            format!("it said {:?}, not one line with {phrase:?}", ended.stderr),
        ),
        _ => Ok(()),
    }
}

/// A case that runs a client against a recording server.
pub struct ClientCase {
    pub id: &'static str,
    pub title: &'static str,
}

pub const CLIENT_CASES: &[ClientCase] = &[
    ClientCase {
        id: "the-books-bytes",
        title: "the book's bytes on the wire, in any segmentation, then the end of the stream",
    },
    ClientCase {
        id: "no-server",
        title: "nothing listens: one line, and a failure",
    },
];

/// Runs the client cases that `pick` picks for `blocks` or `streamer` with `run`.
pub fn run_client_cases(
    blocks: bool,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    let expected = if blocks {
        blocks_wire()
    } else {
        LINES.concat()
    };
    CLIENT_CASES
        .iter()
        .filter(|c| pick(c.id))
        .map(|case| {
            let result = match case.id {
                "the-books-bytes" => recorded_client(run, &expected),
                _ => refused_client(run),
            };
            (case.id, Verdict::of(result))
        })
        .collect()
}

fn recorded_client(run: RunClient<'_>, expected: &[u8]) -> Result<(), String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let recorder = thread::spawn(move || -> Result<Vec<u8>, String> {
        let (mut sock, _) = listener.accept().map_err(|e| e.to_string())?;
        sock.set_read_timeout(Some(crate::patience()))
            .map_err(|e| e.to_string())?;
        let mut got = Vec::new();
        sock.read_to_end(&mut got)
            .map_err(|e| format!("no end of the stream from the client: {e}"))?;
        let _ = sock.shutdown(Shutdown::Both);
        Ok(got)
    });
    let ClientRun {
        success, stderr, ..
    } = run(port, 0, &[]);
    let got = recorder
        .join()
        .map_err(|_| "the recording server panicked".to_string())??;
    if !success {
        return Err(format!("the client failed: {}", stderr.trim()));
    }
    if got != expected {
        return Err(format!(
            "not the book's bytes: {}",
            crate::diff_bytes(expected, &got)
        ));
    }
    Ok(())
}

fn refused_client(run: RunClient<'_>) -> Result<(), String> {
    let port = testkit::process::free_port().map_err(|e| e.to_string())?;
    let ClientRun {
        success, stderr, ..
    } = run(port, 0, &[]);
    if success {
        return Err("the client succeeded with no server".into());
    }
    if stderr.trim().is_empty() {
        return Err("the client failed without a word".into());
    }
    Ok(())
}

// The table: how the runner reaches this protocol's cases (see `crate::table`).

/// Listing 5-2's table.
pub const BLOCKS_TABLE: Table = Table {
    family: catalog::Family::Blocks,
    name: "blocks",
    transport: catalog::Transport::Tcp,
    server_case_ids: || server_cases(true).iter().map(|c| c.id).collect(),
    server_case,
    fresh_server_per_case: true,
    client_cases: |_, run, pick| run_client_cases(true, run, pick),
    client_command: "{exe} -c {host} -p {port}",
    certificates: false,
    stand_in: None,
    placeholders: crate::table::no_placeholders,
};

/// Listing 5-1's table.
pub const STREAMER_TABLE: Table = Table {
    family: catalog::Family::Streamer,
    name: "streamer",
    server_case_ids: || server_cases(false).iter().map(|c| c.id).collect(),
    client_cases: |_, run, pick| run_client_cases(false, run, pick),
    ..BLOCKS_TABLE
};

/// A case of a server of one connection: the case's client, then the server's exit and
/// what it printed; the case holds its connection open until then if it says so.
fn server_case(
    spec: &ServerSpec,
    server: &mut dyn Running,
    id: &'static str,
    _: &mut usize,
) -> Verdict {
    let blocks = spec.family == catalog::Family::Blocks;
    let Some(case) = server_cases(blocks).iter().find(|c| c.id == id) else {
        return Verdict::Fail("no such case".into());
    };
    let port = server.port();
    let send = case.send;
    let held = match with_deadline(CASE_LIMIT, move || send(port)) {
        Ok(held) => held,
        Err(error) => {
            // The case's client failed: still end this server, so the next case has its own.
            let _ = server.end_case(crate::patience());
            return Verdict::Fail(error);
        }
    };
    let ended = server.end_case(crate::patience());
    drop(held);
    Verdict::of(ended.and_then(|ended| judge(case, &ended, spec.log.is_some())))
}
