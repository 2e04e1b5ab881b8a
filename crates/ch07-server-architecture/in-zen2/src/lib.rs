//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/in_zen2.py>
//! Multi-shot server for the use of inetd(8).
//!
//! In its `wait` mode the super-server listens, and at the first connection starts the
//! program once with the *listening* socket as its standard input; the program accepts
//! connections itself, like `srv_single`, until none has come for 8 seconds (`--idle
//! SECONDS` here), then exits and leaves the listening to the super-server again. It logs
//! to `/tmp/zen.log` (or `--log FILE`), as `in_zen1` does, whose redirections it shares.
//!
//! ```text
//! $ systemd-socket-activate --inetd -l 127.0.0.1:1060 in_zen2
//! $ zen_client localhost
//! $ cat /tmp/zen.log
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

/// How long the book's server waits for another connection: `listener.settimeout(8.0)`.
pub const IDLE: f64 = 8.0;

#[cfg(unix)]
mod inetd {
    use std::io;
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::path::Path;
    use std::time::Duration;

    use fopnp::{Context, Error, logln};
    use rustix::event::{PollFd, PollFlags};

    /// A listening socket with `settimeout()`: `accept()` fails with `TimedOut` when no
    /// connection comes within the timeout.
    pub struct Timeout {
        pub listener: TcpListener,
        pub timeout: Duration,
    }

    impl zen_utils::Accept for Timeout {
        fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
            let mut fds = [PollFd::new(&self.listener, PollFlags::IN)];
            // Retried after a signal, as Python's is (PEP 475).
            match fopnp::net::poll(&mut fds, Some(self.timeout))? {
                0 => Err(io::ErrorKind::TimedOut.into()),
                _ => self.listener.accept(),
            }
        }
    }

    /// The listing's `if __name__ == '__main__':` block, waiting `idle` seconds.
    pub fn main(log_path: &Path, idle: f64) -> Result<(), Error> {
        // listener = socket.fromfd(0, AF_INET, SOCK_STREAM)
        let listener = TcpListener::from(in_zen1::socket_from_stdin()?);
        // Asked before the redirections, so that a reader who runs it from a terminal
        // sees why it cannot start.
        let listening = rustix::net::sockopt::socket_acceptconn(&listener).unwrap_or(false);
        if !listening {
            return Err(Error::msg(
                "standard input is not a listening socket: run in_zen2 under a super-server, \
                 systemd-socket-activate --inetd -l 127.0.0.1:1060 in_zen2",
            ));
        }
        let log = in_zen1::redirect_stdio(log_path)?;
        let listener = Timeout {
            listener,
            timeout: Duration::from_secs_f64(idle), // listener.settimeout(8.0)
        };
        match zen_utils::accept_connections_forever(&listener, &log) {
            // except socket.timeout:
            Err(error) if error.io_kind() == Some(io::ErrorKind::TimedOut) => logln!(
                log,
                "Waited {idle} seconds with no further connections; shutting down"
            )
            .context(|| "cannot write the log"),
            other => other,
        }
    }
}

#[cfg(unix)]
pub use inetd::{Timeout, main};
