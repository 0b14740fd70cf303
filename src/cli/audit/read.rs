//! Reading a record for `ecapi audit`, one exchange at a time (bounded memory, whatever the
//! file's size): JSON Lines from `ecapi proxy --record` (exchange lines; summary and finding
//! lines are skipped) or from a served simulator's journal (one entry per line), a journal
//! exported as one JSON array, or the control interface's answer to `journal` as saved
//! (`{"ok": true, "value": [entries]}`). A last line cut short (a proxy killed mid-write) is read up to the
//! last whole line, with a warning; any other line that cannot be read is an error naming the
//! file and line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::de::{Deserializer as _, SeqAccess, Visitor};

use crate::audit::{Finding, RuleId};
use crate::exchange::Exchange;
use crate::proxy::record::Record;
use crate::simulator::ExportedEntry;

/// Calls `each` with every exchange of the file, in order, and the card-data findings its record
/// line kept (the proxy masks the numbers it found); returns the warnings (a last line cut
/// short). An error names the file and line.
pub fn each(
    path: &Path,
    mut each: impl FnMut(Exchange, Vec<Finding>),
) -> Result<Vec<String>, String> {
    let file = File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let starts_array = {
        let buf = reader
            .fill_buf()
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        buf.iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'[')
    };
    if starts_array {
        return array(path, reader, &mut |ex| each(ex, Vec::new())).map(|()| Vec::new());
    }
    let mut warnings = Vec::new();
    let mut line = Vec::new();
    let mut number = 0usize;
    let mut exchanges = 0u64;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        number += 1;
        let whole = line.last() == Some(&b'\n');
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        match parse(text.trim(), exchanges + 1) {
            Ok(found) => {
                for (ex, recorded) in found {
                    exchanges += 1;
                    each(ex, recorded);
                }
            }
            Err(e) if !whole => {
                warnings.push(format!(
                    "{}:{number}: the last line is cut short ({e}); read up to line {}",
                    path.display(),
                    number - 1
                ));
            }
            Err(e) => return Err(format!("{}:{number}: {e}", path.display())),
        }
    }
    Ok(warnings)
}

/// One line: its exchanges (none for a summary line, every entry of a saved control answer), or
/// what is wrong.
fn parse(line: &str, seq: u64) -> Result<Vec<(Exchange, Vec<Finding>)>, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("not a JSON line: {e}"))?;
    match value.get("kind").and_then(|k| k.as_str()) {
        Some("exchange") => {
            let record: Record = serde_json::from_value(value)
                .map_err(|e| format!("not an exchange record: {e}"))?;
            let recorded = record
                .findings
                .iter()
                .filter(|f| f.rule == RuleId::CardData)
                .cloned()
                .collect();
            record.to_exchange(seq).map(|ex| vec![(ex, recorded)])
        }
        Some(_) => Ok(Vec::new()),
        None if value.get("ok").is_some() && value.get("value").is_some_and(|v| v.is_array()) => {
            let entries: Vec<ExportedEntry> = serde_json::from_value(value["value"].clone())
                .map_err(|e| format!("not a journal: {e}"))?;
            entries
                .iter()
                .map(|e| e.to_exchange().map(|ex| (ex, Vec::new())))
                .collect()
        }
        None if value.get("seq").is_some() && value.get("op").is_some() => {
            let entry: ExportedEntry =
                serde_json::from_value(value).map_err(|e| format!("not a journal entry: {e}"))?;
            entry.to_exchange().map(|ex| vec![(ex, Vec::new())])
        }
        None => Err(
            "neither a proxy record line (`kind`) nor a journal entry (`seq`, `op`)".to_string(),
        ),
    }
}

/// A journal exported as one JSON array, read element by element.
fn array(path: &Path, reader: impl Read, each: &mut dyn FnMut(Exchange)) -> Result<(), String> {
    struct Entries<'a> {
        each: &'a mut dyn FnMut(Exchange),
    }
    impl<'de> Visitor<'de> for Entries<'_> {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of journal entries")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            let mut i = 0usize;
            while let Some(entry) = seq.next_element::<ExportedEntry>()? {
                i += 1;
                let ex = entry
                    .to_exchange()
                    .map_err(|e| serde::de::Error::custom(format!("entry {i}: {e}")))?;
                (self.each)(ex);
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_reader(reader);
    de.deserialize_seq(Entries { each })
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"kind":"exchange","time":"2026-12-07T10:00:00.000Z","client":"127.0.0.1:5000","operation":"PortStatus","action":null,"parameters":{"Unit":"1","Port":"5"},"status":200,"outcome":"answered","code":100,"message":"ok","elapsed_ms":1.0,"notes":[],"request":""}"#;

    fn read(text: &str) -> Result<(Vec<Exchange>, Vec<String>), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        std::fs::write(&path, text).unwrap();
        let mut out = Vec::new();
        let warnings = each(&path, |e, _| out.push(e))?;
        Ok((out, warnings))
    }

    #[test]
    fn a_record_is_read_line_by_line_skipping_summaries() {
        let text = format!("{LINE}\n{LINE}\n{{\"kind\":\"summary\",\"exchanges\":2}}\n");
        let (ex, warnings) = read(&text).unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[1].seq, 2);
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_last_line_cut_short_is_a_warning_and_the_whole_lines_are_read() {
        let text = format!("{LINE}\n{}", &LINE[..40]);
        let (ex, warnings) = read(&text).unwrap();
        assert_eq!(ex.len(), 1);
        assert!(
            warnings[0].contains(":2: the last line is cut short"),
            "{warnings:?}"
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_an_error_naming_the_line() {
        let text = format!("{LINE}\nnot json\n{LINE}\n");
        let err = read(&text).unwrap_err();
        assert!(err.contains("r.jsonl:2: not a JSON line"), "{err}");
        let err = read("{\"x\":1}\n").unwrap_err();
        assert!(err.contains(":1: neither a proxy record line"), "{err}");
    }

    #[test]
    fn a_journal_export_reads_as_lines_or_as_an_array() {
        let entry = r#"{"seq":3,"time":"2026-12-07T10:00:00","op":"StopRecording","params":[["Unit","1"],["Port","2"]],"code":608,"message":"Warning: Port was not recording","reason":""}"#;
        let (ex, _) = read(&format!("{entry}\n")).unwrap();
        assert_eq!(ex[0].seq, 3);
        assert_eq!(ex[0].code(), Some(608));
        let (ex, _) = read(&format!(" [{entry},{entry}]")).unwrap();
        assert_eq!(ex.len(), 2);
        let err = read("[{\"seq\":1}]").unwrap_err();
        assert!(err.contains("r.jsonl"), "{err}");
        let (ex, _) = read(&format!("{{\"ok\":true,\"value\":[{entry},{entry}]}}\n")).unwrap();
        assert_eq!(ex.len(), 2, "the control interface's answer as saved");
    }
}
