//! `dns_mx` as a reader runs it, against the stand-in zone: the book's report where the
//! book's script works (the same lines as its Python printed), and the fixed branches
//! where it crashes.

use std::process::Command;

use dns_standin::{DnsStandIn, Mode};
use geocoding_standin::testing::{Ran, finish, into_closed_pipe};

const BIN: &str = env!("CARGO_BIN_EXE_dns_mx");

fn dns_mx(stand_in: &DnsStandIn, domain: &str) -> Ran {
    let mut command = Command::new(BIN);
    command.args(["--nameserver", &stand_in.addr().to_string(), domain]);
    finish(command)
}

#[test]
fn the_books_report_where_the_books_script_works() {
    let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
    for (domain, printed) in [
        (
            "example.com",
            "This domain has 2 MX records\nPriority 10\n     mail1.example.com has A address 127.0.0.2\n     \
             mail1.example.com has A address 127.0.0.3\nPriority 20\n     mail2.example.com has A address \
             127.0.0.2\n     mail2.example.com has A address 127.0.0.3\n",
        ),
        (
            "nomx.example.com",
            "This domain has no explicit MX records\nAttempting to resolve it as an A, AAAA, or CNAME\n     \
             nomx.example.com has A address 127.0.0.4\n",
        ),
        (
            "nosuch.example.com",
            "Error: No such domain nosuch.example.com\n",
        ),
        // The resolver follows the CNAME silently: the alias prints under its own name.
        (
            "cnamemx.example.com",
            "This domain has 1 MX records\nPriority 10\n     alias.example.com has A address 127.0.0.1\n",
        ),
    ] {
        let ran = dns_mx(&stand_in, domain);
        assert_eq!(ran.code, Some(0), "{domain}: {}", ran.stderr);
        assert_eq!(ran.stdout, printed, "{domain}");
    }
}

/// Departures: the book's script dies here (`NoAnswer`, `NXDOMAIN`, and on
/// `record.address` of a CNAME); the port reaches the branches the book wrote for them.
#[test]
fn the_branches_the_book_never_reaches_now_work() {
    let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
    for (domain, printed) in [
        (
            "v6mx.example.com",
            "This domain has 1 MX records\nPriority 10\n     v6only.example.com has AAAA address ::1\n",
        ),
        (
            "badmx.example.com",
            "This domain has 1 MX records\nPriority 10\n     ERROR: no A, AAAA, or CNAME records for missing.example.com\n",
        ),
        (
            "deadmx.example.com",
            "This domain has 1 MX records\nPriority 10\n     deadalias.example.com is a CNAME alias for \
             missing.example.com\n         ERROR: no A, AAAA, or CNAME records for missing.example.com\n",
        ),
    ] {
        let ran = dns_mx(&stand_in, domain);
        assert_eq!(ran.code, Some(0), "{domain}: {}", ran.stderr);
        assert_eq!(ran.stdout, printed, "{domain}");
    }
}

#[test]
fn a_dead_server_and_a_closed_stdout_are_one_line_each() {
    let silent = DnsStandIn::start(Mode::Silent).unwrap();
    let mut command = Command::new(BIN);
    command.args([
        "--nameserver",
        &silent.addr().to_string(),
        "--timeout",
        "0.2",
        "example.com",
    ]);
    let ran = finish(command);
    assert_eq!(ran.code, Some(1));
    assert!(
        ran.stderr
            .starts_with("dns_mx: The resolution lifetime expired after "),
        "{}",
        ran.stderr
    );
    let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
    let mut command = Command::new(BIN);
    command.args(["--nameserver", &stand_in.addr().to_string(), "example.com"]);
    let (code, stderr) = into_closed_pipe(command);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        "dns_mx: cannot write to standard output: Broken pipe (os error 32)\n"
    );
}
