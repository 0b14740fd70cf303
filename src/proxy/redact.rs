//! `--redact NAME`: which values the proxy withholds, and withholding them from an [`Exchange`]
//! before any view reads it, so that no output (the live line, the record, the wire notes, the
//! shadow's differences, the summary) can show one.
//!
//! A name is one of:
//! - a request parameter, by either version's wire name (`User` and `userName` stand for each
//!   other), in any case;
//! - an answer field, by its wire name (`fieldValue`) or its script name (`value`);
//! - an Encore field name (a database column, `fld…`, as AssignField and GetField name it): the
//!   values AssignField assigns to it and GetField answers for it are withheld.
//!
//! Anything else is refused, naming the closest known name, since a typo that withholds nothing
//! would leak silently.
//!
//! Withholding reads values as a reader would: in the parsed request and answer, and in both
//! envelopes by element name (any prefix or case, the whole content: text, CDATA, references,
//! child elements). An envelope that cannot be read to its end (cut short, not well formed, not
//! UTF-8 text) is withheld whole. Every value withheld is also taken out of the free text that
//! might quote it (wire notes, a fault's string, the upstream's reason). An empty value stays
//! empty: nothing is withheld from it, so a replay or a script sends exactly what was sent.

use std::collections::BTreeMap;

use super::compare::Comparison;
use super::exchange::{Answer, Exchange};
use crate::api::{ApiVersion, Operation, Param, ResultField};

/// What a withheld value becomes, in the record and on the line; `ecapi replay` sends it in their
/// place, and `ecapi script` starts its variables with it.
pub const REDACTED: &str = "[redacted]";

/// What an envelope that could not be read to withhold its values becomes.
pub const WITHHELD_ENVELOPE: &str = "[withheld: the envelope could not be read to redact it]";

/// The answer fields, by which `--redact` may name them.
const ALL_FIELDS: [ResultField; 6] = [
    ResultField::Port,
    ResultField::Unit,
    ResultField::Url,
    ResultField::FieldValue,
    ResultField::PortStatus,
    ResultField::StateDuration,
];

/// The columns the guides name for the test service, for "did you mean" only: a deployment names
/// its own, and any `fld…` name is taken.
const KNOWN_COLUMNS: [&str; 5] = [
    "fldCampaign",
    "fldClientID",
    "fldCustomerAccountNum",
    "fldCallCategory",
    "fldAccountingNum",
];

/// A `--redact` name that names nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--redact {name}: not a parameter, an answer field or an Encore field name (fld…); \
     the closest is {closest}"
)]
pub struct UnknownName {
    /// The name given.
    pub name: String,
    /// The closest known name.
    pub closest: String,
}

/// One `--redact` name, read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// A parameter or answer field: the wire names it stands for (both versions, the field's).
    Names { given: String, wire: Vec<String> },
    /// An Encore field name.
    Field(String),
}

/// The names whose values `--redact` withholds.
#[derive(Debug, Clone, Default)]
pub struct Redaction {
    rules: Vec<Rule>,
}

impl Redaction {
    /// Reads `--redact` names; a name that is no parameter, answer field or Encore field name is
    /// an error naming the closest known one.
    pub fn new(names: &[String]) -> Result<Redaction, UnknownName> {
        let mut rules = Vec::new();
        for name in names {
            let name = name.trim();
            let mut wire: Vec<String> = Vec::new();
            if let Some(p) = Param::ALL.into_iter().find(|p| {
                ApiVersion::ALL
                    .iter()
                    .any(|v| p.wire_name(*v).eq_ignore_ascii_case(name))
            }) {
                for v in ApiVersion::ALL {
                    wire.push(p.wire_name(v).to_string());
                }
            }
            for f in ALL_FIELDS {
                if f.script_name().eq_ignore_ascii_case(name)
                    || f.wire_name().eq_ignore_ascii_case(name)
                {
                    wire.push(f.wire_name().to_string());
                }
            }
            wire.sort_unstable();
            wire.dedup();
            let rule = if !wire.is_empty() {
                Rule::Names {
                    given: name.to_string(),
                    wire,
                }
            } else if is_field_name(name) {
                Rule::Field(name.to_string())
            } else {
                return Err(UnknownName {
                    name: name.to_string(),
                    closest: closest(name),
                });
            };
            if !rules.contains(&rule) {
                rules.push(rule);
            }
        }
        Ok(Redaction { rules })
    }

