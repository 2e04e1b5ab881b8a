//! `dns_basic` as a reader runs it, against the stand-in zone: the lines the book's
//! Python printed against the same zone (dnspython 2.9 on Python 3.13), and one line for
//! each failure.

use std::process::Command;

use dns_standin::{DnsStandIn, Mode};
use geocoding_standin::testing::{Ran, finish};

const BIN: &str = env!("CARGO_BIN_EXE_dns_basic");

fn dns_basic(stand_in: &DnsStandIn, name: &str) -> Ran {
    let mut command = Command::new(BIN);
    command.args(["--nameserver", &stand_in.addr().to_string(), name]);
    finish(command)
}

#[test]
fn each_rrset_prints_as_dnspython_printed_it() {
    let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
    for (name, printed) in [
        (
            "www.example.com",
            "www.example.com. 300 IN A 127.0.0.1\nwww.example.com. 300 IN AAAA ::1\n",
        ),
        // The CNAME's target's records first, then the CNAME.
        (
            "alias.example.com",
            "www.example.com. 300 IN A 127.0.0.1\nwww.example.com. 300 IN AAAA ::1\n\
             alias.example.com. 300 IN CNAME www.example.com.\n",
        ),
        // The case as typed, echoed by the server.
        (
            "WWW.Example.COM",
            "WWW.Example.COM. 300 IN A 127.0.0.1\nWWW.Example.COM. 300 IN AAAA ::1\n",
        ),
        // UTS 46, as dnspython 2.9 maps it (2.8 on Python 3.10 asked for strasse).
        (
            "straße.example.com",
            "xn--strae-oqa.example.com. 300 IN A 127.0.0.7\n",
        ),
        (
            "example.com",
            "example.com. 300 IN MX 10 mail1.example.com.\nexample.com. 300 IN MX 20 mail2.example.com.\n\
             example.com. 300 IN NS ns.example.com.\n",
        ),
    ] {
        let ran = dns_basic(&stand_in, name);
        assert_eq!(ran.code, Some(0), "{name}: {}", ran.stderr);
        assert_eq!(ran.stdout, printed, "{name}");
    }
}

#[test]
fn it_asks_the_five_types_in_the_books_order() {
    let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
    let ran = dns_basic(&stand_in, "www.example.com");
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(
        stand_in.queries(),
        ["A", "AAAA", "CNAME", "MX", "NS"].map(|t| format!("www.example.com. {t} (udp)"))
    );
}

#[test]
fn each_failure_is_dnspythons_message_in_one_line() {
    let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
    for (name, says) in [
        (
            "nosuch.example.com",
            "dns_basic: The DNS query name does not exist: nosuch.example.com.\n",
        ),
        ("", "dns_basic: The DNS query name does not exist: .\n"),
        ("bad..name", "dns_basic: A DNS label is empty.\n"),
    ] {
        let ran = dns_basic(&stand_in, name);
        assert_eq!((ran.code, ran.stdout.as_str()), (Some(1), ""), "{name}");
        assert_eq!(ran.stderr, says, "{name}");
    }
}

#[test]
fn a_server_that_never_answers_is_a_bounded_timeout() {
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
            .starts_with("dns_basic: The resolution lifetime expired after "),
        "{}",
        ran.stderr
    );
    assert_eq!(ran.stderr.lines().count(), 1);
}

#[test]
fn its_usage_is_argparses() {
    let ran = finish(Command::new(BIN));
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("<NAME>"), "{}", ran.stderr);
    let mut help = Command::new(BIN);
    help.arg("--help");
    let ran = finish(help);
    assert!(
        ran.stdout.starts_with("Resolve a name using DNS"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("name that you want to look up in DNS"));
}

/// The `dns` conformance table (`cargo xtask conform dns`), run here against the
/// binary, one question at a time with `--type` (a departure: the book's asks all five).
#[test]
fn it_passes_the_dns_table_one_type_at_a_time() {
    let stand_in = DnsStandIn::start(Mode::Answer).unwrap();
    for case in conformance::dns::CASES {
        let mut command = Command::new(BIN);
        let nameserver = stand_in.addr().to_string();
        command.args(["--nameserver", &nameserver, "--type", case.qtype, case.name]);
        let ran = finish(command);
        let run = conformance::ClientRun {
            success: ran.code == Some(0),
            stdout: ran.stdout,
            stderr: ran.stderr,
            ..conformance::ClientRun::default()
        };
        assert_eq!(
            conformance::dns::judge(case, &run),
            conformance::Verdict::Pass,
            "{}",
            case.id
        );
    }
    let mut command = Command::new(BIN);
    command.args(["--type", "BOGUS", "www.example.com"]);
    let ran = finish(command);
    assert_eq!(ran.code, Some(2));
    assert!(
        ran.stderr.contains("\"BOGUS\" is not a record type"),
        "{}",
        ran.stderr
    );
}
