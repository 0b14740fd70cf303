//! `ecapi serve` under load, against a minimal hyper server answering a fixed body, in one run;
//! and the calls per second a script makes through the SOAP client. The method is in
//! `benches/README.md`.
//!
//! `cargo bench --bench server` (ECAPI_BENCH_SECS, ECAPI_BENCH_CONNECTIONS change the run).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ecapi::api::{ApiVersion, Operation, Param, Request, Response, ResultField};
use ecapi::client::{Embedded, Http, HttpOptions, Transport};
use ecapi::server::{self, ServeOptions};
use ecapi::simulator::{Settings, Simulator};
use ecapi::soap::{encode_request, encode_response, Names, OperationShape};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A minimal hyper server on its own runtime: reads the request body, answers `body`.
fn minimal_hyper(body: &'static [u8]) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |request: hyper::Request<hyper::body::Incoming>| async move {
                            let _ = http_body_util::BodyExt::collect(request.into_body()).await;
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .header("content-type", "text/xml; charset=utf-8")
                                    .body(http_body_util::Full::new(
                                        hyper::body::Bytes::from_static(body),
                                    ))
                                    .unwrap(),
                            )
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

/// Keeps `connections` kept-alive connections busy sending `request` for `seconds`, one request
/// in flight per connection; returns answers per second.
fn load(addr: SocketAddr, request: Arc<Vec<u8>>, connections: u64, seconds: u64) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (stop, done, request) = (stop.clone(), done.clone(), request.clone());
            thread::spawn(move || {
                let stream = TcpStream::connect(addr).unwrap();
                stream.set_nodelay(true).unwrap();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                let mut body = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    writer.write_all(&request).unwrap();
                    let mut length = 0usize;
                    line.clear();
                    reader.read_line(&mut line).unwrap();
                    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
                    loop {
                        line.clear();
                        reader.read_line(&mut line).unwrap();
                        if line == "\r\n" {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                    }
                    body.resize(length, 0);
                    reader.read_exact(&mut body).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let started = Instant::now();
    thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    let count = done.load(Ordering::Relaxed);
    let elapsed = started.elapsed().as_secs_f64();
    for w in workers {
        w.join().unwrap();
    }
    count as f64 / elapsed
}

/// Runs wrk (when installed) against `url` posting `body`; returns requests per second.
fn wrk(url: &str, body: &str, connections: u64, seconds: u64) -> Option<f64> {
    let script = std::env::temp_dir().join(format!("ecapi-bench-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = [[{body}]]\n\
             wrk.headers[\"Content-Type\"] = \"text/xml; charset=utf-8\"\n\
             wrk.headers[\"SOAPAction\"] = '\"http://tempuri.org/IECAPI/PortStatus\"'\n"
        ),
    )
    .ok()?;
    let out = std::process::Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "-s",
        ])
        .arg(&script)
        .arg(url)
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("Non-2xx"), "wrk saw errors:\n{text}");
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

fn port_status() -> Request {
    Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "1")
}

