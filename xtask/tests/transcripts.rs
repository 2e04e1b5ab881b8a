//! matklad's check mode: every listing's recorded session (`crates/chNN-*/*/output.txt`) and the
//! README's copies are what the code prints now. A change in what a listing prints that
//! nobody recorded fails here, with a diff and the command that records it.

use std::process::Command;
use std::time::Duration;

use testkit::Process;

#[test]
fn recorded_sessions_are_what_the_code_prints() {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(["transcripts", "--check"]);
    let (status, stdout, stderr) = Process::spawn(command)
        .unwrap()
        .finish(Duration::from_secs(300))
        .unwrap();
    assert!(status.success(), "{stderr}");
    let sessions = catalog::recorded_crates().len();
    assert!(
        stdout.contains(&format!(
            "{sessions} recorded sessions and the README match"
        )),
        "{stdout}"
    );
}
