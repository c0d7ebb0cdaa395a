//! Fan-out: the composer's event through every destination at once, one column each, with
//! each destination's own settings, mode and target. Computed once per change of the event or
//! the settings (never per frame); the compare view reads its requests too.

use crate::destinations::{self, Body, OutcomeKind, PartnerRequest};
use crate::files::settings_store::SettingsStore;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One request as the fan-out shows it (already masked unless secrets are revealed).
#[derive(Clone, Debug, PartialEq)]
pub struct RequestCell {
    pub description: String,
    /// `POST https://...`
    pub line: String,
    /// Pretty body text (JSON pretty-printed, a form as it is).
    pub body: String,
    /// The request as one JSON value (method, URL, headers, body), for the compare view.
    pub json: Value,
}

/// What one destination makes of the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub dest: &'static str,
    pub name: &'static str,
    pub mode: &'static str,
    pub target: String,
    pub kind: OutcomeKind,
    pub reason: Option<String>,
    pub findings: Vec<String>,
    pub notes: Vec<String>,
    pub requests: Vec<RequestCell>,
}

pub struct FanOut {
    /// What the columns were computed from (event text, settings, secrets shown, sandbox).
    pub key: u64,
    pub columns: Vec<Column>,
}

#[derive(Default)]
pub struct FanOutState {
    pub open: bool,
    pub model: Option<FanOut>,
}

/// The request as one JSON value: what the partner receives, without the console's own notes.
pub fn request_json(r: &PartnerRequest) -> Value {
    let mut headers = serde_json::Map::new();
    for h in &r.headers {
        headers.insert(h.name.clone(), Value::String(h.value.clone()));
    }
    let body = match &r.body {
        Body::Json(v) => v.clone(),
        Body::Form(s) => Value::String(s.clone()),
        Body::None => Value::Null,
    };
    serde_json::json!({"method": r.method, "url": r.url, "headers": headers, "body": body})
}

fn cell(r: &PartnerRequest) -> RequestCell {
    let body = match &r.body {
        Body::Json(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        Body::Form(s) => s.clone(),
        Body::None => String::new(),
    };
    RequestCell {
        description: r.description.clone(),
        line: format!("{} {}", r.method, r.url),
        body,
        json: request_json(r),
    }
}

/// The event through every destination of the registry, each with its stored configuration.
pub fn compute(
    event: &Value,
    store: &SettingsStore,
    sandbox_base: &str,
    show_secrets: bool,
    now: DateTime<Utc>,
) -> Vec<Column> {
    destinations::registry()
        .iter()
        .map(|d| {
            let settings = store.settings(d.id());
            let mode = store.mode(*d);
            let target = store.target(d.id(), sandbox_base);
            let outcome = destinations::translate(*d, event, &settings, mode, &target, now);
            Column {
                dest: d.id(),
                name: d.integration_name(),
                mode: mode.as_str(),
                target: target.label(),
                kind: outcome.kind,
                reason: outcome.reason.clone(),
                findings: outcome
                    .findings
                    .iter()
                    .map(|f| format!("{} at {}: {}", f.severity.as_str(), f.path, f.message))
                    .collect(),
                notes: outcome.notes.clone(),
                requests: outcome
                    .requests
                    .iter()
                    .map(|r| cell(&r.shown(show_secrets)))
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_destination_gets_a_column_with_its_outcome() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SettingsStore::defaults(&dir.path().join("settings.json"));
        let event = json!({"type": "track", "userId": "u_1", "event": "Order Completed",
            "messageId": "m-1", "timestamp": "2026-01-02T03:04:05Z"});
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:06Z")
            .expect("time")
            .with_timezone(&Utc);
        let cols = compute(&event, &store, "http://127.0.0.1:9", false, now);
        let ids: Vec<&str> = cols.iter().map(|c| c.dest).collect();
        let expected: Vec<&str> = destinations::registry().iter().map(|d| d.id()).collect();
        assert_eq!(ids, expected);
        for c in &cols {
            match c.kind {
                OutcomeKind::Requests => {
                    assert!(!c.requests.is_empty(), "{}", c.dest);
                    let r = &c.requests[0];
                    assert_eq!(r.json["method"], r.line.split(' ').next().unwrap_or(""));
                    assert!(r.line.contains("http://127.0.0.1:9/"), "{}", r.line);
                }
                _ => assert!(c.reason.is_some(), "{}", c.dest),
            }
        }
    }

    #[test]
    fn request_json_holds_what_the_partner_receives() {
        let r = PartnerRequest::post("https://x.example/a", "A")
            .header("Content-Type", "application/json")
            .json(json!({"k": 1}));
        assert_eq!(
            request_json(&r),
            json!({"method": "POST", "url": "https://x.example/a",
                "headers": {"Content-Type": "application/json"}, "body": {"k": 1}})
        );
    }
}
