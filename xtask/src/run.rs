//! `cargo xtask run ID`: builds a listing, runs its server and its client, and shows the
//! session as the book does, with a watchdog that stops a deadlocked transfer and
//! explains it.

use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::listings::{Kind, Listing};

pub const LONG_ABOUT: &str = "\
Build a listing, run its server and client, and show both transcripts

(The page 53 demonstrations, IDs half-close, shut-rd, close-vs-shutdown,
eof-vs-wouldblock and udp-flood, are one program each: it runs and prints its steps
and its verdict, and its exit status is passed on.)

The server is started on 127.0.0.1 at the book's port 1060 (or, when 1060 is busy, at a
port the system chooses; a note says which). Once the server prints its `Listening at`
line, the client runs, connecting to localhost, and its output is shown as it arrives.
Then the server's output follows under `$ cat server.log`.

A watchdog stops a transfer that has stalled: while both processes live and neither has
printed anything for 3 seconds, both are stopped and the deadlock of page 53 is explained
with the numbers seen.

Exit status: 0 the session completed; 1 the build failed, a process could not start or
the client failed (its status is passed on); 2 a usage error or an unknown listing;
3 the transfer stalled and both processes were stopped.";

/// How long neither process may print before the transfer counts as stalled.
const STALL: Duration = Duration::from_secs(3);
/// How long the server may take to print its `Listening at` line, or to finish its log
/// after the client is done.
const SERVER_STEP: Duration = Duration::from_secs(10);
/// The exit status of a session whose transfer stalled.
const STALLED: u8 = 3;

pub fn run(listing: &Listing, client_args: &[String]) -> ExitCode {
    match session(listing, client_args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("cargo xtask run {}: {error}", listing.id);
            ExitCode::FAILURE
        }
    }
}

