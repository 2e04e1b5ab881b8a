//! The other side of the `tls` table: what it is asked to do, what it reports, and the
//! peer as the `tls_peer` and `tls_certs` programs ([`ProcessPeer`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testkit::{Process, STEP};

use super::Version;

/// How the peer connects, as a client.
#[derive(Clone, Debug)]
pub struct PeerClient {
    pub port: u16,
    pub cafile: PathBuf,
    /// A certificate (and key) to present.
    pub certfile: Option<PathBuf>,
    pub version: Option<Version>,
}

/// How the peer serves one connection, as a server on a free port of 127.0.0.1.
#[derive(Clone, Debug)]
pub struct PeerServer {
    pub certfile: PathBuf,
    pub version: Option<Version>,
    pub payload: Vec<u8>,
    /// Whether it ends with close_notify (`false`: as the book's server, it just closes).
    pub close_notify: bool,
}

/// What the peer saw of one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub version: Option<String>,
    pub suite: Option<String>,
    pub received: Vec<u8>,
    /// Whether the other side's close_notify arrived before the end of the stream.
    pub close_notify: bool,
    pub error: Option<String>,
}

impl Report {
    /// One `key value` line per field, as `tls_peer` prints it.
    pub fn to_lines(&self) -> String {
        let mut text = String::new();
        if let Some(v) = &self.version {
            text += &format!("version {v}\n");
        }
        if let Some(s) = &self.suite {
            text += &format!("suite {s}\n");
        }
        let hex: String = self.received.iter().map(|b| format!("{b:02x}")).collect();
        text += &format!("received {hex}\nclose_notify {}\n", self.close_notify);
        if let Some(e) = &self.error {
            text += &format!("error {}\n", e.replace('\n', " "));
        }
        text
    }

    /// Reads [`Report::to_lines`] back.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut report = Report::default();
        for line in text.lines() {
            let (key, value) = line.split_once(' ').unwrap_or((line, ""));
            match key {
                "version" => report.version = Some(value.into()),
                "suite" => report.suite = Some(value.into()),
                "close_notify" => report.close_notify = value == "true",
                "error" => report.error = Some(value.into()),
                "received" => {
                    report.received = (0..value.len() / 2)
                        .map(|i| u8::from_str_radix(&value[2 * i..2 * i + 2], 16))
                        .collect::<Result<_, _>>()
                        .map_err(|e| format!("a bad report line {line:?}: {e}"))?;
                }
                _ => return Err(format!("a bad report line {line:?}")),
            }
        }
        Ok(report)
    }
}

/// The other side of every case: a TLS client or server that the table trusts.
pub trait Peer: Sync {
    /// Writes the run's certificates ([`files`](super::files)) into `dir`.
    fn make_certs(&self, dir: &Path) -> Result<(), String>;
    /// Connects, shakes hands, and reads to the end of the stream.
    fn client(&self, how: &PeerClient) -> Report;
    /// Listens on a free port of 127.0.0.1 for one connection.
    fn server(&self, how: &PeerServer) -> Result<Box<dyn Serving>, String>;
}

/// A peer server that listens.
pub trait Serving: Send {
    fn port(&self) -> u16;
    /// What it saw, once its connection ended (at most `limit`).
    fn report(self: Box<Self>, limit: Duration) -> Report;
}

/// The peer as two programs of the workspace, `tls_certs` and `tls_peer`, built into
/// `dir`: what `cargo xtask conform tls` uses, since this crate links no TLS library.
pub struct ProcessPeer {
    pub dir: PathBuf,
}

impl ProcessPeer {
    fn command(&self, program: &str) -> Command {
        Command::new(self.dir.join(program))
    }
}

impl Peer for ProcessPeer {
    fn make_certs(&self, dir: &Path) -> Result<(), String> {
        let mut command = self.command("tls_certs");
        command.arg("--cases").arg(dir);
        let (status, _, stderr) = Process::spawn(command)
            .map_err(|e| e.to_string())?
            .finish(STEP)?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("tls_certs failed: {}", stderr.trim()))
        }
    }

    fn client(&self, how: &PeerClient) -> Report {
        let mut command = self.command("tls_peer");
        command.args(["client", "--port", &how.port.to_string(), "--cafile"]);
        command.arg(&how.cafile);
        if let Some(certfile) = &how.certfile {
            command.arg("--cert").arg(certfile);
        }
        if let Some(version) = how.version {
            command.args(["--version", version.arg()]);
        }
        let finished = Process::spawn(command)
            .map_err(|e| e.to_string())
            .and_then(|p| p.finish(crate::patience() + STEP));
        read_report(finished)
    }

    fn server(&self, how: &PeerServer) -> Result<Box<dyn Serving>, String> {
        let mut command = self.command("tls_peer");
        command.arg("server").arg("--cert").arg(&how.certfile);
        command
            .arg("--payload")
            .arg(String::from_utf8_lossy(&how.payload).as_ref());
        if let Some(version) = how.version {
            command.args(["--version", version.arg()]);
        }
        if !how.close_notify {
            command.arg("--no-close-notify");
        }
        let mut process = Process::spawn(command).map_err(|e| e.to_string())?;
        let port = process.listening_port(STEP)?;
        Ok(Box::new(ProcessServing { process, port }))
    }
}

struct ProcessServing {
    process: Process,
    port: u16,
}

impl Serving for ProcessServing {
    fn port(&self) -> u16 {
        self.port
    }

    fn report(self: Box<Self>, limit: Duration) -> Report {
        read_report(self.process.finish(limit))
    }
}

fn read_report(finished: Result<(std::process::ExitStatus, String, String), String>) -> Report {
    let failed = |error: String| Report {
        error: Some(error),
        ..Report::default()
    };
    match finished {
        Ok((status, stdout, _)) if status.success() => {
            let lines: String = stdout
                .lines()
                .filter(|l| !l.starts_with("port "))
                .map(|l| format!("{l}\n"))
                .collect();
            Report::parse(&lines).unwrap_or_else(failed)
        }
        Ok((status, _, stderr)) => {
            failed(format!("tls_peer exited with {status}: {}", stderr.trim()))
        }
        Err(error) => failed(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_reads_back_as_written() {
        let report = Report {
            version: Some("TLSv1.3".into()),
            suite: Some("TLS_AES_256_GCM_SHA384".into()),
            received: b"Simple\n\x00".to_vec(),
            close_notify: true,
            error: Some("two\nlines".into()),
        };
        let back = Report::parse(&report.to_lines()).unwrap();
        assert_eq!(back.received, report.received);
        assert_eq!(back.error.as_deref(), Some("two lines"));
        assert!(back.close_notify);
        assert!(Report::parse("nonsense here").is_err());
    }
}
