//! Reading script arguments: units and ports given as integers or strings, text values, and the
//! errors that name what was wrong.

use compact_str::CompactString;
use rhai::{Dynamic, EvalAltResult};

/// A script error with a message; Rhai fills in the position of the call.
pub fn error(msg: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(msg.into()),
        rhai::Position::NONE,
    ))
}

/// The name of a value's type as scripts know it (`Port`, `Response`, `string`, `i64`...).
pub fn type_name(v: &Dynamic) -> &'static str {
    let full = v.type_name();
    match full.rsplit("::").next().unwrap_or(full) {
        "ScriptResponse" => "Response",
        "ImmutableString" | "String" | "str" => "string",
        "Map" => "map",
        "Array" => "array",
        "()" => "()",
        other => other,
    }
}

/// A unit or port: an integer or a string, sent as text.
pub fn unit_or_port(
    function: &str,
    what: &str,
    v: &Dynamic,
) -> Result<CompactString, Box<EvalAltResult>> {
    with_unit_or_port(function, what, v, |t| CompactString::from(t))
}

/// [`unit_or_port`], lent to `f` instead of copied: an integer written out in a stack buffer, a
/// string's own text (a request's values are built this way without an intermediate string).
pub fn with_unit_or_port<R>(
    function: &str,
    what: &str,
    v: &Dynamic,
    f: impl FnOnce(&str) -> R,
) -> Result<R, Box<EvalAltResult>> {
    if let Ok(i) = v.as_int() {
        return Ok(f(itoa::Buffer::new().format(i)));
    }
    if let Some(s) = v.read_lock::<rhai::ImmutableString>() {
        return Ok(f(s.as_str()));
    }
    Err(error(format!(
        "{function}: {what} must be an integer or a string, not {}",
        type_name(v)
    )))
}

/// Text: a string, or a number or boolean written out. `()` is refused: it is most often a variable
/// or function that gave nothing, and sending it as an empty element would hide that (write `""`
/// for an empty value).
pub fn text(function: &str, what: &str, v: &Dynamic) -> Result<String, Box<EvalAltResult>> {
    if v.is_string() {
        return Ok(v.clone().into_string().unwrap_or_default());
    }
    if v.is_int() || v.is_float() || v.is_bool() || v.is_char() {
        return Ok(v.to_string());
    }
    if v.is_unit() {
        return Err(error(format!(
            "{function}: {what} is () (no value): pass a string, or \"\" for an empty value"
        )));
    }
    Err(error(format!(
        "{function}: {what} must be a string, not {}",
        type_name(v)
    )))
}

/// `max_seconds`: a whole number that fits maxRecordingTimeInSeconds, an `xs:int`.
pub fn max_seconds(function: &str, v: &Dynamic) -> Result<i64, Box<EvalAltResult>> {
    let n = int(function, "max_seconds", v)?;
    if i32::try_from(n).is_err() {
        return Err(error(format!(
            "{function}: max_seconds {n} does not fit maxRecordingTimeInSeconds, an xs:int ({} to {})",
            i32::MIN,
            i32::MAX
        )));
    }
    Ok(n)
}

/// A whole number (an integer, or a string of digits).
pub fn int(function: &str, what: &str, v: &Dynamic) -> Result<i64, Box<EvalAltResult>> {
    if let Some(i) = v.clone().try_cast::<i64>() {
        return Ok(i);
    }
    if v.is_string() {
        let s = v.clone().into_string().unwrap_or_default();
        if let Ok(i) = s.trim().parse::<i64>() {
            return Ok(i);
        }
        return Err(error(format!(
            "{function}: {what} must be a whole number, got {s:?}"
        )));
    }
    Err(error(format!(
        "{function}: {what} must be a whole number, not {}",
        type_name(v)
    )))
}
