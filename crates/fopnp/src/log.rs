//! Where the listings print: standard output, whose failures say so, and a log that
//! several threads share line by line, as Python's `print()` does.

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Standard output for a transcript or a server's log. Its write errors name standard
/// output: a server whose log is piped into `head -1` ends with `cannot write to standard
/// output: Broken pipe (os error 32)`, not a bare `Broken pipe` that reads like a socket's.
#[derive(Debug)]
pub struct Stdout(io::Stdout);

/// The process's standard output, as a [`Stdout`].
pub fn stdout() -> Stdout {
    Stdout(io::stdout())
}

/// An error of writing to standard output, named as such (`cannot write to standard
/// output: Broken pipe (os error 32)`): what [`Stdout`] returns, for a writer that is not
/// one (a child's output copied through).
pub fn naming_stdout(error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("cannot write to standard output: {error}"),
    )
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(naming_stdout)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.write_all(buf).map_err(naming_stdout)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(naming_stdout)
    }
}

/// A log that threads share: each [`Log::line`] is written whole and flushed at once, so
/// lines from different connections never interleave mid-line, as Python's `print()`
/// to a line-buffered stream behaves. Cloning it shares the same destination.
#[derive(Clone)]
pub struct Log(Arc<Mutex<Box<dyn Write + Send>>>);

impl Log {
    /// A log written to `destination` (standard output, a file, a test's transcript).
    pub fn new(destination: impl Write + Send + 'static) -> Self {
        Self(Arc::new(Mutex::new(Box::new(destination))))
    }

    /// A log on standard output.
    pub fn stdout() -> Self {
        Self::new(stdout())
    }

    /// `print(...)`: one line, flushed.
    pub fn line(&self, text: fmt::Arguments<'_>) -> io::Result<()> {
        let mut out = self.lock();
        out.write_fmt(text)?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// [`Log::line`] for a server whose log is its only output (a stand-in): where the
    /// line cannot be written (its standard output closed, `| head -1`), it says so in one
    /// line on stderr, `NAME: cannot write to standard output: ...`, and the process exits
    /// 1, rather than serve on with its log silently lost.
    pub fn line_or_exit(&self, name: &str, text: fmt::Arguments<'_>) {
        if let Err(error) = self.line(text) {
            let _ = writeln!(io::stderr(), "{name}: {error}");
            std::process::exit(1);
        }
    }

    /// The destination itself, for several writes that belong together. The lock is held
    /// until the guard is dropped: never hold it across a blocking call.
    pub fn lock(&self) -> MutexGuard<'_, Box<dyn Write + Send>> {
        // A thread that panicked mid-line leaves the log usable for the others.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `logln!(log, "Accepted connection from {}", PyAddr(address))`: [`Log::line`] with
/// `format!`'s syntax.
#[macro_export]
macro_rules! logln {
    ($log:expr, $($arg:tt)*) => {
        $log.line(format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_from_many_threads_stay_whole() {
        let sink = Shared::default();
        let log = Log::new(sink.clone());
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..200 {
                        logln!(log, "thread {t} line {i} {}", "x".repeat(50)).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text.lines().count(), 1600);
        assert!(text.lines().all(|l| l.ends_with(&"x".repeat(50))));
    }

    #[test]
    fn stdout_errors_name_standard_output() {
        let error = naming_stdout(io::Error::from(io::ErrorKind::BrokenPipe));
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
        assert!(
            error
                .to_string()
                .starts_with("cannot write to standard output: "),
            "{error}"
        );
    }
}
