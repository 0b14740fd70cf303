//! The bounds of the script runtime: how long a string, how many items in an array or a map, how
//! deep the calls of script-defined functions may go. Rhai enforces them; exceeding one stops the
//! script with an error at the line that did it (a script cannot catch it), so that a runaway
//! script fails clearly instead of taking the machine's memory or stack.
//!
//! The defaults are far beyond what a call flow needs (a recording's field value is at most 8,192
//! characters on the wire, wire.md) and far below what hurts a desktop. Time is bounded by
//! `--max-time` and Ctrl-C ([`super::Stop`]), not by counting operations, so that long load and
//! soak scripts are not cut short.
//!
//! Rhai counts the items of arrays and maps nested in one another together (an array of 1,000
//! maps of 15 fields holds 15,000 map entries), and it recounts a container each time a script
//! changes it, so the array and map limits stay at 100,000: growing a container item by item up to
//! them costs seconds, not hours.

use rhai::{Engine, EvalAltResult};

/// Limits of the script runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The longest string, in bytes of UTF-8.
    pub string_bytes: usize,
    /// The most items in one array, the items of arrays nested in it included.
    pub array_items: usize,
    /// The most entries in one object map, or in the maps nested in one value, counted together.
    pub map_entries: usize,
    /// The deepest nesting of calls to script-defined functions.
    pub call_depth: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            string_bytes: 16 * 1024 * 1024,
            array_items: 100_000,
            map_entries: 100_000,
            call_depth: 64,
        }
    }
}

impl Limits {
    /// Sets the limits on an engine.
    pub fn apply(self, engine: &mut Engine) {
        engine.set_max_string_size(self.string_bytes);
        engine.set_max_array_size(self.array_items);
        engine.set_max_map_size(self.map_entries);
        engine.set_max_call_levels(self.call_depth);
    }

    /// The message for an error that a limit raised, or `None` for any other error.
    pub fn explain(err: &EvalAltResult) -> Option<String> {
        let limits = Limits::default();
        match err {
            EvalAltResult::ErrorDataTooLarge(what, _) => Some(match what.as_str() {
                "Length of string" => format!(
                    "a string grew past the script limit of {} bytes",
                    group(limits.string_bytes)
                ),
                "Size of array/BLOB" => format!(
                    "an array grew past the script limit of {} items",
                    group(limits.array_items)
                ),
                "Size of object map" => format!(
                    "a map grew past the script limit of {} entries",
                    group(limits.map_entries)
                ),
                other => format!("{other} is past the script's limits"),
            }),
            EvalAltResult::ErrorStackOverflow(_) => Some(format!(
                "functions call each other more than {} levels deep (endless recursion?)",
                limits.call_depth
            )),
            _ => None,
        }
    }
}

/// A number with thousands separators: `16,777,216`.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Embedded;
    use crate::script::{self, Output, Session};
    use crate::simulator::{Settings, Simulator};

    fn run(source: &str) -> script::Diagnostic {
        let session = Session::new(
            Box::new(Embedded::new(Simulator::hosted(Settings::default()))),
            Default::default(),
        )
        .shared();
        let engine = script::engine(&session, Output::Capture(Default::default()));
        let mut scope = rhai::Scope::new();
        script::run(&engine, &mut scope, source).unwrap_err()
    }

    #[test]
    fn a_string_past_the_limit_stops_the_script_at_its_line_even_inside_try() {
        let d = run("let s = \"x\";\ntry {\n  loop { s += s; }\n} catch { }\n");
        assert_eq!(
            d.message,
            "a string grew past the script limit of 16,777,216 bytes"
        );
        assert_eq!(d.line, Some(3));
    }

    #[test]
    fn arrays_and_maps_past_the_limit_are_errors_naming_the_limit() {
        let d = run("let a = [1];\nloop { a += a; }");
        assert_eq!(
            d.message,
            "an array grew past the script limit of 100,000 items"
        );
        assert_eq!(d.line, Some(2));
        // Ten entries a map: the maps reach 100,000 entries while the array holds 16,384.
        let d = run(
            "let m = #{a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,j:10};\nlet a = [m];\nloop { a += a; }",
        );
        assert_eq!(
            d.message,
            "a map grew past the script limit of 100,000 entries"
        );
        assert_eq!(d.line, Some(3));
    }

    #[test]
    fn endless_recursion_is_an_error_not_a_crash() {
        // On a thread with a small stack, as test threads and agents have.
        let d = std::thread::Builder::new()
            .stack_size(2 * 1024 * 1024)
            .spawn(|| run("fn f(n) { f(n + 1) }\nf(0)"))
            .unwrap()
            .join()
            .unwrap();
        assert!(
            d.message
                .starts_with("functions call each other more than 64 levels deep"),
            "{}",
            d.message
        );
    }

    #[test]
    fn numbers_are_grouped_by_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(16_777_216), "16,777,216");
    }
}
