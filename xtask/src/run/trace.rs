//! `cargo xtask run --trace FILE.svg`: the four socket queues of a Chapter 3 session,
//! sampled from the kernel's table as often as it can be read (at most every
//! millisecond) and drawn against time by the chart
//! tool of the `loadgen` package (xtask itself links no plotting).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::kernel;

use crate::build::{Profile, build_announced};

/// One reading of the four queues, in bytes, at `t` seconds into the session.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    t: f64,
    client_send: u64,
    server_receive: u64,
    server_send: u64,
    client_receive: u64,
}

/// Samples a connection's queues on a thread until stopped (or the connection is gone).
pub struct Tracer {
    stop: Arc<AtomicBool>,
    thread: thread::JoinHandle<Vec<Sample>>,
}

impl Tracer {
    /// Starts sampling the connection that the server on `server_port` accepts: started
    /// before the client, so that a session of a fraction of a second is sampled from its
    /// first moment. (It looked for the client's socket among the client's descriptors
    /// once the client ran; under load that first look could outlast a short session, and
    /// the trace had no sample.)
    pub fn start(server_port: u16) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            let mut client_port = None;
            let mut ticks = 0;
            while !done.load(Ordering::Relaxed) {
                if client_port.is_none() {
                    client_port = kernel::peers_of(server_port).first().copied();
                }
                if let Some(port) = client_port {
                    // Not (or no longer) in the table: the session is starting or over.
                    if let Some(c) = kernel::connection(port, server_port) {
                        samples.push(Sample {
                            t: started.elapsed().as_secs_f64(),
                            client_send: c.client.send,
                            server_receive: c.server.receive,
                            server_send: c.server.send,
                            client_receive: c.client.receive,
                        });
                    }
                }
                // Reading the kernel's table takes a few milliseconds itself on some
                // machines: sleep only what is left of the millisecond.
                ticks += 1;
                let next = started + Duration::from_millis(1) * ticks;
                thread::sleep(next.saturating_duration_since(Instant::now()));
            }
            samples
        });
        Self { stop, thread }
    }

    /// Stops sampling; returns the samples.
    pub fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or_default()
    }
}

/// Writes the samples as JSON beside `svg` (same name, `.json`) and has the chart tool
/// draw them into `svg`; shows its compact chart on the terminal.
pub fn draw(samples: &[Sample], svg: &Path, bin: &str) -> Result<(), String> {
    if samples.is_empty() {
        return Err(format!(
            "--trace took no sample of the connection, so {} is not written: the session \
             ended before the kernel's table showed it (a larger bytecount runs longer)",
            svg.display()
        ));
    }
    let data = svg.with_extension("json");
    let value = json!({
        "title": format!("{bin}: the four socket queues"),
        "samples": samples.iter().map(|s| json!({
            "t": s.t,
            "client_send": s.client_send,
            "server_receive": s.server_receive,
            "server_send": s.server_send,
            "client_receive": s.client_receive,
        })).collect::<Vec<_>>(),
    });
    crate::report::write_json(&data, &value)?;
    let dir = build_announced(&["loadgen"], Profile::Debug)?;
    let output = Command::new(dir.join("loadgen"))
        .arg("chart-trace")
        .arg(&data)
        .arg(svg)
        .output()
        .map_err(|e| format!("cannot run the chart tool: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the chart tool failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    outln!();
    out!("{}", String::from_utf8_lossy(&output.stdout));
    outln!(
        "# {} samples; the queues drawn in {} (the samples in {})",
        samples.len(),
        svg.display(),
        data.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No sample: nothing is drawn, and the error says why in one line.
    #[test]
    fn a_trace_with_no_sample_says_why_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let svg = dir.path().join("t.svg");
        let error = draw(&[], &svg, "tcp_deadlock").unwrap_err();
        assert!(error.starts_with("--trace took no sample"), "{error}");
        assert_eq!(error.lines().count(), 1);
        assert!(!svg.exists() && !svg.with_extension("json").exists());
    }
}
