//! Chapter 7's load in an open loop (`loadgen zen-open`), as wrk2 and oha's latency
//! correction measure: conversations (connect, the three questions, close) start at a
//! fixed rate whatever the server does, and each one's latency counts from when it was
//! scheduled to start, not from when it did. A closed loop hides queueing (a slow server
//! slows its own clients, and they ask less: "coordinated omission"); here a server that
//! falls behind sees the queue grow, and the latencies show it.
//!
//! A cap bounds the conversations in flight. A conversation that must wait for a free
//! place is still timed from its schedule, so the wait is in its latency.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use conformance::zen::APHORISMS;
use serde::Serialize;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

use hdrhistogram::Histogram;

use crate::zen::{Errors, ask, bounded, histogram, load_runtime};

/// One open-loop run's figures.
#[derive(Clone, Debug, Serialize)]
pub struct OpenReport {
    /// The offered rate, in conversations per second.
    pub rate: f64,
    pub seconds: f64,
    pub max_in_flight: usize,
    /// Conversations scheduled within the run, and those that had started by its end.
    pub scheduled: u64,
    pub started: u64,
    /// Conversations that ended with their three right answers.
    pub completed: u64,
    /// Completed conversations per second of the run.
    pub achieved_per_s: f64,
    /// Latency of a whole conversation from its scheduled start, in milliseconds.
    pub latency_p50_ms: f64,
    pub latency_p99_ms: f64,
    pub latency_p999_ms: f64,
    pub latency_max_ms: f64,
    pub errors: Errors,
}

/// One conversation, timed from `scheduled`: `Ok` its latency.
async fn conversation(
    address: SocketAddr,
    round: usize,
    scheduled: Instant,
    hard: Instant,
    timeout: Duration,
) -> Result<Duration, Errors> {
    let mut sock = bounded(hard, timeout, TcpStream::connect(address)).await?;
    let _ = sock.set_nodelay(true);
    let mut buf = Vec::with_capacity(64);
    for i in 0..3 {
        let (question, expected) = APHORISMS[(round + i) % 3];
        bounded(hard, timeout, ask(&mut sock, question, &mut buf)).await?;
        if buf != expected {
            return Err(Errors::wrong_answer());
        }
    }
    drop(sock); // close, as zen_client does
    Ok(scheduled.elapsed())
}

/// Offers `rate` conversations a second to the server at `port` for `seconds`, at most
/// `max_in_flight` at once; the conversations under way at the end have the answer
/// time-out to finish.
pub fn open(
    port: u16,
    rate: f64,
    seconds: f64,
    max_in_flight: usize,
    timeout: Duration,
) -> Result<OpenReport, String> {
    if !(rate > 0.0 && rate.is_finite()) {
        return Err(format!("the rate must be above 0, not {rate}"));
    }
    let runtime = load_runtime()?;
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    runtime.block_on(async move {
        let run = schedule(
            rate,
            seconds,
            max_in_flight,
            timeout,
            |i, at, hard| async move {
                (
                    conversation(address, i as usize, at, hard, timeout).await,
                    0,
                )
            },
        )
        .await?;
        Ok(OpenReport {
            rate,
            seconds,
            max_in_flight,
            scheduled: run.scheduled,
            started: run.started,
            completed: run.completed,
            achieved_per_s: run.completed as f64 / seconds,
            latency_p50_ms: run.ms(0.5),
            latency_p99_ms: run.ms(0.99),
            latency_p999_ms: run.ms(0.999),
            latency_max_ms: run.latency.max() as f64 / 1000.0,
            errors: run.errors,
        })
    })
}

/// What an open loop's tasks came to.
pub(crate) struct Run {
    /// Tasks scheduled within the run, and those that had started by its end.
    pub scheduled: u64,
    pub started: u64,
    /// Tasks that ended well, and their latencies from their schedules, in microseconds.
    pub completed: u64,
    pub latency: Histogram<u64>,
    pub errors: Errors,
    /// The sum of the tasks' own counts (the HTTP load's connections opened).
    pub counted: u64,
}

impl Run {
    /// The latency at quantile `q`, in milliseconds (0 if nothing completed).
    pub fn ms(&self, q: f64) -> f64 {
        if self.latency.is_empty() {
            0.0
        } else {
            self.latency.value_at_quantile(q) as f64 / 1000.0
        }
    }
}

