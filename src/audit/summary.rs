//! The findings counted per rule: the table `ecapi audit` and `ecapi proxy` print at the end, and
//! the same as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use super::options::Options;
use super::rule::{RuleId, RULES};

/// A table: one row per rule (severity, id, findings, or `allowed` when turned off).
pub fn text(counts: &BTreeMap<RuleId, u64>, options: &Options, exchanges: u64) -> String {
    let mut out = format!("{:8} {:22} {:>8}\n", "severity", "rule", "findings");
    for rule in &RULES {
        let n = if options.checks(rule.id) {
            counts.get(&rule.id).copied().unwrap_or(0).to_string()
        } else {
            "allowed".to_string()
        };
        let _ = writeln!(out, "{:8} {:22} {n:>8}", rule.severity.word(), rule.name);
    }
    let total: u64 = counts.values().sum();
    let _ = writeln!(out, "{total} findings in {exchanges} exchanges");
    out
}

/// `{rule: {severity, findings, allowed}}`.
pub fn json(counts: &BTreeMap<RuleId, u64>, options: &Options) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for rule in &RULES {
        map.insert(
            rule.name.to_string(),
            json!({
                "severity": rule.severity,
                "findings": counts.get(&rule.id).copied().unwrap_or(0),
                "allowed": !options.checks(rule.id),
            }),
        );
    }
    serde_json::Value::Object(map)
}
