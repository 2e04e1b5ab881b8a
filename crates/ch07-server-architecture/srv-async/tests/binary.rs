//! The `srv_async` binary as a reader runs it: the book's session and log lines, its command
//! line and errors, and `--delay` (shared with the other Chapter 7 servers).

conformance::zen_server_binary_tests!("srv_async", conformance::zen::LogStyle::Loop, true);
