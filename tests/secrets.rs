//! Secrets kept out of every byte ecapi writes. One suite runs against a served simulator with a
//! password in the endpoint's URL, `--password`, a `--secret` value (a `--set` name and a script
//! variable) and a secret environment variable read by the project file's environment; the
//! scripts hand each secret to a request, `print`, `debug` and a failing assertion. `ecapi run
//! --trace -v`, `ecapi test --trace` with its four reports, `ecapi load` with its summary and
//! both reports, and the REPL (history file, `:save`) are then searched, every byte of every file
//! they wrote and of their standard output and error, for each secret: found nowhere, while the
//! mask is found where each was written.

mod common;

use ecapi::server::Running;
use std::path::Path;
use std::process::{Command, Output};

/// The password the server requires, given with `--password`.
const PASSWORD: &str = "CliPw-x9Lm";
/// The password in the endpoint's URL (`--password` wins over it, as for curl).
const URL_PASSWORD: &str = "UrlPw-q7Zr";
/// A `--set` value named with `--secret card`.
const SET_SECRET: &str = "SetVal-k2Vb";
/// A script variable named with `--secret account`.
const VARIABLE_SECRET: &str = "VarVal-m4Tc";
/// An environment variable read by the environment `ci` (its name says secret).
const ENV_SECRET: &str = "EnvVal-p8Wd";

/// A value assigned to an Encore field named with `--secret fldCardNumber`.
const FIELD_SECRET: &str = "FieldVal-z5Yh";

/// An environment variable the script reads itself (its name says token).
const SCRIPT_ENV_SECRET: &str = "TokVal-r3Ns";

const SECRETS: [&str; 7] = [
    SCRIPT_ENV_SECRET,
    FIELD_SECRET,
    PASSWORD,
    URL_PASSWORD,
    SET_SECRET,
    VARIABLE_SECRET,
    ENV_SECRET,
];

/// An `ecapi serve` on a free port that requires `crm` and [`PASSWORD`].
fn served() -> Running {
    common::serve_with_password(PASSWORD)
}

fn ecapi(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    c.current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env_remove("ECAPI_ENV")
        .env_remove("ECAPI_PASSWORD")
        .env("NO_COLOR", "1")
        .env("ECAPI_HISTORY", "")
        .env("PIN_SECRET", ENV_SECRET)
        .env("CRM_API_TOKEN", SCRIPT_ENV_SECRET);
    c
}

/// A flow that hands every secret to a request, `print` and `debug`.
const FLOW: &str = r#"let account = "VarVal-m4Tc";
init_station("4021");
assign_field(1, 1, "account", account);
assign_field(1, 1, "card", param("card"));
assign_field(1, 1, "pin", param("pin"));
assign_field(1, 1, "fldCardNumber", "FieldVal-z5Yh");
print(`token ${env("CRM_API_TOKEN")}`);
print(`echo ${param("echo_url")} ${param("echo_pw")} ${account} ${param("card")} ${param("pin")}`);
debug(account);
"#;

/// A test that fails with every secret in its message.
const FAILING: &str = r#"test("names every secret", || {
    let account = "VarVal-m4Tc";
    init_station("4022");
    assign_field(1, 1, "card", param("card"));
    assert(false, `account ${account} card ${param("card")} pin ${param("pin")} pw ${param("echo_pw")} url ${param("echo_url")}`);
});
"#;

/// A load flow whose iterations fail with the secrets in their message.
const LOAD_FLOW: &str = r#"let account = "VarVal-m4Tc";
init_station("4023");
throw `declined ${account} ${param("card")} ${param("pin")} ${param("echo_pw")} ${param("echo_url")}`;
"#;

