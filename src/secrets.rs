//! The secrets of this process, and the one function that masks them in what ecapi writes.
//!
//! A secret is a value that must reach the server and nothing else a person or a CI job reads:
//! the `--password` (or `ECAPI_PASSWORD`), the `--control-token`, the password in an endpoint's
//! URL (`https://crm:PASSWORD@host/…`), a value an `ecapi.toml` environment reads from an
//! environment variable it marks secret, a value a script reads with `env(NAME)` when NAME says
//! secret ([`looks_secret`]), and every value named with `--secret NAME` (a `--set` name, a
//! `--data` column, a script variable, a request parameter, an Encore field or an environment
//! variable). The command line and the script functions add them here as they learn them
//! ([`add`], [`add_name`]), always before they can be written; every writer passes its text
//! through [`mask`] at its edge — standard output and error (`--trace`, `-v` rows, errors, log
//! lines), the REPL's grid and history file, the test reports (text, JUnit, JSON, TAP, HTML),
//! `ecapi load`'s summary and reports — so a secret shows as [`MASK`] wherever it would have
//! been written. `:save` writes a secret as the environment variable it came from
//! ([`mask_script`]).
//!
//! A secret is masked in the forms it is written in: as it is, XML- or HTML-escaped, escaped in
//! a JSON string or a Rhai string literal, percent-encoded in a URL, each of these composed (a
//! Rhai literal in a JUnit attribute, an envelope in the HTML report), and (with its user)
//! base64-encoded in a basic authentication header.
//!
//! Owns nothing else: it knows no command, file format or terminal.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};

/// What a secret is written as.
pub const MASK: &str = "***";

/// One written form of a secret, and the environment variable it was read from, if any.
#[derive(Debug, Clone)]
struct Form {
    text: String,
    variable: Option<String>,
}

#[derive(Debug, Default)]
struct Registry {
    /// Every form of every secret, in the order they were learnt.
    forms: Vec<Form>,
    /// Each form's index in `forms`, so that adding a known value costs a look-up (a load test
    /// may learn a value per request).
    index: Option<HashMap<String, usize>>,
    /// The searcher of every form, built when first needed after a change: one pass over a text
    /// whatever the number of secrets, the longest match winning (a secret containing another is
    /// masked whole).
    searcher: Option<Arc<AhoCorasick>>,
    /// The names given with `--secret` (and an environment's `secret = […]`).
    names: Vec<String>,
    /// Those of `names` that named something (a `--set` name, a variable, a parameter …), in
    /// lower case.
    matched: BTreeSet<String>,
    /// The names seen that a `--secret` name could have meant, for [`unmatched`]'s suggestion.
    seen: BTreeSet<String>,
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry {
    forms: Vec::new(),
    index: None,
    searcher: None,
    names: Vec::new(),
    matched: BTreeSet::new(),
    seen: BTreeSet::new(),
});

/// Whether any secret is known: writers skip the search while none is.
static ANY: AtomicBool = AtomicBool::new(false);

/// Whether any name was given with `--secret` (names are never removed): every request a script
/// sends asks, without taking the registry's lock.
static NAMED: AtomicBool = AtomicBool::new(false);

fn read() -> std::sync::RwLockReadGuard<'static, Registry> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner())
}

fn write() -> std::sync::RwLockWriteGuard<'static, Registry> {
    REGISTRY.write().unwrap_or_else(|e| e.into_inner())
}

/// Adds a secret value (an empty one is ignored); `variable` names the environment variable it
/// was read from, which `:save` writes in its place.
pub fn add(value: &str, variable: Option<&str>) {
    if value.is_empty() {
        return;
    }
    // A value seen again (a secret variable read in a loop) costs a look-up, not its forms.
    let known = |r: &Registry| r.index.as_ref().is_some_and(|i| i.contains_key(value));
    if variable.is_none() && known(&read()) {
        return;
    }
    let mut guard = write();
    let registry = &mut *guard;
    for text in forms(value) {
        if text.is_empty() {
            continue;
        }
        let index = registry.index.get_or_insert_with(HashMap::new);
        match index.get(&text) {
            Some(&at) => {
                let known = &mut registry.forms[at];
                if known.variable.is_none() {
                    known.variable = variable.map(str::to_string);
                }
            }
            None => {
                index.insert(text.clone(), registry.forms.len());
                registry.forms.push(Form {
                    text,
                    variable: variable.map(str::to_string),
                });
                registry.searcher = None;
            }
        }
    }
    ANY.store(true, Ordering::Release);
}

