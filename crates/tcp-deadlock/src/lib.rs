//! Foundations of Python Network Programming, Third Edition
//! https://github.com/brandon-rhodes/fopnp/blob/m/py3/chapter03/tcp_deadlock.py
//! TCP client and server that leave too much data waiting
//!
//! Run it in two terminals; a large enough bytecount deadlocks, as page 53 explains:
//!
//! ```text
//! $ tcp_deadlock server ""
//! $ tcp_deadlock client localhost 1073741824
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use fopnp::progress::progress;
use fopnp::stream::{MESSAGE, round_up, upper};
use fopnp::{Context, Error, PyAddr, PyBytes};

/// How much the server reads at a time: `sc.recv(1024)`.
pub const SERVER_RECV: usize = 1024;
/// How much the client reads at a time: `sock.recv(42)`.
pub const CLIENT_RECV: usize = 42;

/// Listens at `(host, port)` and serves clients one at a time, forever.
pub fn server(host: &str, port: u16, out: &mut impl Write) -> Result<(), Error> {
    // socket(AF_INET, SOCK_STREAM); setsockopt(SO_REUSEADDR); bind; listen(1)
    let sock = fopnp::net::listen(host, port, 1)?;
    writeln!(out, "Listening at {}", PyAddr(sock.local_addr()?))?;
    serve(&sock, out)
}

/// The server's `while True:` loop over an already listening socket. Returns only when
/// the listening socket itself fails (closed or shut down).
pub fn serve(sock: &TcpListener, out: &mut impl Write) -> Result<(), Error> {
    loop {
        let Some((sc, sockname)) = fopnp::net::accept(sock, out)? else {
            continue;
        };
        writeln!(
            out,
            "Processing up to {SERVER_RECV} bytes at a time from {}",
            PyAddr(sockname)
        )?;
        // Departure from the book: a connection that fails (reset mid-stream, a client
        // killed) is reported in one line, and the server goes on to the next client.
        if let Err(error) = process(sc, out) {
            writeln!(out)?;
            writeln!(
                out,
                "  Connection from {} failed: {error}",
                PyAddr(sockname)
            )?;
        }
    }
}

/// The server's inner `while True:` for one client: echo it back uppercase until EOF.
fn process(mut sc: TcpStream, out: &mut impl Write) -> Result<(), Error> {
    let mut n: u64 = 0;
    let mut data = [0; SERVER_RECV];
    loop {
        let len = match sc.read(&mut data) {
            // The other side is done writing.
            Ok(0) => break,
            Ok(len) => len,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error).context(|| "cannot receive"),
        };
        // Departure from the py3 listing, which decodes as ASCII and crashes on any other
        // byte: uppercase ASCII letters and pass every other byte through, as Python's
        // bytes.upper() (and the book's Python 2 version) does.
        let output = &mut data[..len];
        upper(output);
        sc.write_all(output).context(|| "cannot send")?; // send it back uppercase
        n += len as u64;
        progress(out, n, "bytes processed so far")?;
    }
    writeln!(out)?;
    drop(sc); // sc.close()
    writeln!(out, "  Socket closed")?;
    Ok(())
}

/// Sends `bytecount` bytes (rounded up to a multiple of 16), sixteen at a time, then reads
/// back whatever the server sends.
pub fn client(host: &str, port: u16, bytecount: u64, out: &mut impl Write) -> Result<(), Error> {
    client_on(
        || fopnp::net::connect(host, port),
        bytecount,
        out,
        &mut |_| {},
    )
}

/// [`client`] with its `sock.connect((host, port))` step passed in, so that tests can keep
/// a handle on the socket and see each piece of data received (`on_data`).
pub fn client_on(
    connect: impl FnOnce() -> Result<TcpStream, Error>,
    bytecount: u64,
    out: &mut impl Write,
    on_data: &mut dyn FnMut(&[u8]),
) -> Result<(), Error> {
    let bytecount = round_up(bytecount); // round up to a multiple of 16
    writeln!(
        out,
        "Sending {bytecount} bytes of data, in chunks of 16 bytes"
    )?;
    let mut sock = connect()?;

    let mut sent: u64 = 0;
    while sent < bytecount {
        sock.write_all(MESSAGE).context(|| "cannot send")?;
        sent += MESSAGE.len() as u64;
        progress(out, sent, "bytes sent")?;
    }

    writeln!(out)?;
    sock.shutdown(Shutdown::Write)
        .context(|| "cannot shut down sending")?;

    writeln!(out, "Receiving all the data the server sends back")?;

    let mut received: u64 = 0;
    let mut data = [0; CLIENT_RECV];
    loop {
        let len = match sock.read(&mut data) {
            Ok(len) => len,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error).context(|| "cannot receive"),
        };
        if received == 0 {
            writeln!(
                out,
                "  The first data received says {}",
                PyBytes(&data[..len])
            )?;
        }
        if len == 0 {
            break;
        }
        on_data(&data[..len]);
        received += len as u64;
        progress(out, received, "bytes received")?;
    }

    writeln!(out)?;
    drop(sock); // sock.close()
    Ok(())
}
