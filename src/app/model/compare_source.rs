//! Where a side of the compare view comes from, and how each source becomes text: key-sorted
//! pretty JSON of the composer's event (now or before its edits), a destination's translated
//! request, a history entry's event, request or response, or pasted text.

use crate::app::model::fanout::FanOut;
use crate::destinations;
use crate::history::Entry;
use crate::json::diff;
use crate::transport::{Exchange, HeaderPair, RequestRecord};
use serde_json::{Map, Value, json};

/// Where a side's payload comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    ComposerNow,
    /// The composer's event as it was selected, opened or last saved.
    ComposerBefore,
    Destination,
    History,
    Pasted,
}

impl Source {
    pub const ALL: [Source; 5] = [
        Source::ComposerNow,
        Source::ComposerBefore,
        Source::Destination,
        Source::History,
        Source::Pasted,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Source::ComposerNow => "Composer event now",
            Source::ComposerBefore => "Composer event before edits",
            Source::Destination => "Destination request",
            Source::History => "History entry",
            Source::Pasted => "Pasted JSON",
        }
    }
}

/// Which part of a history entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    Event,
    Request(usize),
    Response(usize),
}

impl Part {
    pub fn label(self) -> String {
        match self {
            Part::Event => "Event".into(),
            Part::Request(i) => format!("Request {}", i + 1),
            Part::Response(i) => format!("Response {}", i + 1),
        }
    }

    /// The parts an entry has: its event, then each request and its response.
    pub fn all_of(e: &Entry) -> Vec<Part> {
        let mut out = vec![Part::Event];
        for i in 0..e.exchanges.len() {
            out.push(Part::Request(i));
            out.push(Part::Response(i));
        }
        out
    }
}

/// One side's choice.
#[derive(Clone, Debug)]
pub struct Side {
    pub source: Source,
    pub dest: &'static str,
    pub request: usize,
    pub entry: Option<Box<Entry>>,
    pub part: Part,
    pub pasted: String,
}

impl Side {
    pub(crate) fn of(source: Source) -> Side {
        Side {
            source,
            dest: destinations::registry()
                .first()
                .map(|d| d.id())
                .unwrap_or("salesmachine"),
            request: 0,
            entry: None,
            part: Part::Event,
            pasted: String::new(),
        }
    }
}

/// A side resolved to text.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// What the side shows, in words ("Salesmachine request 1: Upsert contact").
    pub title: String,
    /// The normalized text, or why there is none.
    pub text: Result<String, String>,
    /// Something worth knowing (compared as plain text, ...).
    pub note: Option<String>,
}

impl Default for Resolved {
    fn default() -> Self {
        Resolved {
            title: String::new(),
            text: Err(String::new()),
            note: None,
        }
    }
}

/// What the sides are read from.
pub struct Inputs<'a> {
    pub doc_text: &'a str,
    pub baseline: &'a str,
    pub fanout: Option<&'a FanOut>,
}

fn text_of(raw: &str, what: &str) -> (Result<String, String>, Option<String>) {
    match serde_json::from_str::<Value>(raw) {
        Ok(v) => (Ok(diff::sorted_pretty(&v)), None),
        Err(e) => (
            Ok(raw.to_string()),
            Some(format!(
                "{what} is not JSON (line {}, column {}): compared as plain text.",
                e.line(),
                e.column()
            )),
        ),
    }
}

pub fn resolve(side: &Side, inputs: &Inputs) -> Resolved {
    match side.source {
        Source::ComposerNow => {
            let (text, note) = text_of(inputs.doc_text, "The composer's event");
            Resolved {
                title: "The composer's event now".into(),
                text,
                note,
            }
        }
        Source::ComposerBefore => {
            let (text, note) = text_of(inputs.baseline, "The event before edits");
            Resolved {
                title: "The composer's event as selected, opened or last saved".into(),
                text,
                note,
            }
        }
        Source::Pasted => {
            if side.pasted.trim().is_empty() {
                return Resolved {
                    title: "Pasted JSON".into(),
                    text: Err("Paste or type JSON to compare.".into()),
                    note: None,
                };
            }
            let (text, note) = text_of(&side.pasted, "The pasted text");
            Resolved {
                title: "Pasted JSON".into(),
                text,
                note,
            }
        }
        Source::Destination => destination_side(side, inputs.fanout),
        Source::History => history_side(side),
    }
}

