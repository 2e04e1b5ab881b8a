//! `cargo xtask run --trace FILE.svg`: the four socket queues of a Chapter 3 session,
//! sampled every millisecond from the kernel's table and drawn against time by the chart
//! tool of the `loadgen` package (xtask itself links no plotting).

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;
use testkit::kernel;

use crate::build::{Profile, build};

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
    /// Starts sampling the connection of client process `client_pid` to `server_port`.
    pub fn start(client_pid: u32, server_port: u16) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            let started = Instant::now();
            let mut samples = Vec::new();
            let mut client_port = None;
            while !done.load(Ordering::Relaxed) {
                if client_port.is_none() {
                    client_port = kernel::connected_ports(client_pid, server_port)
                        .first()
                        .copied();
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
                let next = started + Duration::from_millis(1) * (samples.len() as u32 + 1);
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
    let dir = build(&["loadgen"], Profile::Debug)?;
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
