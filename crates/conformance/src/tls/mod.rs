//! Chapter 6's table (family `tls`): what a TLS server and client of the book must do on
//! the wire, for any implementation, the book's Python included. The other side of each
//! case is a [`Peer`] that speaks TLS: in-process in the workspace's tests, or the
//! `tls_peer` program for `cargo xtask conform tls` (this crate links no TLS library, so
//! that `cargo xtask` stays quick to build). Certificates are made for each run, never
//! committed, and reach the command under test as `{cafile}` and `{certfile}`.
//!
//! Two kinds of implementation share the table: `safe_tls`, whose server sends one line
//! and whose client prints it, and `test_tls`, which sends nothing, reports what was
//! negotiated, and checks a client's certificate against `-a`. A case that one kind
//! cannot run is skipped with its reason.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

mod peer;

pub use peer::{Peer, PeerClient, PeerServer, ProcessPeer, Report, Serving};

use testkit::with_deadline;

use crate::external::{Ended, ExternalServer, HOST, Launch, Template};
use crate::table::Table;
use crate::{ClientRun, Verdict};

/// The files of a run's certificates, in one directory.
pub mod files {
    /// The CA that `{cafile}` names.
    pub const CA: &str = "ca.crt";
    /// Certificate and key for `localhost` and `127.0.0.1`, signed by [`CA`]: `{certfile}`.
    pub const LEAF: &str = "localhost.pem";
    /// A second CA, which the command under test is never told to trust.
    pub const OTHER_CA: &str = "other-ca.crt";
    /// Certificate and key for `localhost` and `127.0.0.1`, signed by [`OTHER_CA`].
    pub const OTHER_LEAF: &str = "other.pem";
    /// Signed by [`CA`], for the name `localhost` only: wrong for `127.0.0.1`.
    pub const NAME_ONLY: &str = "localhost-only.pem";
    /// Signed by [`CA`], valid only in 2000.
    pub const EXPIRED: &str = "expired.pem";
}

/// What the server of `safe_tls` sends.
pub const MESSAGE: &[u8] = b"Simple is better than complex.";

/// Which of the book's two TLS programs an implementation is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `safe_tls`: the server sends [`MESSAGE`]; the client prints it; names are checked.
    Safe,
    /// `test_tls`: nothing is sent; the client checks the chain only and reports the
    /// name; the server checks a client's certificate against `-a`.
    Report,
}

/// A TLS version a case insists on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    Tls12,
    Tls13,
}

impl Version {
    /// As `tls_peer --version` takes it.
    pub fn arg(self) -> &'static str {
        match self {
            Version::Tls12 => "1.2",
            Version::Tls13 => "1.3",
        }
    }

    /// As OpenSSL (and a [`Report`]) names it.
    pub fn name(self) -> &'static str {
        match self {
            Version::Tls12 => "TLSv1.2",
            Version::Tls13 => "TLSv1.3",
        }
    }
}