/// Every option that gives a secret.
fn secret_options(url: &str) -> Vec<String> {
    let with_password = url.replacen("http://", &format!("http://crm:{URL_PASSWORD}@"), 1);
    [
        "--env",
        "ci",
        "--endpoint",
        &with_password,
        "--password",
        PASSWORD,
        "--secret",
        "card",
        "--secret",
        "account",
        "--secret",
        "fldCardNumber",
        "--set",
        &format!("card={SET_SECRET}"),
        "--set",
        &format!("echo_pw={PASSWORD}"),
        "--set",
        &format!("echo_url={URL_PASSWORD}"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Standard output and error of a run, and that they hold no secret.
fn check_output(what: &str, out: &Output) -> String {
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for secret in SECRETS {
        assert!(
            !all.contains(secret),
            "{what}: {secret} written to standard output or error:\n{all}"
        );
    }
    all
}

/// Every file under `dir` but the inputs holds no secret; returns their text, joined.
fn check_files(dir: &Path, inputs: &[&str]) -> String {
    let mut all = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if inputs.contains(&name.as_str()) {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            for secret in SECRETS {
                assert!(
                    !text.contains(secret),
                    "{secret} written to {}:\n{text}",
                    path.display()
                );
            }
            all.push_str(&text);
        }
    }
    all
}

const INPUTS: [&str; 4] = ["ecapi.toml", "flow.rhai", "failing.rhai", "load.rhai"];

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "ecapi.toml",
            "[env.ci]\nuser = \"crm\"\nset = { pin = \"${PIN_SECRET}\" }\n",
        ),
        ("suite/flow.rhai", FLOW),
        ("suite/failing.rhai", FAILING),
        ("load.rhai", LOAD_FLOW),
    ];
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

#[test]
fn no_secret_reaches_any_output_report_or_file_of_run_test_and_load() {
    let server = served();
    let dir = project();
    let options = secret_options(&server.url());

    // ecapi run --trace -v: the grid rows, the envelopes, print and debug.
    let out = ecapi(dir.path())
        .args(["run", "--trace", "-v", "suite/flow.rhai"])
        .args(&options)
        .output()
        .unwrap();
    let shown = check_output("run --trace -v", &out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("echo *** *** *** *** ***"),
        "print masks each secret:\n{shown}"
    );
    assert!(
        shown.contains("<FieldValue>***</FieldValue>") || shown.contains(">***</"),
        "the trace masks the envelopes:\n{shown}"
    );
    assert!(shown.contains("AssignField"), "{shown}");
    assert!(shown.contains("token ***"), "{shown}");

    // ecapi test --trace with its four reports: one test passes, one fails naming every secret.
    let out = ecapi(dir.path())
        .args([
            "test",
            "--trace",
            "suite",
            "--report-junit",
            "reports/junit.xml",
            "--report-json",
            "reports/report.json",
            "--report-tap",
            "reports/report.tap",
            "--report-html",
            "reports/report.html",
        ])
        .args(&options)
        .output()
        .unwrap();
    let shown = check_output("test", &out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("account *** card *** pin *** pw *** url ***"),
        "the failure is shown, masked:\n{shown}"
    );
    for report in ["junit.xml", "report.json", "report.tap", "report.html"] {
        let text = std::fs::read_to_string(dir.path().join("reports").join(report)).unwrap();
        assert!(
            text.contains("account *** card *** pin ***"),
            "{report} shows the failure, masked:\n{text}"
        );
    }

    // ecapi load with its summary and both reports: the failures carry the secrets.
    let out = ecapi(dir.path())
        .args([
            "load",
            "load.rhai",
            "--duration",
            "0.5",
            "--no-progress",
            "--summary-json",
            "reports/summary.json",
            "--report-html",
            "reports/load.html",
            "--report-junit",
            "reports/load.xml",
        ])
        .args(&options)
        .output()
        .unwrap();
    let shown = check_output("load", &out);
    assert!(
        shown.contains("declined *** *** *** *** ***"),
        "the summary shows the failure, masked:\n{shown}"
    );
    for report in ["summary.json", "load.html"] {
        let text = std::fs::read_to_string(dir.path().join("reports").join(report)).unwrap();
        assert!(
            text.contains("declined *** *** *** *** ***"),
            "{report} shows the failure, masked:\n{text}"
        );
    }

    // `ecapi env` shows the environment's value masked.
    let out = ecapi(dir.path())
        .args(["env", "ci"])
        .args(&options[2..])
        .output()
        .unwrap();
    let shown = check_output("env", &out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("set pin"), "{shown}");

    // And no file written holds any secret.
    check_files(dir.path(), &INPUTS);
}

