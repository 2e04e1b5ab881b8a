//! The server cases: each talks to the server under test as the book's clients do, or
//! as a careless or hostile one would, and says what the server should log.

use super::*;

pub(super) fn connect(port: u16) -> Result<TcpStream, String> {
    let sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    sock.set_read_timeout(Some(crate::patience()))
        .map_err(|e| e.to_string())?;
    sock.set_write_timeout(Some(crate::patience()))
        .map_err(|e| e.to_string())?;
    Ok(sock)
}

pub(super) fn local_port(sock: &TcpStream) -> u16 {
    sock.local_addr().map(|a| a.port()).unwrap_or(0)
}

/// Reads until the bytes so far end with `.` (an answer), or the server closes.
pub(super) fn read_answer(sock: &mut TcpStream) -> Result<Vec<u8>, String> {
    let mut answer = Vec::new();
    let mut buf = [0; 4096];
    while !answer.ends_with(b".") {
        match sock.read(&mut buf) {
            Ok(0) => {
                return Err(format!(
                    "the server closed after {} of an answer",
                    PyBytes(&answer)
                ));
            }
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                return Err(format!(
                    "no answer within {:?} (got {})",
                    crate::patience(),
                    PyBytes(&answer)
                ));
            }
            Err(error) => return Err(format!("reading the answer: {error}")),
        }
    }
    Ok(answer)
}

/// Asks `question` and checks the answer is `expected`.
pub(super) fn ask(sock: &mut TcpStream, question: &[u8], expected: &[u8]) -> Result<(), String> {
    sock.write_all(question)
        .map_err(|e| format!("sending {}: {e}", PyBytes(question)))?;
    let got = read_answer(sock)?;
    if got != expected {
        return Err(format!(
            "asked {}, expected {}, got {}",
            PyBytes(question),
            PyBytes(expected),
            PyBytes(&got)
        ));
    }
    Ok(())
}

/// Waits for the server to close the connection (read returns 0), at most [`crate::patience()`].
pub(super) fn expect_eof(sock: &mut TcpStream) -> Result<(), String> {
    let mut buf = [0; 64];
    match sock.read(&mut buf) {
        Ok(0) => Ok(()),
        Ok(n) => Err(format!("unexpected bytes {}", PyBytes(&buf[..n]))),
        // A reset also ends the connection: the server closed with unread data.
        Err(error) if error.kind() == io::ErrorKind::ConnectionReset => Ok(()),
        Err(error) => Err(format!("the server did not close: {error}")),
    }
}

/// One client's whole conversation: the three questions in `order`, then close.
pub(super) fn conversation(port: u16, order: [usize; 3]) -> Result<Connection, String> {
    let mut sock = connect(port)?;
    for i in order {
        let (question, answer) = APHORISMS[i];
        ask(&mut sock, question, answer)?;
    }
    Ok(Connection::normal(&sock))
}

pub(super) fn every_order(target: &Target) -> Result<Vec<Connection>, String> {
    const ORDERS: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    ORDERS
        .iter()
        .map(|&order| conversation(target.port, order))
        .collect()
}

pub(super) fn unknown_question(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    ask(&mut sock, b"What is better than?", UNKNOWN)?;
    ask(&mut sock, b"Simple is better than?", b"Complex.")?;
    Ok(vec![Connection::normal(&sock)])
}

pub(super) fn one_byte_writes(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    for byte in APHORISMS[1].0 {
        sock.write_all(&[*byte]).map_err(|e| e.to_string())?;
        thread::sleep(Duration::from_millis(1));
    }
    let got = read_answer(&mut sock)?;
    if got != APHORISMS[1].1 {
        return Err(format!("expected b'Implicit.', got {}", PyBytes(&got)));
    }
    Ok(vec![Connection::normal(&sock)])
}

pub(super) fn two_pieces(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    sock.write_all(b"Simple is bet")
        .map_err(|e| e.to_string())?;
    thread::sleep(Duration::from_millis(200));
    sock.write_all(b"ter than?").map_err(|e| e.to_string())?;
    let got = read_answer(&mut sock)?;
    if got != b"Complex." {
        return Err(format!("expected b'Complex.', got {}", PyBytes(&got)));
    }
    Ok(vec![Connection::normal(&sock)])
}

