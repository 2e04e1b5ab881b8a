//! Checks every Chapter 7 server binary passes, run as a reader runs it: the book's
//! session and log lines, the command line and its errors, the `--delay` knob. Each
//! server crate's tests call them through [`zen_server_binary_tests!`].
//!
//! [`zen_server_binary_tests!`]: crate::zen_server_binary_tests

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{Process, STEP};

use crate::runner::{self, ServerSpec};

use crate::zen::{
    APHORISMS, CUT_QUESTION, Connection, Event, Lines, LogStyle, check_log, log_complete,
};

/// The binary tests of a Zen server whose binary is `$bin`, which logs in `$style` and
/// prints `Listening at` if `$listening`.
#[macro_export]
macro_rules! zen_server_binary_tests {
    ($bin:literal, $style:expr, $listening:expr) => {
        const BIN: &str = env!(concat!("CARGO_BIN_EXE_", $bin));

        #[test]
        fn a_session_logs_the_books_lines() {
            $crate::zen_binaries::session(BIN, $style, $listening);
        }

        #[test]
        fn command_line_errors_and_a_busy_port() {
            $crate::zen_binaries::errors(BIN);
        }

        #[test]
        fn delay_slows_each_answer() {
            $crate::zen_binaries::delay(BIN);
        }
    };
}

/// Starts `bin localhost -p 0 EXTRA...`; returns it and the port it listens on.
pub fn server(bin: &str, extra: &[&str]) -> (Process, u16) {
    let mut command = Command::new(bin);
    command.args(["localhost", "-p", "0"]).args(extra);
    Process::server(command, STEP).unwrap()
}

fn ask_all(port: u16) -> Connection {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(STEP)).unwrap();
    for (question, answer) in APHORISMS {
        sock.write_all(question).unwrap();
        let mut got = vec![0; answer.len()];
        sock.read_exact(&mut got).unwrap();
        assert_eq!(got, answer);
    }
    Connection {
        client_port: sock.local_addr().unwrap().port(),
        events: vec![Event::Accepted, Event::ClosedNormally],
    }
}

/// The session of the book's `test.sh`: a client asks its three questions, then `client
/// -e` sends half a question and closes. The log is the book's: `Listening at` with the
/// address as given (`('localhost', 0)` for `-p 0`), then each connection's lines.
pub fn session(bin: &str, style: LogStyle, listening: bool) {
    let (server, port) = server(bin, &[]);
    let normal = ask_all(port);
    let sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    (&sock).write_all(CUT_QUESTION).unwrap();
    let cut = Connection {
        client_port: sock.local_addr().unwrap().port(),
        events: vec![
            Event::Accepted,
            Event::ClosedMidQuestion(CUT_QUESTION.to_vec()),
        ],
    };
    drop(sock);
    let connections = [normal, cut];
    let expected_lines: usize = connections
        .iter()
        .map(|c| style.lines("", &c.events).len())
        .sum::<usize>()
        + usize::from(listening);
    // Every line, `Listening at` too: the server may be found listening before it says so
    // (asyncore's style logs nothing else here).
    let (log, done) = server.stdout.wait_until(STEP, |log| {
        log_complete(log, style, &connections) && log.lines().count() >= expected_lines
    });
    assert!(done, "{log}");
    check_log(&log, style, &connections).unwrap();
    assert_eq!(log.lines().count(), expected_lines, "{log}");
    if listening {
        assert_eq!(log.lines().next(), Some("Listening at ('localhost', 0)"));
    }
}

/// Usage errors exit with status 2; a busy port is one line and status 1.
pub fn errors(bin: &str) {
    crate::binaries::usage_errors(
        bin,
        &[
            &[],
            &["localhost", "-p", "http"],
            &["localhost", "--delay", "-1"],
            &["localhost", "--delay", "soon"],
        ],
    );
    let (_first, port) = server(bin, &[]);
    let mut command = Command::new(bin);
    command.args(["localhost", "-p", &port.to_string()]);
    let (status, _, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    assert_eq!(status.code(), Some(1));
    let name = crate::binaries::name(bin);
    assert_eq!(
        stderr,
        format!(
            "{name}: cannot listen at localhost port {port}: Address already in use (os error 98)\n"
        )
    );
}

/// `--delay 0.1` makes each answer take at least 0.1 s (the sleep in `get_answer`).
pub fn delay(bin: &str) {
    let (_server, port) = server(bin, &["--delay", "0.1"]);
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.set_read_timeout(Some(STEP)).unwrap();
    let started = Instant::now();
    sock.write_all(b"Simple is better than?").unwrap();
    let mut answer = [0; 8];
    sock.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"Complex.");
    assert!(started.elapsed() >= Duration::from_millis(100));
}

/// The Zen table's cases that `pick` picks, against `bin` under the super-server
/// (`accept`: `-a`, a process per connection; else one process that stays), given `extra`
/// arguments and `--log log`, each case held to that log file.
pub fn under_super_server(
    bin: &str,
    accept: bool,
    extra: &[&str],
    log: &std::path::Path,
    pick: impl Fn(&str) -> bool,
) {
    if !testkit::inetd::installed_or_skip() {
        return;
    }
    let (_inetd, port) = Process::server_on_free_port(
        |port| {
            let mut command = testkit::inetd::command(accept, port, std::path::Path::new(bin));
            command.args(extra).arg("--log").arg(log);
            command
        },
        STEP,
    )
    .unwrap();
    let name = crate::binaries::name(bin);
    let spec = ServerSpec::of(catalog::by_bin(&name).unwrap()).unwrap();
    let mut running = UnderInetd { port, log };
    let outcomes = runner::server_cases_where(&spec, &mut running, pick);
    runner::assert_passed(&name, &outcomes);
}

/// A server under the super-server, for the runner: its port, and its log file.
struct UnderInetd<'a> {
    port: u16,
    log: &'a std::path::Path,
}

impl runner::Running for UnderInetd<'_> {
    fn port(&self) -> u16 {
        self.port
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log).unwrap_or_default()
    }
}
