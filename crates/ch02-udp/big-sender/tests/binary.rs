//! The `big_sender` binary as a reader runs it: loopback's MTU, the "sent" branch with a
//! size that fits, and the book's 1500 in a network namespace whose loopback has MTU
//! 1500, where namespaces are permitted.

use conformance::binaries::run;

const BIN: &str = env!("CARGO_BIN_EXE_big_sender");

#[test]
fn on_loopback_the_datagram_does_not_make_it_and_the_mtu_is_65535() {
    let (code, stdout, stderr) = run(BIN, &["localhost"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "Alas, the datagram did not make it\nActual MTU: 65535\n"
    );
}

#[test]
fn a_size_that_fits_is_sent() {
    let (code, stdout, stderr) = run(BIN, &["127.0.0.1", "--size", "1400"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "The big datagram was sent!\n");
    // 65,508 bytes is one more than any IPv4 datagram carries, whatever the path.
    let (_, stdout, _) = run(BIN, &["127.0.0.1", "--size", "65508"]);
    assert!(
        stdout.starts_with("Alas, the datagram did not make it\n"),
        "{stdout}"
    );
}

#[test]
fn usage_errors_exit_2() {
    conformance::binaries::usage_errors(BIN, &[&[], &["h", "--size", "x"], &["h", "-p", "y"]]);
}

/// The book's `Actual MTU: 1500`, in a network namespace of this test's own whose
/// loopback has MTU 1500; and the don't-fragment bit's effect: 1472 bytes (1500 with the
/// headers) are sent, 1473 are refused.
#[test]
fn in_a_namespace_with_a_1500_byte_path_the_mtu_is_1500() {
    let script = format!(
        "set -e; ip link set lo up mtu 1500; '{BIN}' localhost; '{BIN}' localhost --size 1472; '{BIN}' localhost --size 1473"
    );
    let (code, stdout, stderr) = run("unshare", &["-n", "sh", "-c", &script]);
    if code != Some(0)
        && (stderr.contains("Operation not permitted") || stderr.contains("not found"))
    {
        eprintln!(
            "skipped: network namespaces are not permitted here: {}",
            stderr.trim()
        );
        return;
    }
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout,
        "Alas, the datagram did not make it\nActual MTU: 1500\n\
         The big datagram was sent!\n\
         Alas, the datagram did not make it\nActual MTU: 1500\n"
    );
}
