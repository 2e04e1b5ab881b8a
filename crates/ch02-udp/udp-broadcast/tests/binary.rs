//! The `udp_broadcast` binary as a reader runs it: a broadcast on this machine's
//! loopback, what `SO_BROADCAST` changes, and a real broadcast between two network
//! namespaces joined by a veth pair, where namespaces are permitted.

use std::net::UdpSocket;
use std::process::Command;

use conformance::binaries::{run, usage_errors};
use conformance::udp_binaries::busy_port;
use testkit::{Process, STEP};

const BIN: &str = env!("CARGO_BIN_EXE_udp_broadcast");

#[test]
fn a_server_bound_to_loopbacks_broadcast_address_hears_the_client() {
    let mut command = Command::new(BIN);
    command.args(["server", "127.255.255.255", "-p", "0"]);
    let mut server = testkit::Spawn::new(command).start().unwrap();
    let port = server.bound_port(STEP, true).unwrap().to_string();
    let (code, stdout, stderr) = run(BIN, &["client", "127.255.255.255", "-p", &port]);
    assert_eq!((code, stdout.as_str()), (Some(0), ""), "{stderr}");
    let (log, heard) = server
        .stdout
        .wait_until(STEP, |log| log.contains(" says: "));
    assert!(heard, "{log}");
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines[0],
        format!("Listening for datagrams at ('127.255.255.255', {port})")
    );
    assert!(
        lines[1].starts_with("The client at ('127.0.0.1', ")
            && lines[1].ends_with(") says: 'Broadcast datagram!'"),
        "{log}"
    );
}

/// Without `SO_BROADCAST`, the kernel refuses a datagram to a broadcast address, even on
/// loopback; the listing's client sets it.
#[test]
fn without_so_broadcast_the_kernel_refuses() {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    let refused = sock.send_to(b"x", "127.255.255.255:9").unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::PermissionDenied);
    sock.set_broadcast(true).unwrap();
    sock.send_to(b"x", "127.255.255.255:9").unwrap();
}

#[test]
fn usage_errors_and_a_busy_port() {
    usage_errors(
        BIN,
        &[&["server"], &["shout", "x"], &["client", "x", "-p", "-1"]],
    );
    busy_port(BIN, &["server", "127.0.0.1"], "127.0.0.1");
}

/// Two network namespaces joined by a veth pair, 10.99.0.1/24 and 10.99.0.2/24: a server
/// on "" in the second hears a datagram the first sends to 10.99.0.255. Everything is
/// made inside namespaces of this test's own, and vanishes with them.
#[test]
fn a_real_broadcast_crosses_a_veth_pair_between_two_namespaces() {
    let script = format!(
        r#"set -e
ip link add va type veth peer name vb
ip link set va up
ip addr add 10.99.0.1/24 brd + dev va
ip link set lo up
unshare -n sh -c '
  ip link set lo up
  exec sleep 30
' & B=$!
sleep 0.2
ip link set vb netns $B
nsenter -t $B -n sh -c 'ip link set vb up && ip addr add 10.99.0.2/24 brd + dev vb'
nsenter -t $B -n '{BIN}' server '' -p 1060 > "$OUT" &
S=$!
for i in $(seq 50); do nsenter -t $B -n cat /proc/net/udp | grep -q ':0424 ' && break; sleep 0.1; done
'{BIN}' client 10.99.0.255 -p 1060
for i in $(seq 50); do grep -q says "$OUT" && break; sleep 0.1; done
kill $S $B
cat "$OUT"
"#
    );
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new("unshare");
    command
        .args(["-n", "sh", "-c", &script])
        .env("OUT", out.path());
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    if !status.success()
        && (stderr.contains("Operation not permitted") || stderr.contains("not found"))
    {
        eprintln!(
            "skipped: network namespaces or veth pairs are not permitted here: {}",
            stderr.trim()
        );
        return;
    }
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.contains("Listening for datagrams at ('0.0.0.0', 1060)")
            && stdout.contains("The client at ('10.99.0.1', ")
            && stdout.contains(") says: 'Broadcast datagram!'"),
        "{stdout}{stderr}"
    );
}
