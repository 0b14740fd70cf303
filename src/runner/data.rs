//! Data files for data-driven runs (`--data FILE`): a CSV file with a header row, or a JSON array
//! of objects. Each row becomes the map `data` in one run of a script; under `ecapi test` each row
//! is a case, named by its `name` column or, without one, its number (`row 3`).
//!
//! CSV values are strings (script functions take a unit or port as a string or an integer alike);
//! JSON values keep their types. The format is chosen by the file's extension (`.json` is JSON,
//! anything else CSV).

use std::path::Path;

use serde_json::{Map, Value};

/// One row of a data file.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its `name` value, or `row N` (counted from 1, the header not counted).
    pub name: String,
    /// Its values by column (CSV) or key (JSON).
    pub values: Map<String, Value>,
}

/// Why a data file cannot be used; the message names the file and the line or row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DataError(pub String);

/// Reads a data file: its rows, in order. An empty file, a file without rows, a CSV row with
/// more or fewer fields than the header and a JSON value other than an array of objects are
/// errors.
pub fn read(path: &Path) -> Result<Vec<Row>, DataError> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| DataError(format!("--data {shown}: {e}")))?;
    let rows = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        from_json(&text)
    } else {
        from_csv(&text)
    }
    .map_err(|e| DataError(format!("--data {shown}{e}")))?;
    if rows.is_empty() {
        return Err(DataError(format!("--data {shown}: the file has no rows")));
    }
    for row in &rows {
        crate::secrets::add_columns(&row.values);
    }
    Ok(rows)
}

fn name_of(values: &Map<String, Value>, index: usize) -> String {
    match values.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => format!("row {}", index + 1),
    }
}

/// Rows from CSV text; an error's text starts with `:LINE: `.
pub fn from_csv(text: &str) -> Result<Vec<Row>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let where_ = |e: &csv::Error| match e.position() {
        Some(p) => format!(":{}: ", p.line()),
        None => ": ".to_string(),
    };
    let headers = reader
        .headers()
        .map_err(|e| format!("{}{e}", where_(&e)))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(": the header row is missing (the first line names the columns)".into());
    }
    if let Some(i) = headers.iter().position(str::is_empty) {
        return Err(format!(
            ":1: column {} of the header row has no name",
            i + 1
        ));
    }
    if let Some((i, h)) = headers
        .iter()
        .enumerate()
        .find(|(i, h)| headers.iter().take(*i).any(|x| x == *h))
    {
        return Err(format!(":1: column {} repeats the name `{h}`", i + 1));
    }
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let at = where_(&e);
            match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!(
                    "{at}row {} has {len} fields, the header row {expected_len}",
                    index + 1
                ),
                _ => format!("{at}{e}"),
            }
        })?;
        let values: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_string(), Value::String(v.to_string())))
            .collect();
        rows.push(Row {
            name: name_of(&values, index),
            values,
        });
    }
    Ok(rows)
}

/// Rows from JSON text; an error's text starts with `:LINE:COLUMN: ` or `: row N`.
pub fn from_json(text: &str) -> Result<Vec<Row>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!(":{}:{}: {e}", e.line(), e.column()))?;
    let Value::Array(items) = value else {
        return Err(": expected an array of objects, one per row".into());
    };
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item {
            Value::Object(values) => Ok(Row {
                name: name_of(&values, index),
                values,
            }),
            other => Err(format!(
                ": row {} is {}, not an object",
                index + 1,
                kind(&other)
            )),
        })
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_are_named_by_their_name_column_or_number() {
        let rows = from_csv("name,extension\nalice,4001\n,4002\n").unwrap();
        assert_eq!(rows[0].name, "alice");
        assert_eq!(rows[0].values["extension"], "4001");
        assert_eq!(rows[1].name, "row 2");
        let rows = from_csv("extension\n4001\n").unwrap();
        assert_eq!(rows[0].name, "row 1");
    }

    #[test]
    fn a_csv_row_of_the_wrong_width_names_its_line() {
        let err = from_csv("name,extension\nalice,4001\nbob\n").unwrap_err();
        assert_eq!(err, ":3: row 2 has 1 fields, the header row 2");
    }

    #[test]
    fn a_csv_header_with_a_repeated_or_empty_column_is_an_error() {
        assert_eq!(
            from_csv("a,a\n1,2\n").unwrap_err(),
            ":1: column 2 repeats the name `a`"
        );
        assert_eq!(
            from_csv("a,,b\n1,2,3\n").unwrap_err(),
            ":1: column 2 of the header row has no name"
        );
    }

    #[test]
    fn json_rows_keep_their_types_and_bad_json_names_line_and_column() {
        let rows = from_json(r#"[{"name": "a", "unit": 1}, {"unit": 2}]"#).unwrap();
        assert_eq!(rows[0].values["unit"], 1);
        assert_eq!(rows[1].name, "row 2");
        assert!(from_json("[{\"a\": 1},\n {\"b\" 2}]")
            .unwrap_err()
            .starts_with(":2:7: "));
        assert_eq!(
            from_json(r#"[{"a": 1}, 5]"#).unwrap_err(),
            ": row 2 is a number, not an object"
        );
        assert_eq!(
            from_json(r#"{"a": 1}"#).unwrap_err(),
            ": expected an array of objects, one per row"
        );
    }

    #[test]
    fn a_file_without_rows_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.csv");
        std::fs::write(&p, "name\n").unwrap();
        let err = read(&p).unwrap_err().to_string();
        assert!(err.ends_with("d.csv: the file has no rows"), "{err}");
    }
}
