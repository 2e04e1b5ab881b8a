//! Checks that every deadlock-free variant of Listing 3-2 (`tcp_threaded`,
//! `tcp_nonblocking`, `tcp_async`) passes as a binary, run as a reader runs it; each
//! crate's tests call them with its own binary through [`variant_binary_tests!`].
//!
//! [`variant_binary_tests!`]: crate::variant_binary_tests

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Process, STEP, kernel, within};

/// The variant binary tests, for a crate whose binary is `$bin` and library `$lib`;
/// `$per_connection` is the most memory the server may hold for one client that sends
/// and never reads.
#[macro_export]
macro_rules! variant_binary_tests {
    ($bin:literal, $lib:ident, $per_connection:expr) => {
        const BIN: &str = env!(concat!("CARGO_BIN_EXE_", $bin));

        #[test]
        fn a_session_has_listing_3_2s_shape() {
            $crate::variants::session(BIN, $lib::CHUNK, $lib::SERVER_RECV);
        }

        #[test]
        fn clients_that_never_read_cost_the_server_a_bounded_amount_each() {
            $crate::variants::never_reading_clients(BIN, $per_connection);
        }

        #[test]
        fn serves_a_thousand_clients_at_once() {
            $crate::variants::thousand_clients(BIN);
        }

        #[test]
        fn malformed_command_lines_and_refused_connections() {
            $crate::variants::usage_errors(BIN);
        }

        #[test]
        fn a_server_whose_stdout_is_closed_says_so() {
            $crate::variants::closed_stdout(BIN);
        }

        #[test]
        fn out_of_descriptors_pauses_accepting_and_keeps_serving() {
            $crate::variants::out_of_descriptors(BIN);
        }

        #[test]
        fn pinned_buffers_are_printed_and_granted() {
            $crate::variants::pinned_buffers(BIN);
        }
    };
}

pub fn server(bin: &str) -> (Process, u16) {
    let mut command = Command::new(bin);
    command.args(["server", "127.0.0.1", "-p", "0"]);
    Process::server(command, STEP).unwrap()
}

/// A client process for `bytecount` bytes; returns its stdout after checking its status.
pub fn client(bin: &str, port: u16, bytecount: u64) -> Vec<u8> {
    let mut command = Command::new(bin);
    command.args([
        "client",
        "localhost",
        &bytecount.to_string(),
        "-p",
        &port.to_string(),
    ]);
    let (status, stdout, stderr) = Process::spawn(command)
        .unwrap()
        .finish(Duration::from_secs(120))
        .unwrap();
    assert!(status.success(), "client failed: {stderr}");
    assert_eq!(stderr, "");
    stdout.into_bytes()
}

/// A client process and the server process complete a session: the client's transcript
/// has the variant's shape, and the server logs the connection and its close by peer.
pub fn session(bin: &str, chunk: usize, server_recv: usize) {
    let (server, port) = server(bin);
    let bytecount = 1 << 20;
    let out = client(bin, port, bytecount);
    crate::transcripts::check_variant_client(&out, bytecount, chunk).unwrap();
    let (log, done) = server
        .stdout
        .wait_until(STEP, |log| log.contains("  Socket closed: "));
    assert!(done, "{log:?}");
    let masked = testkit::mask_ports(&log);
    assert_eq!(
        masked,
        format!(
            "Listening at ('127.0.0.1', PORT)\n\
             Processing up to {server_recv} bytes at a time from ('127.0.0.1', PORT)\n  \
             Socket closed: ('127.0.0.1', PORT), 1048576 bytes processed\n"
        )
    );
    let peers: Vec<&str> = log
        .lines()
        .skip(1)
        .map(|l| l.split("('127.0.0.1', ").nth(1).unwrap())
        .collect();
    assert_eq!(
        &peers[0][..peers[0].len() - 1],
        peers[1].split(')').next().unwrap()
    );
}

