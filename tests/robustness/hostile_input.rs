//! Hostile input through the library's entry points: any JSON value into the event model, the
//! validator and every translator; any text into the event-set reader and the composer's
//! editor; deep nesting, huge strings, NUL bytes, numbers beyond f64, duplicate keys. Each
//! gives an outcome or an error in words with its position, never a panic.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use segment_console::app::model::body_text::pretty_body;
use segment_console::app::model::document::{Document, text_value};
use segment_console::app::model::json_lines;
use segment_console::destinations::{self, Mode, OutcomeKind, Target};
use segment_console::event::{self, Event};
use segment_console::export;
use segment_console::files::event_set::{self, SetError};
use segment_console::history::{Entry, Filter, History};
use segment_console::json::text::{self as json_text, MAX_EVENT_DEPTH};
use serde_json::{Map, Value, json};

fn now() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().unwrap_or_default()
}

fn settings() -> Map<String, Value> {
    json!({
        "apiKey": "hostile-key-0001", "apiSecret": "hostile-secret-01",
        "domain": "acme.myfreshworks.com", "clientId": "acme-cs",
        "webhookEndpoint": "https://hooks.example.com/segment",
        "url": "https://hooks.example.com/in", "sharedSecret": "hostile-shared-1",
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

fn targets() -> [Target; 3] {
    [
        Target::Live,
        Target::Sandbox {
            base: "http://127.0.0.1:7311".into(),
        },
        Target::Custom {
            url: "http://127.0.0.1:9000/bin".into(),
        },
    ]
}

/// Everything the console does with an event short of sending it.
fn through_everything(ev: &Value) {
    let _ = Event::from_value(ev).map(|e| e.to_value());
    let _ = event::validate(ev);
    let _ = json_lines::lines(ev, "$");
    let s = settings();
    for dest in destinations::registry() {
        for mode in [Mode::PartnerApi, Mode::SegmentWebhook] {
            for target in &targets() {
                let out = destinations::translate(*dest, ev, &s, mode, target, now());
                let _ = out.to_json(0, false);
                for r in &out.requests {
                    let _ = export::curl::to_curl(r, false);
                }
                let entry = Entry::record(
                    dest.id(),
                    mode,
                    target,
                    ev,
                    &out,
                    None,
                    &["hostile-key-0001".to_string()],
                    now(),
                );
                let _ = entry.search_text(64 * 1024);
            }
        }
    }
}

/// Any JSON at all: every string (NUL, controls, any Unicode), any key, any number.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec![
            "identify", "track", "page", "screen", "group", "alias"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        let key = prop_oneof![
            any::<String>(),
            prop::sample::select(vec![
                "type",
                "userId",
                "anonymousId",
                "event",
                "traits",
                "properties",
                "context",
                "integrations",
                "groupId",
                "previousId",
                "name",
                "email",
                "timestamp",
                "messageId",
                "page",
                "url",
                "All",
                "version",
                "channel",
            ])
            .prop_map(String::from),
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// An event of a known call with any JSON laid over its fields, so translators get far in.
fn any_event() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "identify", "track", "page", "screen", "group", "alias",
        ]),
        prop::collection::vec(
            (
                prop::sample::select(vec![
                    "userId",
                    "anonymousId",
                    "event",
                    "traits",
                    "properties",
                    "context",
                    "integrations",
                    "groupId",
                    "previousId",
                    "name",
                    "timestamp",
                    "messageId",
                ]),
                any_json(),
            ),
            0..8,
        ),
    )
        .prop_map(|(call, fields)| {
            let mut m = Map::new();
            m.insert("type".into(), json!(call));
            m.insert("userId".into(), json!("u_1"));
            for (k, v) in fields {
                m.insert(k.to_string(), v);
            }
            Value::Object(m)
        })
}

/// 200 cases on every `cargo test`; `PROPTEST_CASES=50000` for a long run (docs/RELIABILITY.md).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn any_json_value_gives_an_outcome(v in any_json()) {
        through_everything(&v);
    }

    #[test]
    fn any_event_shaped_value_gives_an_outcome(v in any_event()) {
        through_everything(&v);
    }

    #[test]
    fn any_text_opens_or_is_refused_with_a_position(text in any::<String>()) {
        match event_set::parse(&text) {
            Ok(l) => for e in &l.set.events { through_everything(e) },
            Err(e) => {
                let (line, column) = e.position().unwrap_or((0, 0));
                prop_assert!(line >= 1 && column >= 1, "{e}");
            }
        }
        let mut d = Document::default();
        d.set_text(text.clone());
        if let Some(e) = d.error() {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
        let _ = text_value(&text);
    }

    #[test]
    fn any_bytes_open_or_are_refused_with_a_position(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Err(e) = event_set::parse_bytes(&bytes) {
            prop_assert!(e.position().is_some(), "{e}");
        }
    }
}

const OWN_PREFIX: &str = "{\"name\": \"x\", \"events\": [";

fn nested(levels: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels))
}

