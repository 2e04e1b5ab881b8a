//! The load generator as the bench runs it: a process (`loadgen zen-load`, `loadgen
//! zen-open`) that prints its figures as JSON.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use testkit::Process;

/// The load generator's errors, as both its loads print them: the reading side of
/// loadgen's `zen::Errors`, which xtask does not link (it would bring tokio into `cargo
/// xtask`), so the JSON between the two processes is their one contract.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct LoadErrors {
    pub wrong_answer: u64,
    pub reset: u64,
    pub refused: u64,
    pub timeout: u64,
    pub unfinished: u64,
    pub other: u64,
}

/// What an open loop prints (`loadgen zen-open`, `loadgen http-open`), as far as the
/// benches read it.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct OpenLoad {
    pub scheduled: u64,
    pub completed: u64,
    pub achieved_per_s: f64,
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_p999_ms: f64,
    pub latency_max_ms: f64,
    /// Connections opened during the run (http-open's; none for zen-open).
    #[serde(default)]
    pub reconnects: u64,
    pub errors: LoadErrors,
}

/// Runs the load generator built in `dir` to its end, and reads the JSON it prints.
pub(crate) fn load<T: serde::de::DeserializeOwned>(dir: &Path, args: &[&str]) -> Result<T, String> {
    let mut command = Command::new(dir.join("loadgen"));
    command.args(args);
    let (status, stdout, stderr) = Process::spawn(command)
        .map_err(|e| e.to_string())?
        .finish(Duration::from_secs(120))?;
    if !status.success() {
        return Err(format!("the load generator failed: {}", stderr.trim()));
    }
    serde_json::from_str(stdout.trim()).map_err(|e| e.to_string())
}
