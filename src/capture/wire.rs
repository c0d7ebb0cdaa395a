//! What an SDK posts, read as Segment's Tracking API reads it (docs/capture.md, "The wire"):
//! which paths take which calls, gzip bodies, the size limits, batches with their own
//! `context` and `integrations` merged under each event's, and the write key in the body.
//! Pure: the caller passes the bytes and "now".

use crate::event::CallType;
use crate::json::text::{MAX_EVENT_DEPTH, parse_within};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use std::io::Read;

/// Segment refuses a request over 500 KB with 400 (after decompression).
pub const MAX_REQUEST_BYTES: usize = 500 * 1024;
/// Segment drops a single event over 32 KB (and still answers 200).
pub const MAX_EVENT_BYTES: usize = crate::event::validate::MAX_EVENT_BYTES;
/// Segment drops the events of a batch beyond this many (and still answers 200).
pub const MAX_BATCH_EVENTS: usize = 2_500;

/// What a path takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// One event of this call (`/v1/track`, analytics.js's `/v1/t`).
    One(CallType),
    /// `{"batch": [...]}` (`/v1/batch`, `/v1/import`, analytics.js's `/v1/b`).
    Batch,
}

/// The endpoint of a path under `/v1/`, or `None` for a path Segment does not serve.
pub fn endpoint(path: &str) -> Option<Endpoint> {
    let name = path.strip_prefix("/v1/")?.trim_end_matches('/');
    let call = match name {
        "identify" | "i" => CallType::Identify,
        "track" | "t" => CallType::Track,
        "page" | "p" => CallType::Page,
        "screen" | "s" => CallType::Screen,
        "group" | "g" => CallType::Group,
        "alias" | "a" => CallType::Alias,
        "batch" | "import" | "b" => return Some(Endpoint::Batch),
        _ => return None,
    };
    Some(Endpoint::One(call))
}

/// Why a request is refused with 400, in words for the SDK's log and the console's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the request is over 500 KB (Segment's limit per request){}", size_note(*.0))]
    TooLarge(Option<usize>),
    #[error("the body cannot be decompressed: {0}")]
    Encoding(String),
    #[error("the body is not valid JSON: {0}")]
    Json(String),
    #[error("{0}")]
    Shape(String),
}

fn size_note(size: Option<usize>) -> String {
    size.map(|n| format!(": {n} bytes")).unwrap_or_default()
}

/// The body as JSON bytes: gunzipped when `Content-Encoding: gzip`, at most
/// [`MAX_REQUEST_BYTES`] either way (a small gzip body cannot expand past the limit).
pub fn decode(body: &[u8], content_encoding: Option<&str>) -> Result<Vec<u8>, WireError> {
    let encoding = content_encoding.map(|e| e.trim().to_ascii_lowercase());
    match encoding.as_deref() {
        None | Some("") | Some("identity") => {
            if body.len() > MAX_REQUEST_BYTES {
                return Err(WireError::TooLarge(Some(body.len())));
            }
            Ok(body.to_vec())
        }
        Some("gzip") | Some("x-gzip") => {
            let mut out = Vec::new();
            let limit = u64::try_from(MAX_REQUEST_BYTES).unwrap_or(u64::MAX) + 1;
            flate2::read::GzDecoder::new(body)
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|e| WireError::Encoding(format!("gzip: {e}")))?;
            if out.len() > MAX_REQUEST_BYTES {
                return Err(WireError::TooLarge(None));
            }
            Ok(out)
        }
        Some(other) => Err(WireError::Encoding(format!(
            "Content-Encoding \"{other}\" is not supported; send gzip or no encoding"
        ))),
    }
}

/// One event of a request, merged and stamped, or the reason Segment would drop it.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    pub event: Value,
    /// Segment would drop it (and the console records why).
    pub dropped: Option<String>,
    /// The `writeKey` the event itself carried (analytics.js puts it in each event).
    pub write_key: Option<String>,
}

/// A request's events and the write key its body carried.
#[derive(Clone, Debug, PartialEq)]
pub struct Posted {
    /// The body's `writeKey` (the batch's, else the first event's).
    pub write_key: Option<String>,
    pub events: Vec<Incoming>,
}

