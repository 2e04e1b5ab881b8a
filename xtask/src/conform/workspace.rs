//! The workspace's own implementations of a family, from the catalog, as commands.

use super::*;

/// The workspace's own implementations of a family, from the catalog, as commands.
pub(super) fn workspace(
    family: Family,
    scratch: &Path,
) -> Result<(Vec<ServerUnderTest>, Vec<ClientUnderTest>), String> {
    let listings: Vec<&Listing> = family
        .catalog()
        .members()
        .filter(|l| !matches!(l.runs, Runs::SuperServer { .. }) || testkit::inetd::installed())
        .collect();
    let packages: Vec<&str> = listings.iter().map(|l| l.krate).collect();
    let dir = build(&packages, Profile::Debug)?;
    let quoted = |name: &str| format!("'{}'", dir.join(name).display());
    // A variant's output names its chunk size: the servers' reads and the clients' writes.
    const CHUNK: usize = 256 * 1024;
    let mut servers = Vec::new();
    let mut clients = Vec::new();
    for l in listings {
        let Some(bin) = l.bin() else { continue };
        let exe = quoted(bin);
        let (log, output) = match l.log {
            LogStyle::Sixteen => (LogCheck::Sixteen, Output::Book),
            LogStyle::Deadlock => (LogCheck::Uppercase(uppercase::LogStyle::Book), Output::Book),
            LogStyle::Variant => (
                LogCheck::Uppercase(uppercase::LogStyle::Variant(CHUNK)),
                Output::Variant(CHUNK),
            ),
            style => (LogCheck::Zen(style), Output::Book),
        };
        // Chapter 3's programs are client and server both; Chapter 7's are one or the other.
        if matches!(l.runs, Runs::ServerAndClient { .. })
            || l.concurrency == Concurrency::NotAServer
        {
            let command = match family {
                Family::Sixteen => format!("{exe} client {{host}} -p {{port}}"),
                Family::Uppercase => format!("{exe} client {{host}} {{bytecount}} -p {{port}}"),
                Family::Zen => format!("{exe} {{host}} {{args}} -p {{port}}"),
            };
            clients.push((bin.to_string(), Template::parse(&command)?, output));
        }
        if l.concurrency == Concurrency::NotAServer {
            continue;
        }
        let mut log_file = None;
        let command = match l.runs {
            Runs::ServerAndClient { .. } => format!("{exe} server {{host}} -p {{port}}"),
            // The inetd pair under the super-server, logging to files: in_zen1 with a
            // process per connection (-a), in_zen2 as one process that stays.
            Runs::SuperServer { accept } => {
                let file = scratch.join(format!("{bin}.log"));
                let command = format!(
                    "{} --inetd{} -l {{host}}:{{port}} {exe} --log '{}'{}",
                    testkit::inetd::SUPER_SERVER,
                    if accept { " -a" } else { "" },
                    file.display(),
                    if accept { "" } else { " --idle 600" },
                );
                log_file = Some(file);
                command
            }
            _ => format!("{exe} {{host}} -p {{port}}"),
        };
        let skips: &'static [conformance::Skip] = match (family, l.concurrency) {
            (Family::Uppercase, Concurrency::One) => &[(
                "hundred-clients",
                "serves one client at a time, as the book's listen(1) server does",
            )],
            _ => &[],
        };
        servers.push(ServerUnderTest {
            name: bin.to_string(),
            template: Template::parse(&command)?,
            log,
            log_file,
            concurrency: l.concurrency,
            splits_questions: l.splits_questions,
            skips,
        });
    }
    Ok((servers, clients))
}