/// Connects a client that sends without ever reading, on a thread; returns the socket
/// and the count of bytes it has managed to send so far.
fn silent_client(port: u16) -> (TcpStream, Arc<AtomicU64>, thread::JoinHandle<()>) {
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let (mut writer, count) = (sock.try_clone().unwrap(), Arc::clone(&written));
    let thread = thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        // Up to 1 GiB; it blocks long before that, when every buffer is full.
        for _ in 0..16 * 1024 {
            match writer.write(&chunk) {
                Ok(n) => count.fetch_add(n as u64, Ordering::Relaxed),
                Err(_) => return,
            };
        }
    });
    (sock, written, thread)
}

/// Clients that send without ever reading: the server stops reading from each once its
/// bounded buffers are full, so its memory grows by at most `per_connection` bytes per
/// client; it keeps serving others meanwhile; and when they go away, it logs each and
/// carries on.
pub fn never_reading_clients(bin: &str, per_connection: u64) {
    const CLIENTS: usize = 16;
    let (server, port) = server(bin);
    let baseline = kernel::peak_memory(server.id());
    let clients: Vec<_> = (0..CLIENTS).map(|_| silent_client(port)).collect();
    // Watch the writers until every one has sent over a megabyte (the kernel's buffers
    // alone take that much) and none has moved for 300 ms: all are blocked. A slow
    // machine only makes this wait longer, up to STEP.
    let written = || -> Vec<u64> {
        let counts = clients.iter().map(|(_, w, _)| w.load(Ordering::Relaxed));
        counts.collect()
    };
    let (mut seen, mut since, started) = (written(), Instant::now(), Instant::now());
    while since.elapsed() < Duration::from_millis(300) || seen.iter().any(|&n| n <= 1 << 20) {
        assert!(
            started.elapsed() < STEP,
            "the writers never all blocked past a megabyte: {seen:?} bytes sent"
        );
        thread::sleep(Duration::from_millis(10));
        let now = written();
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
    }
    let seen: u64 = seen.iter().sum();
    if let (Some(baseline), Some(peak)) = (baseline, kernel::peak_memory(server.id())) {
        let bound = CLIENTS as u64 * per_connection + (4 << 20);
        assert!(
            peak - baseline <= bound,
            "server memory grew by {} bytes for {CLIENTS} clients that never read \
             ({seen} bytes unread): over the bound of {bound}",
            peak - baseline
        );
    }

    // Meanwhile another client is served.
    let other = client(bin, port, 16);
    assert!(
        String::from_utf8(other)
            .unwrap()
            .ends_with("  16 bytes received \n")
    );

    // The silent clients go away with data unread: resets, logged, survived.
    for (sock, _, writer) in clients {
        sock.shutdown(Shutdown::Both).unwrap();
        drop(sock);
        writer.join().unwrap();
    }
    let (log, failed) = server.stdout.wait_until(STEP, |log| {
        log.matches(" failed after ").count() + log.matches("  Socket closed: ").count() > CLIENTS
    });
    assert!(failed, "{log:?}");
    let again = client(bin, port, 32);
    assert!(
        String::from_utf8(again)
            .unwrap()
            .ends_with("  32 bytes received \n")
    );
}

/// One thousand clients at once, each sending 1 KiB and half-closing: every one gets
/// exactly its uppercase back.
pub fn thousand_clients(bin: &str) {
    let (server, port) = server(bin);
    let clients: Vec<_> = (0..1000u32)
        .map(|i| {
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || -> Result<(), String> {
                    let mut sock =
                        TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
                    sock.set_read_timeout(Some(STEP)).unwrap();
                    let message: Vec<u8> = format!("client {i:04}, capitalize this! ")
                        .bytes()
                        .cycle()
                        .take(1024)
                        .collect();
                    sock.write_all(&message).map_err(|e| e.to_string())?;
                    sock.shutdown(Shutdown::Write).map_err(|e| e.to_string())?;
                    let mut reply = Vec::new();
                    sock.read_to_end(&mut reply).map_err(|e| e.to_string())?;
                    (reply == message.to_ascii_uppercase())
                        .then_some(())
                        .ok_or_else(|| format!("client {i}: wrong reply"))
                })
                .unwrap()
        })
        .collect();
    let failures: Vec<String> = within(Duration::from_secs(120), move || {
        clients
            .into_iter()
            .filter_map(|c| c.join().unwrap().err())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} failed, first: {}",
        failures.len(),
        failures[0]
    );
    let (log, all_closed) = server
        .stdout
        .wait_until(STEP, |log| log.matches("  Socket closed: ").count() == 1000);
    assert!(
        all_closed,
        "{} closes logged",
        log.matches("  Socket closed: ").count()
    );
}

