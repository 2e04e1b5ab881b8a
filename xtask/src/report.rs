//! What the tasks' reports share: JSON written with serde, numbers JSON can hold, sizes
//! in words, numbers in table cells, and the verdict of a goal line.

use std::path::Path;

use serde::Serialize;

pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;

/// Writes `value` as pretty JSON to `path`.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<(), String> {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
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

/// A goal line: met or missed, or indicative for a --quick run.
pub fn verdict(met: bool, quick: bool) -> &'static str {
    match (quick, met) {
        (true, _) => "indicative",
        (false, true) => "met",
        (false, false) => "missed",
    }
}
