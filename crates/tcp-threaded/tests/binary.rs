//! The `tcp_threaded` binary as a reader runs it: a session, a client that never reads,
//! a thousand clients at once, and usage errors (shared with the other variant).

testkit::variant_binary_tests!("tcp_threaded", tcp_threaded);
