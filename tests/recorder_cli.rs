//! The recorder profile from the command line: `--profile recorder`, `--config FILE`, `--db FILE`.

use std::process::Command;

fn ecapi(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi"));
    c.current_dir(dir)
        .env_remove("ECAPI_ENDPOINT")
        .env("NO_COLOR", "1");
    c
}

#[test]
fn a_bad_configuration_is_refused_at_start_with_its_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("site.toml"),
        "[[unit]]\nid = 1\nports = \"1-4\"\n\n[[user]]\nextension = \"100\"\nunit = 1\nport = 7\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("flow.rhai"), "print(port_status(1, 1));").unwrap();
    let out = ecapi(dir.path())
        .args([
            "run",
            "flow.rhai",
            "--profile",
            "recorder",
            "--config",
            "site.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("site.toml:8: port 7 is not a port of unit `1`"),
        "{err}"
    );
}

#[test]
fn config_and_db_need_the_recorder_profile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("flow.rhai"), "").unwrap();
    for args in [
        ["--config", "x", "--profile", "hosted"],
        ["--db", "x", "--profile", "hosted"],
    ] {
        let out = ecapi(dir.path())
            .args(["run", "flow.rhai"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("add --profile recorder"));
    }
    let out = ecapi(dir.path())
        .args(["run", "flow.rhai", "--db", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("add --profile recorder"));
}

#[test]
fn config_alone_means_the_recorder_profile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("site.toml"),
        "[[unit]]\nid = 1\nports = 4\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("flow.rhai"), "sim_hold(1, 9);").unwrap();
    let out = ecapi(dir.path())
        .args(["run", "flow.rhai", "--config", "site.toml"])
        .output()
        .unwrap();
    // The recorder profile answers that port 9 is not one of unit 1's, not that hold needs it.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("needs the recorder profile"), "{err}");
    assert!(err.contains("port"), "{err}");
}

#[test]
fn recordings_kept_with_db_are_there_on_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("flow.rhai"),
        r#"
let p = port(1, 3);
expect_ok(p.start());
expect_ok(p.assign("fldCampaign", "Spring"));
expect_ok(p.stop());
log_event(#{ type: "Sale", unit: 1, port: 3 });
print(`${sim_recordings().len()} ${sim_events().len()}`);
"#,
    )
    .unwrap();
    let mut seen = Vec::new();
    for _ in 0..2 {
        let out = ecapi(dir.path())
            .args([
                "run",
                "flow.rhai",
                "--profile",
                "recorder",
                "--db",
                "site.db",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        seen.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    assert_eq!(seen, ["1 1", "2 2"]);
}

#[test]
fn a_call_from_the_shell_reaches_the_configured_directory() {
    let dir = tempfile::tempdir().unwrap();
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/recorder.toml");
    let out = ecapi(dir.path())
        .args([
            "call",
            "InitStation",
            "Extension=2003",
            "--profile",
            "recorder",
            "--config",
            config,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("port=1") && text.contains("unit=2"), "{text}");
}
