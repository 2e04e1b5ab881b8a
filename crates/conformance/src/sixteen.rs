//! Listing 3-1's protocol (family `3-1`): the client sends exactly sixteen octets, the
//! server answers exactly sixteen, then closes. Its cases, independent of any
//! implementation: the server cases talk to a server at a port; the client cases run a
//! client against the book's server as this crate scripts it.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use fopnp::PyBytes;

use testkit::with_deadline;

use crate::table::{CASE_LIMIT, Running, ServerSpec, Table, wait_log};
use crate::{RunClient, Verdict, diff_bytes};

/// What the client sends.
pub const GREETING: &[u8; 16] = b"Hi there, server";
/// What the server answers.
pub const FAREWELL: &[u8; 16] = b"Farewell, client";

/// What a connection should have made a workspace server log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The book's exchange: accepted, the message, the reply sent.
    Served,
    /// Reported as failed, with this in the error (the book's Python dies instead).
    Failed(&'static str),
}

/// A connection a case made, by the client's port.
#[derive(Clone, Copy, Debug)]
pub struct Connection {
    pub client_port: u16,
    pub outcome: Outcome,
}

/// A case that talks to a server.
pub struct ServerCase {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(u16) -> Result<Vec<Connection>, String>,
}

pub const SERVER_CASES: &[ServerCase] = &[
    ServerCase {
        id: "the-books-exchange",
        title: "sixteen octets in, exactly b'Farewell, client' back, then the server's close",
        run: books_exchange,
    },
    ServerCase {
        id: "greeting-one-byte-per-segment",
        title: "the greeting in sixteen one-byte segments",
        run: one_byte_per_segment,
    },
    ServerCase {
        id: "short-message-then-next-client",
        title: "five octets and a close (the book's server dies of it); the next client is served",
        run: short_message,
    },
    ServerCase {
        id: "reset-then-next-client",
        title: "a client that resets; the next client is served",
        run: reset,
    },
    ServerCase {
        id: "more-than-sixteen-octets",
        title: "thirty-two octets: the reply still arrives (the book's server closes with unread data, which resets)",
        run: more_than_sixteen,
    },
];

fn connect(port: u16) -> Result<TcpStream, String> {
    let sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    sock.set_read_timeout(Some(crate::patience()))
        .map_err(|e| e.to_string())?;
    Ok(sock)
}

fn port_of(sock: &TcpStream) -> u16 {
    sock.local_addr().map(|a| a.port()).unwrap_or(0)
}

/// Reads to the server's close; a reset is an error.
fn reply(sock: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut all = Vec::new();
    sock.read_to_end(&mut all)
        .map_err(|e| format!("reading the reply (got {}): {e}", PyBytes(&all)))?;
    Ok(all)
}

fn expect_farewell(got: &[u8]) -> Result<(), String> {
    if got == FAREWELL {
        Ok(())
    } else {
        Err(format!(
            "expected exactly b'Farewell, client' then the close: {}",
            diff_bytes(FAREWELL, got)
        ))
    }
}

/// One whole, right exchange.
fn exchange(port: u16) -> Result<Connection, String> {
    let mut sock = connect(port)?;
    sock.write_all(GREETING).map_err(|e| e.to_string())?;
    expect_farewell(&reply(&mut sock)?)?;
    Ok(Connection {
        client_port: port_of(&sock),
        outcome: Outcome::Served,
    })
}

fn books_exchange(port: u16) -> Result<Vec<Connection>, String> {
    Ok(vec![exchange(port)?])
}

fn one_byte_per_segment(port: u16) -> Result<Vec<Connection>, String> {
    let mut sock = connect(port)?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    for byte in GREETING {
        sock.write_all(&[*byte]).map_err(|e| e.to_string())?;
        thread::sleep(Duration::from_millis(1));
    }
    expect_farewell(&reply(&mut sock)?)?;
    Ok(vec![Connection {
        client_port: port_of(&sock),
        outcome: Outcome::Served,
    }])
}

fn short_message(port: u16) -> Result<Vec<Connection>, String> {
    let mut sock = connect(port)?;
    sock.write_all(b"Hi th").map_err(|e| e.to_string())?;
    sock.shutdown(std::net::Shutdown::Write)
        .map_err(|e| e.to_string())?;
    let first = Connection {
        client_port: port_of(&sock),
        outcome: Outcome::Failed("was expecting 16 bytes but only received 5 bytes"),
    };
    // The server has nothing to say to a short message: it closes.
    let _ = reply(&mut sock);
    drop(sock);
    Ok(vec![first, exchange(port)?])
}

