//! `www_ping` as a reader runs it. Numeric addresses need no resolver, so those cases run
//! anywhere; names from the zone go through glibc's resolver, which reads
//! `/etc/resolv.conf` and has no port to point elsewhere, so those run in a network and
//! mount namespace of this test's own (`unshare -n -m`, as root), where resolv.conf names
//! the stand-in on 127.0.0.1:53, and skip with the reason elsewhere.

use std::net::TcpListener;
use std::process::Command;

use geocoding_standin::testing::{Ran, finish};

const BIN: &str = env!("CARGO_BIN_EXE_www_ping");

fn www_ping(args: &[&str]) -> Ran {
    let mut command = Command::new(BIN);
    command.args(args);
    finish(command)
}

#[test]
fn a_listening_port_is_a_success_and_a_refusal_is_a_network_failure_with_status_0() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let ran = www_ping(&["-p", &port, "127.0.0.1"]);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_eq!(
        ran.stdout,
        format!("Success: host 127.0.0.1 is listening on port {port}\n")
    );
    // glibc's numeric forms, echoed as typed (Rust's IpAddr would refuse 127.1).
    let ran = www_ping(&["-p", &port, "127.1"]);
    assert_eq!(
        ran.stdout,
        format!("Success: host 127.1 is listening on port {port}\n")
    );
    drop(listener);
    let ran = www_ping(&["-p", &port, "127.0.0.1"]);
    assert_eq!(
        (ran.code, ran.stdout.as_str()),
        (Some(0), "Network failure: Connection refused\n")
    );
}

#[test]
fn a_name_idna_refuses_is_one_line_and_status_1() {
    for (name, why) in [
        ("bad..name", "label empty"),
        (&*format!("{}.com", "a".repeat(64)), "label too long"),
    ] {
        let ran = www_ping(&[name]);
        assert_eq!((ran.code, ran.stdout.as_str()), (Some(1), ""), "{name}");
        assert_eq!(
            ran.stderr,
            format!("www_ping: cannot encode {name:?} with the 'idna' codec: {why}\n")
        );
    }
}

#[test]
fn its_usage_and_help_are_argparses() {
    let ran = www_ping(&[]);
    assert_eq!(ran.code, Some(2));
    assert!(ran.stderr.contains("<HOSTNAME>"), "{}", ran.stderr);
    let ran = www_ping(&["--help"]);
    assert!(ran.stdout.starts_with("Try connecting to port 80"));
    assert!(ran.stdout.contains("hostname that you want to contact"));
}

/// What the book's `www_ping.py` printed on Python 3.10 and 3.13 in such a namespace,
/// against the same zone, with listeners on 127.0.0.1:80 and [::1]:80.
const RECORDED: &[(&str, &str, i32)] = &[
    (
        "www.example.com",
        "Success: host www.example.com is listening on port 80",
        0,
    ),
    (
        "alias.example.com",
        "Success: host www.example.com is listening on port 80",
        0,
    ),
    (
        "mail2.example.com",
        "Network failure: Connection refused",
        0,
    ),
    (
        "nosuch.example.com",
        "Name service failure: Name or service not known",
        1,
    ),
    (
        "example.com",
        "Name service failure: No address associated with hostname",
        1,
    ),
    (
        "WWW.Example.COM",
        "Success: host WWW.Example.COM is listening on port 80",
        0,
    ),
    (
        "www.example.com.",
        "Success: host www.example.com is listening on port 80",
        0,
    ),
    (
        "bücher.example.com",
        "Network failure: Connection refused",
        0,
    ),
    (
        "straße.example.com",
        "Network failure: Connection refused",
        0,
    ),
    (
        "localhost",
        "Success: host localhost is listening on port 80",
        0,
    ),
    (
        "v6only.example.com",
        "Success: host v6only.example.com is listening on port 80",
        0,
    ),
    ("", "Name service failure: Name or service not known", 1),
];

