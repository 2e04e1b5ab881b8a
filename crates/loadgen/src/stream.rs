//! Chapter 3's bench peers: the loopback ceiling, and many clients of Listing 3-2's
//! protocol at once.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use conformance::stream::{MESSAGE, REPLY, is_stream, stream};

/// The ceiling's buffer size for every read and write.
const CEILING_BUFFER: usize = 256 * 1024;
/// Each load connection's buffer size (small: there may be a thousand of them).
const LOAD_BUFFER: usize = 16 * 1024;

/// Sends `bytes` of the stream in `chunk`-sized writes, then half-closes.
fn send_stream(mut sock: TcpStream, bytes: u64, chunk: usize) -> io::Result<()> {
    // The message repeated, one chunk and a message long: any part of the stream is a
    // slice of it.
    let pattern = stream(MESSAGE, chunk + 16);
    let mut sent = 0;
    while sent < bytes {
        let start = (sent % 16) as usize;
        let len = (bytes - sent).min(chunk as u64) as usize;
        let n = sock.write(&pattern[start..start + len])?;
        sent += n as u64;
    }
    sock.shutdown(Shutdown::Write)
}

/// Reads the reply to EOF, checking it is the uppercase stream; returns its length.
fn receive_stream(mut sock: TcpStream, chunk: usize, check: bool) -> io::Result<u64> {
    let mut data = vec![0; chunk];
    let mut received = 0;
    loop {
        let n = sock.read(&mut data)?;
        if n == 0 {
            return Ok(received);
        }
        if check && !is_stream(REPLY, received, &data[..n]) {
            return Err(io::Error::other(format!("wrong reply at byte {received}")));
        }
        received += n as u64;
    }
}

/// The loopback ceiling: a raw echo over one connection in one process (a sending
/// thread and a receiving thread on the client side, an echo thread on the server side,
/// 256 KiB buffers, uppercasing as the servers do).
pub fn ceiling(bytes: u64) -> io::Result<()> {
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
            data[..n].make_ascii_uppercase();
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

/// `clients` concurrent connections to the uppercase server at `port`, each sending
/// `bytes` of Listing 3-2's stream while reading the reply, every byte checked; prints
/// `elapsed SECONDS`.
pub fn load(clients: usize, bytes: u64, port: u16) -> io::Result<()> {
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