fn reset(port: u16) -> Result<Vec<Connection>, String> {
    let sock = connect(port)?;
    let first = Connection {
        client_port: port_of(&sock),
        outcome: Outcome::Failed(""),
    };
    socket2::SockRef::from(&sock)
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| e.to_string())?;
    drop(sock);
    Ok(vec![first, exchange(port)?])
}

fn more_than_sixteen(port: u16) -> Result<Vec<Connection>, String> {
    let mut sock = connect(port)?;
    let mut twice = GREETING.to_vec();
    twice.extend_from_slice(GREETING);
    sock.write_all(&twice).map_err(|e| e.to_string())?;
    let mut got = Vec::new();
    let mut buf = [0; 64];
    // The reply may be followed by a reset: what matters is that it arrives first.
    loop {
        match sock.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == io::ErrorKind::ConnectionReset && got.len() >= 16 => {
                break;
            }
            Err(error) => {
                return Err(format!(
                    "reading the reply (got {}): {error}",
                    PyBytes(&got)
                ));
            }
        }
    }
    expect_farewell(&got)?;
    Ok(vec![Connection {
        client_port: port_of(&sock),
        outcome: Outcome::Served,
    }])
}

/// Every server case's ID.
pub fn server_case_ids() -> Vec<&'static str> {
    SERVER_CASES.iter().map(|c| c.id).collect()
}

