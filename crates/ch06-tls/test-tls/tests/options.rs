//! test_tls's options, run as a reader runs them: what Python prints and where the port
//! departs from it (`-p TLSv1_3`, the protocols and cipher lists rustls does not have).

use std::path::Path;
use std::process::Command;

use conformance::tls::files;
use testkit::{Process, STEP};

const BIN: &str = env!("CARGO_BIN_EXE_test_tls");

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).display().to_string()
}

/// A program's outcome: status code, stdout, stderr.
type Outcome = (Option<i32>, String, String);

/// A `test_tls` server with `server_args`, then a client with `client_args`: both
/// outcomes, the client's first.
fn session(server_args: &[&str], client_args: &[&str]) -> (Outcome, Outcome) {
    let mut command = Command::new(BIN);
    command.args(server_args).args(["127.0.0.1", "0"]);
    let mut server = Process::spawn(command).unwrap();
    let port = server.listening_port(STEP).unwrap().to_string();
    let mut command = Command::new(BIN);
    command.args(client_args).arg(&port);
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    let (server_status, server_out, server_err) = server.finish(STEP).unwrap();
    (
        (status.code(), stdout, stderr),
        (server_status.code(), server_out, server_err),
    )
}

fn certs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    tls_peer::certs::write_cases(dir.path()).unwrap();
    dir
}

#[test]
fn protocols_and_cipher_lists_as_python_names_them() {
    let dir = certs();
    let (leaf, ca) = (path(dir.path(), files::LEAF), path(dir.path(), files::CA));
    // Departure: Python has no PROTOCOL_TLSv1_3 and exits 2; the port accepts it.
    let (client, server) = session(&["-s", &leaf], &["-a", &ca, "-p", "TLSv1_3", "localhost"]);
    assert_eq!(client.0, Some(0), "{}", client.2);
    assert_eq!(server.0, Some(0), "{}", server.2);
    assert!(
        client
            .1
            .contains("Protocol version negotiated......... TLSv1.3\n"),
        "{}",
        client.1
    );
    let (client, _) = session(
        &["-s", &leaf, "-d"],
        &[
            "-a",
            &ca,
            "-p",
            "TLSv1_2",
            "-C",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "localhost",
        ],
    );
    assert_eq!(client.0, Some(0), "{}", client.2);
    assert!(
        client
            .1
            .contains("Cipher chosen for this connection... ECDHE-ECDSA-AES128-GCM-SHA256\n"),
        "{}",
        client.1
    );
    assert!(
        client
            .1
            .contains("Cipher defined in TLS version....... TLSv1.2\n"),
        "{}",
        client.1
    );
    assert!(
        client
            .1
            .contains("Cipher key has this many bits....... 128\n"),
        "{}",
        client.1
    );

    for (args, says) in [
        (&["-p", "TLSv1"][..], "rustls has no TLSv1"),
        (
            &["-p", "SSLv3"][..],
            "Error: 'PROTOCOL_SSLv3' is not one of the available names:",
        ),
        (&["-C", "NOSUCHCIPHER"][..], "no cipher can be selected"),
        (
            &["-C", "TLS_AES_128_GCM_SHA256", "-p", "TLSv1_2"][..],
            "leaves none for -p TLSv1_2",
        ),
    ] {
        let mut all = vec!["-a", &ca];
        all.extend_from_slice(args);
        all.extend(["localhost", "1"]);
        let (code, stdout, stderr) = conformance::binaries::run(BIN, &all);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert_eq!(stdout, "");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
    let (code, _, stderr) =
        conformance::binaries::run(BIN, &["-s", &leaf, "-c", &leaf, "localhost", "1"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn a_name_mismatch_is_reported_a_client_certificate_checked_and_ca_bundles_counted() {
    let dir = certs();
    let p = |f| path(dir.path(), f);
    // check_hostname = False: the chain is verified, the name only reported, with the
    // repr of the exception's args as Python 3.10 prints it.
    let (client, _) = session(
        &["-s", &p(files::NAME_ONLY)],
        &["-a", &p(files::CA), "127.0.0.1"],
    );
    assert_eq!(client.0, Some(0), "{}", client.2);
    assert!(
        client.1.contains("Whether name(s) match the hostname.. (\"hostname '127.0.0.1' doesn't\n    match 'localhost'\",)\n"),
        "{}",
        client.1
    );
    // CERT_OPTIONAL with -a: a client certificate that the CA signed is accepted and shown.
    let (client, server) = session(
        &["-s", &p(files::LEAF), "-a", &p(files::CA)],
        &["-a", &p(files::CA), "-c", &p(files::LEAF), "localhost"],
    );
    assert_eq!(
        (client.0, server.0),
        (Some(0), Some(0)),
        "{} {}",
        client.2,
        server.2
    );
    assert!(
        server
            .1
            .contains("Peer certificate.................... provided\n"),
        "{}",
        server.1
    );
    assert!(
        server
            .1
            .contains("Name(s) on peer certificate......... localhost localhost\n"),
        "{}",
        server.1
    );
    // A bundle of two CAs counts two.
    let bundle = dir.path().join("bundle.crt");
    let both = std::fs::read_to_string(p(files::CA)).unwrap()
        + &std::fs::read_to_string(p(files::OTHER_CA)).unwrap();
    std::fs::write(&bundle, both).unwrap();
    let (client, _) = session(
        &["-s", &p(files::LEAF)],
        &["-a", bundle.to_str().unwrap(), "localhost"],
    );
    assert_eq!(client.0, Some(0), "{}", client.2);
    assert!(
        client
            .1
            .contains("Certificates loaded of type x509.... 2\n"),
        "{}",
        client.1
    );
    assert!(
        client
            .1
            .contains("Certificates loaded of type x509_ca. 2\n"),
        "{}",
        client.1
    );
}
