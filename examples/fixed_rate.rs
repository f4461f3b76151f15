//! An open-loop load generator at a fixed request rate, for latency at a given load: request i
//! is due at `start + i / rate` and its latency runs from then, so queueing behind a slow
//! answer counts (a closed loop such as wrk's waits for each answer and hides it). One thread
//! busy-polls its connections, so it keeps to the schedule at rates oha cannot reach on one core.
//!
//! Usage: fixed_rate HOST:PORT PATH BODY_FILE RATE SECONDS [CONNECTIONS=64] [EXPECT]
//! POSTs BODY_FILE as JSON; every answer must be a 200 containing EXPECT (if given). As with
//! bench/post.lua, `BENCH_IDS=N` replaces `__ID__` by a random demo product id below N and
//! `BENCH_CHOICES=a,b,c` replaces `__CHOICE__` by one of them, per request. Prints one line:
//! `FIXED rate=.. sent=.. answered=.. p50_us=.. p99_us=.. p999_us=.. max_us=.. bad=..`.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

struct Connection {
    stream: TcpStream,
    /// When the request in flight on it was due (none: idle).
    due: Option<Instant>,
    received: Vec<u8>,
}

/// The length of a complete response at the start of `bytes` (headers and a Content-Length
/// body), and whether it is a 200.
fn complete(bytes: &[u8]) -> Option<(usize, bool)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    let ok = head.starts_with("HTTP/1.1 200");
    (bytes.len() >= end + length).then_some((end + length, ok))
}

/// The bodies to send: `body` with each substitution asked for in the environment.
fn bodies(body: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let ids: usize = std::env::var("BENCH_IDS").map_or(Ok(0), |n| n.parse())?;
    let choices = std::env::var("BENCH_CHOICES").unwrap_or_default();
    let mut out = vec![body.to_string()];
    if ids > 0 {
        out = (0..ids)
            .map(|i| body.replace("__ID__", &format!("p{i:06}")))
            .collect();
    }
    if !choices.is_empty() {
        out = choices
            .split(',')
            .flat_map(|c| out.iter().map(move |b| b.replace("__CHOICE__", c)))
            .collect();
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 6 {
        return Err(
            "usage: fixed_rate HOST:PORT PATH BODY_FILE RATE SECONDS [CONNECTIONS] [EXPECT]".into(),
        );
    }
    let (address, path) = (&args[1], &args[2]);
    let body = std::fs::read(&args[3])?;
    let rate: f64 = args[4].parse()?;
    let seconds: f64 = args[5].parse()?;
    let connections: usize = args.get(6).map_or(Ok(64), |c| c.parse())?;
    let expect = args
        .get(7)
        .filter(|e| !e.is_empty())
        .map(|e| e.as_bytes().to_vec());
    let requests: Vec<Vec<u8>> = bodies(&String::from_utf8(body)?)?
        .into_iter()
        .map(|body| {
            let mut request = format!(
                "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            request.extend_from_slice(body.as_bytes());
            request
        })
        .collect();
    let mut random = 0x9E37_79B9_7F4A_7C15u64; // xorshift: which body each request sends

    let mut poll = Poll::new()?;
    let mut open = Vec::with_capacity(connections);
    for i in 0..connections {
        let stream = std::net::TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        stream.set_nonblocking(true)?;
        let mut stream = TcpStream::from_std(stream);
        poll.registry()
            .register(&mut stream, Token(i), Interest::READABLE)?;
        open.push(Connection {
            stream,
            due: None,
            received: Vec::with_capacity(64 * 1024),
        });
    }
    let mut idle: Vec<usize> = (0..connections).rev().collect();
    let total = (rate * seconds) as u64;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let start = Instant::now() + Duration::from_millis(10);
    let due = |i: u64| start + interval.mul_f64(i as f64);
    let mut latencies_us: Vec<u32> = Vec::with_capacity(total as usize);
    let (mut sent, mut bad) = (0u64, 0u64);
    let mut events = Events::with_capacity(connections);
    let mut chunk = vec![0u8; 64 * 1024];
    // After the last request is due, answers get 5 s to arrive.
    let give_up = due(total) + Duration::from_secs(5);
    while (sent < total || idle.len() < connections) && Instant::now() < give_up {
        let now = Instant::now();
        while sent < total && due(sent) <= now {
            let Some(c) = idle.pop() else { break };
            let connection = &mut open[c];
            // A request is far smaller than a socket's send buffer: one write takes it.
            random ^= random << 13;
            random ^= random >> 7;
            random ^= random << 17;
            let request = &requests[(random % requests.len() as u64) as usize];
            connection.stream.write_all(request)?;
            connection.due = Some(due(sent));
            sent += 1;
        }
        poll.poll(&mut events, Some(Duration::ZERO))?;
        for event in events.iter() {
            let c = event.token().0;
            let connection = &mut open[c];
            loop {
                match connection.stream.read(&mut chunk) {
                    Ok(0) => return Err("the server closed a connection".into()),
                    Ok(n) => connection.received.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e.into()),
                }
            }
            if let Some((length, ok)) = complete(&connection.received) {
                let answered = Instant::now();
                let good = ok
                    && expect.as_ref().is_none_or(|e| {
                        connection.received[..length]
                            .windows(e.len())
                            .any(|w| w == e.as_slice())
                    });
                bad += u64::from(!good);
                if let Some(due) = connection.due.take() {
                    let us = answered.saturating_duration_since(due).as_micros();
                    latencies_us.push(us.min(u32::MAX as u128) as u32);
                }
                connection.received.drain(..length);
                idle.push(c);
            }
        }
    }
    latencies_us.sort_unstable();
    let at = |q: f64| {
        let i = ((latencies_us.len() as f64 * q).ceil() as usize).saturating_sub(1);
        latencies_us.get(i).copied().unwrap_or(0)
    };
    println!(
        "FIXED rate={rate} sent={sent} answered={} p50_us={} p99_us={} p999_us={} max_us={} bad={bad}",
        latencies_us.len(),
        at(0.50),
        at(0.99),
        at(0.999),
        latencies_us.last().copied().unwrap_or(0),
    );
    Ok(())
}
