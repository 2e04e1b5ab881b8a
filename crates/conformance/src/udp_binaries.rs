//! Checks every Chapter 2 server and client binary passes, run as a reader runs it: the
//! datagram table through the one runner, and the command line. Each crate's tests call
//! these with its own binary.

use std::net::UdpSocket;
use testkit::STEP;

use crate::binaries::{name, run};
use crate::external::{ExternalServer, Launch, Template, Transport, run_client};
use crate::runner::{self, ServerSpec};
use crate::{assert_all_pass, udp};

/// The table's server cases against `BIN ARGS...` (with `{port}` in them).
pub fn server_table(bin: &str, args: &str, listing: &catalog::Listing) {
    let template = Template::parse(&format!("'{bin}' {args}")).unwrap();
    let launch = Launch {
        transport: Transport::Udp,
        ..Launch::default()
    };
    let mut server = ExternalServer::launch(&template, launch).unwrap();
    let outcomes = runner::server_cases(&ServerSpec::of(listing).unwrap(), &mut server, None);
    assert_eq!(outcomes.len(), udp::SERVER_CASES.len());
    runner::assert_passed(&format!("{} server", name(bin)), &outcomes);
}

/// The table's client cases against `BIN ARGS...`: those that `pick` picks.
pub fn client_table(bin: &str, args: &str, listing: &catalog::Listing, pick: fn(&str) -> bool) {
    let template = Template::parse(&format!("'{bin}' {args}")).unwrap();
    let run = |port, bytecount, args: &[&str]| run_client(&template, port, bytecount, args, STEP);
    let results = runner::client_cases(listing.family.unwrap(), runner::Output::Book, &run, &pick);
    assert!(!results.is_empty());
    assert_all_pass(&format!("{} client", name(bin)), &results);
}

/// The client cases that wait out a silent server (3.1 s), which the quick suite leaves
/// to its slow tests.
pub const SILENCE_CASES: [&str; 2] = ["retry-schedule", "gives-up"];

pub use crate::binaries::usage_errors;

/// A busy port: one line and exit 1 (no Chapter 2 listing sets `SO_REUSEADDR`).
pub fn busy_port(bin: &str, server_args: &[&str], host: &str) {
    let holder = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let args: Vec<&str> = server_args.iter().copied().chain(["-p", &port]).collect();
    let (code, _, stderr) = run(bin, &args);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "{}: cannot bind to {host} port {port}: Address already in use (os error 98)\n",
            name(bin)
        )
    );
}
