//! The reports of the fault sends (`support::scenarios`) go into a History on disk, come back
//! out through its filters, and leave as HAR and as a Postman collection, with no secret in
//! either.

use crate::support::scenarios::{self, Sent};
use crate::support::*;
use base64::Engine;
use segment_console::destinations::{self, Mode, OutcomeKind, PartnerRequest};
use segment_console::export::{har::to_har, postman};
use segment_console::history::{Entry, Filter, History};
use segment_console::transport::StatusClass;
use serde_json::Value;

/// Every scenario's sends, in a fixed order. The sandboxes are kept alive until the end.
async fn all_sends() -> Vec<Sent> {
    let (ok, timeout, retry, unavailable, rate, dropped, refused) = tokio::join!(
        scenarios::success(),
        scenarios::timeout(),
        scenarios::retry_after(),
        scenarios::unavailable(),
        scenarios::failure_rate(),
        scenarios::dropped(),
        scenarios::refused(),
    );
    let mut out = vec![ok.1, timeout.1, retry.1, unavailable.1];
    out.extend(rate.1);
    out.extend(dropped.1);
    out.push(refused);
    out
}

fn record(s: &Sent) -> Entry {
    Entry::record(
        s.dest,
        s.mode,
        &s.target,
        &s.event,
        &s.outcome,
        Some(&s.report),
        &s.secrets(),
        now(),
    )
}