/// Checks a workspace server's log for the connections a case made: a served client is
/// accepted, named as its peer, and its message shown; a failed one is reported in a line
/// of its own.
pub fn check_log(log: &str, connections: &[Connection]) -> Result<(), String> {
    for c in connections {
        let client = format!("('127.0.0.1', {})", c.client_port);
        let accepted = format!("We have accepted a connection from {client}\n");
        if !log.contains(&accepted) {
            return Err(format!("no log line {accepted:?}"));
        }
        match c.outcome {
            Outcome::Served => {
                for line in [
                    format!("  Socket peer: {client}\n"),
                    "  Incoming sixteen-octet message: b'Hi there, server'\n".to_string(),
                    "  Reply sent, socket closed\n".to_string(),
                ] {
                    if !log.contains(&line) {
                        return Err(format!("no log line {line:?}"));
                    }
                }
            }
            Outcome::Failed(words) => {
                let failed = format!("  Connection from {client} failed: ");
                let line = log
                    .lines()
                    .find(|l| l.starts_with(failed.trim_end_matches(' ')));
                match line {
                    Some(line) if line.contains(words) => {}
                    other => {
                        return Err(format!(
                            "expected a line starting {failed:?} and saying {words:?}, got {other:?}"
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Whether a workspace server's log shows it back to accepting after `connections`.
pub fn log_complete(log: &str, connections: usize) -> bool {
    log.matches("Waiting to accept a new connection\n").count() > connections
}

/// The client's two lines, as the book prints them (its port aside).
pub fn check_client_output(stdout: &str) -> Result<(), String> {
    let lines: Vec<&str> = stdout.lines().collect();
    let first_ok = lines.first().is_some_and(|l| {
        l.strip_prefix("Client has been assigned socket name ('127.0.0.1', ")
            .and_then(|rest| rest.strip_suffix(')'))
            .is_some_and(|port| port.parse::<u16>().is_ok())
    });
    if lines.len() != 2 || !first_ok || lines[1] != "The server said b'Farewell, client'" {
        return Err(format!(
            "expected the book's two lines, `Client has been assigned socket name ('127.0.0.1', PORT)` and `The server said b'Farewell, client'`; got {stdout:?}"
        ));
    }
    Ok(())
}

/// A case that runs a client against the book's server, scripted.
pub struct ClientCase {
    pub id: &'static str,
    pub title: &'static str,
    pub run: fn(RunClient<'_>) -> Result<(), String>,
}

pub const CLIENT_CASES: &[ClientCase] = &[
    ClientCase {
        id: "client-sends-sixteen-octets",
        title: "the client sends exactly b'Hi there, server', prints the reply and closes",
        run: client_exchange,
    },
    ClientCase {
        id: "client-reply-in-pieces",
        title: "a reply in one-byte segments is still read whole",
        run: client_reply_in_pieces,
    },
    ClientCase {
        id: "client-server-closes-early",
        title: "a server that sends eight octets and closes: the client fails",
        run: client_server_closes_early,
    },
];

/// The book's server for one client, scripted: reads sixteen octets, answers with `reply`
/// (one byte per segment if `dribble`), then waits for the client's close. Returns what it
/// read and whether the client closed.
fn scripted_server(reply: &'static [u8], dribble: bool) -> (u16, crate::Recording) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a scripted server");
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = thread::spawn(move || {
        let (mut sc, _) = listener.accept().map_err(|e| e.to_string())?;
        sc.set_read_timeout(Some(crate::patience()))
            .map_err(|e| e.to_string())?;
        let mut message = vec![0; 16];
        let mut got = 0;
        while got < 16 {
            match sc.read(&mut message[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(error) => return Err(format!("the client sent no sixteen octets: {error}")),
            }
        }
        message.truncate(got);
        sc.set_nodelay(true).map_err(|e| e.to_string())?;
        if dribble {
            for byte in reply {
                sc.write_all(&[*byte]).map_err(|e| e.to_string())?;
                thread::sleep(Duration::from_millis(1));
            }
        } else {
            sc.write_all(reply).map_err(|e| e.to_string())?;
        }
        if reply.len() < 16 {
            return Ok((message, false));
        }
        let mut rest = Vec::new();
        let closed = sc.read_to_end(&mut rest).is_ok();
        message.extend_from_slice(&rest);
        Ok((message, closed))
    });
    (port, server)
}

fn client_against(run: RunClient<'_>, dribble: bool) -> Result<(), String> {
    let (port, server) = scripted_server(FAREWELL, dribble);
    let result = run(port, 0, &[]);
    let (sent, closed) = server.join().map_err(|_| "server thread panicked")??;
    if !result.success {
        return Err(format!("the client failed: {}", result.stderr.trim()));
    }
    if sent != GREETING {
        return Err(format!(
            "the client sent something else: {}",
            diff_bytes(GREETING, &sent)
        ));
    }
    if !closed {
        return Err("the client did not close its connection".into());
    }
    check_client_output(&result.stdout)
}

fn client_exchange(run: RunClient<'_>) -> Result<(), String> {
    client_against(run, false)
}

fn client_reply_in_pieces(run: RunClient<'_>) -> Result<(), String> {
    client_against(run, true)
}

fn client_server_closes_early(run: RunClient<'_>) -> Result<(), String> {
    let (port, server) = scripted_server(b"Farewell", false);
    let result = run(port, 0, &[]);
    server.join().map_err(|_| "server thread panicked")??;
    if result.success {
        return Err("the client succeeded although the server sent only eight octets".into());
    }
    Ok(())
}

// The table: how the runner reaches this protocol's cases (see `crate::table`).

/// Listing 3-1's table.
pub const TABLE: Table = Table {
    family: catalog::Family::Sixteen,
    name: "3-1",
    transport: catalog::Transport::Tcp,
    server_case_ids,
    server_case,
    fresh_server_per_case: false,
    client_cases: |_, run, pick| {
        let cases = CLIENT_CASES.iter().map(|c| (c.id, c.run));
        crate::table::each_client_case(cases, run, pick)
    },
    client_command: "{exe} client {host} -p {port}",
    certificates: false,
    stand_in: None,
    placeholders: crate::table::no_placeholders,
};

fn server_case(
    spec: &ServerSpec,
    server: &mut dyn Running,
    id: &'static str,
    served: &mut usize,
) -> Verdict {
    let server: &dyn Running = server;
    let port = server.port();
    let Some(case) = SERVER_CASES.iter().find(|c| c.id == id) else {
        return Verdict::Fail("no such case".into());
    };
    let run = case.run;
    Verdict::of(
        with_deadline(CASE_LIMIT, move || run(port)).and_then(|connections| {
            if spec.log.is_none() {
                return Ok(());
            }
            *served += connections.len();
            wait_log(server, |log| log_complete(log, *served));
            check_log(&server.log(), &connections)
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_lines_are_the_books() {
        check_client_output(
            "Client has been assigned socket name ('127.0.0.1', 34183)\nThe server said b'Farewell, client'\n",
        )
        .unwrap();
        assert!(check_client_output("The server said b'Farewell, client'\n").is_err());
        assert!(check_client_output(
            "Client has been assigned socket name ('127.0.0.1', 34183)\nThe server said Farewell, client\n"
        )
        .is_err());
    }
}
