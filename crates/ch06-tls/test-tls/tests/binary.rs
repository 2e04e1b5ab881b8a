//! The `test_tls` binary as a reader runs it: the `tls` table on both sides, its
//! one-line failures, and the options whose answers differ from Python's.

tls_peer::binary_tests!("test_tls", Report);
