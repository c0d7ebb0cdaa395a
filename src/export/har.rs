//! HAR 1.2 of history entries: every attempt of every request as one HAR entry, so that the
//! file opens in a browser's devtools (Network tab, "Import HAR") and in HAR viewers.
//!
//! The history stores requests with their secrets already masked (and replies with any echo
//! of them masked too), so a HAR made from it is masked as well: there is nothing to reveal.

use crate::history::Entry;
use crate::transport::{Attempt, Exchange, HeaderPair, RequestRecord, find_header};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub fn to_har(entries: &[Entry]) -> Value {
    let mut out = Vec::new();
    for entry in entries {
        for ex in &entry.exchanges {
            let total = ex.attempts.len();
            for (i, attempt) in ex.attempts.iter().enumerate() {
                out.push(har_entry(entry, ex, attempt, i + 1, total));
            }
        }
    }
    log(out)
}

fn headers(pairs: &[HeaderPair]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|h| json!({"name": h.name, "value": h.value}))
            .collect(),
    )
}

fn query_string(url: &str) -> Value {
    let pairs = url::Url::parse(url)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| json!({"name": k, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    Value::Array(pairs)
}

/// HAR 1.2 of requests translated but not sent (`translate --format har`): each entry's
/// response has status 0 and says so, as browsers record a request that got no reply.
pub fn of_translated(requests: &[(String, RequestRecord)], at: DateTime<Utc>) -> Value {
    let entries: Vec<Value> = requests
        .iter()
        .map(|(comment, req)| {
            json!({
                "startedDateTime": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "time": 0,
                "request": request_json(req, "HTTP/1.1"),
                "response": {
                    "status": 0,
                    "statusText": "not sent (translated only)",
                    "httpVersion": "HTTP/1.1",
                    "cookies": [],
                    "headers": [],
                    "content": {"size": 0, "mimeType": "x-unknown"},
                    "redirectURL": "",
                    "headersSize": -1,
                    "bodySize": -1,
                },
                "cache": {},
                "timings": {"send": 0, "wait": 0, "receive": 0},
                "comment": comment,
                "_basis": req.basis,
            })
        })
        .collect();
    log(entries)
}

fn log(entries: Vec<Value>) -> Value {
    json!({
        "log": {
            "version": "1.2",
            "creator": {
                "name": "segment-console",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "entries": entries,
        }
    })
}

fn request_json(req: &RequestRecord, http_version: &str) -> Value {
    let mut request = json!({
        "method": req.method,
        "url": req.url,
        "httpVersion": http_version,
        "cookies": [],
        "headers": headers(&req.headers),
        "queryString": query_string(&req.url),
        "headersSize": -1,
        "bodySize": req.body_size,
    });
    if let Some(body) = &req.body {
        request["postData"] = json!({
            "mimeType": req.header("content-type").unwrap_or("application/json"),
            "text": body,
        });
    }
    request
}

fn har_entry(entry: &Entry, ex: &Exchange, a: &Attempt, number: usize, total: usize) -> Value {
    let req = &ex.request;
    let http_version = if a.http_version.is_empty() {
        "HTTP/1.1"
    } else {
        a.http_version.as_str()
    };
    let request = request_json(req, http_version);

    let mut content = json!({
        "size": a.body.as_ref().map_or(0, |b| b.size),
        "mimeType": a.header("content-type").unwrap_or_default(),
    });
    if let Some(b) = &a.body {
        content["text"] = Value::String(b.text.clone());
        if let Some(enc) = &b.encoding {
            content["encoding"] = Value::String(enc.clone());
        }
        if b.truncated {
            content["comment"] = Value::String(format!(
                "truncated: the first bytes of {} kept, the console's body cap",
                b.size
            ));
        }
    }
    let mut response = json!({
        "status": a.status.unwrap_or(0),
        "statusText": a.status_text,
        "httpVersion": http_version,
        "cookies": [],
        "headers": headers(&a.headers),
        "content": content,
        "redirectURL": find_header(&a.headers, "location").unwrap_or_default(),
        "headersSize": -1,
        "bodySize": a.body.as_ref().map_or(-1, |b| i64::try_from(b.size).unwrap_or(-1)),
    });
    if let Some(e) = &a.error {
        // Chrome writes failed requests as status 0 with `_error`; devtools shows it.
        response["_error"] = Value::String(format!("{}: {}", e.kind.label(), e.message));
    }

    let wait = a.headers_ms.unwrap_or(a.elapsed_ms).min(a.elapsed_ms);
    let mut comment = format!("{} {}", entry.destination, entry.call_type);
    if !entry.event_name.is_empty() {
        comment.push_str(&format!(" \"{}\"", entry.event_name));
    }
    comment.push_str(&format!(": {}", req.description));
    if total > 1 {
        comment.push_str(&format!(" (attempt {number} of {total})"));
    }
    let mut har = json!({
        "startedDateTime": a.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "time": a.elapsed_ms,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {
            "blocked": -1,
            "dns": -1,
            "connect": -1,
            "ssl": -1,
            "send": 0,
            "wait": wait,
            "receive": a.elapsed_ms - wait,
        },
        "comment": comment,
        "_historyId": entry.id,
        "_destination": entry.destination,
        "_basis": req.basis,
    });
    // The tracking plan's verdict at the send, when one was loaded.
    if let Some(plan) = &entry.plan {
        har["_plan"] = json!(plan);
    }
    har
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destinations::{Mode, Outcome, OutcomeKind, PartnerRequest, Target};
    use crate::json::mask::MASK;
    use crate::transport::{CapturedBody, ErrorKind, RequestRecord, SendReport, TransportError};
    use chrono::{TimeZone, Utc};

    fn attempt(status: Option<u16>, body: Option<&str>) -> Attempt {
        Attempt {
            started: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            status,
            status_text: "Too Many Requests".into(),
            http_version: "HTTP/1.1".into(),
            headers: vec![HeaderPair {
                name: "content-type".into(),
                value: "application/json".into(),
            }],
            body: body.map(|b| CapturedBody::capture(b.as_bytes(), 5000, &[])),
            headers_ms: Some(12),
            elapsed_ms: 15,
            error: None,
            retry_after_ms: Some(1000),
            wait_ms: Some(1000),
        }
    }

    fn entry() -> Entry {
        let req = PartnerRequest::post(
            "http://127.0.0.1:4000/skalin/hit?rec=1&identity=%7B%22id%22%3A%22u1%22%7D",
            "Record an event",
        )
        .secret_header("Authorization", "Basic c2VjcmV0", "secret-key")
        .header("Content-Type", "application/json")
        .json(json!({"key": "secret-key", "n": 1}));
        let mut failed = Attempt::failed(
            Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 1).unwrap(),
            30_000,
            TransportError::new(ErrorKind::Timeout, "no complete reply within 30000 ms"),
        );
        failed.status_text = String::new();
        let report = SendReport {
            started: Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            elapsed_ms: 31_015,
            elapsed_us: 31_015_000,
            exchanges: vec![
                Exchange {
                    request: RequestRecord::of(&req),
                    attempts: vec![attempt(Some(429), Some(r#"{"error":"rate"}"#)), failed],
                    not_sent: None,
                    cancelled: false,
                },
                Exchange {
                    request: RequestRecord::of(&req),
                    attempts: Vec::new(),
                    not_sent: Some("request 1 of 2 failed, so this one was not sent".into()),
                    cancelled: false,
                },
            ],
        };
        let outcome = Outcome {
            kind: OutcomeKind::Requests,
            reason: None,
            findings: Vec::new(),
            requests: vec![req],
            notes: Vec::new(),
        };
        let mut e = Entry::record(
            "skalin",
            Mode::PartnerApi,
            &Target::Live,
            &json!({"type": "track", "event": "Signed Up"}),
            &outcome,
            Some(&report),
            &["secret-key".into()],
            Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
        );
        e.id = 42;
        e
    }

    #[test]
    fn har_has_the_required_shape() {
        let text = serde_json::to_string_pretty(&to_har(&[entry()])).unwrap();
        let har: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(har["log"]["version"], "1.2");
        assert_eq!(har["log"]["creator"]["name"], "segment-console");
        let entries = har["log"]["entries"].as_array().unwrap();
        // Two attempts of the first request; the request never sent is not in the HAR.
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        for key in [
            "startedDateTime",
            "time",
            "request",
            "response",
            "cache",
            "timings",
        ] {
            assert!(e.get(key).is_some(), "{key}");
        }
        assert_eq!(e["startedDateTime"], "2024-05-01T12:00:00.000Z");
        assert_eq!(e["time"], 15);
        assert_eq!(e["timings"]["wait"], 12);
        assert_eq!(e["timings"]["receive"], 3);
        assert_eq!(
            e["comment"],
            "skalin track \"Signed Up\": Record an event (attempt 1 of 2)"
        );
        let req = &e["request"];
        assert_eq!(req["method"], "POST");
        assert_eq!(req["httpVersion"], "HTTP/1.1");
        assert_eq!(req["headersSize"], -1);
        assert_eq!(req["bodySize"], 26);
        assert_eq!(
            req["queryString"],
            json!([{"name": "rec", "value": "1"}, {"name": "identity", "value": "{\"id\":\"u1\"}"}])
        );
        assert_eq!(req["postData"]["mimeType"], "application/json");
        assert_eq!(
            req["postData"]["text"],
            format!(r#"{{"key":"{MASK}","n":1}}"#)
        );
        assert_eq!(
            req["headers"][0],
            json!({"name": "Authorization", "value": format!("Basic {MASK}")})
        );
        let resp = &e["response"];
        assert_eq!(resp["status"], 429);
        assert_eq!(resp["statusText"], "Too Many Requests");
        assert_eq!(resp["redirectURL"], "");
        assert_eq!(resp["bodySize"], 5000);
        assert_eq!(resp["content"]["size"], 5000);
        assert_eq!(resp["content"]["mimeType"], "application/json");
        assert_eq!(resp["content"]["text"], r#"{"error":"rate"}"#);
        assert!(
            resp["content"]["comment"]
                .as_str()
                .unwrap()
                .starts_with("truncated")
        );

        let failed = &entries[1]["response"];
        assert_eq!(failed["status"], 0);
        assert_eq!(failed["bodySize"], -1);
        assert_eq!(
            failed["_error"],
            "timed out: no complete reply within 30000 ms"
        );
        assert_eq!(entries[1]["timings"]["wait"], 30_000);
        assert!(!text.contains("secret-key") && !text.contains("c2VjcmV0"));
    }

    #[test]
    fn no_entries_make_an_empty_log() {
        assert_eq!(to_har(&[])["log"]["entries"], json!([]));
    }
}
