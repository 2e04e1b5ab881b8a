//! The nonblocking client never spins: against a slow server it spends its time asleep in
//! poll(), so its CPU time stays well below the wall time.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::{Duration, Instant};

use rustix::time::{ClockId, clock_gettime};

fn thread_cpu() -> Duration {
    let t = clock_gettime(ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

#[test]
fn client_sleeps_in_poll_while_the_server_is_slow() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // A slow uppercase server: 16 KiB every 10 ms, about 1.6 MB/s.
    let server = thread::spawn(move || {
        let (mut sc, _) = listener.accept().unwrap();
        let mut data = vec![0; 16 * 1024];
        loop {
            let n = sc.read(&mut data).unwrap();
            if n == 0 {
                break;
            }
            data[..n].make_ascii_uppercase();
            sc.write_all(&data[..n]).unwrap();
            thread::sleep(Duration::from_millis(10));
        }
    });
    let bytecount = 1 << 20;
    let (wall, cpu) = testkit::within(testkit::STEP, move || {
        let (wall, cpu) = (Instant::now(), thread_cpu());
        tcp_nonblocking::client(
            "127.0.0.1",
            port,
            bytecount,
            Default::default(),
            &mut Vec::new(),
        )
        .unwrap();
        (wall.elapsed(), thread_cpu() - cpu)
    });
    server.join().unwrap();
    assert!(
        wall > Duration::from_millis(300),
        "the server was not slow: {wall:?}"
    );
    assert!(
        cpu * 10 < wall,
        "client used {cpu:?} of CPU in {wall:?}: it spins"
    );
}
