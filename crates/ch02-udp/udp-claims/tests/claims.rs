//! Each of Chapter 2's claims holds here, and flipping its one condition (`connect()`,
//! `SO_BROADCAST`, the buffer, the path's MTU) changes its verdict: the verdicts come from
//! what the kernel answered, not from the program's expectations.

use std::process::Command;

use testkit::{Process, STEP};

const BIN: &str = env!("CARGO_BIN_EXE_udp_claims");

fn verdict(claim: &str, flip: bool) -> Result<String, String> {
    let mut command = Command::new(BIN);
    command.arg(claim);
    if flip {
        command.arg("--flip");
    }
    let (status, stdout, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    if !status.success() {
        return Err(stderr);
    }
    assert!(stdout.starts_with("claim (Chapter 2): "), "{stdout}");
    Ok(stdout.lines().last().unwrap_or_default().to_string())
}

#[test]
fn every_claim_holds_and_flipping_its_condition_changes_the_verdict() {
    // Each claim on its own thread: they wait on the kernel, not on each other.
    let runs: Vec<_> = [
        "takes-anyone",
        "connect-filters",
        "never-learns",
        "size-limits",
        "dont-fragment",
        "broadcast-needs-permission",
    ]
    .map(|claim| std::thread::spawn(move || (claim, verdict(claim, false), verdict(claim, true))))
    .into_iter()
    .collect();
    for run in runs {
        let (claim, held, flipped) = run.join().unwrap();
        let (held, flipped) = match (held, flipped) {
            (Ok(held), Ok(flipped)) => (held, flipped),
            (Err(why), _) | (_, Err(why))
                if claim == "dont-fragment" && why.contains("not permitted") =>
            {
                eprintln!("skipped: {claim}: {}", why.trim());
                continue;
            }
            (Err(why), _) | (_, Err(why)) => panic!("{claim}: {why}"),
        };
        assert!(held.starts_with("verdict: holds — "), "{claim}: {held}");
        assert!(
            flipped.starts_with("verdict: differs on this system — "),
            "{claim} --flip: {flipped}"
        );
    }
}

#[test]
fn an_unknown_claim_is_a_usage_error() {
    let mut command = Command::new(BIN);
    command.arg("no-such-claim");
    let (status, _, stderr) = Process::spawn(command).unwrap().finish(STEP).unwrap();
    assert_eq!(status.code(), Some(2));
    assert!(stderr.starts_with("error: "), "{stderr}");
}
