//! Root package of the workspace: its integration tests in `tests/` are the cross-crate conformance tests.