/// The command line is Listing 3-2's, with its usage errors.
pub fn usage_errors(bin: &str) {
    crate::binaries::usage_errors(
        bin,
        &[
            &["client", "localhost", "-5"],
            &["client", "localhost", "lots"],
            &["server"],
            &["sender", "localhost"],
            &["client", "localhost", "16", "-p", "99999"],
            &["client", "localhost", "16", "--sndbuf", "lots"],
        ],
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(bin);
    command.args(["client", "127.0.0.1", "-p", &port.to_string()]);
    let (status, _, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.ends_with(&format!(
            "cannot connect to 127.0.0.1 port {port}: Connection refused (os error 111)\n"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}

/// A server whose log reader has gone (`... | head -1`) ends at its next log line, and
/// says that it was standard output it could not write.
pub fn closed_stdout(bin: &str) {
    // The server's standard output is a pipe whose read end this test holds, as `head -1`
    // would: it reads the first line and closes it.
    let (reader, writer) = std::io::pipe().unwrap();
    let mut command = Command::new(bin);
    command.args(["server", "127.0.0.1", "-p", "0"]);
    let mut server = testkit::process::Spawn::new(command)
        .stdout(Stdio::from(writer))
        .start()
        .unwrap();
    let mut reader = BufReader::new(reader);
    let mut first = String::new();
    within(STEP, move || {
        reader.read_line(&mut first).unwrap();
        assert!(first.starts_with("Listening at"), "{first}");
    }); // `head -1` has read its line and gone: the reader is dropped
    let port = server.listening_port(STEP).unwrap();
    // Each connection makes the server log a line. More than one may be needed: a child
    // that another test's thread is starting holds a copy of every descriptor of this
    // process until it runs its program, so the first line may still find a reader.
    let deadline = Instant::now() + STEP;
    let status = loop {
        if let Some(status) = server.try_wait() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the server still runs after {STEP:?}"
        );
        let _ = TcpStream::connect(("127.0.0.1", port));
        server.wait_exit(Duration::from_millis(100));
    };
    server.stderr.wait_closed(STEP);
    let stderr = server.stderr.text();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let name = crate::binaries::name(bin);
    assert_eq!(
        stderr,
        format!("{name}: cannot write to standard output: Broken pipe (os error 32)\n")
    );
}

/// `--sndbuf`/`--rcvbuf` change what the kernel grants, on both sides, and each side
/// prints the granted sizes where the options say: right after `Listening at`, and first
/// for a client.
pub fn pinned_buffers(bin: &str) {
    let mut command = Command::new(bin);
    command.args([
        "server",
        "127.0.0.1",
        "-p",
        "0",
        "--sndbuf",
        "16384",
        "--rcvbuf",
        "16384",
    ]);
    let (server, port) = Process::server(command, STEP).unwrap();
    let expected = "Socket buffers: send 32768 bytes, receive 32768 bytes\n";
    let mut command = Command::new(bin);
    command.args([
        "client",
        "127.0.0.1",
        "4096",
        "-p",
        &port.to_string(),
        "--sndbuf",
        "16384",
        "--rcvbuf",
        "16384",
    ]);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    assert!(status.success(), "{stderr}");
    let (log, _) = server
        .stdout
        .wait_until(STEP, |log| log.contains("Socket buffers"));
    if cfg!(target_os = "linux") {
        assert!(stdout.starts_with(expected), "{stdout}");
        let mut lines = log.lines();
        assert!(lines.next().unwrap().starts_with("Listening at"));
        assert_eq!(lines.next(), expected.lines().next(), "{log}");
    }
}

/// Lowers a running process's soft limit on open files to `limit` (its hard limit stays).
#[cfg(target_os = "linux")]
pub fn lower_descriptor_limit(pid: u32, limit: u64) {
    testkit::process::set_descriptor_limit(Some(pid), Some(limit))
        .expect("lower the server's descriptor limit");
}

/// Echoes `bytes` on an open connection (sent from a thread, read here), checking the
/// uppercase comes back.
fn echo(sock: &TcpStream, bytes: usize) {
    let mut writer = sock.try_clone().unwrap();
    let sender = thread::spawn(move || writer.write_all(&vec![b'a'; bytes]));
    let mut reply = vec![0; bytes];
    (&*sock).read_exact(&mut reply).unwrap();
    assert!(reply.iter().all(|&b| b == b'A'));
    sender.join().unwrap().unwrap();
}

/// Out of file descriptors (its limit lowered while it runs), the server logs the failed
/// accept() once, goes on serving the connection it has, and once a descriptor is free
/// accepts the connection that waited, logging that once too.
pub fn out_of_descriptors(bin: &str) {
    if !kernel::SUPPORTED {
        eprintln!("skipped: lowering another process's descriptor limit needs Linux here");
        return;
    }
    let (server, port) = server(bin);
    let connect = || {
        let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(STEP)).unwrap();
        sock
    };
    let open = connect();
    let accepted = |n: usize| {
        let (log, ok) = server
            .stdout
            .wait_until(STEP, |log| log.matches("Processing up to").count() >= n);
        assert!(ok, "{log}");
    };
    accepted(1);
    // Room for three more connections, whatever else the server has open.
    let open_now = kernel::open_descriptors(server.id()).unwrap();
    #[cfg(target_os = "linux")]
    lower_descriptor_limit(server.id(), open_now as u64 + 3);
    // Fill the descriptors: every connection takes one, until accept() fails (on Linux
    // it fails as soon as the table is full, before anyone else even waits). Each
    // connection is either accepted or refused a descriptor, and the log says which.
    let mut held = Vec::new();
    let log = loop {
        held.push(connect());
        let (log, logged) = server.stdout.wait_until(STEP, |log| {
            log.contains("Could not accept") || log.matches("Processing up to").count() > held.len()
        });
        assert!(
            logged,
            "connection {} neither accepted nor refused: {log}",
            held.len()
        );
        if log.contains("Could not accept") {
            break log;
        }
        assert!(held.len() < 16, "accept() never failed: {log}");
    };
    assert!(log.contains("Too many open files"), "{log}");
    // One more connection waits in the backlog meanwhile.
    let waiting = connect();
    // The connection the server has still echoes, a megabyte both ways.
    echo(&open, 1 << 20);
    // Descriptors come free, one more than the connections waiting: those are accepted
    // and served, and the server is not at its limit again. (The last connection held
    // may be waiting too: the failure is logged just after the accept() that filled the
    // table, and the loop may have seen that accept() and connected once more.)
    let unaccepted = held.len() + 1 - log.matches("Processing up to").count();
    for freed in held.drain(..(unaccepted + 2).min(held.len())) {
        freed.shutdown(Shutdown::Both).unwrap();
    }
    let (log, resumed) = server
        .stdout
        .wait_until(STEP, |log| log.contains("Accepting connections again"));
    assert!(resumed, "{log}");
    echo(&waiting, 4096);
    let log = server.stdout.text();
    assert_eq!(log.matches("Could not accept").count(), 1, "{log}");
    assert_eq!(
        log.matches("Accepting connections again").count(),
        1,
        "{log}"
    );
}
