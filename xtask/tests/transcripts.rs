//! matklad's check mode: every listing's recorded session (`crates/chNN-*/*/output.txt`),
//! the copies in the READMEs and docs/, and their tables are what the code prints now. A change in what a listing prints that
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
    // The front door, each chapter's README and every page under docs/.
    let docs = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "md")
        })
        .count();
    let documents = 1 + catalog::CHAPTERS.len() + docs;
    assert!(
        stdout.contains(&format!(
            "{sessions} recorded sessions and {documents} documents"
        )),
        "{stdout}"
    );
}
