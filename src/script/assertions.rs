//! Assertions: `assert`, `assert_eq`, `expect`, `expect_ok`, and `test` for named cases (with
//! their options: tags). A failed
//! assertion throws an [`AssertionFailure`], which the runners tell apart from other script errors.

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, Map, NativeCallContext};

use super::response::ScriptResponse;

/// The value thrown by a failed assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionFailure {
    /// What failed.
    pub message: String,
}

impl std::fmt::Display for AssertionFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A failed assertion as a script error; Rhai fills in the position of the call.
pub fn failure(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(AssertionFailure {
            message: message.into(),
        }),
        rhai::Position::NONE,
    ))
}

/// Whether an error is a failed assertion (anywhere in a chain of function calls).
pub fn is_assertion(err: &EvalAltResult) -> bool {
    match err {
        EvalAltResult::ErrorRuntime(v, _) => v.is::<AssertionFailure>(),
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _) => is_assertion(inner),
        _ => false,
    }
}

fn show(v: &Dynamic) -> String {
    if v.is_string() {
        format!("{:?} (string)", v.to_string())
    } else if let Some(r) = v.clone().try_cast::<ScriptResponse>() {
        r.to_string()
    } else {
        format!("{v} ({})", super::args::type_name(v))
    }
}

type Res<T> = Result<T, Box<EvalAltResult>>;

fn expect(r: ScriptResponse, code: i64) -> Res<ScriptResponse> {
    if i64::from(r.inner.code) == code {
        Ok(r)
    } else {
        // The simulator's reason says why, where the wire message only says what.
        let why = r
            .reason
            .as_deref()
            .map(|w| format!(" (simulator: {w})"))
            .unwrap_or_default();
        Err(failure(format!(
            "expected {code} from {}, got {} {}{why}",
            r.inner.op, r.inner.code, r.inner.message
        )))
    }
}

/// Registers the assertions.
pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<AssertionFailure>("AssertionFailure")
        .register_get("message", |a: &mut AssertionFailure| a.message.clone())
        .register_fn("to_string", |a: &mut AssertionFailure| a.message.clone())
        .register_fn("to_debug", |a: &mut AssertionFailure| a.message.clone());

    engine.register_fn("assert", |cond: bool| -> Res<()> {
        if cond {
            Ok(())
        } else {
            Err(failure("assertion failed"))
        }
    });
    engine.register_fn("assert", |cond: bool, message: &str| -> Res<()> {
        if cond {
            Ok(())
        } else {
            Err(failure(format!("assertion failed: {message}")))
        }
    });
    engine.register_fn(
        "assert_eq",
        |ctx: NativeCallContext, actual: Dynamic, expected: Dynamic| -> Res<()> {
            let same_type = actual.type_id() == expected.type_id();
            let equal = if same_type {
                ctx.call_native_fn::<bool>("==", (actual.clone(), expected.clone()))
                    .map_err(|_| {
                        failure(format!(
                            "assert_eq: {} values cannot be compared",
                            super::args::type_name(&actual)
                        ))
                    })?
            } else {
                false
            };
            if equal {
                Ok(())
            } else {
                Err(failure(format!(
                    "assert_eq: actual {}, expected {}",
                    show(&actual),
                    show(&expected)
                )))
            }
        },
    );
    engine.register_fn("expect", expect);
    engine.register_fn("expect_ok", |r: ScriptResponse| expect(r, 100));
    // Outside `ecapi test` a case simply runs where it stands, so a test file also works with
    // `ecapi run` and `:load`. The test runner registers its own `test` over this one.
    engine.register_fn(
        "test",
        |ctx: NativeCallContext, _name: &str, body: FnPtr| -> Res<Dynamic> {
            body.call_within_context(&ctx, ())
        },
    );
    engine.register_fn(
        "test",
        |ctx: NativeCallContext, _name: &str, options: Map, body: FnPtr| -> Res<Dynamic> {
            case_tags(&options)?;
            body.call_within_context(&ctx, ())
        },
    );
}

/// Whether `tag` is a well-formed tag: one word of letters, digits, `-`, `_`, `.` and `:`.
pub fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// The tags of a case's options, `#{ tags: ["pci", "smoke"] }` (a string of tags split at white
/// space is taken too); an unknown key or a malformed tag is an error naming it.
pub fn case_tags(options: &Map) -> Res<Vec<String>> {
    let mut tags = Vec::new();
    for (key, value) in options {
        if key.as_str() != "tags" {
            return Err(super::args::error(format!(
                "test: unknown option `{key}`; the options are tags, e.g. #{{ tags: [\"smoke\"] }}"
            )));
        }
        let items: Vec<Dynamic> = if value.is_string() {
            value
                .to_string()
                .split_whitespace()
                .map(|t| Dynamic::from(t.to_string()))
                .collect()
        } else if let Some(a) = value.clone().try_cast::<rhai::Array>() {
            a
        } else {
            return Err(super::args::error(format!(
                "test: tags must be an array of strings, e.g. [\"smoke\", \"pci\"], not {}",
                super::args::type_name(value)
            )));
        };
        for item in items {
            let Some(tag) = item.clone().into_string().ok() else {
                return Err(super::args::error(format!(
                    "test: a tag must be a string, not {} ({item})",
                    super::args::type_name(&item)
                )));
            };
            if !valid_tag(&tag) {
                return Err(super::args::error(format!(
                    "test: `{tag}` is not a tag: a tag is one word of letters, digits, -, _, . and :"
                )));
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    Ok(tags)
}
