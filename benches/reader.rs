//! The strict request reader (`soap::read_request`, WCF's reading with notes) against the kind
//! reader it replaced in `ecapi serve` (`soap::decode_request`), on the same envelopes. The method
//! and figures are in `benches/README.md`.
//!
//! `cargo bench --bench reader`

use criterion::{criterion_group, criterion_main, Criterion};
use ecapi::api::{ApiVersion, Operation, Param, Request};
use ecapi::soap::{
    decode_request, encode_request, read_request, Incoming, Names, OperationShape, ReadOptions,
};
use std::hint::black_box;

fn envelopes() -> Vec<(&'static str, String)> {
    let names = Names::default();
    let shape = |op| OperationShape::default_for(op, ApiVersion::V7_1, &names);
    let port_status = Request::new(Operation::PortStatus)
        .with(Param::Unit, "1")
        .with(Param::Port, "5");
    let log_event = Request::new(Operation::LogEvent)
        .with(Param::Unit, "1")
        .with(Param::Port, "5")
        .with(Param::User, "jsmith")
        .with(Param::Machine, "WS-1")
        .with(Param::EventTimestamp, "2026-01-15T10:00:00")
        .with(Param::EventType, "Transfer")
        .with(Param::Parm1, "x".repeat(1000))
        .with(Param::Parm2, "é<>&".repeat(50))
        .with(Param::Parm3, "");
    vec![
        (
            "port_status",
            encode_request(&port_status, &shape(Operation::PortStatus)),
        ),
        (
            "log_event_1k",
            encode_request(&log_event, &shape(Operation::LogEvent)),
        ),
    ]
}

fn readers(c: &mut Criterion) {
    let names = Names::default();
    let options = ReadOptions::new(ApiVersion::V7_1, names.clone());
    for (label, xml) in envelopes() {
        let op = if label == "port_status" {
            "PortStatus"
        } else {
            "LogEvent"
        };
        let action = format!("\"http://tempuri.org/IECAPI/{op}\"");
        let mut group = c.benchmark_group(label);
        group.bench_function("old_kind_reader", |b| {
            b.iter(|| {
                decode_request(
                    black_box(xml.as_bytes()),
                    Some(&action),
                    ApiVersion::V7_1,
                    &names,
                )
                .unwrap()
            })
        });
        group.bench_function("strict_reader", |b| {
            b.iter(|| {
                read_request(
                    &Incoming {
                        body: black_box(xml.as_bytes()),
                        content_type: Some("text/xml; charset=utf-8"),
                        soap_action: Some(&action),
                    },
                    &options,
                )
                .unwrap()
            })
        });
        group.finish();
    }
}

criterion_group!(benches, readers);
criterion_main!(benches);
