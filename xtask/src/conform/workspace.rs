//! The workspace's own implementations of a family, from the catalog, as commands.

use std::path::Path;

use catalog::{Listing, Runs};
use conformance::external::{Launch, Template};
use conformance::runner::{Output, ServerSpec};
use conformance::table::Table;

use super::{ClientUnderTest, ServerUnderTest};
use crate::build::{Profile, build};

/// How a table's servers are started: Chapter 2's are ready once bound.
pub fn launch(table: &Table) -> Launch {
    Launch {
        transport: table.transport,
        ..Launch::default()
    }
}

/// The family's servers and clients in the workspace, built, as commands; the inetd pair
/// only where a super-server is installed.
pub fn workspace(
    table: &Table,
    scratch: &Path,
) -> Result<(Vec<ServerUnderTest>, Vec<ClientUnderTest>), String> {
    let listings: Vec<&Listing> = table
        .family
        .members()
        .filter(|l| !matches!(l.runs, Runs::SuperServer { .. }) || testkit::inetd::installed())
        .collect();
    let packages: Vec<&str> = listings.iter().map(|l| l.krate).collect();
    let dir = build(&packages, Profile::Debug)?;
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for l in listings {
        let Some(bin) = l.bin() else { continue };
        let exe = format!("'{}'", dir.join(bin).display());
        // Chapters 3 and 5's programs are client and server both; Chapter 7's are one or
        // the other.
        let both = matches!(l.runs, Runs::ServerAndClient { .. } | Runs::OneConnection);
        if both || l.concurrency.is_none() {
            let command = table.client_command.replace("{exe}", &exe);
            clients.push((bin.to_string(), Template::parse(&command)?, Output::of(l)));
        }
        // Not a server (the Zen client), or none of this table's; its skips are the
        // catalog's.
        let Some(spec) = ServerSpec::of(l) else {
            continue;
        };
        let mut launch = launch(table);
        let command = match (l.runs, l.commands) {
            // The inetd pair under the super-server, logging to files: in_zen1 with a
            // process per connection (-a), in_zen2 as one process that stays.
            (Runs::SuperServer { accept }, _) => {
                let file = scratch.join(format!("{bin}.log"));
                let command = format!(
                    "{} --inetd{} -l {{host}}:{{port}} {exe} --log '{}'{}",
                    testkit::inetd::SUPER_SERVER,
                    if accept { " -a" } else { "" },
                    file.display(),
                    if accept { "" } else { " --idle 600" },
                );
                launch.log_file = Some(file);
                command
            }
            // The row's own command line, in the external driver's words; conform's host
            // is always 127.0.0.1, where a session names the book's localhost.
            (_, Some(commands)) => commands
                .server
                .replace("{bin}", &exe)
                .replace("{-p}", "-p {port}")
                .replace("{server_args}", "")
                .replace(" localhost ", " {host} "),
            (_, None) => continue,
        };
        servers.push(ServerUnderTest {
            name: bin.to_string(),
            template: Template::parse(&command)?,
            launch,
            spec,
        });
    }
    Ok((servers, clients))
}
