//! The `tcp_async` binary as a reader runs it: a session, clients that never read, a
//! thousand clients at once, a closed stdout, pinned buffers, running out of descriptors
//! and usage errors (shared with the other variants).

// A client that never reads costs its task's buffer.
conformance::variant_binary_tests!("tcp_async", tcp_async, tcp_async::SERVER_RECV as u64);