/// Adds a basic authentication password with its user: the password, and the header's
/// `base64(user:password)`.
pub fn add_basic_auth(user: &str, password: &str, variable: Option<&str>) {
    use base64::Engine as _;
    add(password, variable);
    if !password.is_empty() {
        let header = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        add(&header, None);
    }
}

/// Adds the password of a URL's user information (`https://crm:PASSWORD@host/…`), as written
/// and decoded, with the basic authentication header it makes with `user` (the URL's user when
/// `None`). The URL is read as text, so that the password of one that does not parse
/// (`http://u:PW@host:notaport/`) is masked in the error naming it. A URL without a password
/// adds nothing.
pub fn add_url(url: &str, user: Option<&str>) {
    let Some((url_user, raw)) = url_credentials(url) else {
        return;
    };
    add(raw, None);
    let decoded = crate::client::percent_decode(raw);
    let url_user = crate::client::percent_decode(url_user);
    add_basic_auth(user.unwrap_or(&url_user), &decoded, None);
}

/// The user and password of a URL's user information, as written: the text between `://` and the
/// last `@` before the path, split at its first `:`.
fn url_credentials(url: &str) -> Option<(&str, &str)> {
    let (_, rest) = url.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (userinfo, _) = authority.rsplit_once('@')?;
    let (user, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some((user, password))
}

/// Adds a name given with `--secret`: the values later found under it (a script variable's, a
/// request parameter's) are added with [`add`] by whoever finds them.
pub fn add_name(name: &str) {
    let name = name.trim();
    if name.is_empty() {
        return;
    }
    let mut registry = write();
    if !registry.names.iter().any(|n| n == name) {
        registry.names.push(name.to_string());
    }
    NAMED.store(true, Ordering::Release);
}

/// Whether `name` was given with `--secret` (request parameters compare without case, as
/// Encore's names are matched). Each name asked about is one a `--secret` name could have meant:
/// [`unmatched`] names the closest.
pub fn is_secret_name(name: &str) -> bool {
    let (named, known) = {
        let r = read();
        let named = r.names.iter().any(|n| n.eq_ignore_ascii_case(name));
        let known = if named {
            r.matched.contains(&name.to_ascii_lowercase())
        } else {
            r.seen.contains(name)
        };
        (named, known)
    };
    if !known && !name.is_empty() {
        let mut w = write();
        if named {
            w.matched.insert(name.to_ascii_lowercase());
        } else {
            w.seen.insert(name.to_string());
        }
    }
    named
}

/// Notes that a `--secret` name named something found other than through [`is_secret_name`]
/// (an environment variable of that name).
pub fn mark_matched(name: &str) {
    write().matched.insert(name.trim().to_ascii_lowercase());
}

/// The names given with `--secret` that named nothing this run — no `--set` name, `--data`
/// column, script variable, request parameter, field or environment variable of that name was
/// seen, so no value was masked for it — each with the closest name seen, if one is close (a
/// typo: `crad` for `card`).
pub fn unmatched() -> Vec<(String, Option<String>)> {
    let r = read();
    r.names
        .iter()
        .filter(|n| !r.matched.contains(&n.to_ascii_lowercase()))
        .map(|n| {
            let lower = n.to_ascii_lowercase();
            let closest = r
                .seen
                .iter()
                .map(|s| {
                    let other = s.to_ascii_lowercase();
                    let score = strsim::jaro_winkler(&lower, &other);
                    let typo = strsim::osa_distance(&lower, &other) <= 1;
                    (if typo { score.max(0.9) } else { score }, s)
                })
                .filter(|(score, _)| *score >= 0.8)
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, s)| s.clone());
            (n.clone(), closest)
        })
        .collect()
}

/// Adds the values of a `--data` row's columns named with `--secret` (`data.card` in a script).
pub fn add_columns(row: &serde_json::Map<String, serde_json::Value>) {
    if !has_names() {
        return;
    }
    for (column, value) in row {
        if is_secret_name(column) {
            match value {
                serde_json::Value::String(s) => add(s, None),
                other => add(&other.to_string(), None),
            }
        }
    }
}

/// Whether a name (an option's, a `set` name, an environment variable's) says that its value is
/// a secret: it contains `password`, `secret`, `token` or `key`, in any case.
pub fn looks_secret(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["password", "secret", "token", "key"]
        .iter()
        .any(|w| lower.contains(w))
}

