//! A stand-in whose log cannot be written (`httpbin | head -1`) says so in one line and
//! exits 1, rather than serve on with its log silently lost.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_closed_stdout_ends_it_with_one_line_and_status_1() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_httpbin"))
        .args(["-p", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it however the test ends.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut first = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut first).unwrap();
    let port: u16 = first
        .trim_end()
        .trim_end_matches(')')
        .rsplit(", ")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    drop(out); // `head -1` has read its line and gone.
    let mut stderr = child.stderr.take().unwrap();
    let mut child = Killed(child);
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .write_all(b"GET /get HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still serving with its log closed"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut said = String::new();
    stderr.read_to_string(&mut said).unwrap();
    assert_eq!(status.code(), Some(1), "{said}");
    assert_eq!(
        said,
        "httpbin: cannot write to standard output: Broken pipe (os error 32)\n"
    );
}
