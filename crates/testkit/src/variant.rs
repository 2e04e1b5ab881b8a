//! Checks that hold for both deadlock-free variants' binaries (`tcp_threaded` and
//! `tcp_nonblocking`); each crate's tests call them with its own binary.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::{Proc, STEP, within};

/// The variant binary tests, for a crate whose binary is `$bin` and library `$lib`.
#[macro_export]
macro_rules! variant_binary_tests {
    ($bin:literal, $lib:ident) => {
        const BIN: &str = env!(concat!("CARGO_BIN_EXE_", $bin));

        #[test]
        fn a_session_has_listing_3_2s_shape() {
            $crate::variant::session(BIN, $lib::CHUNK, $lib::SERVER_RECV);
        }

        #[test]
        fn a_client_that_never_reads_cannot_grow_the_server() {
            $crate::variant::never_reading_client(BIN);
        }

        #[test]
        fn serves_a_thousand_clients_at_once() {
            $crate::variant::thousand_clients(BIN);
        }

        #[test]
        fn malformed_command_lines_and_refused_connections() {
            $crate::variant::usage_errors(BIN);
        }
    };
}

pub fn server(bin: &str) -> (Proc, u16) {
    let mut command = Command::new(bin);
    command.args(["server", "127.0.0.1", "-p", "0"]);
    Proc::server(command)
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
    let (status, stdout, stderr) = Proc::spawn(command).finish(Duration::from_secs(120));
    assert!(status.success(), "client failed: {stderr}");
    assert_eq!(stderr, "");
    stdout.into_bytes()
}

/// The peak resident memory of a process so far, in bytes (`VmHWM`).
pub fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
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
    let masked = crate::mask_ports(&log);
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

/// A client that sends without ever reading: the server stops reading from it once its
/// bounded buffers are full, so its memory stays under 16 MiB; it keeps serving others
/// meanwhile; and when that client goes away, the server logs it and carries on.
pub fn never_reading_client(bin: &str) {
    let (server, port) = server(bin);
    let baseline = peak_memory(server.id());
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let writer = {
        let (mut sock, written) = (sock.try_clone().unwrap(), Arc::clone(&written));
        thread::spawn(move || {
            let chunk = vec![b'x'; 64 * 1024];
            // Up to 1 GiB; it blocks long before that, when every buffer is full.
            for _ in 0..16 * 1024 {
                match sock.write(&chunk) {
                    Ok(n) => written.fetch_add(n as u64, Ordering::Relaxed),
                    Err(_) => return,
                };
            }
        })
    };
    // Watch the writer's progress until it has not moved for a second: it is blocked.
    let (mut seen, mut since, started) = (0, Instant::now(), Instant::now());
    while since.elapsed() < Duration::from_secs(1) {
        assert!(
            started.elapsed() < STEP,
            "the writer never blocked: the server reads without bound"
        );
        let now = written.load(Ordering::Relaxed);
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(seen > 1 << 20, "the writer blocked after only {seen} bytes");
    let peak = peak_memory(server.id());
    assert!(
        peak < 16 << 20,
        "server peak memory {peak} bytes (baseline {baseline}) after {seen} bytes unread"
    );

    // Meanwhile another client is served.
    let other = client(bin, port, 16);
    assert!(
        String::from_utf8(other)
            .unwrap()
            .ends_with("  16 bytes received \n")
    );

    // The silent client goes away with data unread: a reset, logged, survived.
    sock.shutdown(Shutdown::Both).unwrap();
    drop(sock);
    writer.join().unwrap();
    let (log, failed) = server
        .stdout
        .wait_until(STEP, |log| log.contains(" failed after "));
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
    for args in [
        &["client", "localhost", "-5"][..],
        &["client", "localhost", "lots"],
        &["server"],
        &["sender", "localhost"],
        &["client", "localhost", "16", "-p", "99999"],
    ] {
        let mut command = Command::new(bin);
        command.args(args);
        let (status, stdout, stderr) = Proc::spawn(command).finish(STEP);
        assert_eq!(status.code(), Some(2), "{args:?}");
        assert_eq!(stdout, "");
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = Command::new(bin);
    command.args(["client", "127.0.0.1", "-p", &port.to_string()]);
    let (status, _, stderr) = Proc::spawn(command).finish(STEP);
    assert_eq!(status.code(), Some(1));
    assert!(
        stderr.ends_with(&format!(
            "cannot connect to 127.0.0.1 port {port}: Connection refused (os error 111)\n"
        )),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);
}
