//! Chapter 4's table: one DNS question at a time, asked of the stand-in zone
//! (`dns_standin`, in `crates/dns-standin`), and the records a client prints for it,
//! one per line as dnspython prints an rrset (`www.example.com. 300 IN A 127.0.0.1`).
//!
//! A client under test is a command with `{nameserver}` (`127.0.0.1:PORT`), `{name}`
//! and `{type}`; the workspace's is `dns_basic --type`. Lines are compared in any order
//! (a server may shuffle an rrset), and a question with no answer is an empty output
//! with status 0 where the name exists (NODATA), a failure where it does not (NXDOMAIN).

use catalog::{Family, Transport};

use crate::table::{Output, Table, not_here};
use crate::{ClientRun, RunClient, Verdict};

/// What a client must print for one question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// These records, in any order, and status 0.
    Records(&'static [&'static str]),
    /// Nothing, and status 0: the name has no records of that type.
    NoData,
    /// A failure (a status other than 0) and nothing on stdout: the name does not exist.
    NxDomain,
}

/// One question and its answer.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    pub id: &'static str,
    pub name: &'static str,
    pub qtype: &'static str,
    pub expect: Expect,
}

/// The cases, in the order the report shows them.
pub const CASES: &[Case] = &[
    Case {
        id: "a",
        name: "www.example.com",
        qtype: "A",
        expect: Expect::Records(&["www.example.com. 300 IN A 127.0.0.1"]),
    },
    Case {
        id: "aaaa",
        name: "www.example.com",
        qtype: "AAAA",
        expect: Expect::Records(&["www.example.com. 300 IN AAAA ::1"]),
    },
    Case {
        id: "two-records",
        name: "multi.example.com",
        qtype: "A",
        expect: Expect::Records(&[
            "multi.example.com. 300 IN A 127.0.0.8",
            "multi.example.com. 300 IN A 127.0.0.9",
        ]),
    },
    Case {
        id: "cname",
        name: "alias.example.com",
        qtype: "CNAME",
        expect: Expect::Records(&["alias.example.com. 300 IN CNAME www.example.com."]),
    },
    // Through the alias: the rrset is the target's, under the target's name.
    Case {
        id: "a-through-cname",
        name: "alias.example.com",
        qtype: "A",
        expect: Expect::Records(&["www.example.com. 300 IN A 127.0.0.1"]),
    },
    Case {
        id: "mx",
        name: "example.com",
        qtype: "MX",
        expect: Expect::Records(&[
            "example.com. 300 IN MX 10 mail1.example.com.",
            "example.com. 300 IN MX 20 mail2.example.com.",
        ]),
    },
    Case {
        id: "ns",
        name: "example.com",
        qtype: "NS",
        expect: Expect::Records(&["example.com. 300 IN NS ns.example.com."]),
    },
    // The case as asked, echoed by the server.
    Case {
        id: "case-kept",
        name: "WWW.Example.COM",
        qtype: "A",
        expect: Expect::Records(&["WWW.Example.COM. 300 IN A 127.0.0.1"]),
    },
    // UTS 46, as dnspython 2.9 (IDNA 2003, dnspython 2.8's, would ask for strasse).
    Case {
        id: "idna",
        name: "straße.example.com",
        qtype: "A",
        expect: Expect::Records(&["xn--strae-oqa.example.com. 300 IN A 127.0.0.7"]),
    },
    Case {
        id: "final-dot",
        name: "www.example.com.",
        qtype: "AAAA",
        expect: Expect::Records(&["www.example.com. 300 IN AAAA ::1"]),
    },
    Case {
        id: "nodata",
        name: "v6only.example.com",
        qtype: "A",
        expect: Expect::NoData,
    },
    Case {
        id: "nxdomain",
        name: "nosuch.example.com",
        qtype: "A",
        expect: Expect::NxDomain,
    },
    // A CNAME whose target does not exist: the answer is NXDOMAIN.
    Case {
        id: "dangling-cname",
        name: "deadalias.example.com",
        qtype: "A",
        expect: Expect::NxDomain,
    },
];

/// Judges what a client printed for a case.
pub fn judge(case: &Case, run: &ClientRun) -> Verdict {
    let said = || {
        let err = run.stderr.trim();
        if err.is_empty() {
            String::new()
        } else {
            format!(" (stderr: {err})")
        }
    };
    match case.expect {
        Expect::Records(records) => {
            let mut got: Vec<&str> = run.stdout.lines().collect();
            let mut want = records.to_vec();
            got.sort_unstable();
            want.sort_unstable();
            if !run.success {
                Verdict::Fail(format!("expected {want:?}, the client failed{}", said()))
            } else if got != want {
                Verdict::Fail(format!("expected {want:?}, got {got:?}"))
            } else {
                Verdict::Pass
            }
        }
        Expect::NoData if run.success && run.stdout.trim().is_empty() => Verdict::Pass,
        Expect::NoData => Verdict::Fail(format!(
            "expected no records and status 0, got {:?} and {}{}",
            run.stdout,
            if run.success { "success" } else { "a failure" },
            said()
        )),
        // The failure must be the one the case names: a client that cannot start or reach
        // the zone fails too, but did not learn that the name does not exist.
        Expect::NxDomain
            if !run.success && run.stdout.trim().is_empty() && names_nxdomain(&run.stderr) =>
        {
            Verdict::Pass
        }
        Expect::NxDomain => Verdict::Fail(format!(
            "expected a failure that says the name does not exist (NXDOMAIN), with nothing \
             printed; got {:?} and {}{}",
            run.stdout,
            if run.success { "success" } else { "a failure" },
            said()
        )),
    }
}

