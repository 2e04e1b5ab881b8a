//! Building the workspace's binaries with cargo, as a reader would, and finding them.

use std::path::PathBuf;
use std::process::Stdio;

/// Which cargo profile to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// `cargo build`: what `cargo xtask run` and the tests use.
    Debug,
    /// `cargo build --release`: what the benchmarks measure.
    Release,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Self::Debug => "debug",
            Self::Release => "release",
        }
    }
}

/// `cargo build` of these packages' binaries, quietly (the small debug builds of `cargo
/// xtask run`, whose transcripts would carry cargo's lines); returns the directory that
/// holds them.
pub fn build(packages: &[&str], profile: Profile) -> Result<PathBuf, String> {
    cargo_build(packages, profile, true)
}

/// [`build`] for the tasks that may build for a minute or more the first time (the
/// benches, the deadlock probe, the trace's chart tool): one line says so first, and
/// cargo's own progress shows on stderr.
pub fn build_announced(packages: &[&str], profile: Profile) -> Result<PathBuf, String> {
    outln!(
        "# building the {} binaries of {} (the first run compiles them; cargo's progress \
         follows)",
        profile.name(),
        packages.join(", ")
    );
    crate::out::flush();
    cargo_build(packages, profile, false)
}

fn cargo_build(packages: &[&str], profile: Profile, quiet: bool) -> Result<PathBuf, String> {
    let mut command = testkit::cargo();
    command.arg("build").arg("--bins");
    if quiet {
        command.arg("--quiet");
    }
    if profile == Profile::Release {
        command.arg("--release");
    }
    for package in packages {
        command.args(["--package", package]);
    }
    let status = command
        .current_dir(workspace_root())
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("cannot run cargo build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build of {} failed", packages.join(", ")));
    }
    Ok(target_dir().join(profile.name()))
}

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

/// Where cargo puts what it builds: `CARGO_TARGET_DIR` where it is set; else the target
/// directory xtask itself was built in (`TARGET/debug/xtask`, which cargo marks with a
/// `CACHEDIR.TAG`), so that a `build.target-dir` in cargo's configuration is followed
/// too; else `target/` at the root.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return workspace_root().join(dir);
    }
    let built_in = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.to_path_buf()))
        .filter(|dir| dir.join("CACHEDIR.TAG").is_file());
    built_in.unwrap_or_else(|| workspace_root().join("target"))
}
