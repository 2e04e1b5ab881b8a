//! The `safe_tls` binary as a reader runs it: the `tls` table on both sides, and its
//! one-line failures.

tls_peer::binary_tests!("safe_tls", Safe);

/// The book's own `localhost.pem` is an X.509 v1 certificate. Loading one said
/// `invalid peer certificate: Other(OtherError(UnsupportedCertVersion))`, a Debug dump that
/// called the server's own certificate a peer's; it is now one sentence that names the
/// fix. The v1 certificate is made here, with openssl (`x509 -req` without extensions):
/// no key is committed.
#[test]
fn a_v1_certificate_is_refused_in_a_sentence_that_names_the_fix() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
    };
    match run(&["version"]) {
        Ok(out) if out.status.success() => {}
        _ => {
            println!("skipped: openssl is not installed (apt-get install openssl)");
            return;
        }
    }
    for args in [
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
            "-days", "2", "-subj", "/CN=ca",
        ][..],
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=localhost",
        ],
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.crt",
            "-days",
            "2",
        ],
    ] {
        let out = run(args).unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pem = [
        std::fs::read(dir.path().join("leaf.crt")).unwrap(),
        std::fs::read(dir.path().join("leaf.key")).unwrap(),
    ]
    .concat();
    let file = dir.path().join("localhost.pem");
    std::fs::write(&file, pem).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_safe_tls"))
        .args(["-s", file.to_str().unwrap(), "127.0.0.1", "0"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "safe_tls: cannot use {}: the certificate is an X.509 v1 certificate, which rustls \
             refuses (it takes v3, with a subjectAltName): `cargo xtask certs` makes a pair \
             that works",
            file.display()
        )
    );
}