/// One case: its ID, what it checks, and the kind it does not apply to.
pub struct Case {
    pub id: &'static str,
    pub title: &'static str,
    pub not_for: Option<(Kind, &'static str)>,
}

const fn case(id: &'static str, title: &'static str) -> Case {
    Case {
        id,
        title,
        not_for: None,
    }
}

const NOT_FOR_REPORT: &str = "test_tls sends and prints no payload";

/// The server cases: the peer is the client.
pub static SERVER_CASES: &[Case] = &[
    case(
        "tls13",
        "a TLS 1.3 client is served, and the server exits 0",
    ),
    case(
        "tls12",
        "a TLS 1.2 client is served, and the server exits 0",
    ),
    Case {
        not_for: Some((Kind::Report, NOT_FOR_REPORT)),
        ..case("payload-whole", "the client receives the whole line")
    },
    case("close-notify-sent", "the stream ends with close_notify"),
    case(
        "plaintext-client",
        "a client that speaks HTTP, not TLS: one line on stderr, a non-zero exit",
    ),
    case(
        "reset-mid-handshake",
        "a client that resets in the middle of its hello: one line, a non-zero exit",
    ),
    Case {
        not_for: Some((Kind::Safe, "safe_tls's server never asks for a certificate")),
        ..case(
            "client-cert-accepted",
            "a client certificate that -a's CA signed is accepted",
        )
    },
    Case {
        not_for: Some((Kind::Safe, "safe_tls's server never asks for a certificate")),
        ..case(
            "client-cert-refused",
            "a client certificate from another CA is refused: one line, a non-zero exit",
        )
    },
];

/// The client cases: the peer is the server.
pub static CLIENT_CASES: &[Case] = &[
    case("tls13", "a TLS 1.3 server: the handshake completes, exit 0"),
    case("tls12", "a TLS 1.2 server: the handshake completes, exit 0"),
    Case {
        not_for: Some((Kind::Report, NOT_FOR_REPORT)),
        ..case(
            "payload-whole",
            "the line arrives whole and is printed as bytes",
        )
    },
    case("unknown-ca", "a certificate from an unknown CA is refused"),
    Case {
        not_for: Some((
            Kind::Report,
            "test_tls checks the chain only and reports the name (check_hostname = False)",
        )),
        ..case(
            "wrong-name",
            "a certificate for localhost, dialled as 127.0.0.1, is refused",
        )
    },
    case("expired", "an expired certificate is refused"),
    case(
        "plaintext-server",
        "a server that speaks plain text: one line, a non-zero exit",
    ),
    case("no-server", "nothing listens: one line, a non-zero exit"),
    Case {
        not_for: Some((Kind::Report, NOT_FOR_REPORT)),
        ..case(
            "ragged-eof-reported",
            "an end without close_notify: the line, exit 0, and one warning on stderr",
        )
    },
];

/// The run's certificate directory, and the placeholders a command is given.
pub struct Certs {
    pub dir: tempfile::TempDir,
}

impl Certs {
    /// Makes a run's certificates with the peer.
    pub fn make(peer: &dyn Peer) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("fopnp-tls-")
            .tempdir()
            .map_err(|e| format!("cannot make a directory for the certificates: {e}"))?;
        peer.make_certs(dir.path())?;
        Ok(Self { dir })
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// `{cafile}` and `{certfile}`.
    pub fn placeholders(&self) -> Vec<(&'static str, String)> {
        vec![
            ("cafile", self.path(files::CA).display().to_string()),
            ("certfile", self.path(files::LEAF).display().to_string()),
        ]
    }
}

/// The server command of a workspace program of the `tls` family, at `exe`.
pub fn server_command(exe: &str) -> String {
    format!("'{exe}' -a {{cafile}} -s {{certfile}} {{host}} {{port}}")
}

/// The client command of a workspace program of the `tls` family, at `exe`.
pub fn client_command(exe: &str) -> String {
    format!("'{exe}' -a {{cafile}} {{host}} {{port}}")
}

/// Runs a client command against `port` with the run's placeholders, at most `limit`.
pub fn run_client(
    template: &Template,
    port: u16,
    more: &[(&str, String)],
    limit: Duration,
) -> ClientRun {
    crate::external::run_command(template.command_with(port, 0, &[], more), template, limit)
}

/// Whether a failure was reported as it should be: a non-zero exit, and one line on
/// stderr that is neither a panic nor a traceback.
pub fn one_line_failure(success: bool, stderr: &str) -> Result<(), String> {
    if success {
        return Err("it succeeded where it had to fail".into());
    }
    let lines: Vec<&str> = stderr.trim().lines().collect();
    let last = lines.last().copied().unwrap_or_default();
    if stderr.contains("Traceback") {
        return Err(format!(
            "a traceback, not one line, on stderr, ending {last:?}"
        ));
    }
    if stderr.contains("panicked") {
        return Err(format!("a panic on stderr: {stderr:?}"));
    }
    if lines.len() != 1 {
        return Err(format!(
            "{} lines on stderr, not one: {stderr:?}",
            lines.len()
        ));
    }
    Ok(())
}

/// A case that `kind` does not apply to, skipped with the reason.
pub(crate) fn skip(case: &Case, kind: Kind) -> Option<Verdict> {
    case.not_for
        .filter(|(k, _)| *k == kind)
        .map(|(_, why)| Verdict::Skipped(why.into()))
}

/// One server case against `template` (with `{cafile}` and `{certfile}`), with a fresh
/// server of its own; the peer is the client.
pub(crate) fn server_case(
    template: &Template,
    kind: Kind,
    peer: &dyn Peer,
    certs: &Certs,
    id: &str,
) -> Result<(), String> {
    let launch = Launch {
        more: certs.placeholders(),
        ..Launch::default()
    };
    let server = ExternalServer::launch(template, launch)?;
    let port = server.port();
    let client = |version, certfile: Option<&str>| {
        peer.client(&PeerClient {
            port,
            cafile: certs.path(files::CA),
            certfile: certfile.map(|f| certs.path(f)),
            version,
        })
    };
    let limit = crate::patience();
    let served = |report: &Report, ended: &Ended, version: Option<Version>| {
        if let Some(error) = &report.error {
            return Err(format!("the peer client failed: {error}"));
        }
        if let Some(version) = version
            && report.version.as_deref() != Some(version.name())
        {
            return Err(format!(
                "{:?} was negotiated, not {}",
                report.version,
                version.name()
            ));
        }
        if !ended.status.success() {
            return Err(format!(
                "the server exited with {}: {}",
                ended.status,
                ended.stderr.trim()
            ));
        }
        Ok(())
    };
    match id {
        "tls13" | "tls12" | "payload-whole" | "close-notify-sent" => {
            let version = match id {
                "tls13" => Some(Version::Tls13),
                "tls12" => Some(Version::Tls12),
                _ => None,
            };
            let report = client(version, None);
            let ended = server.finish(limit)?;
            served(&report, &ended, version)?;
            let expected: &[u8] = if kind == Kind::Safe { MESSAGE } else { b"" };
            if id == "payload-whole" && report.received != expected {
                return Err(crate::diff_bytes(expected, &report.received));
            }
            if id == "close-notify-sent" && !report.close_notify {
                return Err(
                    "the server closed without close_notify: a client cannot tell \
                            the end of the message from a cut"
                        .into(),
                );
            }
            Ok(())
        }
        "plaintext-client" | "reset-mid-handshake" => {
            let reset = id == "reset-mid-handshake";
            with_deadline(limit, move || plain_client(port, reset))?;
            let ended = server.finish(limit)?;
            one_line_failure(ended.status.success(), &ended.stderr)
        }
        "client-cert-accepted" => {
            let report = client(None, Some(files::LEAF));
            let ended = server.finish(limit)?;
            served(&report, &ended, None)
        }
        "client-cert-refused" => {
            // Under TLS 1.3 the client may finish before the server refuses: only the
            // server's verdict counts.
            let _ = client(None, Some(files::OTHER_LEAF));
            let ended = server.finish(limit)?;
            one_line_failure(ended.status.success(), &ended.stderr)
        }
        _ => Err("no such case".into()),
    }
}

/// A client that is not TLS: an HTTP request, read to the end; or the first 16 bytes of
/// a ClientHello, then a reset.
fn plain_client(port: u16, reset: bool) -> Result<(), String> {
    let mut sock = TcpStream::connect((HOST, port)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(crate::patience()))
        .map_err(|e| e.to_string())?;
    if reset {
        let hello = [
            0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03, 0x03, 1, 2, 3, 4, 5,
        ];
        sock.write_all(&hello).map_err(|e| e.to_string())?;
        let sock = socket2::SockRef::from(&sock);
        sock.set_linger(Some(Duration::ZERO))
            .map_err(|e| e.to_string())?;
        return Ok(());
    }
    sock.write_all(b"GET / HTTP/1.0\r\n\r\n")
        .map_err(|e| e.to_string())?;
    let mut sink = Vec::new();
    // The server answers with an alert and closes, or resets: either ends this.
    let _ = sock.read_to_end(&mut sink);
    Ok(())
}

/// Runs a client under test against a port, with the run's placeholders.
pub type RunTlsClient<'a> = &'a (dyn Fn(u16, &[(&str, String)]) -> ClientRun + Sync);

/// One client case against `run`, the peer serving it.
pub(crate) fn client_case(
    run: RunTlsClient<'_>,
    kind: Kind,
    peer: &dyn Peer,
    certs: &Certs,
    id: &str,
) -> Result<(), String> {
    let placeholders = certs.placeholders();
    let limit = crate::patience();
    match id {
        "plaintext-server" => {
            let listener = TcpListener::bind((HOST, 0)).map_err(|e| e.to_string())?;
            let port = listener.local_addr().map_err(|e| e.to_string())?.port();
            let server = std::thread::spawn(move || {
                if let Ok((mut sock, _)) = listener.accept() {
                    let _ = sock.write_all(b"220 this server speaks plain text\r\n");
                    let _ = sock.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = sock.read(&mut [0; 1024]);
                }
            });
            let ran = run(port, &placeholders);
            let _ = server.join();
            return one_line_failure(ran.success, &ran.stderr);
        }
        "no-server" => {
            let port = testkit::process::free_port().map_err(|e| e.to_string())?;
            let ran = run(port, &placeholders);
            return one_line_failure(ran.success, &ran.stderr);
        }
        _ => {}
    }
    let (certfile, version, close_notify) = match id {
        "tls13" => (files::LEAF, Some(Version::Tls13), true),
        "tls12" => (files::LEAF, Some(Version::Tls12), true),
        "unknown-ca" => (files::OTHER_LEAF, None, true),
        "wrong-name" => (files::NAME_ONLY, None, true),
        "expired" => (files::EXPIRED, None, true),
        "ragged-eof-reported" => (files::LEAF, None, false),
        _ => (files::LEAF, None, true),
    };
    let payload = if kind == Kind::Safe {
        MESSAGE.to_vec()
    } else {
        Vec::new()
    };
    let server = peer.server(&PeerServer {
        certfile: certs.path(certfile),
        version,
        payload,
        close_notify,
    })?;
    let ran = run(server.port(), &placeholders);
    let report = server.report(limit);
    match id {
        "unknown-ca" | "wrong-name" | "expired" => {
            one_line_failure(ran.success, &ran.stderr)?;
            match report.error {
                Some(_) => Ok(()),
                None => Err("the peer server saw the handshake complete".into()),
            }
        }
        _ => {
            if !ran.success {
                return Err(format!("the client failed: {}", ran.stderr.trim()));
            }
            if let Some(error) = report.error {
                return Err(format!("the peer server failed: {error}"));
            }
            if let Some(version) = version
                && report.version.as_deref() != Some(version.name())
            {
                return Err(format!(
                    "{:?} was negotiated, not {}",
                    report.version,
                    version.name()
                ));
            }
            let line = format!("{}", fopnp::PyBytes(MESSAGE));
            if kind == Kind::Safe && !ran.stdout.lines().any(|l| l == line) {
                return Err(format!("the client did not print {line}: {:?}", ran.stdout));
            }
            if id == "ragged-eof-reported" {
                let lines: Vec<&str> = ran.stderr.trim().lines().collect();
                if lines.len() != 1 || !lines[0].contains("close_notify") {
                    return Err(format!(
                        "an end without close_notify was not reported in one line: {:?}",
                        ran.stderr
                    ));
                }
            } else if !ran.stderr.trim().is_empty() && kind == Kind::Safe {
                return Err(format!("unexpected stderr: {:?}", ran.stderr));
            }
            Ok(())
        }
    }
}

// The table: its cases make certificates and a peer of their own, so the runner's generic
// server and client entry points are not theirs (see `crate::runner::tls_server_cases`).

/// Chapter 6's table.
pub const TABLE: Table = Table {
    family: catalog::Family::Tls,
    name: "tls",
    transport: catalog::Transport::Tcp,
    server_case_ids: || SERVER_CASES.iter().map(|c| c.id).collect(),
    server_case: crate::table::not_here,
    fresh_server_per_case: true,
    client_cases: |_, _, _| Vec::new(),
    client_command: "{exe} -a {cafile} {host} {port}",
    certificates: true,
    stand_in: None,
    placeholders: crate::table::no_placeholders,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_must_be_one_line_and_no_traceback() {
        assert!(one_line_failure(false, "safe_tls: refused\n").is_ok());
        assert!(one_line_failure(true, "").is_err());
        assert!(one_line_failure(false, "").is_err());
        assert!(one_line_failure(false, "Traceback (most recent call last):\n  x\n").is_err());
        assert!(one_line_failure(false, "thread 'main' panicked at x\n").is_err());
    }

    #[test]
    fn case_ids_are_unique_within_each_list() {
        for cases in [SERVER_CASES, CLIENT_CASES] {
            let mut ids: Vec<_> = cases.iter().map(|c| c.id).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), cases.len());
        }
    }
}
