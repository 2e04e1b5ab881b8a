//! The other side of Chapter 6's conformance table, and its certificates. Not a listing:
//! the book's certificates are unusable today (its `localhost.pem` is an X.509 v1
//! certificate without a subjectAltName, which rustls refuses, and Python 3.13 refuses its
//! `ca.crt`), so certificates are made at run time:
//!
//! - [`certs`]: a CA and a certificate for `localhost` and `127.0.0.1` that rustls and
//!   Python 3.10 to 3.13 all accept (`tls_certs DIR`, `cargo xtask certs DIR`), and the
//!   table's bad ones (`tls_certs --cases DIR`);
//! - [`client`] and [`server`]: a TLS client and a server of one connection that report
//!   what they saw, for [`conformance::tls`]: in-process through [`InProcess`], or as the
//!   `tls_peer` program.

pub mod certs;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use conformance::tls::{Peer, PeerClient, PeerServer, Report, Serving, Version};
use tlskit::rustls::pki_types::ServerName;
use tlskit::rustls::{
    ClientConfig, ClientConnection, ConnectionCommon, ServerConfig, ServerConnection, StreamOwned,
    SupportedProtocolVersion,
};

fn versions(version: Option<Version>) -> &'static [&'static SupportedProtocolVersion] {
    match version {
        Some(Version::Tls12) => tlskit::TLS12_ONLY,
        Some(Version::Tls13) => tlskit::TLS13_ONLY,
        None => tlskit::VERSIONS,
    }
}

/// The peer as a client: checks the server's chain and name (`localhost`), reads to the
/// end, and reports.
pub fn client(how: &PeerClient) -> Report {
    let mut report = Report::default();
    if let Err(error) = client_into(how, &mut report) {
        report.error = Some(error);
    }
    report
}

fn client_into(how: &PeerClient, report: &mut Report) -> Result<(), String> {
    let roots = tlskit::load::verify_locations(&how.cafile)?;
    let provider = tlskit::shared(tlskit::provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions(how.version))
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots.store);
    let config = match &how.certfile {
        Some(certfile) => {
            let (chain, key) = tlskit::load::cert_chain(certfile)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| e.to_string())?
        }
        None => builder.with_no_client_auth(),
    };
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let conn = ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let sock = TcpStream::connect(("127.0.0.1", how.port)).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(conformance::patience()))
        .map_err(|e| e.to_string())?;
    let mut tls = StreamOwned::new(conn, sock);
    tlskit::handshake(&mut tls.conn, &mut tls.sock).map_err(|e| tlskit::describe(&e))?;
    negotiated(&tls.conn, report);
    read_to_end(&mut tls, report)?;
    if report.close_notify {
        let _ = tlskit::close(&mut tls.conn, &mut tls.sock);
    }
    Ok(())
}

fn negotiated<T>(conn: &ConnectionCommon<T>, report: &mut Report) {
    report.version = conn.protocol_version().map(tlskit::names::version_name);
    report.suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()));
}

/// Reads until the other side's close_notify (`report.close_notify`), or an end of
/// stream without it. A TLS 1.3 server may refuse our certificate only now, with an
/// alert: that is an error.
fn read_to_end(tls: &mut impl Read, report: &mut Report) -> Result<(), String> {
    let mut data = [0; 4096];
    loop {
        match tls.read(&mut data) {
            Ok(0) => {
                report.close_notify = true;
                return Ok(());
            }
            Ok(n) => report.received.extend_from_slice(&data[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if tlskit::is_ragged_eof(&e) => return Ok(()),
            Err(e) => return Err(tlskit::describe(&e)),
        }
    }
}

/// The peer as a server of one connection on a free port of 127.0.0.1: it asks for no
/// client certificate, sends the payload, and ends with close_notify or without.
pub fn server(how: &PeerServer) -> Result<PeerServing, String> {
    let (chain, key) = tlskit::load::cert_chain(&how.certfile)?;
    let config = ServerConfig::builder_with_provider(tlskit::shared(tlskit::provider()))
        .with_protocol_versions(versions(how.version))
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("cannot use {}: {e}", how.certfile.display()))?;
    let listener = TcpListener::bind(("127.0.0.1", 0)).map_err(|e| e.to_string())?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let how = how.clone();
    let (done, report) = mpsc::channel();
    std::thread::spawn(move || {
        let mut report = Report::default();
        if let Err(error) = serve(listener, Arc::new(config), &how, &mut report) {
            report.error = Some(error);
        }
        let _ = done.send(report);
    });
    Ok(PeerServing { port, report })
}

fn serve(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    how: &PeerServer,
    report: &mut Report,
) -> Result<(), String> {
    let (sock, _) = listener.accept().map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(conformance::patience()))
        .map_err(|e| e.to_string())?;
    let conn = ServerConnection::new(config).map_err(|e| e.to_string())?;
    let mut tls = StreamOwned::new(conn, sock);
    tlskit::handshake(&mut tls.conn, &mut tls.sock).map_err(|e| tlskit::describe(&e))?;
    negotiated(&tls.conn, report);
    tls.write_all(&how.payload)
        .map_err(|e| tlskit::describe(&e))?;
    tls.flush().map_err(|e| tlskit::describe(&e))?;
    if how.close_notify {
        tlskit::close(&mut tls.conn, &mut tls.sock).map_err(|e| tlskit::describe(&e))?;
    } else {
        // As the book's server: the end of the TCP stream, and nothing else.
        let _ = tls.sock.shutdown(std::net::Shutdown::Write);
        let _ = tls.sock.read(&mut [0; 4096]);
    }
    Ok(())
}

