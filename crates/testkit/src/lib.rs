//! Process and test support for the tests, `cargo xtask run` and the benchmarks.
//!
//! - [`process`]: child processes, their output collected, their listening port learned
//!   from the kernel, measured, and killed when dropped;
//! - [`kernel`]: what `/proc` says about a process and its sockets (Linux);
//! - [`inetd`]: the super-server that runs the inetd pair;
//! - [`table`]: terminal tables whose columns line up;
//! - deadlines ([`within`]), in-process servers ([`ServerThread`]) and transcripts.
//!
//! Every test has a deadline, synchronises on what a process prints or on the kernel's
//! state (never on a sleep), and kills what it spawns when it is dropped.

pub mod counters;
pub mod inetd;
pub mod kernel;
mod output;
pub mod process;
pub mod table;

pub use output::tee_failed;
pub use process::{Finished, Output, Process, Spawn, Usage};

use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long any single step of a test may take before it counts as a hang.
pub const STEP: Duration = Duration::from_secs(30);

/// Runs `f` on its own thread and panics if it has not finished within `limit`.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = std::sync::mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = done.send(f());
    });
    match result.recv_timeout(limit) {
        Ok(value) => value,
        // The worker dropped its sender without sending: it panicked; show that panic.
        Err(RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker always sends before it returns"),
        },
        Err(RecvTimeoutError::Timeout) => panic!("test step exceeded its deadline of {limit:?}"),
    }
}

/// Runs `f` on its own thread, at most `limit`: where [`within`] panics (a test's step
/// that hangs), this answers `Err` (a conformance case that hangs is a failed case, and
/// the table goes on).
pub fn with_deadline<T: Send + 'static>(
    limit: Duration,
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    let (done, result) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let _ = done.send(f());
    });
    result
        .recv_timeout(limit)
        .unwrap_or_else(|_| Err(format!("the case did not finish within {limit:?}")))
}

/// Says why a test that needs a real service (nginx, the real httpbin) does not run here,
/// and returns so that the test can end. Under `CI=true`, where `.ci/run` installed the
/// service, a missing one is a failure, not a skip: it panics with the same reason.
pub fn skip(why: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("CI=true, and this test cannot run: {why}");
    }
    println!("skipped: {why}");
}

/// Checks `ready` every 10 ms until it holds or `limit` passes; returns whether it held.
/// For state that sends no event to wait on: a log file another process writes, a
/// transcript another thread fills.
pub fn wait_until(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let started = std::time::Instant::now();
    loop {
        if ready() {
            return true;
        }
        if started.elapsed() >= limit {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A `cargo` command (the one running us, if any) without the variables that cargo sets
/// for the program it runs (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`...). `cargo xtask` and
/// the tests run with them set to their own package; build scripts that watch them
/// (ring's does) would see them change between such a build and the reader's own, and
/// rebuild ring, rustls and all that follows, each time.
pub fn cargo() -> std::process::Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = std::process::Command::new(cargo);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        let set_for_us = [
            "CARGO_PKG_",
            "CARGO_MANIFEST_",
            "CARGO_CRATE_",
            "CARGO_BIN_",
        ]
        .iter()
        .any(|p| name.starts_with(p))
            || ["CARGO_PRIMARY_PACKAGE", "CARGO_TARGET_TMPDIR", "OUT_DIR"].contains(&&*name);
        if set_for_us {
            command.env_remove(&*name);
        }
    }
    command
}

/// Replaces every port number in Python-style addresses `('host', PORT` with `PORT`, so
/// that transcripts can be compared with the book's.
pub fn mask_ports(text: &str) -> String {
    replace_ports(text, |_| "PORT".to_string())
}

/// Replaces the port number of every Python-style address `('host', 41234` in `text`, and
/// of Chapter 6's `host 'localhost' and port 41234`, with what `stand_in` makes of it.
pub fn replace_ports(text: &str, mut stand_in: impl FnMut(u16) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let next = |rest: &str| {
        ["', ", "' and port "]
            .iter()
            .filter_map(|m| rest.find(m).map(|at| at + m.len()))
            .min()
    };
    while let Some(end) = next(rest) {
        let (head, tail) = rest.split_at(end);
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            out.push_str(&stand_in(tail[..digits].parse().unwrap_or(0)));
        }
        rest = &tail[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_past_its_deadline_fails_and_one_within_it_answers() {
        let hung = with_deadline(Duration::from_millis(50), || -> Result<(), String> {
            thread::sleep(Duration::from_secs(5));
            Ok(())
        });
        assert_eq!(hung, Err("the case did not finish within 50ms".into()));
        assert_eq!(with_deadline(STEP, || Ok(7)), Ok(7));
    }

    #[test]
    fn masks_ports_but_not_other_numbers() {
        assert_eq!(
            mask_ports("from ('127.0.0.1', 34183)\n  32 bytes, ('::1', 9, 0, 0)"),
            "from ('127.0.0.1', PORT)\n  32 bytes, ('::1', PORT, 0, 0)"
        );
        assert_eq!(
            mask_ports("Connection from host '127.0.0.1' and port 50886"),
            "Connection from host '127.0.0.1' and port PORT"
        );
    }

    #[test]
    fn within_returns_the_value_and_fails_on_a_hang() {
        assert_eq!(within(STEP, || 7), 7);
        let hang = std::panic::catch_unwind(|| {
            within(Duration::from_millis(50), || {
                thread::sleep(Duration::from_secs(5))
            })
        });
        assert!(hang.is_err());
    }
}

/// A clonable in-memory transcript, for listing functions that print to a writer.
#[derive(Clone, Default)]
pub struct Transcript(Arc<Mutex<Vec<u8>>>);

impl Transcript {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

impl std::io::Write for Transcript {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A listing's server running in-process on a thread, over a listener bound to a port the
/// system chose on 127.0.0.1. Dropping it shuts the listening socket down, which makes a
/// blocked `accept()` fail (EINVAL on Linux) so the server's loop returns.
pub struct ServerThread {
    listener: std::net::TcpListener,
    pub port: u16,
    pub log: Transcript,
    thread: Option<thread::JoinHandle<()>>,
}

impl ServerThread {
    /// Runs `serve(listener, log)` on a thread. `serve` should return once `accept()` on
    /// the listener fails for good.
    pub fn start<F>(serve: F) -> Self
    where
        F: FnOnce(std::net::TcpListener, Transcript) + Send + 'static,
    {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Transcript::default();
        let (theirs, their_log) = (listener.try_clone().unwrap(), log.clone());
        let thread = Some(thread::spawn(move || serve(theirs, their_log)));
        Self {
            listener,
            port,
            log,
            thread,
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        let _ = socket2::SockRef::from(&self.listener).shutdown(std::net::Shutdown::Both);
        if let Some(thread) = self.thread.take() {
            // A server stuck inside a connection is left to the process's end rather than
            // hanging the test here.
            let (done, finished) = std::sync::mpsc::channel();
            thread::spawn(move || {
                let _ = done.send(thread.join());
            });
            let _ = finished.recv_timeout(Duration::from_secs(5));
        }
    }
}
