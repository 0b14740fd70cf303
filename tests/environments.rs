//! The project file's environments as a team uses them: `--env staging` from a folder two levels
//! below `ecapi.toml` reaches the staging endpoint with the password read from the environment;
//! `ecapi env` lists the environments and shows one's values, the password masked; the
//! precedence (command line > `// args:` > environment > defaults) holds for the backend options
//! and the `--set` values; and each mistake (a variable not set, an unknown environment, malformed
//! TOML) is exit 2 naming what is wrong and where.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use ecapi::server::Running;

const PASSWORD: &str = "Stg-pw-81fq";

/// An `ecapi serve` on a free port that requires `crm` and [`PASSWORD`].
fn staging() -> Running {
    common::serve_with_password(PASSWORD)
}

fn ecapi(dir: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    c.current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env_remove("ECAPI_ENV")
        .env_remove("ECAPI_USER")
        .env_remove("ECAPI_PASSWORD")
        .env_remove("ENCORE_PASSWORD")
        .env("NO_COLOR", "1")
        .args(args);
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A project: `ecapi.toml` at the top, a flow two folders below it.
fn project(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"# Where the team's flows run.
[env.sim]
profile = "recorder"

[env.staging]
endpoint = "{url}"
user = "crm"
password = "${{ENCORE_PASSWORD}}"
set = {{ extension = "4021", who = "environment" }}

[env.closed]
endpoint = "http://127.0.0.1:9/WebAPI/ECAPI.svc"
timeout = 2
"#
    );
    std::fs::write(dir.path().join("ecapi.toml"), toml).unwrap();
    let flows = dir.path().join("flows/billing");
    std::fs::create_dir_all(&flows).unwrap();
    std::fs::write(
        flows.join("flow.rhai"),
        "let r = init_station(param(\"extension\"));\nprint(`${r.code} ${r.port}`);\n",
    )
    .unwrap();
    dir
}

#[test]
fn env_staging_from_a_project_file_two_folders_up_reaches_its_endpoint_with_the_password_from_the_environment(
) {
    let server = staging();
    let dir = project(&server.url());
    let here = dir.path().join("flows/billing");
    let out = ecapi(
        &here,
        &["run", "--env", "staging", "flow.rhai"],
        &[("ENCORE_PASSWORD", PASSWORD)],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    // 100 from the served simulator, which requires the password, for the extension the
    // environment sets.
    assert_eq!(stdout, "100 1\n");

    // ECAPI_ENV chooses it as --env does.
    let out = ecapi(
        &here,
        &["run", "flow.rhai"],
        &[("ENCORE_PASSWORD", PASSWORD), ("ECAPI_ENV", "staging")],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));

    // The wrong password is refused by the server: the environment's endpoint was the one used.
    let out = ecapi(
        &here,
        &["run", "--env", "staging", "flow.rhai"],
        &[("ENCORE_PASSWORD", "not-it")],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("authentication failed"), "{stderr}");
}

