//! The strict request reader (`soap::read_request`, WCF's reading with notes) against the kind
//! reader it replaced in `ecapi serve` (`soap::decode_request`), on the same envelopes; and the
//! client's answer reader (`soap::decode_response`) on answers as `ecapi serve` writes them. The
//! method and figures are in `benches/README.md`.
//!
//! `cargo bench --bench reader`

use criterion::{criterion_group, criterion_main, Criterion};
use ecapi::api::{ApiVersion, Operation, Param, Request, Response, ResultField};
use ecapi::soap::{
    decode_request, decode_response, encode_request, encode_response, read_request, Incoming,
    Names, OperationShape, ReadOptions,
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

/// Answers as `ecapi serve` writes them (`encode_response`): a PortStatus answer, and a
/// PortStatusEX answer with both its fields.
fn answers() -> Vec<(&'static str, Operation, String)> {
    let names = Names::default();
    let mut port_status = Response::ok(Operation::PortStatus);
    port_status.set_field(ResultField::PortStatus, "IDLE");
    let mut port_status_ex = Response::ok(Operation::PortStatusEx);
    port_status_ex.set_field(ResultField::PortStatus, "RECORD");
    port_status_ex.set_field(ResultField::StateDuration, "20");
    vec![
        (
            "port_status_answer",
            Operation::PortStatus,
            encode_response(&port_status, &names),
        ),
        (
            "port_status_ex_answer",
            Operation::PortStatusEx,
            encode_response(&port_status_ex, &names),
        ),
    ]
}

fn answer_reader(c: &mut Criterion) {
    for (label, op, xml) in answers() {
        let mut group = c.benchmark_group(label);
        group.bench_function("answer_reader", |b| {
            b.iter(|| decode_response(black_box(xml.as_bytes()), op).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, readers, answer_reader);
criterion_main!(benches);