/// Reads a decoded body posted to `endpoint`. Each event gets the batch's `context` and
/// `integrations` under its own, the batch's `sentAt` when it has none, `receivedAt` = `now`,
/// the path's type when it has none; its `writeKey` is taken out (it is a credential).
pub fn read(endpoint: Endpoint, body: &[u8], now: DateTime<Utc>) -> Result<Posted, WireError> {
    let text = crate::json::text::utf8(body).map_err(|e| WireError::Json(e.to_string()))?;
    // A batch wraps events in two levels; events themselves are held to the usual depth.
    let doc =
        parse_within(text, MAX_EVENT_DEPTH + 2).map_err(|e| WireError::Json(e.to_string()))?;
    let received = now.to_rfc3339_opts(SecondsFormat::Millis, true);
    match endpoint {
        Endpoint::One(call) => {
            let Value::Object(mut obj) = doc else {
                return Err(WireError::Shape(format!(
                    "the body must be one event (a JSON object), not {}",
                    crate::event::model::kind_of(&doc)
                )));
            };
            let size = json_size(&obj);
            let write_key = take_key(&mut obj);
            obj.entry("type")
                .or_insert_with(|| Value::String(call.as_str().into()));
            obj.insert("receivedAt".into(), Value::String(received));
            Ok(Posted {
                write_key: write_key.clone(),
                events: vec![Incoming {
                    dropped: too_big(size),
                    event: Value::Object(obj),
                    write_key,
                }],
            })
        }
        Endpoint::Batch => {
            let Value::Object(mut outer) = doc else {
                return Err(WireError::Shape(format!(
                    "a batch must be a JSON object with \"batch\": [events], not {}",
                    crate::event::model::kind_of(&doc)
                )));
            };
            let events = match outer.remove("batch") {
                Some(Value::Array(a)) => a,
                Some(other) => {
                    return Err(WireError::Shape(format!(
                        "\"batch\" must be an array of events, not {}",
                        crate::event::model::kind_of(&other)
                    )));
                }
                None => {
                    return Err(WireError::Shape("a batch needs \"batch\": [events]".into()));
                }
            };
            let batch_key = take_key(&mut outer);
            let context = outer.get("context").filter(|c| c.is_object()).cloned();
            let integrations = outer.get("integrations").filter(|c| c.is_object()).cloned();
            let sent_at = outer.get("sentAt").cloned();
            let mut out = Vec::with_capacity(events.len());
            for (i, event) in events.into_iter().enumerate() {
                let Value::Object(mut obj) = event else {
                    // Kept as it is: validation says what is wrong with it.
                    out.push(Incoming {
                        event,
                        dropped: None,
                        write_key: None,
                    });
                    continue;
                };
                let size = if i < MAX_BATCH_EVENTS {
                    json_size(&obj)
                } else {
                    0
                };
                let write_key = take_key(&mut obj);
                for (key, batch_value) in [("context", &context), ("integrations", &integrations)] {
                    if let Some(b) = batch_value {
                        let own = obj.remove(key);
                        obj.insert(key.into(), merged_under(b, own));
                    }
                }
                if let Some(s) = &sent_at {
                    obj.entry("sentAt").or_insert_with(|| s.clone());
                }
                obj.insert("receivedAt".into(), Value::String(received.clone()));
                let dropped = if i >= MAX_BATCH_EVENTS {
                    Some(format!(
                        "event {} of the batch: Segment takes at most {MAX_BATCH_EVENTS} events \
                         per batch and drops the rest",
                        i + 1
                    ))
                } else {
                    too_big(size)
                };
                out.push(Incoming {
                    event: Value::Object(obj),
                    dropped,
                    write_key,
                });
            }
            let write_key = batch_key.or_else(|| out.iter().find_map(|e| e.write_key.clone()));
            Ok(Posted {
                write_key,
                events: out,
            })
        }
    }
}