pub(super) fn two_questions_at_once(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    let both = b"Simple is better than?Beautiful is better than?";
    let expected: &[u8] = if target.splits_questions {
        b"Complex.Ugly."
    } else {
        UNKNOWN
    };
    sock.write_all(both).map_err(|e| e.to_string())?;
    let mut got = read_answer(&mut sock)?;
    if target.splits_questions && got == b"Complex." {
        got.extend_from_slice(&read_answer(&mut sock)?);
    }
    if got != expected {
        return Err(format!(
            "expected {}, got {}",
            PyBytes(expected),
            PyBytes(&got)
        ));
    }
    Ok(vec![Connection::normal(&sock)])
}

pub(super) fn cause_an_error(target: &Target) -> Result<Vec<Connection>, String> {
    let sock = connect(target.port)?;
    (&sock).write_all(CUT_QUESTION).map_err(|e| e.to_string())?;
    let first = Connection {
        client_port: local_port(&sock),
        events: vec![
            Event::Accepted,
            Event::ClosedMidQuestion(CUT_QUESTION.to_vec()),
        ],
    };
    drop(sock);
    // The server goes on serving.
    let next = conversation(target.port, [2, 1, 0])?;
    Ok(vec![first, next])
}

pub(super) fn connect_and_close(target: &Target) -> Result<Vec<Connection>, String> {
    let sock = connect(target.port)?;
    let first = Connection::normal(&sock);
    drop(sock);
    let next = conversation(target.port, [0, 1, 2])?;
    Ok(vec![first, next])
}

pub(super) fn half_close(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    ask(&mut sock, APHORISMS[0].0, APHORISMS[0].1)?;
    sock.write_all(APHORISMS[2].0).map_err(|e| e.to_string())?;
    sock.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
    let got = read_answer(&mut sock)?;
    if got != APHORISMS[2].1 {
        return Err(format!(
            "after the half-close, expected b'Complex.', got {}",
            PyBytes(&got)
        ));
    }
    // The server reads the end of file and closes its side too.
    expect_eof(&mut sock)?;
    Ok(vec![Connection::normal(&sock)])
}

pub(super) fn reset_mid_question(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    // A first answer proves the server is in the conversation (an inetd has accepted and
    // started it); then half a question, and the reset.
    ask(&mut sock, APHORISMS[0].0, APHORISMS[0].1)?;
    (&sock)
        .write_all(b"Explicit is")
        .map_err(|e| e.to_string())?;
    let port = local_port(&sock);
    // SO_LINGER with a zero timeout: close() sends a reset instead of a FIN.
    socket2::SockRef::from(&sock)
        .set_linger(Some(Duration::ZERO))
        .map_err(|e| e.to_string())?;
    drop(sock);
    let next = conversation(target.port, [1, 0, 2])?;
    let first = Connection {
        client_port: port,
        // Some servers see the reset as a reset, others as the end of a cut question
        // (asyncore closes quietly): the log check accepts either.
        events: vec![Event::Accepted, Event::Error("reset")],
    };
    Ok(vec![first, next])
}

pub(super) fn megabyte_without_question_mark(target: &Target) -> Result<Vec<Connection>, String> {
    let mut sock = connect(target.port)?;
    let flood = vec![b'x'; FLOOD];
    // The server may close (even reset) before taking it all: that is the point.
    let _ = sock.write_all(&flood);
    let mut rest = Vec::new();
    let closed = match sock.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(error) => matches!(
            error.kind(),
            io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
        ),
    };
    if !closed {
        return Err("the server kept a connection that sent a megabyte with no ?".into());
    }
    if !rest.is_empty() {
        return Err(format!("unexpected answer {}", PyBytes(&rest)));
    }
    let first = Connection {
        client_port: local_port(&sock),
        events: vec![Event::Accepted, Event::Error("no complete question")],
    };
    let next = conversation(target.port, [2, 0, 1])?;
    Ok(vec![first, next])
}