    /// Whether nothing is withheld.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// What is withheld, for the banner: `fieldValue, User (userName), values of fldCard`.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .rules
            .iter()
            .map(|r| match r {
                Rule::Names { given, wire } => {
                    let others: Vec<&str> = wire
                        .iter()
                        .map(String::as_str)
                        .filter(|w| !w.eq_ignore_ascii_case(given))
                        .collect();
                    if others.is_empty() {
                        given.clone()
                    } else {
                        format!("{given} ({})", others.join(", "))
                    }
                }
                Rule::Field(f) => format!("the values of field {f} (AssignField, GetField)"),
            })
            .collect();
        parts.join(", ")
    }

    /// Whether values of this parameter or answer field (by a wire name) are withheld.
    pub fn covers(&self, wire_name: &str) -> bool {
        self.rules.iter().any(|r| {
            matches!(r, Rule::Names { wire, .. } if wire.iter().any(|w| w.eq_ignore_ascii_case(wire_name)))
        })
    }

    /// The `--redact` name that withholds values of this parameter or field wire name, if any.
    #[cfg(test)]
    fn rule_for(&self, wire_name: &str) -> Option<&str> {
        self.rules.iter().find_map(|r| match r {
            Rule::Names { given, wire }
                if wire.iter().any(|w| w.eq_ignore_ascii_case(wire_name)) =>
            {
                Some(given.as_str())
            }
            _ => None,
        })
    }

    /// The field rule naming one of `field_names`, if any.
    fn field_rule<'a>(&'a self, field_names: &[String]) -> Option<&'a str> {
        self.rules.iter().find_map(|r| match r {
            Rule::Field(f) if field_names.iter().any(|n| n.trim().eq_ignore_ascii_case(f)) => {
                Some(f.as_str())
            }
            _ => None,
        })
    }

    /// Withholds every value this redaction names from an exchange, in place: the parsed request
    /// and answer, both envelopes, the shadow's differences, the fault's string, the upstream's
    /// reason; and notes in [`Exchange::withheld`] what was taken (for the notes, rendered later)
    /// and in [`Exchange::redacted`] which names were withheld by which `--redact` name.
    pub fn apply(&self, e: &mut Exchange) {
        if self.rules.is_empty() {
            return;
        }
        // The names withheld in this exchange, with the rule behind each.
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for r in &self.rules {
            if let Rule::Names { given, wire } = r {
                for w in wire {
                    names.insert(w.clone(), given.clone());
                }
            }
        }
        // An Encore field named by the request, as read or as found in its envelope (a request
        // WCF would not read still names its field to the upstream's eyes).
        let mut field_names: Vec<String> = Vec::new();
        if let Some(r) = &e.request {
            if matches!(r.op(), Operation::AssignField | Operation::GetField) {
                field_names.push(r.get(Param::FieldName).to_string());
            }
        }
        let scanned = crate::soap::element_texts(&e.request_body, "fieldName");
        let unreadable = scanned.is_none();
        field_names.extend(scanned.unwrap_or_default());
        // A request that cannot be read may name any field: its values are withheld (and so the
        // envelope, which cannot be searched, whole).
        let field = self.field_rule(&field_names).or_else(|| {
            self.rules
                .iter()
                .find_map(|r| match r {
                    Rule::Field(f) => Some(f.as_str()),
                    _ => None,
                })
                .filter(|_| unreadable)
        });
        if let Some(field) = field {
            names
                .entry(ResultField::FieldValue.wire_name().to_string())
                .or_insert_with(|| field.to_string());
        }
        let mut withheld: Vec<String> = Vec::new();
        let mut redacted: BTreeMap<String, String> = BTreeMap::new();
        let rule = |wire: &str| {
            names
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(wire))
                .map(|(_, r)| r.clone())
        };

        if let Some(request) = &mut e.request {
            for p in request.op().params(ApiVersion::V7_1) {
                let name = p.wire_name(ApiVersion::V7_1);
                let Some(by) = rule(name) else { continue };
                let value = request.get(*p);
                if value.is_empty() {
                    continue;
                }
                withheld.push(value.to_string());
                request.set(*p, REDACTED);
                redacted.insert(name.to_string(), by);
            }
        }
        if let Answer::Response(response) = &mut e.answer {
            for field in response.op.result_fields() {
                let Some(by) = rule(field.wire_name()) else {
                    continue;
                };
                let Some(value) = response.field(*field).map(|v| v.into_owned()) else {
                    continue;
                };
                if value.is_empty() {
                    continue;
                }
                withheld.push(value);
                response.set_field(*field, REDACTED);
                redacted.insert(field.wire_name().to_string(), by);
            }
        }
        let element_names: Vec<String> = names.keys().cloned().collect();
        // Whether an envelope was withheld whole.
        let envelope = |text: &mut String, withheld: &mut Vec<String>| {
            // Text that was not UTF-8 (UTF-16 that could not be decoded, say) cannot be searched.
            let unreadable = text.contains(['\u{0}', '\u{FFFD}']);
            match crate::soap::redact_elements(text, &element_names, REDACTED) {
                Some(r) if !unreadable => {
                    withheld.extend(r.values);
                    *text = r.text;
                    false
                }
                _ => {
                    *text = WITHHELD_ENVELOPE.to_string();
                    true
                }
            }
        };
        let request_whole = envelope(&mut e.request_body, &mut withheld);
        if let Some(body) = &mut e.response_body {
            // The values of a request that could not be read are not known, so an answer that
            // might quote them is withheld with it.
            if request_whole {
                *body = WITHHELD_ENVELOPE.to_string();
            } else {
                envelope(body, &mut withheld);
            }
        }
        if request_whole {
            const WITH: &str = "(withheld with the request, which could not be read to redact it)";
            match &mut e.answer {
                Answer::Fault(f) => f.string = WITH.to_string(),
                Answer::Http { what, .. } => *what = WITH.to_string(),
                _ => {}
            }
            if let Some(reason) = &mut e.reason {
                *reason = WITH.to_string();
            }
        }
        withheld.retain(|v| !v.trim().is_empty() && v != REDACTED);
        // The longest first, so that a value holding another is taken whole.
        withheld.sort_by_key(|v| std::cmp::Reverse(v.len()));
        withheld.dedup();

        match &mut e.answer {
            Answer::Fault(f) => f.string = scrub(&f.string, &withheld),
            Answer::Http { what, .. } => *what = scrub(what, &withheld),
            Answer::Dropped(why) | Answer::Unreachable(why) => *why = scrub(why, &withheld),
            _ => {}
        }
        if let Some(reason) = &mut e.reason {
            *reason = scrub(reason, &withheld);
        }
        match &mut e.shadow {
            Some(Comparison::Differ(diffs)) => {
                for d in diffs {
                    if rule(&d.what).is_some() {
                        d.expected = REDACTED.to_string();
                        d.actual = REDACTED.to_string();
                    } else {
                        d.expected = scrub(&d.expected, &withheld);
                        d.actual = scrub(&d.actual, &withheld);
                    }
                }
            }
            Some(Comparison::Unavailable(why)) => *why = scrub(why, &withheld),
            _ => {}
        }
        e.withheld = withheld;
        e.redacted = redacted;
    }
}

