//! `stringcodes` as a reader runs it, in a directory of its own: the repr it prints, the
//! 25 bytes of eagle.txt, and a file it cannot write.

use std::process::Command;

use geocoding_standin::testing::{Ran, finish};

const BIN: &str = env!("CARGO_BIN_EXE_stringcodes");

fn stringcodes(dir: &std::path::Path) -> Ran {
    let mut command = Command::new(BIN);
    command.current_dir(dir);
    finish(command)
}

#[test]
fn it_prints_the_repr_and_writes_eagle_txt_in_utf8() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("eagle.txt"),
        "an older, longer file to be replaced\n",
    )
    .unwrap();
    let ran = stringcodes(dir.path());
    assert_eq!((ran.code, ran.stdout.as_str()), (Some(0), "'413 is in.'\n"));
    let written = std::fs::read(dir.path().join("eagle.txt")).unwrap();
    assert_eq!(written, b"We copy you down, Eagle.\n");
    assert_eq!(written.len(), 25);
}

#[test]
fn a_file_it_cannot_write_fails_after_the_line_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("eagle.txt")).unwrap();
    let ran = stringcodes(dir.path());
    assert_eq!(ran.code, Some(1));
    assert_eq!(ran.stdout, "'413 is in.'\n");
    assert_eq!(
        ran.stderr,
        "stringcodes: cannot write eagle.txt: Is a directory (os error 21)\n"
    );
}
