//! The `udp_remote` binary as a reader runs it: the datagram table through the one
//! runner (the server drops half, as the book's, and the cases resend), and its command
//! line.

use conformance::udp_binaries::{
    SILENCE_CASES, busy_port, client_table, server_table, usage_errors,
};

const BIN: &str = env!("CARGO_BIN_EXE_udp_remote");

fn listing() -> &'static catalog::Listing {
    catalog::by_crate(env!("CARGO_PKG_NAME")).unwrap()
}

#[test]
fn the_server_passes_every_case_of_the_table() {
    server_table(BIN, "server {host} -p {port}", listing());
}

#[test]
fn the_client_passes_every_case_of_the_table() {
    client_table(BIN, "client {host} -p {port}", listing(), |id| {
        !SILENCE_CASES.contains(&id)
    });
}

#[test]
#[ignore = "slow: the retry schedule and the give-up, 3.1 s against a silent server"]
fn the_client_backs_off_and_gives_up_as_the_book_says() {
    client_table(BIN, "client {host} -p {port}", listing(), |id| {
        SILENCE_CASES.contains(&id)
    });
}

#[test]
fn usage_errors_and_a_busy_port() {
    usage_errors(
        BIN,
        &[
            &["client"],
            &["server", "127.0.0.1", "--drop-rate", "2"],
            &["server", "127.0.0.1", "--seed", "x"],
            &["client", "localhost", "-p", "65536"],
        ],
    );
    busy_port(BIN, &["server", "127.0.0.1"], "127.0.0.1");
}
