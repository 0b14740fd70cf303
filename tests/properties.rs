//! No input panics the readers of untrusted text: the control interface's JSON
//! (`client::control::parse`, and the command it reads run on a simulator) and the recorder's
//! configuration (`RecorderConfig::from_toml`, `SqlType::parse`). Each property runs 256 cases:
//! arbitrary bytes, and documents built from the readers' own keys with hostile values (huge,
//! negative, fractional, of the wrong type), which reach far deeper than random bytes do.

use ecapi::api::ApiVersion;
use ecapi::client::control::{self, Command};
use ecapi::client::Embedded;
use ecapi::simulator::{DbLocation, RecorderConfig, Settings, Simulator, SqlType};
use proptest::prelude::*;
use serde_json::{json, Value};

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Numbers a careless reader trips on.
fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        Just(json!(1e308)),
        Just(json!(-1e308)),
        Just(json!(u64::MAX)),
        Just(json!(i64::MIN)),
        Just(json!(0)),
        Just(json!(-1)),
        Just(json!(0.5)),
    ]
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        hostile_number(),
        ".{0,40}".prop_map(Value::from),
        Just(Value::from("x".repeat(9_000))),
        Just(Value::from("9999-12-31T23:59:59")),
        Just(Value::from("PortStatus")),
        Just(Value::from("*")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const FUNCTIONS: &[&str] = &[
    "reset",
    "advance",
    "hold",
    "retrieve",
    "hangup",
    "fault",
    "fault_chance",
    "delay",
    "wire_fault",
    "recordings",
    "events",
    "journal",
    "at",
    "scheduled",
    "session_new",
    "session_drop",
    "no_such_function",
];

const KEYS: &[&str] = &[
    "op",
    "code",
    "count",
    "seconds",
    "unit",
    "port",
    "ms",
    "kind",
    "probability",
    "after",
    "from",
    "limit",
    "event",
    "id",
];

/// A command object: a known `fn` and any of the known keys, each with any value.
fn command_json() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(FUNCTIONS),
        prop::collection::btree_map(prop::sample::select(KEYS), any_json(), 0..6),
    )
        .prop_map(|(f, keys)| {
            let mut object: serde_json::Map<String, Value> =
                keys.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            object.insert("fn".to_string(), Value::from(f));
            Value::Object(object)
        })
}

fn hosted() -> Embedded {
    Embedded::new(Simulator::hosted(Settings::default()))
}

fn recorder() -> Embedded {
    let config = RecorderConfig::from_toml("[[unit]]\nid = 1\nports = \"1-4\"\n").unwrap();
    Embedded::new(Simulator::recorder(Settings::default(), config, DbLocation::Memory).unwrap())
}

/// Reads a command and runs it on both profiles; the answer is always `{"ok": ...}`.
fn read_and_run(bytes: &[u8]) {
    let command = control::parse(bytes);
    for mut sim in [hosted(), recorder()] {
        let answer = control::answer(&mut sim, command.clone());
        assert!(answer["ok"].is_boolean(), "{answer}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_control_reader_never_panics_on_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = control::parse(&bytes);
    }

    #[test]
    fn the_control_reader_never_panics_on_any_json(value in any_json()) {
        read_and_run(value.to_string().as_bytes());
    }

    #[test]
    fn any_command_with_any_values_is_read_and_run_without_a_panic(value in command_json()) {
        read_and_run(value.to_string().as_bytes());
    }

    #[test]
    fn a_command_read_back_is_the_command_sent(value in command_json()) {
        if let Ok(command) = control::parse(value.to_string().as_bytes()) {
            let again: Result<Command, String> =
                control::parse(command.send_json().to_string().as_bytes());
            prop_assert_eq!(again, Ok(command));
        }
    }
}

/// TOML values a careless reader trips on, as TOML text.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("4294967296".to_string()),
        Just("9223372036854775807".to_string()),
        Just("1.5".to_string()),
        Just("true".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("\"1-4000000000\"".to_string()),
        Just("\"4000000000-1\"\"".to_string()),
        Just("\"1-24, 30, 40-41\"".to_string()),
        Just("\"varchar(4294967296)\"".to_string()),
        Just("\"varchar(0)\"".to_string()),
        Just("\"nvarchar(24)\"".to_string()),
        Just("\"tinyint\"".to_string()),
        "[ -~]{0,20}".prop_map(|s| format!("{s:?}")),
    ]
}

const TOP_KEYS: &[&str] = &[
    "licences",
    "max_recording_seconds",
    "url_player",
    "url_player_when_served",
    "fault_seed",
    "other",
];
const UNIT_KEYS: &[&str] = &["id", "ports", "other"];
const USER_KEYS: &[&str] = &["extension", "login", "unit", "port", "desktop", "other"];
const COLUMN_KEYS: &[&str] = &["fldCampaign", "fldClientID", "fld", "", "x y"];

/// A configuration document: top-level keys, units, users and columns with hostile values.
fn config_toml() -> impl Strategy<Value = String> {
    let pairs = |keys: &'static [&'static str]| {
        prop::collection::vec((prop::sample::select(keys), toml_value()), 0..5)
    };
    (
        pairs(TOP_KEYS),
        prop::collection::vec(pairs(UNIT_KEYS), 0..3),
        prop::collection::vec(pairs(USER_KEYS), 0..3),
        prop::option::of(pairs(COLUMN_KEYS)),
    )
        .prop_map(|(top, units, users, columns)| {
            let mut text = String::new();
            let write = |text: &mut String, pairs: &[(&str, String)]| {
                for (k, v) in pairs {
                    text.push_str(&format!("{k:?} = {v}\n"));
                }
            };
            write(&mut text, &top);
            for unit in &units {
                text.push_str("[[unit]]\n");
                write(&mut text, unit);
            }
            for user in &users {
                text.push_str("[[user]]\n");
                write(&mut text, user);
            }
            if let Some(columns) = &columns {
                text.push_str("[columns]\n");
                write(&mut text, columns);
            }
            text
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn the_configuration_reader_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = RecorderConfig::from_toml(&text);
    }

    #[test]
    fn the_configuration_reader_never_panics_on_hostile_values(text in config_toml()) {
        if let Ok(config) = RecorderConfig::from_toml(&text) {
            // What it accepts builds a simulator.
            let settings = Settings {
                api: ApiVersion::V7_1,
                ..Settings::default()
            };
            let built = Simulator::recorder(settings, config, DbLocation::Memory);
            prop_assert!(built.is_ok(), "{:?}", built.err());
        }
    }

    #[test]
    fn the_column_type_reader_never_panics(text in "\\PC{0,40}") {
        if let Ok(t) = SqlType::parse(&text) {
            let _ = t.check("12345678901234567890");
        }
    }
}
