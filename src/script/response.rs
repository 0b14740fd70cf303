//! The `Response` type scripts see: code, message, `ok`, elapsed time and the extra fields.

use rhai::{Dynamic, Engine};

use crate::api::{self, ResponseCode};

/// A response as a script sees it.
#[derive(Debug, Clone)]
pub struct ScriptResponse {
    /// The answer.
    pub inner: api::Response,
    /// Milliseconds from request to answer.
    pub elapsed_ms: f64,
    /// A simulator's reason for a non-100 answer.
    pub reason: Option<String>,
}

fn opt(v: Option<&str>) -> Dynamic {
    match v {
        Some(s) => s.into(),
        None => Dynamic::UNIT,
    }
}

impl ScriptResponse {
    /// The extra fields returned, as `name=value` words, in wire order.
    pub fn fields_text(&self) -> String {
        self.inner
            .fields()
            .into_iter()
            .map(|(f, v)| format!("{}={v}", f.script_name()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether the code is a warning (608, 609, 627).
    pub fn is_warning(&self) -> bool {
        self.inner
            .response_code()
            .is_some_and(ResponseCode::is_warning)
    }
}

impl std::fmt::Display for ScriptResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:.2} ms {} {}",
            self.inner.op, self.elapsed_ms, self.inner.code, self.inner.message
        )?;
        let fields = self.fields_text();
        if !fields.is_empty() {
            write!(f, " | {fields}")?;
        }
        Ok(())
    }
}

/// Registers `Response` and its properties.
pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<ScriptResponse>("Response")
        .register_get("op", |r: &mut ScriptResponse| r.inner.op.name().to_string())
        .register_get("code", |r: &mut ScriptResponse| i64::from(r.inner.code))
        .register_get("message", |r: &mut ScriptResponse| {
            r.inner.message.to_string()
        })
        .register_get("ok", |r: &mut ScriptResponse| r.inner.is_ok())
        .register_get("warning", |r: &mut ScriptResponse| r.is_warning())
        .register_get("elapsed_ms", |r: &mut ScriptResponse| r.elapsed_ms)
        .register_get("reason", |r: &mut ScriptResponse| match &r.reason {
            Some(s) => Dynamic::from(s.clone()),
            None => Dynamic::UNIT,
        })
        .register_get("unit", |r: &mut ScriptResponse| opt(r.inner.unit()))
        .register_get("port", |r: &mut ScriptResponse| opt(r.inner.port()))
        .register_get("url", |r: &mut ScriptResponse| opt(r.inner.url()))
        .register_get("status", |r: &mut ScriptResponse| {
            opt(r.inner.status.as_deref())
        })
        .register_get("value", |r: &mut ScriptResponse| opt(r.inner.value()))
        .register_get("duration", |r: &mut ScriptResponse| {
            match r.inner.duration {
                Some(d) => Dynamic::from(d),
                None => Dynamic::UNIT,
            }
        })
        // Two responses are equal when the server answered the same, whatever the time it took.
        .register_fn("==", |a: ScriptResponse, b: ScriptResponse| {
            a.inner == b.inner
        })
        .register_fn("!=", |a: ScriptResponse, b: ScriptResponse| {
            a.inner != b.inner
        })
        .register_fn("to_string", |r: &mut ScriptResponse| r.to_string())
        .register_fn("to_debug", |r: &mut ScriptResponse| r.to_string());
}
