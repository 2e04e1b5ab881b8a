//! The `streamer` binary as a reader runs it: the checks every Chapter 5 binary passes.

conformance::framing_binary_tests!("streamer");