/// Whether any name was given with `--secret`.
pub fn has_names() -> bool {
    NAMED.load(Ordering::Acquire)
}

/// The text with every secret replaced by [`MASK`]; the text itself while no secret is known.
pub fn mask(text: &str) -> Cow<'_, str> {
    if !ANY.load(Ordering::Acquire) {
        return Cow::Borrowed(text);
    }
    let searcher = searcher();
    if searcher.find(text).is_none() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(searcher.replace_all(text, &vec![MASK; searcher.patterns_len()]))
}

/// The searcher of every form known now, built once per change.
fn searcher() -> Arc<AhoCorasick> {
    if let Some(s) = &read().searcher {
        return s.clone();
    }
    let mut registry = write();
    if let Some(s) = &registry.searcher {
        return s.clone();
    }
    let built = Arc::new(
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(registry.forms.iter().map(|f| f.text.as_str()))
            .expect("secrets make a searcher"),
    );
    registry.searcher = Some(built.clone());
    built
}

/// Writes a report or any other file ecapi makes, its secrets masked: `std::fs::write` through
/// [`mask`].
pub fn write_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, mask(text).as_bytes())
}

/// A script as `:save` writes it: a string literal that is a secret read from an environment
/// variable becomes `env("VARIABLE")`, so that the saved script reads it again where it runs;
/// every other secret is [`MASK`].
pub fn mask_script(text: &str) -> String {
    if !ANY.load(Ordering::Acquire) {
        return text.to_string();
    }
    let mut out = text.to_string();
    {
        let registry = read();
        let mut forms: Vec<&Form> = registry.forms.iter().collect();
        // The longest first, so that a secret containing another is replaced whole.
        forms.sort_by_key(|f| std::cmp::Reverse(f.text.len()));
        for form in forms {
            if let Some(variable) = &form.variable {
                let literal = format!("\"{}\"", rust_escape(&form.text));
                out = out.replace(&literal, &format!("env(\"{variable}\")"));
            }
        }
    }
    mask(&out).into_owned()
}

/// The escapings a writer applies to a text: XML and HTML (with `'` as `&apos;` or `&#39;`, and
/// text content that leaves `"` as it is), a JSON string's, a Rust or Rhai string literal's, and
/// a URL's percent-encoding.
const ESCAPINGS: [fn(&str) -> String; 6] = [
    |v| quick_xml::escape::escape(v).into_owned(),
    |v| quick_xml::escape::escape(v).replace("&apos;", "&#39;"),
    |v| quick_xml::escape::partial_escape(v).into_owned(),
    json_escape,
    rust_escape,
    percent_encode,
];

/// How many escapings a written form may have composed: a `-v` row's Rhai literal in a JUnit
/// attribute is two (Rhai, then XML), an envelope in the HTML report two (XML, then HTML), and
/// an envelope's literal in the HTML report three.
const COMPOSED: usize = 3;

/// The forms a value is written in: the value, and every composition of up to [`COMPOSED`]
/// [`ESCAPINGS`] (only those that change the text, so that a plain value has one form).
fn forms(value: &str) -> Vec<String> {
    let mut all = vec![value.to_string()];
    let mut last = vec![value.to_string()];
    for _ in 0..COMPOSED {
        let mut next = Vec::new();
        for text in &last {
            for escape in ESCAPINGS {
                let escaped = escape(text);
                if !all.contains(&escaped) {
                    all.push(escaped.clone());
                    next.push(escaped);
                }
            }
        }
        if next.is_empty() {
            break;
        }
        last = next;
    }
    all
}

/// The value as a JSON string's inside.
fn json_escape(value: &str) -> String {
    let json = serde_json::to_string(value).unwrap_or_default();
    json[1..json.len().saturating_sub(1).max(1)].to_string()
}

/// The value as a Rust or Rhai string literal's inside (`{:?}`, as `-v` rows show values).
fn rust_escape(value: &str) -> String {
    let debug = format!("{value:?}");
    debug[1..debug.len() - 1].to_string()
}

