//! Event-set files: every format of docs/segment-spec.md detected from the content, errors with line
//! and column, atomic saves without secrets, and load -> save -> load identity.

use proptest::prelude::*;
use segment_console::files::event_set::{self, Format, SetError};
use segment_console::json::mask::MASK;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

#[test]
fn detects_every_format() {
    let cases = [
        (
            r#"[{"type":"track","event":"A","userId":"u"},{"type":"page","userId":"u"}]"#,
            Format::Array,
            2,
        ),
        (
            r#"{"batch":[{"type":"identify","userId":"u"}],"context":{"ip":"1.1.1.1"}}"#,
            Format::Batch,
            1,
        ),
        (
            "{\"type\":\"track\",\"event\":\"A\",\"userId\":\"u\"}\n\n{\"type\":\"page\",\"userId\":\"u\"}\n",
            Format::Ndjson,
            2,
        ),
        (
            r#"{"type":"alias","previousId":"a","userId":"b"}"#,
            Format::Single,
            1,
        ),
        (
            r#"{"name":"Mine","events":[{"type":"group","groupId":"g","userId":"u"}],"x":1}"#,
            Format::Own,
            1,
        ),
    ];
    for (text, format, n) in cases {
        let l = event_set::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(l.format, format, "{text}");
        assert_eq!(l.set.events.len(), n, "{text}");
    }
}

#[test]
fn batch_context_merges_under_each_event() {
    let text = r#"{"batch":[
        {"type":"identify","userId":"u1","context":{"ip":"9.9.9.9","library":{"version":"2"}}},
        {"type":"identify","userId":"u2"}
      ],"context":{"ip":"1.1.1.1","library":{"name":"analytics-go","version":"1"}}}"#;
    let l = event_set::parse(text).unwrap();
    assert_eq!(
        l.set.events[0]["context"],
        json!({"ip": "9.9.9.9", "library": {"name": "analytics-go", "version": "2"}})
    );
    assert_eq!(
        l.set.events[1]["context"],
        json!({"ip": "1.1.1.1", "library": {"name": "analytics-go", "version": "1"}})
    );
}

#[test]
fn broken_files_name_line_and_column() {
    let cases = [
        ("[\n  {\"type\": \"track\",\n    \"event\": }\n]", 3, 14),
        ("{\"type\":\"track\"}\n{\"type\": tru}\n", 2, 13),
        ("", 1, 1),
        ("42", 1, 1),
        ("{\"hello\": \"world\"}", 1, 1),
    ];
    for (text, line, column) in cases {
        let err = event_set::parse(text).expect_err(text);
        assert_eq!(err.position(), Some((line, column)), "{text:?}: {err}");
        assert!(
            err.to_string()
                .starts_with(&format!("line {line}, column {column}: "))
        );
    }
    let err = event_set::parse_bytes(b"[{\"a\":\n\"\xff\"}]").unwrap_err();
    assert_eq!(err.position(), Some((2, 2)));
    assert!(err.to_string().contains("UTF-8"));
}

#[test]
fn deep_nesting_is_refused_in_words() {
    let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = event_set::parse(&text).unwrap_err();
    assert!(err.to_string().contains("nested too deeply"), "{err}");
}

#[test]
fn open_names_the_set_after_the_file_and_refuses_huge_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "signups.ndjson",
        "{\"type\":\"identify\",\"userId\":\"u\"}\n",
    );
    let l = event_set::open(&p).unwrap();
    assert_eq!(l.set.name, "signups");
    let missing = event_set::open(&dir.path().join("nope.json")).unwrap_err();
    assert!(matches!(missing, SetError::Read { .. }));
    assert!(missing.to_string().contains("nope.json"));
    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(event_set::MAX_FILE_BYTES + 1).unwrap();
    let err = event_set::open(&big).unwrap_err();
    assert!(matches!(err, SetError::TooLarge { .. }), "{err}");
}

#[test]
fn save_is_the_own_format_and_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let set = event_set::EventSet {
        name: "Secrets".into(),
        events: vec![json!({
            "type": "identify", "userId": "u",
            "integrations": {"Salesmachine": {"apiKey": "sm-live-key-123"}},
            "traits": {"note": "key is sm-live-key-123 ok"}
        })],
        extra: Default::default(),
    };
    let p = dir.path().join("out.json");
    let masked = event_set::save(&p, &set, &["sm-live-key-123".into()]).unwrap();
    assert_eq!(masked, 2);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(!text.contains("sm-live-key-123"));
    assert!(text.contains(MASK));
    assert!(
        text.starts_with("{\n  \"name\": \"Secrets\",\n  \"events\": ["),
        "{text}"
    );
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("out.json")]);
    let back = event_set::open(&p).unwrap();
    assert_eq!(back.format, Format::Own);
    assert_eq!(back.set.name, "Secrets");
}

#[test]
fn a_failed_save_leaves_the_old_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "keep.json", "{\"name\":\"old\",\"events\":[]}");
    let bad_dir = dir.path().join("no-such-dir").join("x.json");
    assert!(event_set::save(&bad_dir, &Default::default(), &[]).is_err());
    assert_eq!(
        std::fs::read_to_string(&p).unwrap(),
        "{\"name\":\"old\",\"events\":[]}"
    );
}

#[test]
fn the_tour_set_is_valid_and_has_every_call() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tour.json");
    let l = event_set::open(&p).unwrap();
    assert_eq!(l.format, Format::Own);
    let mut calls: Vec<String> = l
        .set
        .events
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    calls.sort();
    assert_eq!(
        calls,
        ["alias", "group", "identify", "page", "screen", "track"]
    );
    for e in &l.set.events {
        let f = segment_console::event::validate(e);
        assert!(f.is_empty(), "{e}: {f:?}");
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        "[a-zA-Z0-9 _\\-é\"\\\\]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-zA-Z_$ ]{1,8}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_event() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "identify", "track", "page", "screen", "group", "alias",
        ]),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "userId",
                    "anonymousId",
                    "traits",
                    "properties",
                    "event",
                    "name",
                    "groupId",
                    "previousId",
                    "context",
                    "integrations",
                    "version",
                    "channel",
                    "timestamp",
                    "messageId",
                    "custom",
                    "zz top",
                ]),
                arb_json(),
            ),
            0..8,
        ),
    )
        .prop_map(|(t, fields)| {
            let mut m = serde_json::Map::new();
            m.insert("type".into(), Value::String(t.into()));
            for (k, v) in fields {
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// load -> save -> load is identical, unknown fields and odd types included.
    #[test]
    fn round_trip_through_a_file(name in "[a-zA-Z ]{0,10}", events in prop::collection::vec(arb_event(), 0..5)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("set.json");
        let set = event_set::EventSet { name: name.clone(), events: events.clone(), extra: Default::default() };
        event_set::save(&p, &set, &[]).unwrap();
        let first = event_set::open(&p).unwrap();
        prop_assert_eq!(&first.set.events, &events);
        event_set::save(&p, &first.set, &[]).unwrap();
        let second = event_set::open(&p).unwrap();
        prop_assert_eq!(second.set, first.set);
    }

    /// The typed model keeps every event it can read exactly as it was.
    #[test]
    fn model_round_trip(event in arb_event()) {
        let e = segment_console::event::Event::from_value(&event).unwrap();
        prop_assert_eq!(e.to_value(), event.clone());
        // Validation never panics and always names a path.
        for f in segment_console::event::validate(&event) {
            prop_assert!(f.path.starts_with('$'));
        }
    }
}