/// The open loop itself: starts `task(i, scheduled, hard)` at `rate` a second for
/// `seconds`, at most `in_flight` at once, whatever the tasks' progress; a task that
/// must wait for a free place is still timed from its schedule, so the wait is in its
/// latency. `hard` is the run's end plus the answer time-out, by which every task must
/// have ended. Each task gives its latency (or its errors) and a count of its own.
pub(crate) async fn schedule<F, Fut>(
    rate: f64,
    seconds: f64,
    in_flight: usize,
    timeout: Duration,
    mut task: F,
) -> Result<Run, String>
where
    F: FnMut(u64, Instant, Instant) -> Fut,
    Fut: std::future::Future<Output = (Result<Duration, Errors>, u64)> + Send + 'static,
{
    let start = Instant::now() + Duration::from_millis(20);
    let deadline = start + Duration::from_secs_f64(seconds);
    let hard = deadline + timeout;
    let places = Arc::new(Semaphore::new(in_flight.max(1)));
    let scheduled = (rate * seconds).floor() as u64;
    let mut running = Vec::with_capacity(scheduled as usize);
    for i in 0..scheduled {
        let at = start + Duration::from_secs_f64(i as f64 / rate);
        tokio::time::sleep_until(at.into()).await;
        // A free place, waited for until the run's end: the wait is in the latency.
        let place =
            match tokio::time::timeout_at(deadline.into(), Arc::clone(&places).acquire_owned())
                .await
            {
                Ok(Ok(place)) => place,
                _ => break,
            };
        let one = task(i, at, hard);
        running.push(tokio::spawn(async move {
            let outcome = one.await;
            drop(place);
            outcome
        }));
    }
    let mut run = Run {
        scheduled,
        started: running.len() as u64,
        completed: 0,
        latency: histogram(),
        errors: Errors::default(),
        counted: 0,
    };
    for one in running {
        let (outcome, count) = one.await.map_err(|e| e.to_string())?;
        run.counted += count;
        match outcome {
            Ok(took) => {
                run.completed += 1;
                let _ = run.latency.record((took.as_micros() as u64).max(1));
            }
            Err(e) => run.errors.add(&e),
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Zen server for the tests, a thread per connection, that stops answering for
    /// `stall` once, `after` its start: everything asked meanwhile waits.
    fn stalling_server(after: Duration, stall: Duration) -> u16 {
        let begun = Instant::now();
        crate::zen::test_server(move |_, _| {
            let (from, to) = (begun + after, begun + after + stall);
            let now = Instant::now();
            if now >= from && now < to {
                std::thread::sleep(to - now);
            }
            true
        })
    }

    /// A server that stalls once for 200 ms: in the open loop, the conversations
    /// scheduled during the stall queue behind it, one in ten of the run, so the p99 holds
    /// most of the stall. A closed loop of two clients at about the same rate sees it in
    /// two questions out of hundreds, and its p99 stays small.
    #[test]
    fn a_stall_shows_in_the_open_loops_p99_and_not_in_a_closed_loops() {
        let (after, stall) = (Duration::from_millis(400), Duration::from_millis(200));
        // Both at once, each against a server of its own.
        let closed = std::thread::spawn(move || {
            let port = stalling_server(after, stall);
            crate::zen::load(port, 2, 1.2, Duration::from_secs(5)).unwrap()
        });
        let port = stalling_server(after, stall);
        let report = open(port, 500.0, 1.2, 500, Duration::from_secs(5)).unwrap();
        assert_eq!(report.completed, report.scheduled, "{report:?}");
        assert!(report.latency_p99_ms >= 100.0, "{report:?}");
        assert!(report.latency_p50_ms < 50.0, "{report:?}");
        let closed = closed.join().unwrap();
        assert!(closed.answers > 200, "{closed:?}");
        assert!(closed.latency_p99_ms < 100.0, "{closed:?}");
    }

    #[test]
    fn a_rate_of_zero_is_refused() {
        assert!(open(1, 0.0, 1.0, 1, Duration::from_secs(1)).is_err());
    }
}
