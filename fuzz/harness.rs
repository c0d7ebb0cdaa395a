//! What each fuzz target does with one input. Shared, through `#[path]`, by the targets in
//! fuzz_targets/ and by tests/robustness/fuzz_corpus.rs, which replays every kept input on each
//! `cargo test`: the same code path, so an input that once failed stays fixed.
//!
//! Besides "no panic", each function asserts what must hold for any input, so the fuzzer also
//! finds wrong answers, not only crashes.

#![allow(dead_code)]

use segment_console::destinations::{self, Mode, OutcomeKind, Target};
use segment_console::event::{self, Event};
use segment_console::export;
use segment_console::files::event_set::{self, Format};
use segment_console::history::Entry;
use segment_console::json::text as json_text;
use serde_json::{Map, Value, json};

/// Any bytes as an event-set file. What reads must save in the own format and read back to
/// the same events; every event goes through the model and the validator.
pub fn event_set_reader(data: &[u8]) {
    let Ok(loaded) = event_set::parse_bytes(data) else {
        return;
    };
    for e in &loaded.set.events {
        assert!(json_text::depth(e) <= json_text::MAX_EVENT_DEPTH);
        if let Ok(model) = Event::from_value(e) {
            assert_eq!(&model.to_value(), e, "the model keeps every field");
        }
        let _ = event::validate(e);
    }
    let (text, masked) = event_set::to_text(&loaded.set, &[]);
    assert_eq!(masked, 0);
    let back = match event_set::parse(&text) {
        Ok(b) => b,
        Err(e) => panic!("a saved set does not read back: {e}\n{text}"),
    };
    assert_eq!(back.format, Format::Own);
    assert_eq!(
        back.set.events, loaded.set.events,
        "saving changed the events"
    );
}

/// A secret that the settings below hold; the masked rendering must never show it.
pub const SECRET: &str = "fz-secret-7c1e9a";

/// Any bytes as JSON: an event, or `{"event": ..., "settings": {...}}` to vary the settings
/// too. Translated by `dest_id` in every mode and to every target, rendered, exported and
/// recorded as history would.
pub fn translate(dest_id: &str, data: &[u8]) {
    let Some(dest) = destinations::find(dest_id) else {
        panic!("no destination {dest_id}");
    };
    let Ok(doc) = json_text::parse_bytes(data) else {
        return;
    };
    let (event, settings, ours) = match &doc {
        Value::Object(o) if o.contains_key("event") && o.contains_key("settings") => {
            let s = match o.get("settings") {
                Some(Value::Object(s)) => s.clone(),
                _ => Map::new(),
            };
            (o.get("event").cloned().unwrap_or(Value::Null), s, false)
        }
        _ => (doc.clone(), full_settings(), true),
    };
    // Only our own settings say for sure where the secret is; the event may hold it too.
    let check_secret = ours && !event.to_string().contains(SECRET);
    let now = "2026-06-01T12:00:00Z"
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap_or_default();
    let targets = [
        Target::Live,
        Target::Sandbox {
            base: "http://127.0.0.1:7311".into(),
        },
        Target::Custom {
            url: "http://127.0.0.1:9000/bin".into(),
        },
    ];
    let _ = event::validate(&event);
    let _ = Event::from_value(&event);
    for mode in [Mode::PartnerApi, Mode::SegmentWebhook] {
        for target in &targets {
            let out = destinations::translate(dest, &event, &settings, mode, target, now);
            if out.kind != OutcomeKind::Requests {
                assert!(
                    out.requests.is_empty(),
                    "{dest_id}: requests on {:?}",
                    out.kind
                );
            }
            for r in &out.requests {
                assert!(
                    r.url.starts_with("http://") || r.url.starts_with("https://"),
                    "{dest_id} built a relative URL {:?}",
                    r.url
                );
                let _ = r.body_bytes();
                let _ = export::curl::to_curl(r, false);
            }
            let shown = out.to_json(0, false).to_string();
            assert!(
                !check_secret || !shown.contains(SECRET),
                "{dest_id} showed a secret: {shown}"
            );
            let _ = export::postman::to_postman("fuzz", &out.requests, false);
            let entry = Entry::record(
                dest_id,
                mode,
                target,
                &event,
                &out,
                None,
                &[SECRET.to_string()],
                now,
            );
            let _ = entry.search_text(64 * 1024);
            let _ = export::har::to_har(&[entry]);
        }
    }
}

/// Every destination's settings, valid, with [`SECRET`] as each secret.
pub fn full_settings() -> Map<String, Value> {
    let v = json!({
        "apiKey": SECRET, "apiSecret": SECRET, "domain": "acme.myfreshworks.com",
        "clientId": "acme-cs", "webhookEndpoint": "https://hooks.example.com/segment",
        "url": "https://hooks.example.com/in", "headers": {"X-Team": "growth"},
        "sharedSecret": SECRET, "startdeliverUserCustomFieldToMatchOn": "externalId",
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Any bytes as a tracking plan, then as events checked against it and drafted into a plan of
/// their own: a plan reads or is refused in words; every violation has a kind and a path; the
/// events a plan was drafted from always meet it.
pub fn plan_reader(data: &[u8]) {
    use segment_console::plan::{Plan, draft};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let events: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(list)) => list,
        Ok(v) => vec![v],
        Err(_) => Vec::new(),
    };
    match Plan::parse(text) {
        Ok(plan) => {
            for e in &events {
                for f in plan.check(e) {
                    assert!(f.path.starts_with('$'), "{f:?}");
                    assert!(f.kind.is_some(), "{f:?}");
                }
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    let drafted = draft::draft(&events);
    let plan = match Plan::from_value(&drafted.plan) {
        Ok(p) => p,
        Err(e) => panic!("a drafted plan does not read: {e}\n{}", drafted.plan),
    };
    for e in &events {
        let v = plan.check(e);
        assert!(v.is_empty(), "{e} violates the plan drafted from it: {v:?}");
    }
}
