//! The `tcp_nonblocking` binary as a reader runs it: a session, a client that never reads,
//! a thousand clients at once, and usage errors.

const BIN: &str = env!("CARGO_BIN_EXE_tcp_nonblocking");

#[test]
fn a_session_has_listing_3_2s_shape() {
    testkit::variant::session(BIN, tcp_nonblocking::CHUNK, tcp_nonblocking::SERVER_RECV);
}

#[test]
fn a_client_that_never_reads_cannot_grow_the_server() {
    testkit::variant::never_reading_client(BIN);
}

#[test]
fn serves_a_thousand_clients_at_once() {
    testkit::variant::thousand_clients(BIN);
}

#[test]
fn malformed_command_lines_and_refused_connections() {
    testkit::variant::usage_errors(BIN);
}