#[test]
fn a_variable_that_is_not_set_is_exit_2_naming_it_and_the_line() {
    let dir = project("http://127.0.0.1:9/WebAPI/ECAPI.svc");
    let out = ecapi(
        &dir.path().join("flows/billing"),
        &["run", "--env", "staging", "flow.rhai"],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    let toml = dir.path().join("ecapi.toml");
    assert_eq!(
        stderr.trim_end(),
        format!(
            "ecapi: {}:8: env.staging.password: the environment variable ENCORE_PASSWORD is not set (`${{ENCORE_PASSWORD}}`)",
            toml.display()
        )
    );
}

#[test]
fn an_unknown_environment_is_exit_2_naming_the_closest() {
    let dir = project("http://127.0.0.1:9/WebAPI/ECAPI.svc");
    let out = ecapi(
        dir.path(),
        &["call", "--env", "stagin", "InitStation", "Extension=1"],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("--env stagin: no such environment in")
            && stderr.contains("(did you mean `staging`?); it names sim, staging, closed"),
        "{stderr}"
    );
    // Without a project file the option says so.
    let bare = tempfile::tempdir().unwrap();
    let out = ecapi(
        bare.path(),
        &["call", "--env", "x", "InitStation", "Extension=1"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out)
        .1
        .contains("no ecapi.toml in the current folder or any folder above it"));
}

#[test]
fn malformed_toml_and_an_unknown_key_are_exit_2_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("ecapi.toml");
    std::fs::write(&toml, "[env.a]\nendpoint = \"http://x\n").unwrap();
    let out = ecapi(dir.path(), &["env", "a"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let (_, stderr) = text(&out);
    assert!(
        stderr.starts_with(&format!("ecapi: {}:2: ", toml.display())),
        "{stderr}"
    );
    std::fs::write(&toml, "[env.a]\nuser = \"crm\"\npasword = \"x\"\n").unwrap();
    let out = ecapi(dir.path(), &["env"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out).1.trim_end(),
        format!(
            "ecapi: {}:3: env.a: unknown key `pasword` (did you mean `password`?)",
            toml.display()
        )
    );
}

#[test]
fn ecapi_env_lists_the_environments_and_shows_one_with_its_password_masked() {
    let dir = project("http://127.0.0.1:9/WebAPI/ECAPI.svc");
    let out = ecapi(&dir.path().join("flows"), &["env"], &[]);
    let (stdout, _) = text(&out);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout.contains("  sim      line 2    profile\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  staging  line 5    endpoint, user, password, set extension, set who\n"),
        "{stdout}"
    );

    let out = ecapi(
        &dir.path().join("flows"),
        &["env", "staging"],
        &[("ENCORE_PASSWORD", PASSWORD)],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stdout.contains(PASSWORD), "{stdout}");
    let row = |key: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} row in\n{stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(
        row("password"),
        "password *** ecapi.toml:8 (env.staging, read from $ENCORE_PASSWORD)"
    );
    assert_eq!(row("user"), "user crm ecapi.toml:7 (env.staging)");
    assert_eq!(row("timeout"), "timeout 30 default");
    assert!(stdout.contains("precedence: the command line > a script's `// args:` line > the environment > the defaults"));
}

#[test]
fn the_command_line_wins_over_the_args_line_which_wins_over_the_environment() {
    let server = staging();
    let dir = project("http://127.0.0.1:9/WebAPI/ECAPI.svc");
    let here = dir.path().join("flows/billing");
    let url = server.url();
    // The environment `closed` points at a closed port; the flow's own line names the served
    // one, and sets `who`.
    std::fs::write(
        here.join("own.rhai"),
        format!(
            "// args: --endpoint {url} --user crm --set who=line\nprint(`${{param(\"who\")}} ${{param(\"extension\", \"none\")}} ${{init_station(\"1\").code}}`);\n"
        ),
    )
    .unwrap();
    let vars = [("ENCORE_PASSWORD", PASSWORD), ("ECAPI_PASSWORD", PASSWORD)];
    // The line's endpoint over the environment's; the line's `who` over the environment's.
    let out = ecapi(&here, &["run", "--env", "closed", "own.rhai"], &vars);
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(text(&out).0, "line none 100\n");
    // The command line's `who` over the line's; the environment's extension under both.
    let out = ecapi(
        &here,
        &[
            "run",
            "--env",
            "staging",
            "--set",
            "who=command",
            "own.rhai",
        ],
        &vars,
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert_eq!(text(&out).0, "command 4021 100\n");
    // The command line's endpoint over the line's.
    let out = ecapi(
        &here,
        &[
            "run",
            "--endpoint",
            "http://127.0.0.1:9/WebAPI/ECAPI.svc",
            "--timeout",
            "2",
            "own.rhai",
        ],
        &vars,
    );
    assert_eq!(out.status.code(), Some(1), "{:?}", text(&out));

    // `ecapi env` names the source of each value.
    let out = ecapi(
        &here,
        &[
            "env",
            "staging",
            "--script",
            "own.rhai",
            "--timeout",
            "9",
            "--set",
            "who=command",
        ],
        &vars,
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let from = |key: &str| {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{key} ")))
            .unwrap_or_else(|| panic!("no {key} row in\n{stdout}"));
        line.split_whitespace()
            .skip(key.split(' ').count() + 1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(from("timeout"), "command line");
    assert_eq!(from("endpoint"), "own.rhai:1 (// args:)");
    assert_eq!(from("user"), "own.rhai:1 (// args:)");
    assert_eq!(from("set who"), "command line");
    assert_eq!(from("set extension"), "ecapi.toml:9 (env.staging)");
}

#[test]
fn a_test_suite_runs_in_the_environment_with_its_set_values() {
    let server = staging();
    let dir = project(&server.url());
    let out = ecapi(
        dir.path(),
        &["test", "--env", "staging", "flows"],
        &[("ENCORE_PASSWORD", PASSWORD)],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
}

#[test]
fn a_scripts_args_line_may_choose_its_environment_the_command_line_winning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ecapi.toml"),
        "[env.x]\nset = { who = \"x\" }\n\n[env.y]\nset = { who = \"y\" }\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("f.rhai"),
        "// args: --env x\nprint(param(\"who\"));\n",
    )
    .unwrap();
    let run = |args: &[&str], vars: &[(&str, &str)]| {
        let out = ecapi(dir.path(), args, vars);
        assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
        text(&out).0
    };
    assert_eq!(run(&["run", "f.rhai"], &[]), "x\n");
    assert_eq!(run(&["run", "--env", "y", "f.rhai"], &[]), "y\n");
    // ECAPI_ENV stands for a default, under the line, as ECAPI_ENDPOINT does.
    assert_eq!(run(&["run", "f.rhai"], &[("ECAPI_ENV", "y")]), "x\n");
    assert!(run(&["test", "f.rhai", "--env", "y"], &[]).contains("1 passed"));
}

/// The first line `ecapi serve` prints, and the process stopped.
fn served_banner(dir: &Path, args: &[&str]) -> String {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(dir)
        .env_remove("ECAPI_ENV")
        .args(["serve", "--listen", "127.0.0.1:0", "--quiet"])
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    format!("{line}{}", String::from_utf8_lossy(&out.stderr))
}

#[test]
fn ecapi_serve_takes_an_environments_simulator_options_under_its_own() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ecapi.toml"),
        "[env.sim]\nprofile = \"recorder\"\napi = \"7.0\"\n# the clients' endpoint, not the server's\nendpoint = \"http://127.0.0.1:9/WebAPI/ECAPI.svc\"\n",
    )
    .unwrap();
    assert!(served_banner(dir.path(), &["--env", "sim"])
        .starts_with("ecapi serve: simulated Encore Web API 7.0 at http://127.0.0.1:"),);
    assert!(served_banner(dir.path(), &["--env", "sim", "--api", "7.1"])
        .starts_with("ecapi serve: simulated Encore Web API 7.1 at"));
    let unknown = served_banner(dir.path(), &["--env", "simm"]);
    assert!(
        unknown.contains("--env simm: no such environment") && unknown.contains("`sim`"),
        "{unknown}"
    );
}

#[test]
fn ecapi_proxy_forwards_to_the_environments_endpoint_with_its_credentials() {
    use std::io::BufRead;
    let server = staging();
    let dir = project(&server.url());
    let mut proxy = Command::new(env!("CARGO_BIN_EXE_ecapi"))
        .current_dir(dir.path())
        .env_remove("ECAPI_ENV")
        .env("ENCORE_PASSWORD", PASSWORD)
        .args([
            "proxy",
            "--env",
            "staging",
            "--listen",
            "127.0.0.1:0",
            "--quiet",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = String::new();
    std::io::BufReader::new(proxy.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    // `ecapi proxy: http://127.0.0.1:PORT/WebAPI/ECAPI.svc → UPSTREAM`, the password not shown.
    let listening = banner
        .split_whitespace()
        .nth(2)
        .unwrap_or_default()
        .to_string();
    assert!(
        banner.ends_with(&format!("→ {}\n", server.url())),
        "{banner}"
    );
    // A client that sends no credentials gets the environment's.
    let out = ecapi(
        dir.path(),
        &[
            "call",
            "--endpoint",
            &listening,
            "InitStation",
            "Extension=7",
        ],
        &[],
    );
    let _ = proxy.kill();
    let _ = proxy.wait();
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    assert!(text(&out).0.contains(" 100 "), "{:?}", text(&out));
}

#[test]
fn a_value_given_on_the_command_line_needs_no_variable_of_the_environment() {
    let server = staging();
    let dir = project(&server.url());
    let here = dir.path().join("flows/billing");
    // ENCORE_PASSWORD is not set: `--password` overrides the environment's `${ENCORE_PASSWORD}`.
    for command in ["run", "test"] {
        let out = ecapi(
            &here,
            &[
                command,
                "--env",
                "staging",
                "--password",
                PASSWORD,
                "flow.rhai",
            ],
            &[],
        );
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{command}: {stdout}{stderr}");
    }
    // A `set` value read from a variable that is not set: an error only when no --set gives it.
    std::fs::write(
        dir.path().join("ecapi.toml"),
        "[env.lab]\nset = { extension = \"${LAB_EXTENSION}\" }\n",
    )
    .unwrap();
    let out = ecapi(&here, &["run", "--env", "lab", "flow.rhai"], &[]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "ecapi.toml:2: env.lab.extension: the environment variable LAB_EXTENSION is not set"
        ),
        "{stderr}"
    );
    let out = ecapi(
        &here,
        &[
            "run",
            "--env",
            "lab",
            "--set",
            "extension=4021",
            "flow.rhai",
        ],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert_eq!(
        (out.status.code(), stdout.as_str()),
        (Some(0), "100 1\n"),
        "{stderr}"
    );
}

#[test]
fn ecapi_variables_give_way_to_a_simulator_chosen_above_them() {
    let dir = project("http://127.0.0.1:9/WebAPI/ECAPI.svc");
    let here = dir.path().join("flows/billing");
    // Nothing listens on port 9: a run that used ECAPI_ENDPOINT would fail to connect.
    let vars = [
        ("ECAPI_ENDPOINT", "http://127.0.0.1:9/WebAPI/ECAPI.svc"),
        ("ECAPI_PASSWORD", "VarPw-71"),
    ];
    let chosen: [&[&str]; 3] = [
        &["--env", "sim"],
        &["--profile", "hosted"],
        &["--env", "staging", "--profile", "hosted"],
    ];
    for options in chosen {
        let mut args = vec!["run", "--set", "extension=4021"];
        args.extend_from_slice(options);
        args.push("flow.rhai");
        let out = ecapi(&here, &args, &vars);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(0), "{options:?}: {stdout}{stderr}");
        // The simulator answers: 100 from the hosted profile; `sim` is the recorder profile,
        // where 4021 is no configured extension.
        let expected = if options[1] == "sim" {
            "660 \n"
        } else {
            "100 1\n"
        };
        assert_eq!(stdout, expected, "{options:?}");
    }
    // ECAPI_PASSWORD alone means nothing to the simulator.
    let out = ecapi(
        &here,
        &["run", "--set", "extension=4021", "flow.rhai"],
        &[("ECAPI_PASSWORD", "VarPw-71")],
    );
    assert_eq!(out.status.code(), Some(0), "{:?}", text(&out));
    // Without a simulator chosen, ECAPI_ENDPOINT is the backend.
    let out = ecapi(
        &here,
        &["run", "--set", "extension=4021", "flow.rhai"],
        &vars[..1],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot connect to http://127.0.0.1:9/"),
        "{stderr}"
    );
}

#[test]
fn an_endpoint_that_is_not_a_url_is_named_where_it_was_written_its_password_masked() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ecapi.toml"),
        "[env.sim]\nprofile = \"hosted\"\n\n[env.lab]\nuser = \"crm\"\nendpoint = \"http://u:TomlPw-42@127.0.0.1:notaport/x\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("f.rhai"), "init_station(\"1\");\n").unwrap();
    let out = ecapi(
        dir.path(),
        &[
            "run",
            "--endpoint",
            "http://u:CliPw-43@127.0.0.1:notaport/x",
            "f.rhai",
        ],
        &[],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("CliPw-43"), "{stderr}");
    assert!(
        stderr.contains("--endpoint http://u:***@127.0.0.1:notaport/x: not a URL"),
        "{stderr}"
    );
    let out = ecapi(dir.path(), &["run", "--env", "lab", "f.rhai"], &[]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("TomlPw-42"), "{stderr}");
    let toml = dir.path().join("ecapi.toml");
    assert!(
        stderr.contains(&format!(
            "{}:6: env.lab.endpoint http://u:***@127.0.0.1:notaport/x: not a URL",
            toml.display()
        )),
        "{stderr}"
    );

    // An environment chosen by ECAPI_ENV is named so, with the closest name.
    let out = ecapi(dir.path(), &["run", "f.rhai"], &[("ECAPI_ENV", "sm")]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ECAPI_ENV=sm: no such environment")
            && stderr.contains("did you mean `sim`?"),
        "{stderr}"
    );
}