pub(super) fn never_reads_answers(target: &Target) -> Result<Vec<Connection>, String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    const LIMIT: u64 = 64 << 20;
    let sock = connect(target.port)?;
    let client_port = local_port(&sock);
    let written = Arc::new(AtomicU64::new(0));
    let (mut writer, count) = (
        sock.try_clone().map_err(|e| e.to_string())?,
        Arc::clone(&written),
    );
    let questions: Vec<u8> = APHORISMS[2].0.repeat(64 * 1024 / APHORISMS[2].0.len());
    let pump = thread::spawn(move || {
        while count.load(Ordering::Relaxed) < LIMIT {
            match writer.write(&questions) {
                Ok(n) => count.fetch_add(n as u64, Ordering::Relaxed),
                Err(_) => return,
            };
        }
    });
    // Watch the writes until they stop for 300 ms (blocked: the server stopped reading;
    // or failed: it closed), or pass the limit.
    let (mut seen, mut since, started) = (0, Instant::now(), Instant::now());
    let outcome = loop {
        let now = written.load(Ordering::Relaxed);
        if now >= LIMIT {
            break Err(format!(
                "the server took {} MiB of questions from a client that read no answer: it \
                 keeps its answers (or the questions) without bound",
                LIMIT >> 20
            ));
        }
        if pump.is_finished() || (now == seen && since.elapsed() >= Duration::from_millis(300)) {
            break Ok(());
        }
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
        if started.elapsed() > crate::patience() {
            break Err("the writes neither stopped nor passed the limit".into());
        }
        thread::sleep(Duration::from_millis(5));
    };
    let _ = sock.shutdown(Shutdown::Both);
    let _ = pump.join();
    outcome?;
    // The server goes on serving others.
    let next = conversation(target.port, [0, 1, 2])?;
    Ok(vec![
        Connection {
            client_port,
            // It may have been closed for a question too long, or answered until its
            // socket filled: either way it is gone now, in whatever words.
            events: vec![Event::Accepted, Event::Error("any")],
        },
        next,
    ])
}

pub(super) fn silent_client(target: &Target) -> Result<Vec<Connection>, String> {
    let silent = connect(target.port)?;
    let silent_port = local_port(&silent);
    let port = target.port;
    let other = thread::spawn(move || conversation(port, [0, 2, 1]));
    if target.concurrency == Concurrency::One {
        // One at a time, by design: the other waits while the silent one is connected...
        let waited = Instant::now();
        while waited.elapsed() < Duration::from_millis(300) {
            if other.is_finished() {
                return Err("a one-at-a-time server answered while another client held it".into());
            }
            thread::sleep(Duration::from_millis(10));
        }
        // ...and is served once it goes.
        drop(silent);
        let other = other.join().map_err(|_| "client thread panicked")??;
        Ok(vec![
            Connection {
                client_port: silent_port,
                events: vec![Event::Accepted, Event::ClosedNormally],
            },
            other,
        ])
    } else {
        let other = other
            .join()
            .map_err(|_| "client thread panicked")?
            .map_err(|e| {
                format!(
                    "another client got no answer while a silent one was connected, as with a \
                 server that serves one client at a time: {e}"
                )
            })?;
        drop(silent);
        Ok(vec![
            Connection {
                client_port: silent_port,
                events: vec![Event::Accepted, Event::ClosedNormally],
            },
            other,
        ])
    }
}

