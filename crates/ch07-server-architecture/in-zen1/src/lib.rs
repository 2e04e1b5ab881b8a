//! Foundations of Python Network Programming, Third Edition
//! <https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter07/in_zen1.py>
//! Single-shot server for the use of inetd(8).
//!
//! A super-server (inetd, or systemd's socket activation) listens on the program's behalf
//! and, in its `nowait` mode, accepts each connection itself and starts one process per
//! connection with the connected socket as its standard input (and output). The program
//! has one client, one conversation, and exits. Its standard output is the client's
//! socket, so it logs to a file instead (`/tmp/zen.log`, or `--log FILE`).
//!
//! Run it under a real super-server, `systemd-socket-activate` (`-a`: one process per
//! connection), and talk to it from another terminal:
//!
//! ```text
//! $ systemd-socket-activate --inetd -a -l 127.0.0.1:1060 in_zen1
//! $ zen_client localhost
//! $ cat /tmp/zen.log
//! ```
//!
//! # The recorded session
//!
//! `output.txt`, as `cargo xtask run` shows it, kept true by `cargo xtask transcripts --check`:
#![doc = concat!("```text\n", include_str!("../output.txt"), "```")]

use std::path::PathBuf;

use clap::Args;

/// The book's log file.
pub const LOG_FILE: &str = "/tmp/zen.log";

/// `--log FILE`, not in the book: where the inetd servers log.
#[derive(Clone, Debug, Args)]
pub struct LogArg {
    /// not in the book: log to FILE (appending) instead of the book's /tmp/zen.log
    #[arg(long, value_name = "FILE", default_value = LOG_FILE)]
    pub log: PathBuf,
}

#[cfg(unix)]
mod inetd {
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::net::TcpStream;
    use std::os::fd::{AsFd, OwnedFd};
    use std::path::Path;

    use fopnp::{Context, Error, Log, PyAddr, logln};

    /// `socket.fromfd(0, ...)`: a socket of our own on what standard input holds.
    pub fn socket_from_stdin() -> Result<OwnedFd, Error> {
        io::stdin()
            .as_fd()
            .try_clone_to_owned()
            .context(|| "cannot take the socket from standard input")
    }

    /// The three lines both inetd servers begin with: `sys.stdin = open('/dev/null')`;
    /// `sys.stdout = sys.stderr = open(LOG, 'a', buffering=1)`. Python rebinds its own
    /// stream objects; here descriptors 0, 1 and 2 themselves are replaced, so that the
    /// socket the super-server passed on them is held only by the server's own socket, and
    /// closing it ends the connection. Returns the log (line by line, on the file).
    pub fn redirect_stdio(log_path: &Path) -> Result<Log, Error> {
        let devnull = File::open("/dev/null").context(|| "cannot open /dev/null")?;
        rustix::stdio::dup2_stdin(&devnull).context(|| "cannot redirect standard input")?;
        let log = OpenOptions::new()
            .append(true)
            .create(true)
            .open(log_path)
            .context(|| format!("cannot open the log {}", log_path.display()))?;
        rustix::stdio::dup2_stdout(&log).context(|| "cannot redirect standard output")?;
        rustix::stdio::dup2_stderr(&log).context(|| "cannot redirect standard error")?;
        Ok(Log::stdout())
    }

    /// The listing's `if __name__ == '__main__':` block.
    pub fn main(log_path: &Path) -> Result<(), Error> {
        let sock = TcpStream::from(socket_from_stdin()?); // socket.fromfd(0, AF_INET, SOCK_STREAM)
        // Not in the book: a reader who starts it from a terminal is told why it cannot
        // run, on the terminal, before anything is redirected.
        if rustix::net::sockopt::socket_type(&sock).is_err() {
            return Err(Error::msg(
                "standard input is not a connected socket: run in_zen1 under a super-server, \
                 systemd-socket-activate --inetd -a -l 127.0.0.1:1060 in_zen1",
            ));
        }
        let log = redirect_stdio(log_path)?;
        // address = sock.getpeername(): fails (into the log, as the book's traceback
        // would) if the client reset the connection before it got here.
        let address = sock
            .peer_addr()
            .context(|| "the client's connection is gone")?;
        logln!(log, "Accepted connection from {}", PyAddr(address))?;
        zen_utils::handle_conversation(sock, address, &log)?;
        Ok(())
    }
}

#[cfg(unix)]
pub use inetd::{main, redirect_stdio, socket_from_stdin};
