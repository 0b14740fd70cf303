//! Helpers: `param` (values from `--set`), `env`, `now`, `sleep`.

use rhai::{Dynamic, Engine, EvalAltResult};

use super::args::error;
use super::operations::now_iso;
use super::session::SharedSession;

type Res<T> = Result<T, Box<EvalAltResult>>;

/// Converts a `--set` value to the type of the default given with it.
fn like(name: &str, value: &str, default: &Dynamic) -> Res<Dynamic> {
    if default.is_int() {
        return value.trim().parse::<i64>().map(Dynamic::from).map_err(|_| {
            error(format!(
                "param: --set {name}={value} is not a whole number, as its default {default} is"
            ))
        });
    }
    if default.is_float() {
        return value.trim().parse::<f64>().map(Dynamic::from).map_err(|_| {
            error(format!(
                "param: --set {name}={value} is not a number, as its default {default} is"
            ))
        });
    }
    if default.is_array() || default.is_map() {
        return Err(error(format!(
            "param: --set {name}={value} cannot become a {}, as its default is",
            super::args::type_name(default)
        )));
    }
    if default.is_bool() {
        return match value.trim() {
            "true" => Ok(true.into()),
            "false" => Ok(false.into()),
            _ => Err(error(format!(
                "param: --set {name}={value} is not true or false, as its default {default} is"
            ))),
        };
    }
    Ok(value.to_string().into())
}

/// Registers the helpers.
pub fn register(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    engine.register_fn("param", move |name: &str| -> Res<String> {
        s.borrow().param(name).map(str::to_string).ok_or_else(|| {
            error(format!(
                "no parameter `{name}`: pass it with --set {name}=VALUE or give param a default"
            ))
        })
    });
    let s = session.clone();
    engine.register_fn(
        "param",
        move |name: &str, default: Dynamic| -> Res<Dynamic> {
            match s.borrow().param(name) {
                Some(v) => like(name, v, &default),
                None => Ok(default),
            }
        },
    );
    engine.register_fn("env", |name: &str| -> Dynamic {
        match std::env::var(name) {
            Ok(v) => v.into(),
            Err(_) => Dynamic::UNIT,
        }
    });
    let s = session.clone();
    engine.register_fn("now", move || now_iso(&s));
    engine.register_fn("sleep", |ms: i64| sleep_ms(ms as f64));
    // Shadows Rhai's own sleep(seconds) for floats, so that sleep always counts milliseconds.
    engine.register_fn("sleep", sleep_ms);
}

fn sleep_ms(ms: f64) -> Res<()> {
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(error(format!("sleep: {ms} ms is not a duration")));
    }
    std::thread::sleep(std::time::Duration::from_secs_f64(ms / 1000.0));
    Ok(())
}