fn session(listing: &Listing, client_args: &[String]) -> Result<ExitCode, String> {
    let bin = build(listing)?;
    if let Kind::Demo(subcommand) = listing.kind {
        return demo(listing, &bin, subcommand, client_args);
    }
    let args: Vec<String> = if client_args.is_empty() {
        listing.default_args.iter().map(|a| a.to_string()).collect()
    } else {
        client_args.to_vec()
    };

    // The book's port if it is free, else one the system picks (-p 0).
    let (mut server, port) = match start_server(&bin, 1060)? {
        Ok(started) => started,
        Err(busy) => {
            let started = start_server(&bin, 0)?.map_err(|e| format!("server failed: {e}"))?;
            println!(
                "# port 1060 is busy here ({busy}); the server listens on port {} instead",
                started.1
            );
            started
        }
    };
    let port_arg = if port == 1060 {
        String::new()
    } else {
        format!(" -p {port}")
    };
    println!(
        "$ {} server 127.0.0.1{port_arg} > server.log &",
        listing.bin
    );
    let shown_args: String = args.iter().map(|a| format!(" {a}")).collect();
    println!("$ {} client localhost{shown_args}{port_arg}", listing.bin);
    flush();

    let mut client = Proc::spawn(
        Command::new(&bin)
            .args(["client", "localhost"])
            .args(&args)
            .args(["-p", &port.to_string()]),
        true,
    )
    .map_err(|e| format!("cannot start the client: {e}"))?;

    // Wait for the client, watching for a stall.
    let client_status = loop {
        if let Some(status) = client.try_wait() {
            break status;
        }
        let quiet = client.output.quiet_for().min(server.output.quiet_for());
        if quiet >= STALL && server.try_wait().is_none() {
            // Take the evidence before stopping anything: stopping one process makes the
            // other's send() fail, and the server would log that failure.
            let report = stall_report(listing, &args, &client, &server, port);
            let log = server.output.text();
            server.stop();
            client.stop();
            client.output.wait_closed(SERVER_STEP);
            println!();
            show_server_log(&log);
            print!("{report}");
            flush();
            return Ok(ExitCode::from(STALLED));
        }
        thread::sleep(Duration::from_millis(50));
    };
    client.output.wait_closed(SERVER_STEP);

    // Let the server finish what it prints about this client, then stop it. A client that
    // failed may never have reached the server: give the server only a moment then.
    let patience = if client_status == Some(0) {
        SERVER_STEP
    } else {
        Duration::from_secs(1)
    };
    let settled = server.output.wait_until(patience, listing.settled);
    server.stop();
    server.output.wait_closed(SERVER_STEP);
    show_server_log(&server.output.text());
    if !settled && client_status == Some(0) {
        println!("# the server did not finish its log within {SERVER_STEP:?}");
    }
    flush();
    Ok(match client_status {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

/// A page 53 demonstration: one program that prints its steps and verdict.
fn demo(
    listing: &Listing,
    bin: &PathBuf,
    subcommand: &str,
    args: &[String],
) -> Result<ExitCode, String> {
    let shown: String = args.iter().map(|a| format!(" {a}")).collect();
    println!("$ {} {subcommand}{shown}", listing.bin);
    flush();
    let status = Command::new(bin)
        .arg(subcommand)
        .args(args)
        .stdin(Stdio::null())
        .status()
        .map_err(|e| format!("cannot start {}: {e}", listing.bin))?;
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}

fn flush() {
    let _ = io::stdout().flush();
}

fn show_server_log(log: &str) {
    println!("$ cat server.log");
    print!("{log}");
    if !log.is_empty() && !log.ends_with('\n') {
        println!();
    }
}

/// `cargo build` of the listing's binary; returns its path.
fn build(listing: &Listing) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--package", listing.krate, "--bin", listing.bin])
        .current_dir(workspace_root())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --package {} failed", listing.krate));
    }
    Ok(target_dir().join("debug").join(listing.bin))
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

/// Starts `bin server 127.0.0.1 -p PORT` and waits for its `Listening at` line. The inner
/// `Err` is the server's own error line when it could not listen (a busy port).
#[allow(clippy::type_complexity)]
fn start_server(bin: &PathBuf, port: u16) -> Result<Result<(Proc, u16), String>, String> {
    let server = Proc::spawn(
        Command::new(bin).args(["server", "127.0.0.1", "-p", &port.to_string()]),
        false,
    )
    .map_err(|e| format!("cannot start the server: {e}"))?;
    server
        .output
        .wait_until(SERVER_STEP, |log| fopnp::listening_port(log).is_some());
    match fopnp::listening_port(&server.output.text()) {
        Some(port) => Ok(Ok((server, port))),
        None => {
            let mut server = server;
            server.stop();
            let stderr = server.stderr_text();
            if stderr.contains("already in use") {
                Ok(Err(stderr.trim().to_string()))
            } else {
                Err(format!(
                    "the server printed no Listening line: {}",
                    stderr.trim()
                ))
            }
        }
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

/// Which system call the process's threads are in, from `/proc/PID/task/*/syscall`:
/// `sendto() of 16 bytes`, or `running`.
fn blocked_in(pid: u32) -> String {
    let mut calls: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("syscall")).ok())
        .map(|line| describe_syscall(&line))
        .collect();
    calls.sort();
    calls.dedup();
    if calls.is_empty() {
        "(the kernel did not say)".into()
    } else {
        calls.join(", ")
    }
}

/// Names a `/proc/PID/syscall` line: the number, six arguments, stack and program counter.
fn describe_syscall(line: &str) -> String {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let Some(number) = fields.first().and_then(|n| n.parse::<u32>().ok()) else {
        return line.trim().to_string();
    };
    #[cfg(target_arch = "x86_64")]
    let (name, sends) = match number {
        44 => ("sendto()", true),
        1 => ("write()", true),
        46 => ("sendmsg()", true),
        45 => ("recvfrom()", false),
        0 => ("read()", false),
        7 => ("poll()", false),
        202 => ("futex()", false),
        _ => ("", false),
    };
    #[cfg(target_arch = "aarch64")]
    let (name, sends) = match number {
        206 => ("sendto()", true),
        64 => ("write()", true),
        211 => ("sendmsg()", true),
        207 => ("recvfrom()", false),
        63 => ("read()", false),
        73 => ("ppoll()", false),
        98 => ("futex()", false),
        _ => ("", false),
    };
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    let (name, sends) = ("", false);
    let length = fields
        .get(3)
        .and_then(|hex| u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok());
    match (name, sends, length) {
        ("", _, _) => format!("system call {number}"),
        (name, true, Some(length)) => format!("{name} of {length} bytes"),
        (name, _, _) => name.to_string(),
    }
}

/// Bytes queued in a loopback connection's sockets, from `/proc/net/tcp` and `tcp6`:
/// `(send queue, receive queue)` of the socket whose local port is `local` and remote
/// port is `remote`.
fn socket_queues(local: u16, remote: u16) -> Option<(u64, u64)> {
    let hex_port = |addr: &str| u16::from_str_radix(addr.rsplit(':').next()?, 16).ok();
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .flat_map(|table| {
            table
                .lines()
                .skip(1)
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .find_map(|row| {
            let fields: Vec<&str> = row.split_whitespace().collect();
            if hex_port(fields.get(1)?)? != local || hex_port(fields.get(2)?)? != remote {
                return None;
            }
            let (tx, rx) = fields.get(4)?.split_once(':')?;
            Some((
                u64::from_str_radix(tx, 16).ok()?,
                u64::from_str_radix(rx, 16).ok()?,
            ))
        })
}

/// The port of the last client in a server log (`... from ('127.0.0.1', 44340)`).
fn last_client_port(log: &str) -> Option<u16> {
    let line = log.lines().rev().find(|l| l.contains(" from ('"))?;
    line.rsplit("', ")
        .next()?
        .split([',', ')'])
        .next()?
        .parse()
        .ok()
}

fn stall_report(
    listing: &Listing,
    args: &[String],
    client: &Proc,
    server: &Proc,
    port: u16,
) -> String {
    let client_log = client.output.text();
    let server_log = server.output.text();
    let sent = last_count(&client_log, " bytes sent").unwrap_or(0);
    let processed = last_count(&server_log, " bytes processed").unwrap_or(0);
    let wanted = args.first().map(String::as_str).unwrap_or("16");
    let mut report = format!(
        "\n\
         The transfer stalled: for {secs} seconds neither process printed any progress, so the\n\
         client (pid {cpid}) and the server (pid {spid}) were both stopped. What they showed:\n\
         \n  \
         client: {sent} of {wanted} bytes sent; blocked in {client_call}\n  \
         server: {processed} bytes processed; blocked in {server_call}\n",
        secs = STALL.as_secs(),
        cpid = client.id(),
        spid = server.id(),
        client_call = blocked_in(client.id()),
        server_call = blocked_in(server.id()),
    );
    let queues = last_client_port(&server_log).and_then(|client_port| {
        Some((
            socket_queues(client_port, port)?,
            socket_queues(port, client_port)?,
        ))
    });
    if let Some(((client_send, client_recv), (server_send, server_recv))) = queues {
        report.push_str(&format!(
            "\n  \
             bytes waiting in the socket buffers (/proc/net/tcp):\n    \
             client to server: {client_send} in the client's send buffer, {server_recv} in the server's receive buffer\n    \
             server to client: {server_send} in the server's send buffer, {client_recv} in the client's receive buffer\n"
        ));
    }
    report.push_str(&format!(
        "\n\
         This is the deadlock of page 53. The {bin} client sends everything before it reads\n\
         anything, while the server sends each piece back as soon as it reads it. Nobody reads\n\
         the replies, so they fill the server's send buffer and the client's receive buffer;\n\
         then the server blocks in send() and stops reading, so the client's data fills the\n\
         server's receive buffer and the client's send buffer, and the client blocks in send()\n\
         too. Each waits for the other to read, with the socket buffers in both directions full.\n\
         \n\
         Listings that avoid it: 3-2-threaded (one thread sends while another receives) and\n\
         3-2-nonblocking (poll() says when the socket can take more and when replies have come).\n",
        bin = listing.bin,
    ));
    report
}

/// A child process with its stdout collected (and, for the client, shown as it arrives).
struct Proc {
    child: Child,
    output: Output,
    stderr: Output,
    reaped: Option<Option<i32>>,
}

impl Proc {
    fn spawn(command: &mut Command, show: bool) -> io::Result<Self> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if show {
                Stdio::inherit()
            } else {
                Stdio::piped()
            })
            .spawn()?;
        let output = Output::collect(child.stdout.take(), show);
        let stderr = Output::collect(child.stderr.take(), false);
        Ok(Self {
            child,
            output,
            stderr,
            reaped: None,
        })
    }

    fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit code once the process has ended (`Some(None)`: killed by a signal).
    fn try_wait(&mut self) -> Option<Option<i32>> {
        if self.reaped.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.reaped = Some(status.code());
        }
        self.reaped
    }

    fn stop(&mut self) {
        if self.reaped.is_none() {
            let _ = self.child.kill();
            self.reaped = Some(self.child.wait().ok().and_then(|s| s.code()));
        }
    }

    fn stderr_text(&self) -> String {
        self.stderr.wait_closed(SERVER_STEP);
        self.stderr.text()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

#[derive(Default)]
struct OutputState {
    bytes: Vec<u8>,
    last_change: Option<Instant>,
    closed: bool,
}

/// What a child has written to a pipe so far, and when it last wrote.
#[derive(Clone)]
struct Output(Arc<(Mutex<OutputState>, Condvar)>);

impl Output {
    fn collect(pipe: Option<impl Read + Send + 'static>, show: bool) -> Self {
        let state = OutputState {
            last_change: Some(Instant::now()),
            ..OutputState::default()
        };
        let output = Self(Arc::new((Mutex::new(state), Condvar::new())));
        let sink = output.clone();
        thread::spawn(move || {
            let mut buf = [0; 16 * 1024];
            let mut pipe = pipe;
            loop {
                let n = match pipe.as_mut().map(|p| p.read(&mut buf)) {
                    Some(Ok(n)) => n,
                    Some(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                    _ => 0,
                };
                if show && n > 0 {
                    let mut stdout = io::stdout().lock();
                    let _ = stdout.write_all(&buf[..n]);
                    let _ = stdout.flush();
                }
                let (lock, changed) = &*sink.0;
                let mut state = lock.lock().unwrap_or_else(|e| e.into_inner());
                if n == 0 {
                    state.closed = true;
                } else {
                    state.bytes.extend_from_slice(&buf[..n]);
                    state.last_change = Some(Instant::now());
                }
                changed.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        output
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutputState> {
        self.0.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    fn quiet_for(&self) -> Duration {
        self.lock()
            .last_change
            .map(|t| t.elapsed())
            .unwrap_or_default()
    }

    /// Waits until `ready(text)` holds or the pipe closes or `limit` passes.
    fn wait_until(&self, limit: Duration, ready: impl Fn(&str) -> bool) -> bool {
        let end = Instant::now() + limit;
        let mut state = self.lock();
        loop {
            if ready(&String::from_utf8_lossy(&state.bytes)) {
                return true;
            }
            let now = Instant::now();
            if state.closed || now >= end {
                return false;
            }
            state = self
                .0
                .1
                .wait_timeout(state, end - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn wait_closed(&self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        let mut state = self.lock();
        while !state.closed {
            let now = Instant::now();
            if now >= end {
                return false;
            }
            state = self
                .0
                .1
                .wait_timeout(state, end - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_system_calls_and_client_ports() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            describe_syscall("44 0x3 0x55ab7235cb30 0x10 0x4000 0x0 0x0 0x7ffc 0x7fad\n"),
            "sendto() of 16 bytes"
        );
        assert_eq!(describe_syscall("running\n"), "running");
        let log = "Listening at ('127.0.0.1', 1060)\nProcessing up to 1024 bytes at a time from ('127.0.0.1', 44340)\n";
        assert_eq!(last_client_port(log), Some(44340));
    }

    #[test]
    fn reads_the_last_progress_count() {
        let log = "Sending 64 bytes\n\r  16 bytes sent \r  32 bytes sent ";
        assert_eq!(last_count(log, " bytes sent"), Some(32));
        assert_eq!(last_count(log, " bytes received"), None);
    }
}
