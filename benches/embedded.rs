//! The embedded path: how fast a Rhai loop calls `port_status` on the embedded simulator, against
//! the same loop calling a do-nothing native function, and how long `ecapi run` takes for an empty
//! script. Method and figures: `benches/README.md`.

use std::hint::black_box;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ecapi::client::Embedded;
use ecapi::script::{self, Output, Session};
use ecapi::simulator::{Settings, Simulator};
use rhai::{Dynamic, Scope};

const CALLS: u64 = 10_000;

fn engine() -> rhai::Engine {
    let sim = Simulator::hosted(Settings::default());
    let session = Session::new(Box::new(Embedded::new(sim)), Default::default()).shared();
    let mut engine = script::engine(&session, Output::Capture(Default::default()));
    // The baseline: a native function with the same arguments that does nothing.
    engine.register_fn("do_nothing", |a: Dynamic, b: Dynamic| {
        let _ = black_box((a, b));
    });
    engine
}

fn rhai_loop(c: &mut Criterion) {
    let engine = engine();
    let mut group = c.benchmark_group("rhai_loop");
    group.throughput(Throughput::Elements(CALLS));
    for (name, body) in [
        ("port_status", "port_status(1, 5)"),
        ("do_nothing", "do_nothing(1, 5)"),
    ] {
        let src = format!("for i in 0..{CALLS} {{ {body}; }}");
        let ast = engine.compile(&src).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut scope = Scope::new();
                engine.run_ast_with_scope(&mut scope, &ast).unwrap();
            })
        });
    }
    group.finish();
}

fn empty_script(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.rhai");
    std::fs::write(&file, "").unwrap();
    let exe = env!("CARGO_BIN_EXE_ecapi");
    let mut group = c.benchmark_group("ecapi_run");
    group.sample_size(30);
    group.bench_function("empty_script", |b| {
        b.iter(|| {
            let status = Command::new(exe)
                .arg("run")
                .arg(&file)
                .env_remove("ECAPI_ENDPOINT")
                .status()
                .unwrap();
            assert!(status.success());
        })
    });
    group.finish();
}

criterion_group!(benches, rhai_loop, empty_script);
criterion_main!(benches);
