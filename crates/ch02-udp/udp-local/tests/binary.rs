//! The `udp_local` binary as a reader runs it: the datagram table through the one runner,
//! its command line, and the book's "Danger!": with no server, the client waits for ever.

use std::process::Command;

use conformance::udp_binaries::{busy_port, client_table, server_table, usage_errors};
use testkit::{STEP, Spawn, kernel};

const BIN: &str = env!("CARGO_BIN_EXE_udp_local");

fn listing() -> &'static catalog::Listing {
    catalog::by_crate(env!("CARGO_PKG_NAME")).unwrap()
}

#[test]
fn the_server_passes_every_case_of_the_table() {
    server_table(BIN, "server -p {port}", listing());
}

#[test]
fn the_client_passes_every_case_of_the_table() {
    client_table(BIN, "client -p {port}", listing(), |_| true);
}

#[test]
fn usage_errors_and_a_busy_port() {
    usage_errors(
        BIN,
        &[
            &[],
            &["bogus"],
            &["client", "-p", "x"],
            &["client", "extra"],
        ],
    );
    busy_port(BIN, &["server"], "127.0.0.1");
}

/// With nothing bound to the port, the client prints its address and then waits in
/// `recvfrom()` for ever: an unconnected socket never hears the ICMP refusal. The test
/// ends it, once the kernel says it is asleep there.
#[test]
fn with_no_server_the_client_waits_for_ever() {
    let port = testkit::process::free_port().unwrap().to_string();
    let mut command = Command::new(BIN);
    command.args(["client", "-p", &port]);
    let mut client = Spawn::new(command).start().unwrap();
    let (out, printed) = client
        .stdout
        .wait_until(STEP, |out| out.contains("The OS assigned me the address"));
    assert!(printed, "{out}");
    if kernel::SUPPORTED {
        let asleep = testkit::wait_until(STEP, || {
            kernel::blocked_in(client.id())
                .iter()
                .any(|call| call.starts_with("recvfrom"))
        });
        assert!(asleep, "{:?}", kernel::blocked_in(client.id()));
    }
    assert!(client.running(), "the client should still be waiting");
    client.kill();
}
