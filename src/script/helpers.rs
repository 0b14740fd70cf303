//! Helpers: `param` (values from `--set`), `env`, `now`, `sleep`.

use std::time::Duration;

use rhai::{Dynamic, Engine, EvalAltResult};

use super::args::error;
use super::operations::now_iso;
use super::session::SharedSession;
use super::stop::terminated;
use crate::client::Cancel;

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
            Ok(v) => {
                // A variable whose name says secret (ENCORE_PASSWORD, API_TOKEN) is masked
                // wherever its value is written, as `--secret NAME` would make it.
                if crate::secrets::looks_secret(name) || crate::secrets::is_secret_name(name) {
                    crate::secrets::add(&v, Some(name));
                }
                v.into()
            }
            Err(_) => Dynamic::UNIT,
        }
    });
    let s = session.clone();
    engine.register_fn("now", move || now_iso(&s));
    let s = session.clone();
    engine.register_fn("sleep", move |ms: i64| {
        let cancel = s.borrow().cancel().clone();
        sleep_ms(&cancel, ms as f64, &ms.to_string())
    });
    // Shadows Rhai's own sleep(seconds) for floats, so that sleep always counts milliseconds.
    let s = session.clone();
    engine.register_fn("sleep", move |ms: f64| {
        let cancel = s.borrow().cancel().clone();
        sleep_ms(&cancel, ms, &ms.to_string())
    });
}

/// The longest `sleep`: a day. Longer is surely a mistake in units.
const MAX_SLEEP_MS: f64 = 86_400_000.0;

/// Sleeps `ms` milliseconds unless the run is stopped first (Ctrl-C, `--max-time`), which ends the
/// script. `shown` is the argument as the script gave it, for errors.
fn sleep_ms(cancel: &Cancel, ms: f64, shown: &str) -> Res<()> {
    if !ms.is_finite() || ms < 0.0 {
        return Err(error(format!("sleep: {shown} ms is not a duration")));
    }
    if ms > MAX_SLEEP_MS {
        return Err(error(format!(
            "sleep: {shown} ms is more than a day ({MAX_SLEEP_MS} ms); sleep counts milliseconds"
        )));
    }
    cancel
        .sleep(Duration::from_secs_f64(ms / 1000.0))
        .map_err(terminated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;
    use std::time::Instant;

    #[test]
    fn absurd_sleeps_are_errors_naming_the_argument() {
        let cancel = Cancel::default();
        for (ms, shown) in [
            (-1.0, "-1"),
            (f64::NAN, "NaN"),
            (1e30, "1e30"),
            (i64::MAX as f64, "9223372036854775807"),
        ] {
            let err = sleep_ms(&cancel, ms, shown).unwrap_err().to_string();
            assert!(err.contains(&format!("sleep: {shown} ms is ")), "{err}");
        }
    }

    #[test]
    fn a_sleep_ends_when_the_run_is_interrupted_and_ends_the_script() {
        let cancel = Cancel::default();
        let flag = cancel.flag().clone();
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            flag.store(true, Ordering::SeqCst);
        });
        let started = Instant::now();
        let err = sleep_ms(&cancel, 3_600_000.0, "3600000").unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(60));
        assert!(
            matches!(*err, EvalAltResult::ErrorTerminated(ref v, _) if v.to_string() == "interrupted (Ctrl-C)"),
            "{err}"
        );
        setter.join().unwrap();
    }
}
