//! Checks every Chapter 5 binary passes, run as a reader runs it: the framing table
//! through the one runner (a fresh server per case), the hostile cases measured from
//! outside (memory that follows the bytes received, a refusal under a 1 GiB address-space
//! cap), and the command line. Each crate's tests call them through
//! [`framing_binary_tests!`].
//!
//! [`framing_binary_tests!`]: crate::framing_binary_tests

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::Command;

use testkit::{Process, STEP, kernel};

use crate::binaries::{name, run, usage_errors};
use crate::external::{ExternalServer, Template, run_client};
use crate::runner::{self, Output, ServerSpec};
use crate::{assert_all_pass, framing};

/// The binary tests of the Chapter 5 binary `$bin`, of the crate under test; `blocks`
/// adds the hostile-length cases.
#[macro_export]
macro_rules! framing_binary_tests {
    ($bin:literal) => {
        const BIN: &str = env!(concat!("CARGO_BIN_EXE_", $bin));

        fn listing() -> &'static catalog::Listing {
            catalog::by_crate(env!("CARGO_PKG_NAME")).unwrap()
        }

        #[test]
        fn the_server_passes_every_case_of_the_table() {
            $crate::framing_binaries::server_table(BIN, listing());
        }

        #[test]
        fn the_client_passes_every_case_of_the_table() {
            $crate::framing_binaries::client_table(BIN, listing());
        }

        #[test]
        fn usage_errors_a_refused_client_and_a_busy_port() {
            $crate::framing_binaries::command_line(BIN);
        }
    };
    ($bin:literal, blocks) => {
        $crate::framing_binary_tests!($bin);

        #[test]
        fn an_oversized_length_is_refused_at_once_under_a_1_gib_address_space_cap() {
            $crate::framing_binaries::oversized_under_a_cap(BIN);
        }

        #[test]
        fn memory_follows_the_bytes_received_not_the_bytes_promised() {
            $crate::framing_binaries::memory_follows_the_bytes(BIN);
        }
    };
}

/// The table's server cases, a fresh server per case.
pub fn server_table(bin: &str, listing: &catalog::Listing) {
    let template = Template::parse(&format!("'{bin}' {{host}} -p {{port}}")).unwrap();
    let mut server = ExternalServer::start(&template).unwrap();
    let outcomes = runner::server_cases(&ServerSpec::of(listing).unwrap(), &mut server, None);
    assert_eq!(
        outcomes.len(),
        framing::server_cases(listing.family == Some(catalog::Family::Blocks)).len()
    );
    runner::assert_passed(&format!("{} server", name(bin)), &outcomes);
}

/// The table's client cases.
pub fn client_table(bin: &str, listing: &catalog::Listing) {
    let template = Template::parse(&format!("'{bin}' -c {{host}} -p {{port}}")).unwrap();
    let run = |port, bytecount, args: &[&str]| run_client(&template, port, bytecount, args, STEP);
    let results = runner::client_cases(listing.family.unwrap(), Output::Book, &run, &|_| true);
    assert_eq!(results.len(), framing::CLIENT_CASES.len());
    assert_all_pass(&format!("{} client", name(bin)), &results);
}

/// Usage errors exit 2; a busy port and a refused client are one line and exit 1.
pub fn command_line(bin: &str) {
    let name = name(bin);
    usage_errors(bin, &[&["-p", "http"], &["a", "b"], &["-x"]]);
    let holder = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let (code, _, stderr) = run(bin, &["-p", &port]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "{name}: cannot listen at 127.0.0.1 port {port}: Address already in use (os error 98)\n"
        )
    );
    let free = testkit::process::free_port().unwrap().to_string();
    let (code, _, stderr) = run(bin, &["-c", "-p", &free]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "{name}: cannot connect to 127.0.0.1 port {free}: Connection refused (os error 111)\n"
        )
    );
}

/// Starts `BIN -p 0` (under `wrapper`, if given) and waits until it listens.
fn server(bin: &str, wrapper: &[&str]) -> (Process, u16) {
    let mut command = match wrapper {
        [program, args @ ..] => {
            let mut command = Command::new(program);
            command.args(args).arg(bin);
            command
        }
        [] => Command::new(bin),
    };
    command.args(["-p", "0"]);
    Process::server(command, STEP).unwrap()
}

/// The server's whole output once it has exited, and its status.
fn ended(mut server: Process) -> (Option<i32>, String, String) {
    let status = server.wait_exit(STEP).expect("the server exits");
    server.stdout.wait_closed(STEP);
    server.stderr.wait_closed(STEP);
    (status.code(), server.stdout.text(), server.stderr.text())
}

/// A header of `ffffffff` and one byte, the connection held open, the server's address
/// space capped at 1 GiB: refused at once, in one line.
pub fn oversized_under_a_cap(bin: &str) {
    let prlimit = Command::new("prlimit").arg("--version").output();
    if !prlimit.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: prlimit (util-linux) is not installed");
        return;
    }
    let (server, port) = server(bin, &["prlimit", "--as=1073741824", "--"]);
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    sock.write_all(b"\xff\xff\xff\xffx").unwrap();
    // The connection stays open: the server must refuse on its own.
    let (code, _, stderr) = ended(server);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr.lines().collect::<Vec<_>>(),
        [format!(
            "{}: connection from ('127.0.0.1', {}) failed: a header promises a block of 4294967295 bytes, more than --max-block 8388608: refused",
            name(bin),
            sock.local_addr().unwrap().port()
        )]
    );
}

/// A header of the most the server accepts, then ten bytes: its peak memory stays within
/// 1 MiB of idle.
pub fn memory_follows_the_bytes(bin: &str) {
    if !kernel::SUPPORTED {
        eprintln!("skipped: peak memory is read from /proc");
        return;
    }
    let (server, port) = server(bin, &[]);
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Wait until the server has accepted (it prints so), then take its idle peak.
    let (log, accepted) = server
        .stdout
        .wait_until(STEP, |log| log.contains("Accepted connection from"));
    assert!(accepted, "{log}");
    let idle = kernel::peak_memory(server.id()).unwrap();
    // A header promising the most the server accepts, then ten bytes, held open: the
    // server reads the ten bytes and waits for the rest.
    sock.write_all(&(8u32 << 20).to_be_bytes()).unwrap();
    sock.write_all(b"0123456789").unwrap();
    assert!(
        testkit::wait_until(STEP, || kernel::connection(
            sock.local_addr().unwrap().port(),
            port
        )
        .is_some_and(|c| c.server.receive == 0)),
        "the server did not read the ten bytes"
    );
    let after = kernel::peak_memory(server.id()).unwrap();
    assert!(
        after <= idle + (1 << 20),
        "peak grew from {idle} to {after} bytes for ten bytes received"
    );
    sock.shutdown(Shutdown::Write).unwrap();
    let (code, _, stderr) = ended(server);
    assert_eq!(code, Some(1));
    assert!(
        stderr.ends_with("socket closed with 8388598 bytes left in this block\n"),
        "{stderr}"
    );
}