/// The length of an object's compact JSON, counted as it is written out, without a copy.
fn json_size(obj: &Map<String, Value>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    // Writing to a counter cannot fail; a map of JSON values always serializes.
    let _ = serde_json::to_writer(&mut c, obj);
    c.0
}

fn too_big(size: usize) -> Option<String> {
    (size > MAX_EVENT_BYTES).then(|| {
        format!(
            "the event is {size} bytes; Segment drops events over 32 KB ({MAX_EVENT_BYTES} bytes)"
        )
    })
}

/// Takes `writeKey` out of an object; a key that is not text is dropped as well.
fn take_key(obj: &mut Map<String, Value>) -> Option<String> {
    match obj.remove("writeKey") {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The batch's value with the event's own laid over it: objects merge key by key (the event's
/// value wins at every level), anything else of the event's replaces the batch's.
pub fn merged_under(batch: &Value, own: Option<Value>) -> Value {
    match (batch, own) {
        (_, None) | (_, Some(Value::Null)) => batch.clone(),
        (Value::Object(b), Some(Value::Object(o))) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match out.get(&k) {
                    Some(bv) => merged_under(bv, Some(v)),
                    None => v,
                };
                out.insert(k, merged);
            }
            Value::Object(out)
        }
        (_, Some(own)) => own,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 6, 10, 0, 0).unwrap()
    }

    #[test]
    fn every_path_of_the_contract_has_its_endpoint() {
        for (path, want) in [
            ("/v1/identify", Endpoint::One(CallType::Identify)),
            ("/v1/i", Endpoint::One(CallType::Identify)),
            ("/v1/track", Endpoint::One(CallType::Track)),
            ("/v1/t", Endpoint::One(CallType::Track)),
            ("/v1/page", Endpoint::One(CallType::Page)),
            ("/v1/p", Endpoint::One(CallType::Page)),
            ("/v1/screen", Endpoint::One(CallType::Screen)),
            ("/v1/s", Endpoint::One(CallType::Screen)),
            ("/v1/group", Endpoint::One(CallType::Group)),
            ("/v1/g", Endpoint::One(CallType::Group)),
            ("/v1/alias", Endpoint::One(CallType::Alias)),
            ("/v1/a", Endpoint::One(CallType::Alias)),
            ("/v1/batch", Endpoint::Batch),
            ("/v1/batch/", Endpoint::Batch),
            ("/v1/import", Endpoint::Batch),
            ("/v1/b", Endpoint::Batch),
        ] {
            assert_eq!(endpoint(path), Some(want), "{path}");
        }
        assert_eq!(endpoint("/v1/x"), None);
        assert_eq!(endpoint("/v2/track"), None);
        assert_eq!(endpoint("/track"), None);
    }

    #[test]
    fn batch_context_and_integrations_merge_under_each_events_own() {
        let body = json!({
            "batch": [
                {"type": "track", "event": "A", "context": {"ip": "1.2.3.4", "library": {"name": "own"}},
                 "integrations": {"Salesmachine": false}},
                {"type": "identify", "userId": "u", "sentAt": "2026-05-06T09:00:00Z"},
            ],
            "context": {"library": {"name": "analytics-python", "version": "2.4.0"}, "locale": "fr"},
            "integrations": {"All": true, "Salesmachine": true},
            "sentAt": "2026-05-06T09:59:59Z",
            "writeKey": "wk_123",
        });
        let p = read(Endpoint::Batch, body.to_string().as_bytes(), now()).unwrap();
        assert_eq!(p.write_key.as_deref(), Some("wk_123"));
        let a = &p.events[0].event;
        assert_eq!(
            a["context"],
            json!({"library": {"name": "own", "version": "2.4.0"}, "locale": "fr", "ip": "1.2.3.4"})
        );
        assert_eq!(
            a["integrations"],
            json!({"All": true, "Salesmachine": false})
        );
        assert_eq!(a["sentAt"], "2026-05-06T09:59:59Z");
        assert_eq!(a["receivedAt"], "2026-05-06T10:00:00.000Z");
        let b = &p.events[1].event;
        assert_eq!(b["context"]["library"]["name"], "analytics-python");
        assert_eq!(
            b["sentAt"], "2026-05-06T09:00:00Z",
            "the event's own sentAt stays"
        );
        assert!(p.events.iter().all(|e| e.dropped.is_none()));
        assert!(!body.to_string().is_empty());
        assert!(a.get("writeKey").is_none());
    }

    #[test]
    fn a_single_call_takes_its_type_from_the_path_and_its_key_from_the_body() {
        let body = json!({"event": "Clicked", "userId": "u1", "writeKey": "wk_js"});
        let p = read(
            Endpoint::One(CallType::Track),
            body.to_string().as_bytes(),
            now(),
        )
        .unwrap();
        assert_eq!(p.write_key.as_deref(), Some("wk_js"));
        assert_eq!(p.events[0].event["type"], "track");
        assert!(p.events[0].event.get("writeKey").is_none());
    }

    #[test]
    fn oversize_events_and_events_past_2500_are_dropped_with_their_reason() {
        let big = "x".repeat(MAX_EVENT_BYTES);
        let mut batch = vec![json!({"type": "track", "event": "Big", "properties": {"p": big}})];
        batch.extend(
            (0..MAX_BATCH_EVENTS).map(|i| json!({"type": "track", "event": format!("E{i}")})),
        );
        let body = json!({ "batch": batch });
        let p = read(Endpoint::Batch, body.to_string().as_bytes(), now()).unwrap();
        assert_eq!(p.events.len(), MAX_BATCH_EVENTS + 1);
        let big_reason = p.events[0].dropped.as_deref().unwrap();
        assert!(big_reason.contains("over 32 KB"), "{big_reason}");
        assert!(
            p.events[1..MAX_BATCH_EVENTS]
                .iter()
                .all(|e| e.dropped.is_none())
        );
        let last = p.events[MAX_BATCH_EVENTS].dropped.as_deref().unwrap();
        assert!(
            last.contains("event 2501") && last.contains("2500"),
            "{last}"
        );
    }

    #[test]
    fn sizes_are_those_of_the_compact_json() {
        let v = json!({"a": [1, 2, {"b": "ü"}], "c": null});
        let Value::Object(o) = &v else { unreachable!() };
        assert_eq!(json_size(o), v.to_string().len());
    }

    #[test]
    fn bad_bodies_are_refused_in_words() {
        let e = read(Endpoint::Batch, b"{\"batch\": [", now()).unwrap_err();
        assert!(matches!(e, WireError::Json(_)), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");
        let e = read(Endpoint::Batch, b"{\"batch\": 3}", now()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"batch\" must be an array of events, not a number"
        );
        let e = read(Endpoint::One(CallType::Track), b"[1]", now()).unwrap_err();
        assert!(e.to_string().contains("an array"), "{e}");
    }

    #[test]
    fn gzip_bodies_are_decompressed_within_the_limit() {
        use flate2::Compression;
        use flate2::write::GzEncoder;
        use std::io::Write;
        let gz = |bytes: &[u8]| {
            let mut enc = GzEncoder::new(Vec::new(), Compression::default());
            enc.write_all(bytes).unwrap();
            enc.finish().unwrap()
        };
        let body = br#"{"batch": []}"#;
        assert_eq!(decode(&gz(body), Some("gzip")).unwrap(), body.to_vec());
        // 600 KB of zeros compress to a few hundred bytes and must still be refused.
        let bomb = gz(&vec![b' '; 600 * 1024]);
        assert!(bomb.len() < 10_000);
        assert_eq!(decode(&bomb, Some("gzip")), Err(WireError::TooLarge(None)));
        assert!(matches!(
            decode(b"not gzip", Some("gzip")),
            Err(WireError::Encoding(_))
        ));
        assert!(matches!(
            decode(body, Some("br")),
            Err(WireError::Encoding(_))
        ));
        assert_eq!(
            decode(&vec![b' '; MAX_REQUEST_BYTES + 1], None),
            Err(WireError::TooLarge(Some(MAX_REQUEST_BYTES + 1)))
        );
    }
}
