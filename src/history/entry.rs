//! One history entry: what was sent where, from which event, and what came back, with every
//! secret masked before it is stored.

use crate::destinations::{Mode, Outcome, Target};
use crate::event::Finding;
use crate::json::mask::mask_secrets;
use crate::transport::{Exchange, RequestRecord, SendReport, StatusClass};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The store's id; 0 until the entry is appended.
    #[serde(default)]
    pub id: i64,
    pub time: DateTime<Utc>,
    pub destination: String,
    pub mode: String,
    /// `sandbox`, `live` or the custom URL.
    pub target: String,
    /// `identify`, `track`, ... ("" when the event has no readable type).
    pub call_type: String,
    /// A track's `event`, a page's or screen's `name` ("" otherwise).
    pub event_name: String,
    /// The source event as given (masked), so that it can be replayed.
    pub event: Value,
    /// `requests`, `skipped`, `unsupported` or `rejected`.
    pub outcome: String,
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    /// One per request; for an outcome with nothing sent, the requests are empty too.
    pub exchanges: Vec<Exchange>,
    pub duration_ms: u64,
    pub status_class: StatusClass,
    /// Set when the event came from an app's own SDK through capture (docs/capture.md), not
    /// from the composer or a file; absent in entries written before capture existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured: Option<Captured>,
}

/// Where a captured event came from and how it arrived (docs/capture.md).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Captured {
    /// The source's write key, masked but for its last characters (so two sources can be told
    /// apart); "" when the request carried none.
    pub write_key: String,
    /// The SDK that sent it: the event's `context.library` (`{"name", "version"}`).
    #[serde(default)]
    pub library: Value,
    /// The SDK's `sentAt` as it sent it (the event's own, else the batch's).
    #[serde(default)]
    pub sent_at: Option<String>,
    /// When the console received the request (the event's `receivedAt`).
    pub received_at: DateTime<Utc>,
    /// The path it was posted to (`/v1/batch`, `/v1/t`, ...).
    #[serde(default)]
    pub path: String,
    /// Segment would have dropped the event (over 32 KB, beyond 2,500 in a batch): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<String>,
    /// Its `messageId` was already seen from this source: Segment would drop this duplicate.
    #[serde(default)]
    pub duplicate: bool,
}

impl Entry {
    /// The entry for one event through one destination: its outcome and, when it was sent,
    /// the report. `secrets` are the destination's secret settings, masked wherever they occur.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        destination: &str,
        mode: Mode,
        target: &Target,
        event: &Value,
        outcome: &Outcome,
        report: Option<&SendReport>,
        secrets: &[String],
        now: DateTime<Utc>,
    ) -> Entry {
        let secrets: Vec<&str> = secrets
            .iter()
            .map(String::as_str)
            .filter(|s| s.chars().count() >= 4)
            .collect();
        let mut event = event.clone();
        mask_secrets(&mut event, &secrets);
        let text = |key: &str| {
            event
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let call_type = text("type");
        let event_name = match call_type.as_str() {
            "track" => text("event"),
            "page" | "screen" => text("name"),
            _ => String::new(),
        };
        let (exchanges, duration_ms, status_class) = match report {
            Some(r) => (r.exchanges.clone(), r.elapsed_ms, r.class()),
            None => {
                // Nothing was sent: keep the requests a `requests` outcome would have sent.
                let exchanges = outcome
                    .requests
                    .iter()
                    .map(|req| Exchange {
                        request: RequestRecord::of(req),
                        attempts: Vec::new(),
                        not_sent: Some("not sent".into()),
                        cancelled: false,
                    })
                    .collect();
                let class = StatusClass::of_outcome(outcome.kind).unwrap_or(StatusClass::Skipped);
                (exchanges, 0, class)
            }
        };
        let mut entry = Entry {
            id: 0,
            time: now,
            destination: destination.to_string(),
            mode: mode.as_str().to_string(),
            target: target.label(),
            call_type,
            event_name,
            event,
            outcome: outcome.kind.as_str().to_string(),
            reason: outcome.reason.clone(),
            findings: outcome.findings.clone(),
            exchanges,
            duration_ms,
            status_class,
            captured: None,
        };
        // Replies were masked by the transport; this catches anything it could not know of.
        if let Ok(mut v) = serde_json::to_value(&entry.exchanges)
            && mask_secrets(&mut v, &secrets) > 0
            && let Ok(masked) = serde_json::from_value(v)
        {
            entry.exchanges = masked;
        }
        entry
    }

    /// The final statuses in a few words, for a list row: `201, 200`, `429 ×3`, `timed out`.
    pub fn status_text(&self) -> String {
        let mut parts = Vec::new();
        for ex in &self.exchanges {
            let Some(last) = ex.last() else { continue };
            let mut part = match (&last.error, last.status) {
                (Some(e), _) => e.kind.label().to_string(),
                (None, Some(s)) => s.to_string(),
                (None, None) => "no reply".to_string(),
            };
            if ex.attempts.len() > 1 {
                part.push_str(&format!(" after {} attempts", ex.attempts.len()));
            }
            parts.push(part);
        }
        if parts.is_empty() {
            return self.status_class.as_str().to_string();
        }
        parts.join(", ")
    }

    /// The text that search looks through: the event, then each request and reply body
    /// (text bodies only), at most `limit` bytes in all so that one huge reply cannot bloat
    /// the index.
    pub fn search_text(&self, limit: usize) -> String {
        let mut out = String::new();
        let mut push = |s: &str| {
            if out.len() >= limit {
                return;
            }
            let room = limit - out.len();
            let mut cut = room.min(s.len());
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            out.push_str(s.get(..cut).unwrap_or_default());
            out.push('\n');
        };
        push(&self.event_name);
        push(&self.event.to_string());
        for ex in &self.exchanges {
            push(&ex.request.url);
            if let Some(b) = &ex.request.body {
                push(b);
            }
            for a in &ex.attempts {
                if let Some(b) = a.body.as_ref().filter(|b| b.encoding.is_none()) {
                    push(&b.text);
                }
            }
        }
        out
    }
}