/// The REPL on a pseudo-terminal: its grid, its history file and a `:save`d script.
#[cfg(unix)]
#[test]
fn no_secret_reaches_the_repls_screen_history_or_saved_script() {
    use expectrl::{Eof, Expect, Regex, Session};
    use std::time::Duration;

    let server = served();
    let dir = project();
    let history = dir.path().join("history");
    let mut cmd = ecapi(dir.path());
    cmd.env("ECAPI_HISTORY", &history)
        .env("TERM", "xterm")
        .env("CARD_SECRET", SET_SECRET)
        .arg("repl")
        // The REPL takes no --set: the secrets' other options.
        .args(&secret_options(&server.url())[..12])
        .args(["--secret", "CARD_SECRET"]);
    let mut p = Session::spawn(cmd).expect("the REPL starts");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    let prompt = r"\x1b\[\?2004h(?:\x1b\[[0-9;?]*[A-Za-z]|\r)*ecapi>";
    let mut screen = String::new();
    let mut line = |p: &mut Session<_, _>, text: &str| {
        p.send_line(text).unwrap();
        let shown = p.expect(Regex(prompt)).unwrap();
        // What the REPL wrote, after the editor's echo of the typed line (which ends by turning
        // bracketed paste off): a person sees what they type, as in any shell.
        let shown = String::from_utf8_lossy(shown.before()).into_owned();
        let written = shown.rsplit("\x1b[?2004l").next().unwrap_or_default();
        screen.push_str(written);
    };
    p.expect(Regex(prompt)).unwrap();
    line(&mut p, "let account = \"VarVal-m4Tc\"");
    line(&mut p, "init_station(\"4031\")");
    line(&mut p, "assign_field(1, 1, \"account\", account)");
    // Typed values that are secrets: from the environment (`--secret CARD_SECRET`, and the
    // environment's `${PIN_SECRET}`), and the passwords.
    line(&mut p, "let card = \"SetVal-k2Vb\"");
    line(&mut p, "assign_field(1, 1, \"card\", card)");
    line(&mut p, "let pin = \"EnvVal-p8Wd\"");
    line(&mut p, "pin");
    line(&mut p, "print(\"CliPw-x9Lm UrlPw-q7Zr \" + account)");
    // The environment's `set` values are the REPL's parameters.
    line(&mut p, "print(`pin ${param(\"pin\")}`)");
    line(&mut p, ":history");
    line(&mut p, ":save saved.rhai");
    p.send_line(":quit").unwrap();
    p.expect(Eof).unwrap();

    for secret in SECRETS {
        assert!(!screen.contains(secret), "{secret} shown:\n{screen}");
    }
    assert!(screen.contains("=> \"***\""), "{screen}");
    assert!(screen.contains("*** *** ***"), "{screen}");
    assert!(screen.contains("pin ***"), "{screen}");
    assert!(
        screen.contains("1  let account = \"***\""),
        ":history masks:\n{screen}"
    );
    let files = check_files(dir.path(), &INPUTS);
    let saved = std::fs::read_to_string(dir.path().join("saved.rhai")).unwrap();
    // A secret read from an environment variable is saved as that variable, read again.
    assert!(
        saved.contains("let card = env(\"CARD_SECRET\");")
            && saved.contains("let pin = env(\"PIN_SECRET\");"),
        "saved:\n{saved}"
    );
    assert!(saved.contains("let account = \"***\";"), "saved:\n{saved}");
    // Its line names the environment and the server, without the URL's password.
    let args = saved.lines().next().unwrap();
    assert!(
        args.starts_with("// args: --endpoint http://crm@127.0.0.1:") && args.contains("--env ci"),
        "saved:\n{saved}"
    );
    let kept = std::fs::read_to_string(&history).unwrap();
    assert!(kept.contains("let account = \"***\""), "history:\n{kept}");
    assert!(files.contains("assign_field"));
}

