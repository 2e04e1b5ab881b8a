//! A child process's output, one pipe's worth: collected on a thread as it arrives (and,
//! if asked, shown), with when it last changed, so that a caller can wait for a line or
//! tell a stalled process.

use std::io::{self, Read, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// Why copying a child's output to this process's standard output failed, the first
/// time it did (a closed pipe): copying stops, and the output is still collected.
static TEE_FAILED: OnceLock<io::Error> = OnceLock::new();

/// Whether showing a child's output failed, and why (`Broken pipe (os error 32)`).
pub fn tee_failed() -> Option<&'static io::Error> {
    TEE_FAILED.get()
}

/// Everything a child process has written to one of its pipes so far, and when it last
/// wrote: a process whose output stops changing may be stalled.
#[derive(Clone)]
pub struct Output(Arc<(Mutex<Pipe>, Condvar)>);

struct Pipe {
    bytes: Vec<u8>,
    last_change: Instant,
    closed: bool,
}

impl Output {
    /// Reads `pipe` on a thread until it closes; with `tee`, copies each piece to this
    /// process's standard output as it arrives.
    pub(crate) fn collect(pipe: Option<impl Read + Send + 'static>, tee: bool) -> Self {
        let output = Self(Arc::new((
            Mutex::new(Pipe {
                bytes: Vec::new(),
                last_change: Instant::now(),
                closed: pipe.is_none(),
            }),
            Condvar::new(),
        )));
        if let Some(mut pipe) = pipe {
            let sink = output.clone();
            thread::spawn(move || {
                let mut buf = [0; 16 * 1024];
                loop {
                    let n = match pipe.read(&mut buf) {
                        Ok(n) => n,
                        Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                        Err(_) => 0,
                    };
                    if tee && n > 0 && TEE_FAILED.get().is_none() {
                        let mut stdout = io::stdout().lock();
                        let written = stdout.write_all(&buf[..n]).and_then(|()| stdout.flush());
                        if let Err(error) = written {
                            // Shown no further; the caller learns it from `tee_failed`.
                            let _ = TEE_FAILED.set(error);
                        }
                    }
                    let mut state = sink.lock();
                    if n == 0 {
                        state.closed = true;
                    } else {
                        state.bytes.extend_from_slice(&buf[..n]);
                        state.last_change = Instant::now();
                    }
                    sink.0.1.notify_all();
                    if n == 0 {
                        break;
                    }
                }
            });
        }
        output
    }

    fn lock(&self) -> MutexGuard<'_, Pipe> {
        self.0.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The bytes so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.lock().bytes.clone()
    }

    /// How many bytes so far.
    pub fn len(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text so far (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.lock().bytes).into_owned()
    }

    /// How long since the process last wrote to this pipe (or since it started).
    pub fn quiet_for(&self) -> Duration {
        self.lock().last_change.elapsed()
    }

    /// Waits until `ready` holds for the text so far, or the pipe closes, or `limit`
    /// passes; returns the text and whether `ready` held.
    pub fn wait_until(&self, limit: Duration, ready: impl Fn(&str) -> bool) -> (String, bool) {
        let end = Instant::now() + limit;
        let mut state = self.lock();
        loop {
            let text = String::from_utf8_lossy(&state.bytes).into_owned();
            if ready(&text) {
                return (text, true);
            }
            let now = Instant::now();
            if state.closed || now >= end {
                return (text, false);
            }
            state = self
                .0
                .1
                .wait_timeout(state, end - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Waits until the pipe closes (the process exited or closed it), at most `limit`.
    pub fn wait_closed(&self, limit: Duration) -> bool {
        self.wait_until(limit, |_| false);
        self.lock().closed
    }
}