/// Every byte but the unreserved ones (RFC 3986) as `%XX`.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // The registry is the process's: each test uses values of its own.

    #[test]
    fn a_secret_is_masked_in_each_form_it_is_written_in() {
        add("s3cr&t\"pw", None);
        assert_eq!(mask("password s3cr&t\"pw."), "password ***.");
        assert_eq!(mask("<p>s3cr&amp;t&quot;pw</p>"), "<p>***</p>");
        assert_eq!(mask(r#"{"p":"s3cr&t\"pw"}"#), r#"{"p":"***"}"#);
        assert_eq!(mask("https://u:s3cr%26t%22pw@h/"), "https://u:***@h/");
        assert_eq!(mask("nothing here"), "nothing here");
    }

    #[test]
    fn a_secret_is_masked_in_composed_escapings() {
        add("Cmp\"q\\&9", None);
        // A Rhai literal XML-escaped (a `-v` row in a JUnit attribute).
        assert_eq!(
            mask("a=&quot;Cmp\\&quot;q\\\\&amp;9&quot;"),
            "a=&quot;***&quot;"
        );
        // An envelope HTML-escaped (the HTML report's last envelopes).
        assert_eq!(mask("<td>Cmp&amp;quot;q\\&amp;amp;9</td>"), "<td>***</td>");
        // A Rhai literal in a JSON string.
        assert_eq!(mask(r#"{"m":"Cmp\\\"q\\\\&9"}"#), r#"{"m":"***"}"#);
    }

    #[test]
    fn a_urls_password_is_a_secret_even_when_the_url_does_not_parse() {
        add_url("http://crm:Url%26Pw-31@127.0.0.1:notaport/x", None);
        assert_eq!(
            mask("not a URL: http://crm:Url%26Pw-31@127.0.0.1:notaport/x"),
            "not a URL: http://crm:***@127.0.0.1:notaport/x"
        );
        assert_eq!(mask("pw Url&Pw-31"), "pw ***");
        // base64("crm:Url&Pw-31")
        assert_eq!(mask("Basic Y3JtOlVybCZQdy0zMQ=="), "Basic ***");
        assert_eq!(url_credentials("http://u@h/a:b@c"), None);
        assert_eq!(url_credentials("https://u:p:q@h"), Some(("u", "p:q")));
    }

    #[test]
    fn a_secret_containing_another_is_masked_whole() {
        add("alpha-", None);
        add("alpha-beta-gamma", None);
        assert_eq!(mask("x alpha-beta-gamma y alpha- z"), "x *** y *** z");
    }

    #[test]
    fn basic_authentication_is_masked_as_its_header_too() {
        add_basic_auth("crm", "hunter2-basic", None);
        // base64("crm:hunter2-basic")
        assert_eq!(mask("Basic Y3JtOmh1bnRlcjItYmFzaWM="), "Basic ***");
    }

    #[test]
    fn a_saved_script_reads_a_secret_from_its_variable() {
        add("pw-from-env-42", Some("ENCORE_PASSWORD"));
        add("typed-secret-77", None);
        assert_eq!(
            mask_script("let p = \"pw-from-env-42\";\nlet q = \"typed-secret-77\";\n"),
            "let p = env(\"ENCORE_PASSWORD\");\nlet q = \"***\";\n"
        );
    }

    #[test]
    fn a_data_rows_columns_named_secret_are_added() {
        add_name("pan_column");
        let row = serde_json::json!({ "pan_column": "Col-Val-55", "name": "alice" });
        add_columns(row.as_object().unwrap());
        assert_eq!(mask("alice Col-Val-55"), "alice ***");
    }

    #[test]
    fn thousands_of_values_learnt_one_by_one_are_each_masked() {
        for i in 0..5_000 {
            add(&format!("many-{i:05}-v"), None);
            if i % 1_000 == 0 {
                // Masking between additions sees what was added so far.
                assert_eq!(mask(&format!("x many-{i:05}-v y")), "x *** y");
            }
        }
        assert_eq!(
            mask("many-00007-v, many-04999-v and many-05000-v"),
            "***, *** and many-05000-v"
        );
    }

    #[test]
    fn a_name_that_named_nothing_is_reported_with_the_closest_seen() {
        add_name("crad_um");
        add_name("pin_um");
        assert!(!is_secret_name("card_um"));
        assert!(is_secret_name("PIN_UM"));
        let unmatched = unmatched();
        let crad = unmatched.iter().find(|(n, _)| n == "crad_um");
        assert_eq!(
            crad,
            Some(&("crad_um".to_string(), Some("card_um".to_string())))
        );
        assert!(!unmatched.iter().any(|(n, _)| n == "pin_um"));
    }

    #[test]
    fn names_compare_without_case() {
        add_name("CardNumber");
        // A name given is known without the registry's lock (names are never removed).
        assert!(has_names());
        assert!(is_secret_name("cardnumber"));
        assert!(!is_secret_name("card"));
    }
}
