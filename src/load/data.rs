//! `--data FILE`: the agents' rows (an extension, a login…), from a CSV file with a header row or a
//! JSON array of objects. Each row becomes a JSON object; agent `i` gets row `i mod rows`.

use serde_json::{Map, Value};

/// Reads rows from a file's text; `name` (the file name) decides the format: `.json` is JSON,
/// anything else CSV. The error says which line or element is wrong.
pub fn rows(name: &str, text: &str) -> Result<Vec<Value>, String> {
    let rows = if name.to_ascii_lowercase().ends_with(".json") {
        json_rows(text)?
    } else {
        csv_rows(text)?
    };
    if rows.is_empty() {
        return Err("no rows: the agents need at least one".to_string());
    }
    Ok(rows)
}

fn json_rows(text: &str) -> Result<Vec<Value>, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("line {}: not JSON: {e}", e.line()))?;
    let Value::Array(items) = value else {
        return Err("expected a JSON array of objects, one per agent".to_string());
    };
    for (i, item) in items.iter().enumerate() {
        if !item.is_object() {
            return Err(format!("element {i} is not an object"));
        }
    }
    Ok(items)
}

/// Splits one CSV line into fields: commas separate, double quotes enclose a field that holds
/// commas, and `""` inside quotes is one quote (RFC 4180, without fields spanning lines).
fn fields(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.trim().is_empty() && !was_quoted => {
                field.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                out.push(if was_quoted {
                    std::mem::take(&mut field)
                } else {
                    std::mem::take(&mut field).trim().to_string()
                });
                was_quoted = false;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err("a quoted field is not closed".to_string());
    }
    out.push(if was_quoted {
        field
    } else {
        field.trim().to_string()
    });
    Ok(out)
}

fn csv_rows(text: &str) -> Result<Vec<Value>, String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Ok(Vec::new());
    };
    let names =
        fields(header.trim_start_matches('\u{feff}')).map_err(|e| format!("line 1: {e}"))?;
    if let Some(i) = names.iter().position(String::is_empty) {
        return Err(format!("line 1: column {} has no name", i + 1));
    }
    let mut rows = Vec::new();
    for (n, line) in lines {
        let values = fields(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        if values.len() != names.len() {
            return Err(format!(
                "line {}: {} fields, but the header names {}",
                n + 1,
                values.len(),
                names.len()
            ));
        }
        let row: Map<String, Value> = names
            .iter()
            .cloned()
            .zip(values.into_iter().map(Value::String))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_rows_are_named_by_the_header() {
        let rows = rows(
            "agents.csv",
            "extension,login\n1001, anna\n1002,\"Berg, Bo\"\n",
        )
        .unwrap();
        assert_eq!(
            rows,
            [
                json!({"extension": "1001", "login": "anna"}),
                json!({"extension": "1002", "login": "Berg, Bo"})
            ]
        );
    }

    #[test]
    fn json_rows_are_the_array_s_objects() {
        let rows = rows("a.json", r#"[{"extension": 1001}, {"extension": 1002}]"#).unwrap();
        assert_eq!(rows[1], json!({"extension": 1002}));
    }

    #[test]
    fn bad_data_says_where() {
        assert_eq!(
            rows("a.csv", "a,b\n1,2\n3\n").unwrap_err(),
            "line 3: 1 fields, but the header names 2"
        );
        assert_eq!(
            rows("a.csv", "a,b\n").unwrap_err(),
            "no rows: the agents need at least one"
        );
        assert_eq!(
            rows("a.json", "[1]").unwrap_err(),
            "element 0 is not an object"
        );
        assert_eq!(
            rows("a.json", "{}").unwrap_err(),
            "expected a JSON array of objects, one per agent"
        );
        assert_eq!(
            rows("a.csv", "a,\"b\n").unwrap_err(),
            "line 1: a quoted field is not closed"
        );
    }
}
