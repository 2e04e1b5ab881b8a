//! `cargo xtask conform dns`: a table whose cases check clients against a stand-in, a
//! tool's process (`dns_standin`; xtask links no DNS). The stand-in starts first, on a
//! port the system chooses; each case then runs the client command with `{nameserver}`
//! (`127.0.0.1:PORT`), `{name}` and `{type}` filled in.

use std::time::Duration;

use catalog::Transport;
use conformance::external::{Template, run_command};
use conformance::runner::Output;
use conformance::table::Table;

use super::{CLIENT_LIMIT, Implementation, picked, report_case};
use crate::build::{Profile, build};

/// How long the stand-in may take to bind its port.
const READY: Duration = Duration::from_secs(10);

/// The table's client cases against `--client`, or (without it) the family's members.
pub fn run(
    table: &'static Table,
    stand_in: &'static catalog::StandIn,
    client: Option<&str>,
    only: &[String],
) -> Result<Vec<Implementation>, String> {
    let members: Vec<_> = match client {
        Some(_) => Vec::new(),
        None => table.family.members().collect(),
    };
    let mut packages = vec![stand_in.package];
    packages.extend(members.iter().map(|l| l.krate));
    let dir = build(&packages, Profile::Debug)?;
    // The stand-in's own template, as cargo xtask run starts it, on a port the system
    // chooses.
    let line = crate::run::Templated {
        template: stand_in.command,
        dir: &dir,
        bin: stand_in.bin,
        client: "",
        server_args: &[],
        args: &[],
    };
    let command = line.command(0);
    let mut server = testkit::Spawn::new(command)
        .start()
        .map_err(|e| format!("cannot start {}: {e}", stand_in.bin))?;
    let port = server.bound_port(READY, stand_in.transport == Transport::Udp)?;
    let nameserver = format!("127.0.0.1:{port}");
    let mut under_test: Vec<(String, String)> = Vec::new();
    match client {
        Some(command) => under_test.push(("under test".into(), command.to_string())),
        None => {
            for l in members {
                let Some(bin) = l.bin() else { continue };
                let exe = format!("'{}'", dir.join(bin).display());
                under_test.push((bin.to_string(), table.client_command.replace("{exe}", &exe)));
            }
        }
    }
    let mut implementations = Vec::new();
    for (name, text) in under_test {
        let template = Template::parse(&text)?;
        let run = |_port: u16, _bytecount: u64, args: &[&str]| {
            let more = [
                ("nameserver", nameserver.clone()),
                (
                    "name",
                    args.first().copied().unwrap_or_default().to_string(),
                ),
                ("type", args.get(1).copied().unwrap_or_default().to_string()),
            ];
            run_command(
                template.command_with(port, 0, &[], &more),
                &template,
                CLIENT_LIMIT,
            )
        };
        let cases = (table.client_cases)(Output::Book, &run, &|id| picked(only, id));
        implementations.push(Implementation {
            name,
            role: "client",
            command: template.text().to_string(),
            cases: cases
                .into_iter()
                .map(|(id, verdict)| report_case(id, verdict, None))
                .collect(),
        });
    }
    server.kill();
    Ok(implementations)
}
