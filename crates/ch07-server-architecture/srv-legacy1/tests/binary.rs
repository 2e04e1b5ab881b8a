//! The `srv_legacy1` binary as a reader runs it: the book's session and log lines, its command
//! line and errors, and `--delay` (shared with the other Chapter 7 servers).

conformance::zen_server_binary_tests!(
    "srv_legacy1",
    conformance::zen::LogStyle::Socketserver,
    false
);