/// A peer server that listens, on a thread that sends its report when the connection ends.
pub struct PeerServing {
    port: u16,
    report: mpsc::Receiver<Report>,
}

impl Serving for PeerServing {
    fn port(&self) -> u16 {
        self.port
    }

    fn report(self: Box<Self>, limit: Duration) -> Report {
        let error = match self.report.recv_timeout(limit) {
            Ok(report) => return report,
            // The thread is left to its read timeout; the case has its verdict.
            Err(RecvTimeoutError::Timeout) => {
                format!("the connection did not end within {limit:?}")
            }
            Err(RecvTimeoutError::Disconnected) => "the peer server's thread panicked".into(),
        };
        Report {
            error: Some(error),
            ..Report::default()
        }
    }
}

/// The peer in this process: for the workspace's own tests.
pub struct InProcess;

impl Peer for InProcess {
    fn make_certs(&self, dir: &Path) -> Result<(), String> {
        certs::write_cases(dir)
    }

    fn client(&self, how: &PeerClient) -> Report {
        client(how)
    }

    fn server(&self, how: &PeerServer) -> Result<Box<dyn Serving>, String> {
        Ok(Box::new(server(how)?))
    }
}

/// The tests of a Chapter 6 binary (`$bin`, of the crate under test, of kind `$kind`):
/// the `tls` table's server and client cases through the in-process peer, and the
/// failures that must be one line.
#[macro_export]
macro_rules! binary_tests {
    ($bin:literal, $kind:ident) => {
        const BIN: &str = env!(concat!("CARGO_BIN_EXE_", $bin));
        const KIND: conformance::tls::Kind = conformance::tls::Kind::$kind;

        #[test]
        fn the_server_passes_every_case_of_the_table() {
            let template =
                conformance::external::Template::parse(&conformance::tls::server_command(BIN))
                    .unwrap();
            let results =
                conformance::runner::tls_server_cases(&template, KIND, &$crate::InProcess, &|_| {
                    true
                });
            conformance::assert_all_pass(concat!($bin, " server"), &results);
        }

        #[test]
        fn the_client_passes_every_case_of_the_table() {
            let template =
                conformance::external::Template::parse(&conformance::tls::client_command(BIN))
                    .unwrap();
            let run = |port: u16, more: &[(&str, String)]| {
                conformance::tls::run_client(&template, port, more, testkit::STEP)
            };
            let results =
                conformance::runner::tls_client_cases(&run, KIND, &$crate::InProcess, &|_| true);
            conformance::assert_all_pass(concat!($bin, " client"), &results);
        }

        #[test]
        fn a_certificate_without_its_key_and_bad_files_are_one_line() {
            let dir = tempfile::tempdir().unwrap();
            $crate::certs::write_pair(dir.path()).unwrap();
            let ca = dir.path().join("ca.crt");
            let ca = ca.to_str().unwrap();
            let missing = dir.path().join("missing.pem");
            let missing = missing.to_str().unwrap();
            for (args, says) in [
                (vec!["-s", ca, "127.0.0.1", "0"], "no private key"),
                (vec!["-s", missing, "127.0.0.1", "0"], "missing.pem"),
                (vec!["-a", missing, "localhost", "1"], "missing.pem"),
                (
                    vec!["-a", ca, "-s", missing, "127.0.0.1", "0"],
                    "missing.pem",
                ),
            ] {
                let (code, stdout, stderr) = conformance::binaries::run(BIN, &args);
                assert_eq!(code, Some(1), "{args:?}: {stderr}");
                assert_eq!(stdout.trim(), "", "{args:?}");
                conformance::tls::one_line_failure(false, &stderr).unwrap();
                assert!(stderr.starts_with(concat!($bin, ": ")), "{stderr}");
                assert!(stderr.contains(says), "{args:?}: {stderr}");
            }
            conformance::binaries::usage_errors(BIN, &[&[], &["localhost"], &["localhost", "x"]]);
        }
    };
}