/// An event Startdeliver does not take: recorded with nothing sent.
fn unsupported() -> Entry {
    let t = segment_console::destinations::Target::Sandbox {
        base: "http://127.0.0.1:9".into(),
    };
    let dest = destinations::find("startdeliver").expect("startdeliver");
    let event = tour_event("identify");
    let s = settings("startdeliver");
    let out = destinations::translate(dest, &event, &s, Mode::SegmentWebhook, &t, now());
    assert_eq!(out.kind, OutcomeKind::Unsupported);
    let secrets = destinations::kit::settings::secrets(dest.settings_schema(), &s);
    Entry::record(
        "startdeliver",
        Mode::SegmentWebhook,
        &t,
        &event,
        &out,
        None,
        &secrets,
        now(),
    )
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The secrets of the sandbox settings, raw and as the Basic tokens that carry them.
fn secret_forms() -> Vec<String> {
    vec![
        API_KEY.to_string(),
        API_SECRET.to_string(),
        b64(&format!("{API_KEY}:{API_SECRET}")),
        b64(&format!("{API_KEY}:")),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for s in secret_forms() {
        assert!(!text.contains(&s), "{what} holds {s}");
    }
}

fn ids(h: &History, f: &Filter) -> Vec<i64> {
    let mut v: Vec<i64> = h
        .query(f, 0, 100)
        .expect("query")
        .iter()
        .map(|s| s.id)
        .collect();
    v.sort_unstable();
    v
}

#[tokio::test]
async fn fault_reports_are_stored_queried_and_exported_masked() {
    let sends = all_sends().await;
    assert_eq!(sends.len(), 10);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.sqlite3");
    let mut entries: Vec<Entry> = sends.iter().map(record).collect();
    entries.push(unsupported());
    let stored: Vec<i64> = {
        let mut h = History::open(&path).expect("open the history");
        entries
            .iter()
            .map(|e| h.append(e).expect("append"))
            .collect()
    };
    // ids by scenario: 1 success, 2 timeout, 3 retry-after, 4 503s, 5-7 failure rate,
    // 8-9 dropped then through, 10 refused, 11 unsupported.
    assert_eq!(stored, (1..=11).collect::<Vec<i64>>());

    // Reopened from disk, as the next run of the console would.
    let h = History::open(&path).expect("reopen");
    assert_eq!(h.count(&Filter::default()).expect("count"), 11);
    let by_dest = |d: &str| Filter {
        destination: Some(d.into()),
        ..Filter::default()
    };
    assert_eq!(ids(&h, &by_dest("salesmachine")), [1, 3, 4]);
    assert_eq!(ids(&h, &by_dest("startdeliver")), [5, 6, 7, 11]);
    let by_class = |c: Vec<StatusClass>| Filter {
        status: c,
        ..Filter::default()
    };
    assert_eq!(
        ids(&h, &by_class(vec![StatusClass::Success])),
        [1, 3, 5, 6, 9]
    );
    assert_eq!(ids(&h, &by_class(vec![StatusClass::ServerError])), [4, 7]);
    assert_eq!(ids(&h, &by_class(vec![StatusClass::Error])), [2, 8, 10]);
    assert_eq!(
        ids(
            &h,
            &by_class(vec![StatusClass::Unsupported, StatusClass::ClientError])
        ),
        [11]
    );
    let text = |t: &str| Filter {
        text: Some(t.into()),
        ..Filter::default()
    };
    // Reply bodies are searched: only the 429s said this.
    assert_eq!(ids(&h, &text("rate_limited")), [3]);
    assert_eq!(ids(&h, &text("SANDBOX FAULT")), [3, 4, 6, 7]);
    assert_eq!(ids(&h, &text("Order Completed")), [5, 6, 7]);
    assert_eq!(
        ids(
            &h,
            &Filter {
                destination: Some("startdeliver".into()),
                status: vec![StatusClass::ServerError],
                ..Filter::default()
            }
        ),
        [7]
    );
    assert_eq!(ids(&h, &text(API_KEY)), Vec::<i64>::new(), "never stored");

    let rows = h.query(&Filter::default(), 0, 100).expect("rows");
    let status_of = |id: i64| {
        rows.iter()
            .find(|r| r.id == id)
            .map(|r| r.status_text.clone())
            .unwrap_or_default()
    };
    assert_eq!(status_of(1), "201");
    assert_eq!(status_of(2), "timed out");
    assert_eq!(status_of(3), "201 after 3 attempts");
    assert_eq!(status_of(4), "503 after 3 attempts");
    assert_eq!(status_of(6), "200 after 2 attempts");
    assert_eq!(status_of(8), "connection closed");
    assert_eq!(status_of(10), "connection refused");
    assert_eq!(status_of(11), "unsupported");

    // HAR of everything, read back from the store.
    let back: Vec<Entry> = stored
        .iter()
        .map(|id| h.get(*id).expect("get").expect("present"))
        .collect();
    let har_text = serde_json::to_string_pretty(&to_har(&back)).expect("HAR text");
    let har: Value = serde_json::from_str(&har_text).expect("HAR parses");
    assert_eq!(har["log"]["version"], "1.2");
    let har_entries = har["log"]["entries"].as_array().expect("entries");
    let attempts: usize = back
        .iter()
        .flat_map(|e| &e.exchanges)
        .map(|x| x.attempts.len())
        .sum();
    assert_eq!(attempts, 15);
    assert_eq!(har_entries.len(), attempts, "one HAR entry per attempt");
    let of = |id: i64| -> Vec<&Value> {
        har_entries
            .iter()
            .filter(|e| e["_historyId"] == id)
            .collect()
    };
    let retried: Vec<&Value> = of(3);
    let codes: Vec<&Value> = retried.iter().map(|e| &e["response"]["status"]).collect();
    assert_eq!(codes, [429, 429, 201]);
    assert_eq!(
        retried[0]["comment"],
        "salesmachine identify: Upsert contact (attempt 1 of 3)"
    );
    let auth = retried[0]["request"]["headers"]
        .as_array()
        .and_then(|hs| hs.iter().find(|h| h["name"] == "Authorization"))
        .map(|h| h["value"].clone());
    assert_eq!(auth, Some(Value::String("Basic ••••••••".into())));
    assert_eq!(of(4).len(), 3, "the request never sent has no HAR entry");
    let refused = of(10);
    assert_eq!(refused[0]["response"]["status"], 0);
    assert!(
        refused[0]["response"]["_error"]
            .as_str()
            .is_some_and(|e| e.starts_with("connection refused: ")),
        "{}",
        refused[0]["response"]["_error"]
    );
    assert_eq!(of(11).len(), 0);
    assert_no_secret("the HAR", &har_text);

    // Postman, from the same sends' translated requests.
    let requests: Vec<PartnerRequest> = sends
        .iter()
        .flat_map(|s| s.outcome.requests.clone())
        .collect();
    assert_eq!(requests.len(), 11);
    let masked_text =
        serde_json::to_string(&postman::to_postman("e2e", &requests, false)).expect("text");
    let masked: Value = serde_json::from_str(&masked_text).expect("Postman parses");
    assert_eq!(
        masked["info"]["schema"],
        "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    );
    assert_eq!(masked["info"]["name"], "e2e");
    assert_eq!(masked["item"].as_array().map(Vec::len), Some(11));
    assert_eq!(masked["item"][0]["name"], "1. Upsert contact");
    let auths: Vec<&str> = masked["item"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["request"]["header"].as_array())
        .flatten()
        .filter(|h| h["key"] == "Authorization")
        .filter_map(|h| h["value"].as_str())
        .collect();
    assert_eq!(
        auths.len(),
        8,
        "all but the Webhooks and Skalin hit requests carry a key"
    );
    assert!(auths.iter().all(|a| a.ends_with("••••••••")), "{auths:?}");
    assert_no_secret("the masked collection", &masked_text);

    let shown_text =
        serde_json::to_string(&postman::to_postman("e2e", &requests, true)).expect("text");
    assert!(shown_text.contains(&b64(&format!("{API_KEY}:{API_SECRET}"))));
    assert!(shown_text.contains(&format!("Token token={API_KEY}")));
    assert!(shown_text.contains(&b64(&format!("{API_KEY}:"))));
}