/// `text` with every one of `values` replaced by [`REDACTED`] (`values` longest first).
pub fn scrub(text: &str, values: &[String]) -> String {
    let mut out = text.to_string();
    for v in values {
        if out.contains(v.as_str()) {
            out = out.replace(v.as_str(), REDACTED);
        }
    }
    out
}

/// Whether a name is an Encore field name: `fld` and a column name of letters, digits and `_`.
fn is_field_name(name: &str) -> bool {
    name.len() > 3
        && name[..3].eq_ignore_ascii_case("fld")
        && name[3..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The known name closest to `name` (Jaro-Winkler, without regard to case).
fn closest(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let mut known: Vec<&str> = Vec::new();
    for p in Param::ALL {
        for v in ApiVersion::ALL {
            known.push(p.wire_name(v));
        }
    }
    for f in ALL_FIELDS {
        known.push(f.wire_name());
        known.push(f.script_name());
    }
    known.extend(KNOWN_COLUMNS);
    known
        .into_iter()
        .map(|k| (strsim::jaro_winkler(&lower, &k.to_ascii_lowercase()), k))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_parameters_fields_or_encore_fields_and_a_typo_names_the_closest() {
        let r = Redaction::new(&["user".into(), "value".into(), "fldCard".into()]).unwrap();
        assert_eq!(r.rule_for("userName"), Some("user"));
        assert_eq!(r.rule_for("FIELDVALUE"), Some("value"));
        assert_eq!(r.rule_for("Unit"), None);
        assert_eq!(r.field_rule(&["FLDCARD ".into()]), Some("fldCard"));
        assert_eq!(
            Redaction::new(&["feldValue".into()]).unwrap_err().closest,
            "fieldValue"
        );
        assert_eq!(
            Redaction::new(&["CustomerAccountNum".into()])
                .unwrap_err()
                .closest,
            "fldCustomerAccountNum"
        );
        assert!(Redaction::new(&["fld".into()]).is_err());
        assert!(Redaction::new(&["fld x".into()]).is_err());
        assert_eq!(
            r.describe(),
            "user (userName), value (fieldValue), the values of field fldCard (AssignField, \
             GetField)"
        );
    }

    fn exchange(request: &str, answer: Answer, response: Option<&str>) -> Exchange {
        Exchange {
            time: chrono::Utc::now(),
            client: "127.0.0.1:1".parse().unwrap(),
            action: None,
            request: crate::soap::decode_request(
                request.as_bytes(),
                Some("http://tempuri.org/IECAPI/AssignField"),
                ApiVersion::V7_1,
                &crate::soap::Names::default(),
            )
            .ok(),
            request_body: request.to_string(),
            status: Some(200),
            answer,
            response_body: response.map(str::to_string),
            injected: false,
            elapsed: std::time::Duration::ZERO,
            notes: Vec::new(),
            shadow: None,
            reason: Some("value 4111111111111111 refused".into()),
            body_op: None,
            withheld: Vec::new(),
            redacted: BTreeMap::new(),
        }
    }

    #[test]
    fn a_withheld_value_leaves_faults_reasons_and_shadow_differences_too() {
        use super::super::compare::Difference;
        let r = Redaction::new(&["fldCard".into()]).unwrap();
        let request = "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Body>\
            <AssignField xmlns=\"http://tempuri.org/\"><Unit>1</Unit><Port>2</Port>\
            <fieldName>fldcard</fieldName><fieldValue>4111111111111111</fieldValue></AssignField>\
            </s:Body></s:Envelope>";
        let fault = crate::soap::Fault::action_not_supported("4111111111111111");
        let mut e = exchange(request, Answer::Fault(fault), None);
        e.shadow = Some(Comparison::Differ(vec![
            Difference {
                what: "fieldValue".into(),
                expected: "\"4111111111111111\"".into(),
                actual: "\"123\"".into(),
            },
            Difference {
                what: "message".into(),
                expected: "\"no 4111111111111111\"".into(),
                actual: "\"x\"".into(),
            },
        ]));
        r.apply(&mut e);
        // What is withheld is kept (never shown) to take it out of notes as they are rendered.
        assert_eq!(e.withheld, ["4111111111111111"]);
        e.withheld.clear();
        let text = format!("{e:?}");
        assert!(!text.contains("4111111111111111"), "{text}");
        assert_eq!(e.redacted["fieldValue"], "fldCard");
        assert_eq!(e.request.as_ref().unwrap().get(Param::FieldValue), REDACTED);
        // A request that cannot be read: the answer goes with it.
        let cut = &request[..request.find("</fieldValue>").unwrap()];
        let mut e = exchange(
            cut,
            Answer::Http {
                status: 400,
                what: "not a SOAP answer: 4111111111111111".into(),
            },
            Some("<p>4111111111111111</p>"),
        );
        r.apply(&mut e);
        e.withheld.clear();
        let text = format!("{e:?}");
        assert!(!text.contains("4111111111111111"), "{text}");
        assert_eq!(e.request_body, WITHHELD_ENVELOPE);
    }

    #[test]
    fn scrubbing_takes_the_longest_value_first() {
        let values = vec!["4111111111111111".to_string(), "4111".to_string()];
        assert_eq!(
            scrub("card 4111111111111111 and 4111", &values),
            "card [redacted] and [redacted]"
        );
    }
}