/// An event whose properties nest so that the whole event is `depth` levels deep.
fn event_of_depth(depth: usize) -> Value {
    let mut v = json!("bottom");
    for _ in 0..depth.saturating_sub(1) {
        v = json!({ "a": v });
    }
    json!({"type": "track", "userId": "u_deep", "event": "Deep", "properties": v})
}

#[test]
fn a_hundred_thousand_levels_are_refused_in_words_everywhere() {
    let arrays = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    // serde_json stops at its 128th level: column 636 of the objects, 128 of the arrays.
    // The editor stops at its 65th level: the 65th bracket.
    for (text, column, editor_column) in [(nested(100_000), 636, 321), (arrays, 128, 65)] {
        let e = event_set::parse(&text).unwrap_err();
        assert_eq!(e.position(), Some((1, column)), "{e}");
        assert!(e.to_string().contains("nested too deeply"), "{e}");
        let mut d = Document::default();
        d.set_text(text.clone());
        // A text this long is parsed once typing pauses (or before a command acts on it).
        d.settle_now();
        let err = d.error().expect("refused");
        assert_eq!((err.line, err.column), (1, editor_column));
        assert!(
            err.message.contains("nested more than 64 levels"),
            "{err:?}"
        );
        assert_eq!(d.text(), text, "the text is kept");
        assert_eq!(text_value(&text), Value::String(text.clone()));
        assert_eq!(pretty_body(&text), text, "a deep reply is shown as it came");
    }
    // One deep line among NDJSON events: its own line number.
    let ndjson = format!(
        "{}\n{}\n",
        json!({"type": "track", "userId": "u", "event": "E"}),
        nested(100_000)
    );
    assert_eq!(
        event_set::parse(&ndjson).unwrap_err().position(),
        Some((2, 636))
    );
}

#[test]
fn events_at_the_limit_survive_every_wrapper_and_one_more_level_is_refused() {
    let deepest = event_of_depth(MAX_EVENT_DEPTH);
    assert_eq!(json_text::depth(&deepest), MAX_EVENT_DEPTH);
    // Opened from each format, saved, opened again: the same event.
    let one_line = deepest.to_string();
    let dir = tempfile::tempdir().unwrap();
    for text in [
        format!("[{one_line}]"),
        format!("{{\"batch\": [{one_line}]}}"),
        format!("{one_line}\n{one_line}\n"),
        one_line.clone(),
    ] {
        let loaded = event_set::parse(&text).expect("at the limit opens");
        let path = dir.path().join("set.json");
        event_set::save(&path, &loaded.set, &[]).unwrap();
        let back = event_set::open(&path).expect("and reads back after a save");
        assert_eq!(back.set.events, loaded.set.events);
    }
    // Recorded in history and read back.
    let mut h = History::open(&dir.path().join("h.sqlite3")).unwrap();
    let dest = destinations::find("webhook").unwrap();
    let out = destinations::translate(
        dest,
        &deepest,
        &settings(),
        Mode::PartnerApi,
        &Target::Live,
        now(),
    );
    assert_eq!(out.kind, OutcomeKind::Requests);
    let entry = Entry::record(
        "webhook",
        Mode::PartnerApi,
        &Target::Live,
        &deepest,
        &out,
        None,
        &[],
        now(),
    );
    let id = h.append(&entry).unwrap();
    assert_eq!(h.get(id).unwrap().unwrap().event, deepest);
    assert_eq!(h.count(&Filter::default()).unwrap(), 1);

    // One level more: refused where it happens, in every format.
    let too_deep = event_of_depth(MAX_EVENT_DEPTH + 1).to_string();
    // The 65th level is the innermost object; the position is its bracket.
    let column = too_deep.find("{\"a\":\"bottom\"").unwrap() + 1;
    for (text, line, col) in [
        (format!("[{too_deep}]"), 1, column + 1),
        (format!("\n{too_deep}"), 2, column),
        (
            format!("{OWN_PREFIX}{too_deep}]}}"),
            1,
            column + OWN_PREFIX.len(),
        ),
    ] {
        let e = event_set::parse(&text).unwrap_err();
        assert!(matches!(e, SetError::Syntax { .. }));
        assert_eq!(e.position(), Some((line, col)), "{e}");
        assert!(
            e.to_string()
                .contains("event 1 is nested more than 64 levels deep"),
            "{e}"
        );
    }
    let mut d = Document::default();
    d.set_text(too_deep.clone());
    assert_eq!(d.error().map(|e| (e.line, e.column)), Some((1, column)));
}

#[test]
fn a_cell_value_that_would_nest_the_event_too_deep_is_shown_as_an_error() {
    let mut d = Document::from_value(&json!({"type": "identify", "userId": "u"}));
    let deep_cell = format!("{}1{}", "[".repeat(63), "]".repeat(63));
    assert!(d.set_pairs("traits", &[("deep".into(), deep_cell)]));
    let e = d.error().expect("the event is now 65 levels deep");
    assert!(e.message.contains("nested more than 64 levels"), "{e:?}");
    assert!(
        d.text().contains("\"deep\""),
        "the text is kept to fix or undo"
    );
    d.undo();
    assert!(d.error().is_none());
}