/// A script-like loop: `ecapi run` of a Rhai loop of `port_status` calls over a transport.
fn script_calls_per_second(transport: Box<dyn Transport>, calls: u64) -> f64 {
    let session = ecapi::script::Session::new(transport, HashMap::new()).shared();
    let engine = ecapi::script::engine(&session, ecapi::script::Output::Stdout);
    let mut scope = rhai::Scope::new();
    let source = format!(
        "for i in 0..{calls} {{ let r = port_status(1, 1); if !r.ok {{ throw r.message; }} }}"
    );
    let started = Instant::now();
    let _ = ecapi::script::run(&engine, &mut scope, &source).expect("the loop runs");
    calls as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    // Only `cargo bench` (which passes --bench) measures; `cargo test --all-targets` runs this
    // binary too, and a benchmark is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let seconds = env_or("ECAPI_BENCH_SECS", 5);
    let connections = env_or("ECAPI_BENCH_CONNECTIONS", 4);
    let names = Names::default();

    let sim = Simulator::hosted(Settings::default());
    let mut options = ServeOptions::new("127.0.0.1:0", sim);
    options.log = false;
    let ecapi_server = server::start(options).unwrap();

    // The minimal server answers exactly the bytes ecapi serve answers, so both move the same data.
    let mut answer = Response::ok(Operation::PortStatus);
    answer.set_field(ResultField::PortStatus, "NOT RECORDING");
    let fixed: &'static [u8] = Box::leak(encode_response(&answer, &names).into_bytes().into());
    let hyper_addr = minimal_hyper(fixed);

    let body = encode_request(
        &port_status(),
        &OperationShape::default_for(Operation::PortStatus, ApiVersion::V7_1, &names),
    );
    let request = |addr: SocketAddr| {
        Arc::new(
            format!(
                "POST /WebAPI/ECAPI.svc HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml; charset=utf-8\r\n\
                 SOAPAction: \"http://tempuri.org/IECAPI/PortStatus\"\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    };

    println!(
        "server benchmark: PortStatus, {connections} kept-alive connections, {seconds} s per round, {} cores",
        thread::available_parallelism().map_or(0, |n| n.get())
    );
    // Warm up both, then alternate so neither always runs on a cooler or hotter machine.
    load(
        ecapi_server.addr(),
        request(ecapi_server.addr()),
        connections,
        1,
    );
    load(hyper_addr, request(hyper_addr), connections, 1);
    let mut ecapi_rates = Vec::new();
    let mut hyper_rates = Vec::new();
    for round in 1..=2 {
        let e = load(
            ecapi_server.addr(),
            request(ecapi_server.addr()),
            connections,
            seconds,
        );
        let h = load(hyper_addr, request(hyper_addr), connections, seconds);
        println!("  round {round}: ecapi serve {e:>9.0} req/s   minimal hyper {h:>9.0} req/s");
        ecapi_rates.push(e);
        hyper_rates.push(h);
    }
    let e = ecapi_rates.iter().sum::<f64>() / ecapi_rates.len() as f64;
    let h = hyper_rates.iter().sum::<f64>() / hyper_rates.len() as f64;
    println!(
        "  mean:    ecapi serve {e:>9.0} req/s   minimal hyper {h:>9.0} req/s   ratio {:.2}",
        e / h
    );

    let hyper_url = format!("http://{hyper_addr}/WebAPI/ECAPI.svc");
    let wrk_connections = env_or("ECAPI_BENCH_WRK_CONNECTIONS", 16);
    if let Some(first) = wrk(&ecapi_server.url(), &body, wrk_connections, 1) {
        let _ = first;
        let e = wrk(&ecapi_server.url(), &body, wrk_connections, seconds).unwrap_or(0.0);
        let h = wrk(&hyper_url, &body, wrk_connections, seconds).unwrap_or(0.0);
        println!(
            "  wrk -t1 -c{wrk_connections}: ecapi serve {e:>9.0} req/s   minimal hyper {h:>9.0} req/s   ratio {:.2}",
            e / h
        );
    } else {
        println!("  (wrk not installed: the wrk comparison is skipped)");
    }

    let calls = env_or("ECAPI_BENCH_CALLS", 5000);
    let http = Http::connect(HttpOptions::new(ecapi_server.url())).unwrap();
    let mut direct = Http::connect(HttpOptions::new(ecapi_server.url())).unwrap();
    let started = Instant::now();
    for _ in 0..calls {
        assert!(direct.call(&port_status()).unwrap().response.is_ok());
    }
    let transport_rate = calls as f64 / started.elapsed().as_secs_f64();
    let script_rate = script_calls_per_second(Box::new(http), calls);
    let embedded_rate = script_calls_per_second(
        Box::new(Embedded::new(Simulator::hosted(Settings::default()))),
        calls,
    );
    println!("client benchmark: {calls} sequential PortStatus calls");
    println!("  Transport::call loop over HTTP   {transport_rate:>9.0} calls/s");
    println!("  Rhai script loop over HTTP       {script_rate:>9.0} calls/s");
    println!("  Rhai script loop, embedded       {embedded_rate:>9.0} calls/s");
}
