//! The benchmark's own peers, built in release mode beside the listings; not a listing.
//!
//! - `benchpeer ceiling BYTES`: the loopback ceiling, a raw echo over one connection in
//!   one process: a sending thread and a receiving thread on the client side, an echo
//!   thread on the server side, 256 KiB buffers, uppercasing as the servers do.
//! - `benchpeer load CLIENTS BYTES PORT`: CLIENTS concurrent connections to the uppercase
//!   server at PORT, each sending BYTES of Listing 3-2's stream while reading the reply,
//!   every byte checked; prints `elapsed SECONDS`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use fopnp::stream::{Pattern, upper};

/// The ceiling's buffer size for every read and write.
const CEILING_BUFFER: usize = 256 * 1024;
/// Each load connection's buffer size (small: there may be a thousand of them).
const LOAD_BUFFER: usize = 16 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let result = match (
        args.first().map(String::as_str),
        number(1),
        number(2),
        number(3),
    ) {
        (Some("ceiling"), Some(bytes), None, None) => ceiling(bytes),
        (Some("load"), Some(clients), Some(bytes), Some(port)) => {
            load(clients as usize, bytes, port as u16)
        }
        _ => {
            eprintln!("usage: benchpeer ceiling BYTES | benchpeer load CLIENTS BYTES PORT");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("benchpeer: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Sends `bytes` of the stream in `chunk`-sized writes, then half-closes.
fn send_stream(mut sock: TcpStream, bytes: u64, chunk: usize) -> io::Result<()> {
    let pattern = Pattern::new(chunk);
    let mut sent = 0;
    while sent < bytes {
        let n = sock.write(pattern.at(sent, bytes - sent))?;
        sent += n as u64;
    }
    sock.shutdown(Shutdown::Write)
}

/// Reads the reply to EOF, checking it is the uppercase stream; returns its length.
fn receive_stream(mut sock: TcpStream, chunk: usize, check: bool) -> io::Result<u64> {
    let expected = Pattern::of(b"CAPITALIZE THIS!", chunk);
    let mut data = vec![0; chunk];
    let mut received = 0;
    loop {
        let n = sock.read(&mut data)?;
        if n == 0 {
            return Ok(received);
        }
        if check && !expected.matches(received, &data[..n]) {
            return Err(io::Error::other(format!("wrong reply at byte {received}")));
        }
        received += n as u64;
    }
}

fn ceiling(bytes: u64) -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = thread::spawn(move || -> io::Result<()> {
        let (mut sc, _) = listener.accept()?;
        let mut data = vec![0; CEILING_BUFFER];
        loop {
            let n = sc.read(&mut data)?;
            if n == 0 {
                return Ok(());
            }
            upper(&mut data[..n]);
            sc.write_all(&data[..n])?;
        }
    });
    let sock = TcpStream::connect(addr)?;
    let sender = {
        let sock = sock.try_clone()?;
        thread::spawn(move || send_stream(sock, bytes, CEILING_BUFFER))
    };
    let received = receive_stream(sock, CEILING_BUFFER, false)?;
    sender
        .join()
        .map_err(|_| io::Error::other("sender panicked"))??;
    echo.join()
        .map_err(|_| io::Error::other("echo panicked"))??;
    if received != bytes {
        return Err(io::Error::other(format!(
            "echoed {received} of {bytes} bytes"
        )));
    }
    println!("{bytes} bytes echoed");
    Ok(())
}

/// A gate the load's clients wait at until the clock has started.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        while !*open {
            open = self.opened.wait(open).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.opened.notify_all();
    }
}

fn load(clients: usize, bytes: u64, port: u16) -> io::Result<()> {
    // Everyone connects first; the clock starts; then the gate opens and all go at once.
    let connected = Arc::new(Barrier::new(clients + 1));
    let go = Arc::new(Gate::default());
    let runs: Vec<_> = (0..clients)
        .map(|_| {
            let (connected, go) = (Arc::clone(&connected), Arc::clone(&go));
            thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || -> io::Result<u64> {
                    let sock = TcpStream::connect(("127.0.0.1", port));
                    connected.wait();
                    go.wait();
                    let sock = sock?;
                    let sender = {
                        let sock = sock.try_clone()?;
                        thread::Builder::new()
                            .stack_size(128 * 1024)
                            .spawn(move || send_stream(sock, bytes, LOAD_BUFFER))?
                    };
                    let received = receive_stream(sock, LOAD_BUFFER, true)?;
                    sender
                        .join()
                        .map_err(|_| io::Error::other("sender panicked"))??;
                    Ok(received)
                })
        })
        .collect::<io::Result<_>>()?;
    connected.wait();
    let began = Instant::now();
    go.open();
    let mut failures = Vec::new();
    for run in runs {
        match run.join() {
            Ok(Ok(received)) if received == bytes => {}
            Ok(Ok(received)) => failures.push(format!("received {received} of {bytes}")),
            Ok(Err(error)) => failures.push(error.to_string()),
            Err(_) => failures.push("a client thread panicked".into()),
        }
    }
    let elapsed = began.elapsed();
    if let Some(first) = failures.first() {
        return Err(io::Error::other(format!(
            "{} of {clients} clients failed; first: {first}",
            failures.len()
        )));
    }
    println!("elapsed {:.6}", elapsed.as_secs_f64());
    Ok(())
}