/// A `--secret` value holding characters that each writer escapes (`"`, `\`, a tab, `&<>`) is
/// masked in every report, whichever escapings were composed on the way (a Rhai string literal
/// XML-escaped in JUnit, JSON-escaped in the JSON report; an envelope HTML-escaped in the HTML).
#[test]
fn a_secret_with_characters_writers_escape_is_masked_in_every_report() {
    let values = [
        "Ab\"c5151",
        "Ab\\c7171",
        "Ab&c6161",
        "Ab<c>8181",
        "Ab\tc9191",
        "Ab'c4141",
    ];
    for value in values {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("t.rhai"),
            "let pw = param(\"pw\");\nlet p = station(\"4021\");\np.start();\n\
             p.assign(\"fldNote\", pw);\nassert_eq(pw, \"x\");\n",
        )
        .unwrap();
        let out = ecapi(dir.path())
            .args(["test", "--trace", "--secret", "pw", "t.rhai"])
            .arg("--set")
            .arg(format!("pw={value}"))
            .args([
                "--report-junit",
                "o/j.xml",
                "--report-json",
                "o/r.json",
                "--report-tap",
                "o/t.tap",
                "--report-html",
                "o/r.html",
            ])
            .output()
            .unwrap();
        // The value's distinctive tail is found nowhere, in any escaping.
        let tail = &value[3..];
        let shown = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{value}: {shown}");
        assert!(!shown.contains(tail), "{value} shown:\n{shown}");
        assert!(shown.contains("***"), "{value}: {shown}");
        for report in ["j.xml", "r.json", "t.tap", "r.html"] {
            let text = std::fs::read_to_string(dir.path().join("o").join(report)).unwrap();
            assert!(!text.contains(tail), "{value} written to {report}:\n{text}");
            assert!(text.contains("***"), "{report} masks {value}:\n{text}");
        }
    }
}

/// A password in a URL typed at the REPL's `:backend` becomes a secret: masked in the line kept
/// in the history file, in `:history` and in the error when the server cannot be reached.
#[cfg(unix)]
#[test]
fn a_password_typed_in_the_repls_backend_url_is_masked_in_its_history() {
    use expectrl::{Eof, Expect, Regex, Session};
    use std::time::Duration;

    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history");
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = ecapi(dir.path());
    cmd.env("ECAPI_HISTORY", &history)
        .env("TERM", "xterm")
        .arg("repl");
    let mut p = Session::spawn(cmd).expect("the REPL starts");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    let prompt = r"\x1b\[\?2004h(?:\x1b\[[0-9;?]*[A-Za-z]|\r)*ecapi>";
    p.expect(Regex(prompt)).unwrap();
    let mut screen = String::new();
    for typed in [
        format!(":backend http://crm:UrlPw7731@127.0.0.1:{port}/WebAPI/ECAPI.svc"),
        ":history".to_string(),
    ] {
        p.send_line(&typed).unwrap();
        let shown = p.expect(Regex(prompt)).unwrap();
        let shown = String::from_utf8_lossy(shown.before()).into_owned();
        screen.push_str(shown.rsplit("\x1b[?2004l").next().unwrap_or_default());
    }
    p.send_line(":quit").unwrap();
    p.expect(Eof).unwrap();
    assert!(!screen.contains("UrlPw7731"), "shown:\n{screen}");
    assert!(
        screen.contains(&format!(":backend http://crm:***@127.0.0.1:{port}/")),
        ":history masks:\n{screen}"
    );
    let kept = std::fs::read_to_string(&history).unwrap();
    assert!(!kept.contains("UrlPw7731"), "history:\n{kept}");
    assert!(
        kept.contains("http://crm:***@127.0.0.1"),
        "history:\n{kept}"
    );
}

/// A `--secret` name that names nothing (a typo) masks nothing: the run says so, naming the
/// closest name it saw; an empty name is a usage error.
#[test]
fn a_secret_name_that_names_nothing_is_warned_of_with_the_closest_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("s.rhai"),
        "let account = \"Acct-1\";\ninit_station(\"4021\");\nassign_field(1, 1, \"fldNote\", param(\"card\") + account);\n",
    )
    .unwrap();
    let run = |secret: &str| {
        let out = ecapi(dir.path())
            .args([
                "run",
                "--set",
                "card=Card-5517",
                "--secret",
                secret,
                "s.rhai",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), err)
    };
    let (code, err) = run("crad");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("warning: --secret crad named nothing")
            && err.contains("(did you mean `card`?)"),
        "{err}"
    );
    let (code, err) = run("acount");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("(did you mean `account`?)"), "{err}");
    // A set name, a script variable, a field and a request parameter each name something.
    for name in ["card", "account", "fldNote", "Extension"] {
        let (code, err) = run(name);
        assert_eq!(code, Some(0), "{name}: {err}");
        assert!(!err.contains("warning"), "{name}: {err}");
    }
    let (code, err) = run("");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--secret: the name is empty"), "{err}");
}