/// The deepest value serde_json lets in (127 levels), through every recursive walk of the
/// console, on a thread with an eighth of a tokio worker's stack: no overflow, with room.
#[test]
fn the_deepest_readable_json_fits_every_recursive_walk_on_a_small_stack() {
    let text = format!(
        "{{\"type\": \"track\", \"userId\": \"u\", \"event\": \"E\", \"properties\": {}}}",
        nested(126)
    );
    let v: Value = serde_json::from_str(&text).expect("127 levels parse");
    assert_eq!(json_text::depth(&v), 127);
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || {
            through_everything(&v);
            let mut masked = v.clone();
            segment_console::json::mask::mask_secrets(&mut masked, &["bottom-secret"]);
            let set = event_set::EventSet {
                events: vec![v.clone()],
                ..Default::default()
            };
            let _ = event_set::to_text(&set, &["hostile-key-0001".into()]);
            let _ = Document::from_value(&v);
            serde_json::to_string_pretty(&v)
                .map(|s| s.len())
                .unwrap_or(0)
        })
        .unwrap();
    assert!(worker.join().expect("no overflow") > 0);
}

#[test]
fn huge_strings_are_refused_by_the_validator_not_by_a_crash() {
    let big = "x".repeat(8 * 1024 * 1024);
    let ev = json!({"type": "identify", "userId": "u", "traits": {"bio": big, big.clone(): 1}});
    let text = json!([ev]).to_string();
    let loaded = event_set::parse(&text).unwrap();
    let findings = event::validate(&loaded.set.events[0]);
    let size = findings
        .iter()
        .find(|f| f.path == "$")
        .expect("size finding");
    assert!(
        size.message
            .starts_with("The event is 16384.1 KB; Segment refuses events over 32 KB"),
        "{}",
        size.message
    );
    for dest in destinations::registry() {
        let out = destinations::translate(
            *dest,
            &ev,
            &settings(),
            dest.default_mode(),
            &Target::Live,
            now(),
        );
        assert!(
            matches!(out.kind, OutcomeKind::Rejected | OutcomeKind::Unsupported),
            "{} let a 16 MB event through: {:?}",
            dest.id(),
            out.kind
        );
    }
}

#[test]
fn nul_bytes_raw_are_refused_and_escaped_ones_are_data() {
    let e = event_set::parse("[{\"type\": \"track\",\n \"event\": \"a\0b\"}]").unwrap_err();
    assert_eq!(e.position(), Some((2, 13)));
    assert!(e.to_string().contains("NUL byte"), "{e}");
    let text = r#"[{"type": "track", "userId": "u\u0000x", "event": "N\u0000L", "properties": {"k\u0000": "\u0000"}}]"#;
    let ev = event_set::parse(text).unwrap().set.events.remove(0);
    assert_eq!(ev["userId"], json!("u\u{0}x"));
    through_everything(&ev);
    let m = Event::from_value(&ev).unwrap();
    assert_eq!(m.event_name(), Some("N\u{0}L"));
}

#[test]
fn numbers_beyond_f64_are_refused_with_line_and_column() {
    let text = "[{\"type\": \"track\", \"userId\": \"u\",\n  \"event\": \"E\", \"properties\": {\"n\": 1e400}}]";
    let e = event_set::parse(text).unwrap_err();
    assert_eq!(e.position(), Some((2, 41)));
    assert!(
        e.to_string().contains("beyond the range of a 64-bit float"),
        "{e}"
    );
    let mut d = Document::default();
    d.set_text("{\"type\": \"track\",\n\"n\": -1e999}".into());
    let err = d.error().unwrap();
    assert_eq!((err.line, err.column), (2, 11));
    assert!(err.message.contains("64-bit float"));
    // A value the key-value editor cannot hold as a number stays the text typed.
    assert_eq!(text_value("1e400"), json!("1e400"));
    // Large integers and tiny numbers are numbers (f64, as Segment's own JSON is).
    let ok = event_set::parse(
        "{\"type\": \"track\", \"n\": 123456789012345678901234567890, \"t\": 1e-400}",
    )
    .unwrap();
    assert_eq!(ok.set.events[0]["n"], json!(1.2345678901234568e29));
    assert_eq!(ok.set.events[0]["t"], json!(0.0));
}

#[test]
fn duplicate_keys_last_one_wins_everywhere() {
    let text = r#"{"type": "identify", "userId": "first", "traits": {"a": 1}, "userId": "second"}"#;
    let ev = event_set::parse(text).unwrap().set.events.remove(0);
    assert_eq!(ev["userId"], json!("second"));
    // In the first key's place: the order of the document is kept.
    let keys: Vec<&str> = ev.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["type", "userId", "traits"]);
    let mut d = Document::default();
    d.set_text(text.into());
    assert_eq!(d.field("userId"), "second");
}
