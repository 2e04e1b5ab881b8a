//! The one runner: it takes a family's table (from [`crate::registry`]) and drives its
//! cases against an implementation, reached in-process (a server thread, a client
//! function) or as an external command ([`crate::external`]). The adapters in `tests/` and `cargo xtask conform` both call
//! [`server_cases`] and [`client_cases`]; they differ only in how they reach the
//! implementation.

use catalog::Family;
use testkit::{STEP, Transcript, within};

use crate::external::Template;
pub use crate::table::{CASE_LIMIT, Outcome, Output, Running, ServerSpec, VARIANT_CHUNK};
use crate::{ClientRun, RunClient, Verdict, registry, tls};

/// The server cases of a family, in order (none for a family with no table).
pub fn server_case_ids(family: Family) -> Vec<&'static str> {
    registry::table(family).map_or_else(Vec::new, |t| (t.server_case_ids)())
}

/// Runs the family's server cases (or only `only`) against a running server; stops early
/// if a case kills it and it cannot be started again.
pub fn server_cases(
    spec: &ServerSpec,
    server: &mut dyn Running,
    only: Option<&str>,
) -> Vec<Outcome> {
    server_cases_where(spec, server, |id| only.is_none_or(|only| only == id))
}

/// [`server_cases`] for the cases that `pick` picks.
pub fn server_cases_where(
    spec: &ServerSpec,
    server: &mut dyn Running,
    pick: impl Fn(&str) -> bool,
) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let Some(table) = registry::table(spec.family) else {
        return outcomes;
    };
    // Connections so far whose closes the log must show (3-1, 3-2).
    let mut served = 0;
    for id in (table.server_case_ids)() {
        if !pick(id) {
            continue;
        }
        if let Some(why) = crate::skip_reason(spec.skips, id) {
            let verdict = Verdict::Skipped(why.into());
            outcomes.push(Outcome {
                id,
                verdict,
                note: None,
            });
            continue;
        }
        let verdict = (table.server_case)(spec, server, id, &mut served);
        if table.fresh_server_per_case {
            // Each case had a server of its own; end_case started the next one.
            outcomes.push(Outcome {
                id,
                verdict,
                note: None,
            });
            continue;
        }
        let failed = matches!(verdict, Verdict::Fail(_));
        let (note, dead) = match server.after_case(failed) {
            Ok(note) => (note, false),
            Err(error) => (
                Some(format!(
                    "the server died and could not be restarted: {error}"
                )),
                true,
            ),
        };
        outcomes.push(Outcome { id, verdict, note });
        if dead {
            break;
        }
    }
    outcomes
}

/// Runs the family's client cases that `pick` picks with `run`, which runs the client
/// under test against a port.
pub fn client_cases(
    family: Family,
    output: Output,
    run: RunClient<'_>,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    registry::table(family).map_or_else(Vec::new, |t| (t.client_cases)(output, run, pick))
}

/// Runs the TLS table's server cases (or those `pick` picks) against `template`, whose
/// `{cafile}` and `{certfile}` are the run's certificates: a fresh server for each case,
/// and the peer as its client.
pub fn tls_server_cases(
    template: &Template,
    kind: tls::Kind,
    peer: &dyn tls::Peer,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    tls_table(tls::SERVER_CASES, kind, peer, pick, |certs, id| {
        tls::server_case(template, kind, peer, certs, id)
    })
}

/// Runs the TLS table's client cases (or those `pick` picks) with `run`, the peer serving
/// each.
pub fn tls_client_cases(
    run: tls::RunTlsClient<'_>,
    kind: tls::Kind,
    peer: &dyn tls::Peer,
    pick: &dyn Fn(&str) -> bool,
) -> Vec<(&'static str, Verdict)> {
    tls_table(tls::CLIENT_CASES, kind, peer, pick, |certs, id| {
        tls::client_case(run, kind, peer, certs, id)
    })
}

/// The run's certificates, then each picked case on a thread of its own (each has its
/// own server, on its own port), reported in the table's order.
fn tls_table(
    cases: &'static [tls::Case],
    kind: tls::Kind,
    peer: &dyn tls::Peer,
    pick: &dyn Fn(&str) -> bool,
    judge: impl Fn(&tls::Certs, &str) -> Result<(), String> + Sync,
) -> Vec<(&'static str, Verdict)> {
    let certs = match tls::Certs::make(peer) {
        Ok(certs) => certs,
        Err(error) => {
            let verdict = Verdict::Fail(format!("no certificates: {error}"));
            return cases.iter().map(|c| (c.id, verdict.clone())).collect();
        }
    };
    let judge = |case: &tls::Case| {
        tls::skip(case, kind).unwrap_or_else(|| Verdict::of(judge(&certs, case.id)))
    };
    std::thread::scope(|scope| {
        let running: Vec<_> = cases
            .iter()
            .filter(|c| pick(c.id))
            .map(|case| (case.id, scope.spawn(|| judge(case))))
            .collect();
        running
            .into_iter()
            .map(|(id, thread)| {
                let verdict = thread
                    .join()
                    .unwrap_or_else(|_| Verdict::Fail("the case panicked".into()));
                (id, verdict)
            })
            .collect()
    })
}

/// Runs an in-process client to its end (at most [`STEP`]), printing into a transcript:
/// how an adapter hands a client function to [`client_cases`].
pub fn in_process<E: std::fmt::Display>(
    client: impl FnOnce(&mut Transcript) -> Result<(), E> + Send + 'static,
) -> ClientRun {
    let (result, out) = within(STEP, move || {
        let mut out = Transcript::default();
        let result = client(&mut out).map_err(|e| e.to_string());
        (result, out)
    });
    ClientRun {
        success: result.is_ok(),
        stdout: out.text(),
        stderr: result.err().unwrap_or_default(),
        ..ClientRun::default()
    }
}

/// Panics with every failed case, for a test; prints passes and skips and the notes.
pub fn assert_passed(who: &str, outcomes: &[Outcome]) {
    for o in outcomes.iter().filter(|o| o.note.is_some()) {
        eprintln!(
            "note: {who} / {}: {}",
            o.id,
            o.note.as_deref().unwrap_or_default()
        );
    }
    let results: Vec<_> = outcomes.iter().map(|o| (o.id, o.verdict.clone())).collect();
    crate::assert_all_pass(who, &results);
}