pub(super) fn hundred_clients(target: &Target) -> Result<Vec<Connection>, String> {
    const CLIENTS: usize = 100;
    let at_once = match target.concurrency {
        Concurrency::One => return Err("serves one client at a time".into()),
        Concurrency::Pool(n) => n,
        _ => CLIENTS,
    };
    let mut connections = Vec::new();
    let mut started = 0;
    while started < CLIENTS {
        let batch = at_once.min(CLIENTS - started);
        // The clients connect one after another, each asking its first question (so the
        // server has accepted it) before the next connects; then all of them finish their
        // conversations at once. A burst of connects would overflow a listen queue of 5
        // (srv_legacy1's, socketserver's) and leave the kernel to retry a dropped SYN
        // after 1, 3, 7 s: this case is about many conversations at once, not that queue.
        let mut open = Vec::new();
        for i in started..started + batch {
            let order = [i % 3, (i + 1) % 3, (i + 2) % 3];
            let mut sock = connect(target.port)?;
            let (question, answer) = APHORISMS[order[0]];
            ask(&mut sock, question, answer)?;
            open.push((sock, order));
        }
        let runs: Vec<_> = open
            .into_iter()
            .map(|(mut sock, order)| {
                thread::spawn(move || {
                    for &i in &order[1..] {
                        let (question, answer) = APHORISMS[i];
                        ask(&mut sock, question, answer)?;
                    }
                    Ok::<_, String>(Connection::normal(&sock))
                })
            })
            .collect();
        for run in runs {
            connections.push(run.join().map_err(|_| "client thread panicked")??);
        }
        started += batch;
    }
    Ok(connections)
}

/// Two clients that reconnect the moment their last conversation closed, interleaved: a
/// server that reuses a closed socket's descriptor before it has forgotten the socket (the
/// book's `srv_async.py` does) drops some of them.
pub(super) fn immediate_reconnects(target: &Target) -> Result<Vec<Connection>, String> {
    const ROUNDS: usize = 300;
    let port = target.port;
    let clients: Vec<_> = (0..2)
        .map(|_| {
            thread::spawn(move || -> Result<Vec<Connection>, String> {
                let mut connections = Vec::with_capacity(ROUNDS);
                for round in 0..ROUNDS {
                    let mut sock = connect(port)?;
                    let (question, answer) = APHORISMS[round % 3];
                    ask(&mut sock, question, answer)
                        .map_err(|e| format!("conversation {}: {e}", round + 1))?;
                    connections.push(Connection::normal(&sock));
                    // Closed here, and the next connection follows at once.
                }
                Ok(connections)
            })
        })
        .collect();
    let mut connections = Vec::new();
    for client in clients {
        connections.extend(client.join().map_err(|_| "client thread panicked")??);
    }
    Ok(connections)
}

/// How many clients `slow-writers` has write a byte at a time.
pub const SLOW_WRITERS: usize = 50;

/// Fifty clients write two questions each, a byte every 50 ms (2.35 s or more), reading
/// each answer; meanwhile an ordinary client must get its three answers within 2 s. A
/// server that gives a slow client a thread or a turn of its own until it is done makes
/// everyone else wait.
pub(super) fn slow_writers(target: &Target) -> Result<Vec<Connection>, String> {
    const PAUSE: Duration = Duration::from_millis(50);
    const LIMIT: Duration = Duration::from_secs(2);
    let port = target.port;
    let mut socks = Vec::with_capacity(SLOW_WRITERS);
    for _ in 0..SLOW_WRITERS {
        socks.push(connect(port)?);
    }
    let writers: Vec<_> = socks
        .into_iter()
        .enumerate()
        .map(|(i, mut sock)| {
            thread::spawn(move || -> Result<Connection, String> {
                sock.set_nodelay(true).map_err(|e| e.to_string())?;
                for k in 0..2 {
                    let (question, answer) = APHORISMS[(i + k) % 3];
                    for byte in question.chunks(1) {
                        sock.write_all(byte).map_err(|e| format!("sending: {e}"))?;
                        thread::sleep(PAUSE);
                    }
                    let got = read_answer(&mut sock)?;
                    if got != answer {
                        return Err(format!("a slow writer got {}", PyBytes(&got)));
                    }
                }
                Ok(Connection::normal(&sock))
            })
        })
        .collect();
    let started = std::time::Instant::now();
    let mut sock = connect(port)?;
    for (question, answer) in APHORISMS {
        ask(&mut sock, question, answer)?;
    }
    let took = started.elapsed();
    let mut connections = vec![Connection::normal(&sock)];
    drop(sock);
    for writer in writers {
        connections.push(writer.join().map_err(|_| "client thread panicked")??);
    }
    if took > LIMIT {
        return Err(format!(
            "the ordinary client's three answers took {took:.2?}, more than {LIMIT:?}: the slow writers held the server"
        ));
    }
    Ok(connections)
}
