//! The repository's hygiene, as a test (rust-analyzer's `xtask/src/tidy.rs`): no private
//! key is tracked, the root holds only what belongs there, a chapter folder holds only its
//! listings, the libraries they import and its doc-test crate, every chapter has its
//! README, and no tool's source file is over 600 lines. It reads what git tracks, so a file made by hand and never added passes.

#![cfg(test)]

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::build::workspace_root;

/// What may stand at the root of the repository, and why.
const ROOT: &[&str] = &[
    ".cargo",     // the `cargo xtask` alias
    ".ci",        // CI's one script
    ".gitignore", // target/ and any certs/
    "Cargo.lock",
    "Cargo.toml", // the workspace, and the root package of conformance tests
    "README.md",  // the front door
    "crates",     // the chapters, and what no chapter owns
    "docs",       // what crosses chapters
    "src",        // the root package's (empty) library
    "tests",      // the cross-crate conformance adapters
    "xtask",
];

/// The files git tracks, from the root; `None` (with the reason printed) outside a
/// checkout.
fn tracked() -> Option<Vec<String>> {
    let output = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(workspace_root())
        .output();
    match output {
        Ok(out) if out.status.success() => Some(
            String::from_utf8_lossy(&out.stdout)
                .split('\0')
                .filter(|f| !f.is_empty())
                .map(String::from)
                .collect(),
        ),
        Ok(out) => {
            println!(
                "skipped: not a git checkout ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
        Err(error) => {
            println!("skipped: cannot run git: {error}");
            None
        }
    }
}

/// The PEM label of a private key, spelt in two pieces so that this file does not match
/// its own search.
const KEY_LABEL: &str = concat!("PRIVATE", " KEY-----");

#[test]
fn no_private_key_is_tracked() {
    let Some(files) = tracked() else { return };
    let root = workspace_root();
    let keys: Vec<&String> = files
        .iter()
        .filter(|f| {
            std::fs::read(root.join(f))
                .is_ok_and(|bytes| String::from_utf8_lossy(&bytes).contains(KEY_LABEL))
        })
        .collect();
    assert!(
        keys.is_empty(),
        "these tracked files hold a private key: {keys:?}; remove them (`git rm`) and make \
         certificates at run time (`cargo xtask certs`, or rcgen in the test)"
    );
}

#[test]
fn the_root_holds_only_its_allowed_entries() {
    let Some(files) = tracked() else { return };
    let entries: BTreeSet<&str> = files
        .iter()
        .map(|f| f.split('/').next().unwrap_or(f))
        .collect();
    let strays: Vec<&&str> = entries.iter().filter(|e| !ROOT.contains(e)).collect();
    assert!(
        strays.is_empty(),
        "the root holds {strays:?}, which is not in tidy.rs's ROOT: move it under crates/ or \
         docs/, or add it to ROOT with the reason"
    );
}

/// The crates of one chapter folder: each folder with a `Cargo.toml`.
fn crates_in(chapter_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(chapter_dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Whether the manifest at `dir` names `krate` among its dependencies.
fn depends_on(dir: &Path, krate: &str) -> bool {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    manifest
        .lines()
        .any(|line| line.trim_start().starts_with(&format!("{krate}.workspace")))
}

#[test]
fn a_chapter_folder_holds_listings_their_libraries_and_its_doc_tests() {
    let root = workspace_root();
    for chapter in catalog::CHAPTERS {
        let dir = root.join("crates").join(chapter.dir);
        let crates = crates_in(&dir);
        assert!(!crates.is_empty(), "{} has no crates", dir.display());
        let listings: Vec<&String> = crates
            .iter()
            .filter(|c| dir.join(c).join("output.txt").is_file())
            .collect();
        for krate in &crates {
            let listing = listings.contains(&krate);
            let doc_tests = krate.starts_with("examples-");
            let imported = listings.iter().any(|l| depends_on(&dir.join(l), krate));
            assert!(
                listing || doc_tests || imported,
                "crates/{}/{krate} is neither a listing (with output.txt), nor a library that \
                 a listing of Chapter {} imports, nor the chapter's doc tests (examples-*): a \
                 tool or a stand-in belongs in crates/ itself",
                chapter.dir,
                chapter.number
            );
        }
    }
}

/// Whether the crate at `dir` has a binary: `src/main.rs`, or a file in `src/bin/`.
fn has_binary(dir: &Path) -> bool {
    dir.join("src/main.rs").is_file()
        || std::fs::read_dir(dir.join("src/bin")).is_ok_and(|mut files| files.next().is_some())
}

/// A chapter's binary is a listing a reader runs: what it prints is recorded beside it.
#[test]
fn every_chapter_binary_has_its_recorded_session() {
    let root = workspace_root();
    let mut missing = Vec::new();
    for chapter in catalog::CHAPTERS {
        let dir = root.join("crates").join(chapter.dir);
        for krate in crates_in(&dir) {
            let at = dir.join(&krate);
            if has_binary(&at) && !at.join("output.txt").is_file() {
                missing.push(format!("crates/{}/{krate}", chapter.dir));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "these crates have a binary but no output.txt: {missing:?}; give the listing a \
         session in the catalog and record it with `cargo xtask transcripts`"
    );
}

#[test]
fn every_chapter_folder_has_its_readme_and_is_in_the_catalog() {
    let root = workspace_root();
    for chapter in catalog::CHAPTERS {
        let readme = root.join(chapter.readme());
        assert!(readme.is_file(), "{} is missing", readme.display());
    }
    let folders = std::fs::read_dir(root.join("crates")).unwrap();
    for folder in folders.filter_map(Result::ok) {
        let name = folder.file_name().to_string_lossy().into_owned();
        if name.starts_with("ch") && folder.path().is_dir() {
            assert!(
                catalog::CHAPTERS.iter().any(|c| c.dir == name),
                "crates/{name} is a chapter folder the catalog does not name"
            );
        }
    }
}

/// The checks themselves can fail: a tool crate in a chapter folder is caught.
#[test]
fn a_tool_in_a_chapter_folder_is_caught() {
    let scratch = tempfile::tempdir().unwrap();
    for (krate, output) in [("listing", true), ("tool", false), ("examples-x", false)] {
        let dir = scratch.path().join(krate);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[dependencies]\n").unwrap();
        if output {
            std::fs::write(dir.join("output.txt"), "").unwrap();
        }
    }
    assert_eq!(crates_in(scratch.path()), ["examples-x", "listing", "tool"]);
    assert!(!depends_on(&scratch.path().join("listing"), "tool"));
    std::fs::write(
        scratch.path().join("listing/Cargo.toml"),
        "[dependencies]\ntool.workspace = true\n",
    )
    .unwrap();
    assert!(depends_on(&scratch.path().join("listing"), "tool"));
    let tool = scratch.path().join("tool");
    assert!(!has_binary(&tool));
    std::fs::create_dir_all(tool.join("src/bin")).unwrap();
    std::fs::write(tool.join("src/bin/tool.rs"), "fn main() {}\n").unwrap();
    assert!(has_binary(&tool), "a binary without output.txt is caught");
}

/// The longest a tool's source file may be: a file past it does two jobs.
const MOST_LINES: usize = 600;

/// Whether a tracked file is a tool's source, which [`MOST_LINES`] holds: a `.rs` file of
/// xtask or of a crate under `crates/` outside the chapter folders (the stand-ins, the
/// peers, the catalog, fopnp, testkit, conformance). A listing's length is its page's.
fn is_tool_source(path: &str) -> bool {
    let chapter = path
        .strip_prefix("crates/")
        .is_some_and(|p| p.starts_with("ch"));
    path.ends_with(".rs") && (path.starts_with("xtask/") || path.starts_with("crates/")) && !chapter
}

#[test]
fn no_tool_file_is_over_600_lines() {
    let Some(files) = tracked() else { return };
    let root = workspace_root();
    let long: Vec<String> = files
        .iter()
        .filter(|f| is_tool_source(f))
        .filter_map(|f| {
            let lines = std::fs::read_to_string(root.join(f)).ok()?.lines().count();
            (lines > MOST_LINES).then(|| format!("{f}: {lines} lines"))
        })
        .collect();
    assert!(
        long.is_empty(),
        "over {MOST_LINES} lines, split each by what it does:\n  {}",
        long.join("\n  ")
    );
}

#[test]
fn the_line_rule_covers_the_tools_and_not_the_listings() {
    assert!(is_tool_source("crates/httpbin/src/routes.rs"));
    assert!(is_tool_source("crates/catalog/src/lib.rs"));
    assert!(is_tool_source("xtask/src/run/mod.rs"));
    assert!(is_tool_source("xtask/tests/run.rs"));
    assert!(!is_tool_source("crates/ch06-tls/test-tls/src/lib.rs"));
    assert!(!is_tool_source("crates/httpbin/Cargo.toml"));
    assert!(!is_tool_source("tests/conformance.rs"));
}

/// The relative link targets of a Markdown text: `[text](path)` and `[text](path#anchor)`,
/// without the anchor; web addresses and anchors within the page are left out.
fn relative_links(text: &str) -> Vec<&str> {
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = rest[..end].split('#').next().unwrap_or_default();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            links.push(target);
        }
        rest = &rest[end..];
    }
    links
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let Some(files) = tracked() else { return };
    let root = workspace_root();
    let mut broken = Vec::new();
    for doc in files.iter().filter(|f| f.ends_with(".md")) {
        let text = std::fs::read_to_string(root.join(doc)).unwrap_or_default();
        let dir = root
            .join(doc)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        for link in relative_links(&text) {
            if !dir.join(link).exists() {
                broken.push(format!("{doc}: {link}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to nothing:\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn links_are_found_and_web_addresses_left_out() {
    let text = "see [a](crates/a.rs) and [b](../b.md#part), [c](https://x.org/) [d](#here)";
    assert_eq!(relative_links(text), ["crates/a.rs", "../b.md"]);
}

/// Whether a command line names a placeholder (`ID`, `[--flag]`, `{port}`, `...`): a
/// synopsis, not a command to type.
fn has_placeholder(line: &str) -> bool {
    line.contains(['[', '|', '{'])
        || line.contains("...")
        || line
            .split([' ', '/', '.', ','])
            .any(|word| word.len() > 1 && word.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
}

/// The `cargo xtask` command lines a document shows, each with whether it is whole: a
/// `$ cargo xtask ...` line is a command to type; a code span `` `cargo xtask ...` `` in
/// prose may name a task or a flag alone (`cargo xtask conform --server`). Synopses are
/// left out.
fn xtask_lines(text: &str) -> Vec<(String, bool)> {
    let mut lines: Vec<(String, bool)> = text
        .lines()
        .filter_map(|l| l.strip_prefix("$ cargo xtask "))
        .map(|l| (l.to_string(), true))
        .collect();
    for span in text.split('`').skip(1).step_by(2) {
        if let Some(line) = span.strip_prefix("cargo xtask ") {
            lines.push((line.to_string(), false));
        }
    }
    lines.retain(|(line, _)| !has_placeholder(line));
    lines
}

/// Every command line the READMEs show a reader parses as `cargo xtask` takes it: a flag
/// renamed or a task removed fails here, not in a reader's terminal. A reference in prose
/// may leave out what a command needs (`cargo xtask run`), but may not name what does not
/// exist.
#[test]
fn every_xtask_command_in_the_docs_parses() {
    use clap::Parser;
    use clap::error::ErrorKind;
    let Some(files) = tracked() else { return };
    let root = workspace_root();
    let mut wrong = Vec::new();
    let mut seen = 0;
    for doc in files.iter().filter(|f| f.ends_with(".md")) {
        let text = std::fs::read_to_string(root.join(doc)).unwrap_or_default();
        for (line, whole) in xtask_lines(&text) {
            seen += 1;
            let Some(words) = shlex::split(&format!("xtask {line}")) else {
                wrong.push(format!("{doc}: `cargo xtask {line}`: unbalanced quotes"));
                continue;
            };
            let Err(error) = crate::Args::try_parse_from(&words) else {
                continue;
            };
            let partial = matches!(
                error.kind(),
                ErrorKind::MissingRequiredArgument
                    | ErrorKind::InvalidValue
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) && error.to_string().contains("required");
            if whole || !partial {
                let text = error.to_string();
                let first = text.lines().next().unwrap_or_default();
                wrong.push(format!("{doc}: `cargo xtask {line}`: {first}"));
            }
        }
    }
    assert!(seen > 20, "only {seen} command lines found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_synopsis_is_not_a_command() {
    let text = "$ cargo xtask run 3-1\n`cargo xtask conform FAMILY [--json FILE]` and \
                `cargo xtask run --trace t.svg 3-2`";
    assert_eq!(
        xtask_lines(text),
        [
            ("run 3-1".to_string(), true),
            ("run --trace t.svg 3-2".to_string(), false)
        ]
    );
}