fn destination_side(side: &Side, fanout: Option<&FanOut>) -> Resolved {
    let name = destinations::find(side.dest).map_or(side.dest, |d| d.integration_name());
    let title = format!("{name} request {}", side.request + 1);
    let Some(col) = fanout.and_then(|f| f.columns.iter().find(|c| c.dest == side.dest)) else {
        return Resolved {
            title,
            text: Err("Translating the composer's event…".into()),
            note: None,
        };
    };
    match col.requests.get(side.request) {
        Some(r) => Resolved {
            title: format!("{title}: {}", r.description),
            text: Ok(diff::sorted_pretty(&r.json)),
            note: None,
        },
        None if col.requests.is_empty() => Resolved {
            title,
            text: Err(format!(
                "{name} sends nothing for this event ({}): {}",
                col.kind.as_str(),
                col.reason.clone().unwrap_or_default()
            )),
            note: None,
        },
        None => Resolved {
            title,
            text: Err(format!(
                "{name} sends {} request(s) for this event; there is no request {}.",
                col.requests.len(),
                side.request + 1
            )),
            note: None,
        },
    }
}

fn history_side(side: &Side) -> Resolved {
    let Some(e) = &side.entry else {
        return Resolved {
            title: "History entry".into(),
            text: Err(format!(
                "Select a history entry and press \"Compare as {}\" in its details.",
                "left or right"
            )),
            note: None,
        };
    };
    let what: Vec<&str> = [e.call_type.as_str(), e.event_name.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    let title = format!(
        "History #{}: {} of {} to {}",
        e.id,
        side.part.label().to_lowercase(),
        what.join(" "),
        e.destination
    );
    let value = match side.part {
        Part::Event => Ok(e.event.clone()),
        Part::Request(i) => e
            .exchanges
            .get(i)
            .map(|x| request_record_json(&x.request))
            .ok_or_else(|| missing(e, i)),
        Part::Response(i) => e
            .exchanges
            .get(i)
            .map(response_json)
            .ok_or_else(|| missing(e, i)),
    };
    Resolved {
        title,
        text: value.map(|v| diff::sorted_pretty(&v)),
        note: None,
    }
}

fn missing(e: &Entry, i: usize) -> String {
    format!(
        "History #{} has {} request(s); there is no request {}.",
        e.id,
        e.exchanges.len(),
        i + 1
    )
}

fn headers_json(headers: &[HeaderPair]) -> Value {
    let mut m = Map::new();
    for h in headers {
        m.insert(h.name.clone(), Value::String(h.value.clone()));
    }
    Value::Object(m)
}

/// A body as JSON when it is JSON, else as a string.
fn body_json(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(t) => serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())),
    }
}

/// A stored request as the same shape the fan-out uses (method, URL, headers, body).
pub fn request_record_json(r: &RequestRecord) -> Value {
    json!({
        "method": r.method,
        "url": r.url,
        "headers": headers_json(&r.headers),
        "body": body_json(r.body.as_deref()),
    })
}

/// The reply to a request: its last attempt's status, headers and body, or why there is none.
pub fn response_json(x: &Exchange) -> Value {
    if let Some(why) = &x.not_sent {
        return json!({"notSent": why});
    }
    let Some(a) = x.last() else {
        return json!({"notSent": "no attempt was made"});
    };
    let mut out = Map::new();
    if let Some(s) = a.status {
        out.insert("status".into(), json!(s));
        out.insert("statusText".into(), json!(a.status_text));
        out.insert("headers".into(), headers_json(&a.headers));
        out.insert(
            "body".into(),
            body_json(a.body.as_ref().map(|b| b.text.as_str())),
        );
    }
    if let Some(err) = &a.error {
        out.insert(
            "error".into(),
            json!(format!("{}: {}", err.kind.label(), err.message)),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_as_json() {
        let x: Exchange = serde_json::from_value(json!({
            "request": {"method": "POST", "url": "http://127.0.0.1:9/a", "headers": [],
                "body": "{\"k\":1}", "body_size": 7, "description": "A", "basis": "documented"},
            "attempts": [{"started": "2026-01-02T03:04:05Z", "status": 429,
                "status_text": "Too Many Requests", "http_version": "HTTP/1.1",
                "headers": [{"name": "retry-after", "value": "1"}],
                "body": {"text": "slow down", "size": 9, "truncated": false},
                "elapsed_ms": 3}],
            "cancelled": false,
        }))
        .expect("exchange");
        assert_eq!(
            response_json(&x),
            json!({"status": 429, "statusText": "Too Many Requests",
                "headers": {"retry-after": "1"}, "body": "slow down"})
        );
        assert_eq!(
            request_record_json(&x.request),
            json!({"method": "POST", "url": "http://127.0.0.1:9/a", "headers": {},
                "body": {"k": 1}})
        );
    }
}
