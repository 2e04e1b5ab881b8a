//! What the tasks' reports share: the files they are written to (checked as the flag is
//! parsed), JSON written with serde, numbers JSON can hold, sizes in words, numbers in
//! table cells, and goal lines with their verdicts.

use std::path::Path;

use serde::Serialize;

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

/// An output file's path, as a flag takes it: its directory must exist, so that a long
/// run does not end unable to write what it measured.
pub fn output_file(text: &str) -> Result<std::path::PathBuf, String> {
    let path = std::path::PathBuf::from(text);
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            Err(format!("no directory {}", dir.display()))
        }
        _ => Ok(path),
    }
}

/// Writes `value` as pretty JSON to `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A bench's end: its table on stdout and its JSON in `json` (if asked), or its error in
/// one line as `cargo xtask TASK: ...`; the exit status says which.
pub fn finish<R: Serialize>(
    task: &str,
    result: Result<R, String>,
    json: Option<&Path>,
    render: impl Fn(&R) -> String,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let saved = result.and_then(|report| {
        out!("{}", render(&report));
        json.map_or(Ok(()), |path| write_json(path, &report))
    });
    match saved {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            errln!("cargo xtask {task}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// A finite number, or nothing (JSON has no NaN or infinity).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// A number with `decimals` places, or `-` where there is none.
pub fn decimals(x: Option<f64>, decimals: usize) -> String {
    x.map_or_else(|| "-".into(), |x| format!("{x:.decimals$}"))
}

/// A byte count as a reader says it: `4 KiB`, `1 GiB`, `1000 bytes`.
pub fn size(bytes: u64) -> String {
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b % 1024 == 0 => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// A goal line and its verdict: `met`, `missed`, or `indicative` (a --quick run decides
/// nothing).
#[derive(Clone, Debug, Serialize)]
pub struct Goal {
    pub goal: String,
    pub verdict: &'static str,
}

/// A run's goal lines: each met or missed, or every one indicative for a --quick run.
pub struct Goals {
    quick: bool,
    pub list: Vec<Goal>,
}

impl Goals {
    pub fn new(quick: bool) -> Self {
        Self {
            quick,
            list: Vec::new(),
        }
    }

    pub fn add(&mut self, met: bool, goal: String) {
        let verdict = match (self.quick, met) {
            (true, _) => "indicative",
            (false, true) => "met",
            (false, false) => "missed",
        };
        self.list.push(Goal { goal, verdict });
    }
}

/// The goals' part of a table: `goals`, why a --quick run's are indicative, and a line each.
pub fn goal_lines(goals: &[Goal], quick: Option<&str>) -> String {
    let why = quick.map_or(String::new(), |why| format!(" (indicative: {why})"));
    let lines: String = goals
        .iter()
        .map(|g| format!("  {}: {}\n", g.verdict, g.goal))
        .collect();
    format!("\ngoals{why}\n{lines}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_are_met_or_missed_and_all_indicative_when_quick() {
        let mut goals = Goals::new(false);
        goals.add(true, "a".into());
        goals.add(false, "b".into());
        assert_eq!(
            goal_lines(&goals.list, None),
            "\ngoals\n  met: a\n  missed: b\n"
        );
        let mut quick = Goals::new(true);
        quick.add(false, "c".into());
        let text = goal_lines(&quick.list, Some("one round"));
        assert_eq!(text, "\ngoals (indicative: one round)\n  indicative: c\n");
    }
}
