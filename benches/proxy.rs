//! `ecapi proxy`'s overhead: PortStatus through the proxy against the same server directly, in one
//! run, one client on one keep-alive connection, request after request. The method and figures
//! are in `benches/README.md`.
//!
//! `cargo bench --bench proxy` (ECAPI_BENCH_CALLS changes the number of calls measured per path).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::proxy::{self, ProxyOptions};
use ecapi::server::{self, ServeOptions};
use ecapi::simulator::{Settings, Simulator};
use ecapi::soap::{encode_request, Names, OperationShape};

/// One client connection that sends the same POST again and again and reads each answer whole.
struct Client {
    reader: BufReader<TcpStream>,
    request: Vec<u8>,
}

impl Client {
    fn connect(addr: SocketAddr, path: &str) -> Client {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let request = Request::new(Operation::PortStatus)
            .with(Param::Unit, "1")
            .with(Param::Port, "5");
        let shape =
            OperationShape::default_for(Operation::PortStatus, ApiVersion::V7_1, &Names::default());
        let body = encode_request(&request, &shape);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml; charset=utf-8\r\n\
             SOAPAction: \"{}\"\r\nContent-Length: {}\r\n\r\n",
            shape.action,
            body.len()
        );
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body.as_bytes());
        Client {
            reader: BufReader::new(stream),
            request: bytes,
        }
    }

    /// One exchange; returns its time.
    fn call(&mut self) -> Duration {
        let started = Instant::now();
        self.reader.get_mut().write_all(&self.request).unwrap();
        let mut length = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).unwrap();
        let elapsed = started.elapsed();
        assert!(
            body.windows(13).any(|w| w == b"NOT RECORDING"),
            "{}",
            String::from_utf8_lossy(&body)
        );
        elapsed
    }
}

struct Figures {
    p50: f64,
    p90: f64,
    p99: f64,
    mean: f64,
}

/// Times `calls` exchanges after a warm-up, in microseconds.
fn measure(client: &mut Client, calls: usize) -> Figures {
    for _ in 0..calls / 10 {
        client.call();
    }
    let mut times: Vec<f64> = (0..calls)
        .map(|_| client.call().as_secs_f64() * 1e6)
        .collect();
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    Figures {
        p50: at(0.5),
        p90: at(0.9),
        p99: at(0.99),
        mean: times.iter().sum::<f64>() / times.len() as f64,
    }
}

fn main() {
    let calls: usize = std::env::var("ECAPI_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let mut options = ServeOptions::new("127.0.0.1:0", Simulator::hosted(Settings::default()));
    options.log = false;
    let server = server::start(options).unwrap();
    let proxy = proxy::start(ProxyOptions::new("127.0.0.1:0", server.url())).unwrap();
    let path = "/WebAPI/ECAPI.svc";

    // Alternate the two paths in rounds, so that whatever else the machine does falls on both.
    let mut direct = Client::connect(server.addr(), path);
    let mut through = Client::connect(proxy.addr(), path);
    let rounds = 5;
    let mut d = Vec::new();
    let mut t = Vec::new();
    for _ in 0..rounds {
        d.push(measure(&mut direct, calls / rounds));
        t.push(measure(&mut through, calls / rounds));
    }
    let median_of = |v: &[Figures], f: fn(&Figures) -> f64| {
        let mut x: Vec<f64> = v.iter().map(f).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    println!("PortStatus, one keep-alive connection, {calls} calls per path in {rounds} alternating rounds (µs; the median round's figure):");
    println!(
        "{:28} {:>8} {:>8} {:>8} {:>8}",
        "path", "p50", "p90", "p99", "mean"
    );
    for (name, v) in [("ecapi serve directly", &d), ("through ecapi proxy", &t)] {
        println!(
            "{name:28} {:>8.1} {:>8.1} {:>8.1} {:>8.1}",
            median_of(v, |f| f.p50),
            median_of(v, |f| f.p90),
            median_of(v, |f| f.p99),
            median_of(v, |f| f.mean)
        );
    }
    let added = median_of(&t, |f| f.p50) - median_of(&d, |f| f.p50);
    println!(
        "the proxy adds {added:.1} µs at the median (aim: under 300 µs): {}",
        if added < 300.0 { "met" } else { "NOT met" }
    );
}