/// Set for the second run of this test, inside the namespace: the outer run's network
/// and mount namespaces, which the inner run must not be in.
const INSIDE: &str = "WWW_PING_TEST_INSIDE_NAMESPACE";

/// This process's network and mount namespaces (`net:[4026531840] mnt:[...]`).
fn namespaces() -> String {
    let link = |ns: &str| {
        std::fs::read_link(format!("/proc/self/ns/{ns}"))
            .map(|p| p.display().to_string())
            .unwrap_or_else(|e| format!("{ns}: {e}"))
    };
    format!("{} {}", link("net"), link("mnt"))
}

#[test]
fn names_of_the_zone_through_glibc_as_the_books_python_saw_them() {
    if let Some(outer) = std::env::var_os(INSIDE) {
        return inside(&outer.to_string_lossy());
    }
    let probe = Command::new("unshare").args(["-n", "-m", "true"]).output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            let why = String::from_utf8_lossy(&out.stderr);
            println!(
                "skipped: needs a namespace of its own (unshare -n -m): {}",
                why.trim()
            );
            return;
        }
        Err(error) => {
            println!("skipped: cannot run unshare: {error}");
            return;
        }
    }
    // This very test again, inside: glibc, the stand-in and www_ping all see the
    // namespace's loopback and its resolv.conf, and nothing else.
    let me = std::env::current_exe().unwrap();
    let mut command = Command::new("unshare");
    command
        .args(["-n", "-m", "--"])
        .arg(me)
        .args([
            "--exact",
            "names_of_the_zone_through_glibc_as_the_books_python_saw_them",
            "--nocapture",
        ])
        .env(INSIDE, namespaces());
    let ran = finish(command);
    assert_eq!(
        ran.code,
        Some(0),
        "inside the namespace:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    assert!(ran.stdout.contains("1 passed"), "{}", ran.stdout);
}

fn inside(outer: &str) {
    // It bind-mounts over /etc/resolv.conf and /etc/hosts: never where the outer run
    // is, nor anywhere but a network and mount namespace of its own.
    let (here, there) = (namespaces(), outer.split(' ').collect::<Vec<_>>());
    let mine: Vec<&str> = here.split(' ').collect();
    assert!(
        there.len() == 2 && mine.len() == 2 && mine[0] != there[0] && mine[1] != there[1],
        "{INSIDE} is set, but this is not a namespace of its own ({here} against {outer})"
    );
    let run = |program: &str, args: &[&str]| {
        let status = Command::new(program).args(args).status().unwrap();
        assert!(status.success(), "{program} {args:?}: {status}");
    };
    run("ip", &["link", "set", "lo", "up"]);
    let dir = tempfile::tempdir().unwrap();
    let resolv = dir.path().join("resolv.conf");
    let hosts = dir.path().join("hosts");
    std::fs::write(&resolv, "nameserver 127.0.0.1\n").unwrap();
    std::fs::write(&hosts, "127.0.0.1 localhost\n").unwrap();
    run(
        "mount",
        &["--bind", &resolv.display().to_string(), "/etc/resolv.conf"],
    );
    run(
        "mount",
        &["--bind", &hosts.display().to_string(), "/etc/hosts"],
    );
    let ip = std::net::IpAddr::from([127, 0, 0, 1]);
    let _dns =
        dns_standin::DnsStandIn::bind(ip, 53, dns_standin::Mode::Answer, |_| {}, |_| {}).unwrap();
    let _v4 = TcpListener::bind("127.0.0.1:80").unwrap();
    let _v6 = TcpListener::bind("[::1]:80").unwrap();
    for (name, printed, code) in RECORDED {
        let ran = www_ping(&[name]);
        assert_eq!(
            ran.stdout,
            format!("{printed}\n"),
            "{name:?}: {}",
            ran.stderr
        );
        assert_eq!(ran.code, Some(*code), "{name:?}");
    }
}
