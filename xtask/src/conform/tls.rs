//! `cargo xtask conform tls`: Chapter 6's table, whose other side is the `tls_peer`
//! program and whose certificates `tls_certs` makes for each run (xtask links no TLS).

use catalog::LogStyle;
use conformance::external::Template;
use conformance::runner;
use conformance::tls::{self, Kind, ProcessPeer};

use super::{CLIENT_LIMIT, Implementation, picked, report_case};
use crate::build::{Profile, build};

/// Which of the book's two programs `--kind` names.
pub fn kind(name: &str) -> Result<Kind, String> {
    match name {
        "safe" => Ok(Kind::Safe),
        "report" => Ok(Kind::Report),
        other => Err(format!(
            "--kind is safe (safe_tls) or report (test_tls), not {other:?}"
        )),
    }
}

/// The table against `--server`, `--client`, or (neither) every TLS listing.
pub fn run(
    table: &'static conformance::table::Table,
    server: Option<&str>,
    client: Option<&str>,
    kind: Kind,
    only: &[String],
) -> Result<Vec<Implementation>, String> {
    let (maker, _) = catalog::CERTIFICATE_MAKER;
    let listings: Vec<_> = if server.is_none() && client.is_none() {
        table.family.members().collect()
    } else {
        Vec::new()
    };
    let mut packages = vec![maker];
    packages.extend(listings.iter().map(|l| l.krate));
    let dir = build(&packages, Profile::Debug)?;
    let peer = ProcessPeer { dir: dir.clone() };
    let mut implementations = Vec::new();
    let mut under_test = Vec::new();
    match (server, client) {
        (Some(command), _) => under_test.push((
            "under test".to_string(),
            kind,
            Some(command.to_string()),
            None,
        )),
        (None, Some(command)) => under_test.push((
            "under test".to_string(),
            kind,
            None,
            Some(command.to_string()),
        )),
        (None, None) => {
            for l in listings {
                let Some(bin) = l.bin() else { continue };
                let exe = dir.join(bin).display().to_string();
                let kind = if l.log == Some(LogStyle::TlsReport) {
                    Kind::Report
                } else {
                    Kind::Safe
                };
                under_test.push((bin.to_string(), kind, Some(tls::server_command(&exe)), None));
                under_test.push((bin.to_string(), kind, None, Some(tls::client_command(&exe))));
            }
        }
    }
    let pick = |id: &str| picked(only, id);
    for (name, kind, server, client) in under_test {
        if let Some(command) = server {
            let template = Template::parse(&command)?;
            let results = runner::tls_server_cases(&template, kind, &peer, &pick);
            implementations.push(implementation(name.clone(), "server", &template, results));
        }
        if let Some(command) = client {
            let template = Template::parse(&command)?;
            let run = |port: u16, more: &[(&str, String)]| {
                tls::run_client(&template, port, more, CLIENT_LIMIT)
            };
            let results = runner::tls_client_cases(&run, kind, &peer, &pick);
            implementations.push(implementation(name, "client", &template, results));
        }
    }
    Ok(implementations)
}

fn implementation(
    name: String,
    role: &'static str,
    template: &Template,
    results: Vec<(&'static str, conformance::Verdict)>,
) -> Implementation {
    Implementation {
        name,
        role,
        command: template.text().to_string(),
        cases: results
            .into_iter()
            .map(|(id, v)| report_case(id, v, None))
            .collect(),
        peak_bytes: None,
    }
}