/// Whether a client's error says the name does not exist: dnspython's `NXDOMAIN` ("The
/// DNS query name does not exist: ..."), as the ports word it too.
fn names_nxdomain(stderr: &str) -> bool {
    let said = stderr.to_ascii_lowercase();
    said.contains("does not exist") || said.contains("nxdomain")
}

/// The table's client cases that `pick` picks: `run(_, _, [name, type])` asks the
/// client, already pointed at the zone.
fn client_cases(
    _: Output,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    CASES
        .iter()
        .filter(|case| pick(case.id))
        .map(|case| (case.id, judge(case, &run(0, 0, &[case.name, case.qtype]))))
        .collect()
}

/// Chapter 4's table.
pub static TABLE: Table = Table {
    family: Family::Dns,
    name: "dns",
    transport: Transport::Udp,
    server_case_ids: Vec::new,
    server_case: not_here,
    fresh_server_per_case: false,
    client_cases,
    client_command: "{exe} --nameserver {nameserver} --type {type} {name}",
    certificates: false,
    stand_in: Some(&catalog::DNS_ZONE),
    placeholders,
};

/// A case's placeholders: the zone's address, and the name and type asked.
fn placeholders(address: &str, args: &[&str]) -> Vec<(&'static str, String)> {
    vec![
        ("nameserver", address.to_string()),
        (
            "name",
            args.first().copied().unwrap_or_default().to_string(),
        ),
        ("type", args.get(1).copied().unwrap_or_default().to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(success: bool, stdout: &str) -> ClientRun {
        ClientRun {
            success,
            stdout: stdout.into(),
            stderr: String::new(),
            ..ClientRun::default()
        }
    }

    #[test]
    fn records_in_any_order_nodata_and_nxdomain_are_judged_apart() {
        let mx = CASES.iter().find(|c| c.id == "mx").unwrap();
        let lines = "example.com. 300 IN MX 20 mail2.example.com.\nexample.com. 300 IN MX 10 mail1.example.com.\n";
        assert_eq!(judge(mx, &ran(true, lines)), Verdict::Pass);
        assert!(matches!(judge(mx, &ran(true, "")), Verdict::Fail(_)));
        assert!(matches!(judge(mx, &ran(false, lines)), Verdict::Fail(_)));
        let nodata = CASES.iter().find(|c| c.id == "nodata").unwrap();
        assert_eq!(judge(nodata, &ran(true, "")), Verdict::Pass);
        assert!(matches!(judge(nodata, &ran(false, "")), Verdict::Fail(_)));
        let nx = CASES.iter().find(|c| c.id == "nxdomain").unwrap();
        let nxdomain = ClientRun {
            stderr: "dns_basic: The DNS query name does not exist: nosuch.example.com.\n".into(),
            ..ran(false, "")
        };
        assert_eq!(judge(nx, &nxdomain), Verdict::Pass);
        // A refused connection, or a client that never started, is not an NXDOMAIN.
        let refused = ClientRun {
            stderr: "dns_basic: Connection refused (os error 111)\n".into(),
            ..ran(false, "")
        };
        assert!(matches!(judge(nx, &refused), Verdict::Fail(_)));
        assert!(matches!(judge(nx, &ran(false, "")), Verdict::Fail(_)));
        assert!(matches!(judge(nx, &ran(true, "")), Verdict::Fail(_)));
        let ids: Vec<&str> = CASES.iter().map(|c| c.id).collect();
        assert!(ids.iter().enumerate().all(|(i, id)| !ids[..i].contains(id)));
    }

    /// The control: a client that does nothing (`false`, `true`, one that cannot start)
    /// fails every case.
    #[test]
    fn a_client_that_does_nothing_fails_every_case() {
        let cannot_start = ClientRun {
            stderr: "cannot run nonexistent: No such file or directory\n".into(),
            ..ran(false, "")
        };
        for run in [ran(false, ""), ran(true, ""), cannot_start] {
            // `nodata` is the one case where printing nothing and exiting 0 is right;
            // telling that from `true` needs the zone's log of the question, which the
            // table does not read yet (the DNS stand-in has no marker).
            for case in CASES.iter().filter(|c| c.id != "nodata") {
                assert!(
                    matches!(judge(case, &run), Verdict::Fail(_)),
                    "{} passed {run:?}",
                    case.id
                );
            }
        }
    }
}
