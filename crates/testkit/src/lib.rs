//! Test support for the listing crates and the conformance tests.
//!
//! Every test has a deadline, synchronises on what a process prints (never on a sleep),
//! and kills what it spawns when it is dropped.

pub mod transcripts;
pub mod variant;

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

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

/// Everything a child process has written to one of its pipes so far.
#[derive(Clone, Default)]
pub struct Captured(Arc<(Mutex<Pipe>, Condvar)>);

/// The bytes read from a pipe so far, and whether it has closed.
type Pipe = (Vec<u8>, bool);

impl Captured {
    fn collect(pipe: impl Read + Send + 'static) -> Self {
        let captured = Self::default();
        let sink = captured.clone();
        thread::spawn(move || {
            let mut pipe = pipe;
            let mut buf = [0; 8192];
            loop {
                let n = pipe.read(&mut buf).unwrap_or(0);
                let (lock, changed) = &*sink.0;
                let mut state = lock.lock().unwrap();
                if n == 0 {
                    state.1 = true;
                } else {
                    state.0.extend_from_slice(&buf[..n]);
                }
                changed.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        captured
    }

    /// The bytes so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.0.lock().unwrap().0.clone()
    }

    /// The text so far (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }

    /// Waits until `ready` holds for the text so far, or the pipe closes, or `limit`
    /// passes; returns the text and whether `ready` held.
    pub fn wait_until(&self, limit: Duration, ready: impl Fn(&str) -> bool) -> (String, bool) {
        let end = Instant::now() + limit;
        let (lock, changed) = &*self.0;
        let mut state = lock.lock().unwrap();
        loop {
            let text = String::from_utf8_lossy(&state.0).into_owned();
            if ready(&text) {
                return (text, true);
            }
            let now = Instant::now();
            if state.1 || now >= end {
                return (text, false);
            }
            state = changed.wait_timeout(state, end - now).unwrap().0;
        }
    }

    /// Waits until the pipe closes (the process exited or closed it), at most `limit`.
    pub fn wait_closed(&self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        let (lock, changed) = &*self.0;
        let mut state = lock.lock().unwrap();
        while !state.1 {
            let now = Instant::now();
            if now >= end {
                return false;
            }
            state = changed.wait_timeout(state, end - now).unwrap().0;
        }
        true
    }
}

/// A child process whose stdout and stderr are captured, killed and reaped on drop.
pub struct Proc {
    child: Child,
    pub stdout: Captured,
    pub stderr: Captured,
}

impl Proc {
    pub fn spawn(command: Command) -> Self {
        Self::spawn_with_input(command, Stdio::null())
    }

    /// Like [`Proc::spawn`], with the given standard input.
    pub fn spawn_with_input(mut command: Command, input: Stdio) -> Self {
        let mut child = command
            .stdin(input)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
        let stdout = Captured::collect(child.stdout.take().unwrap());
        let stderr = Captured::collect(child.stderr.take().unwrap());
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// Starts a server and waits for its `Listening at (..., PORT)` line; returns the
    /// process and the port it printed.
    pub fn server(command: Command) -> (Self, u16) {
        let server = Self::spawn(command);
        let (text, ready) = server
            .stdout
            .wait_until(STEP, |text| fopnp::listening_port(text).is_some());
        assert!(
            ready,
            "server printed no Listening line; stdout: {text:?}; stderr: {:?}",
            server.stderr.text()
        );
        let port = fopnp::listening_port(&text).unwrap();
        (server, port)
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit, at most `limit`; panics on a hang. Returns the exit
    /// status, stdout and stderr once both pipes are drained.
    pub fn finish(mut self, limit: Duration) -> (ExitStatus, String, String) {
        let end = Instant::now() + limit;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < end,
                "process did not exit within {limit:?}; stdout so far: {:?}",
                self.stdout.text()
            );
            thread::sleep(Duration::from_millis(5));
        };
        self.stdout.wait_closed(STEP);
        self.stderr.wait_closed(STEP);
        (status, self.stdout.text(), self.stderr.text())
    }

    /// Stops the process now.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Replaces every port number in Python-style addresses `('host', PORT` with `PORT`, so
/// that transcripts can be compared with the book's.
pub fn mask_ports(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("', ") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let digits = tail.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            out.push_str("PORT");
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
    fn masks_ports_but_not_other_numbers() {
        assert_eq!(
            mask_ports("from ('127.0.0.1', 34183)\n  32 bytes, ('::1', 9, 0, 0)"),
            "from ('127.0.0.1', PORT)\n  32 bytes, ('::1', PORT, 0, 0)"
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
