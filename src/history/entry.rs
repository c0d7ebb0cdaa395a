//! One history entry: what was sent where, from which event, and what came back, with every
//! secret masked before it is stored.

use crate::destinations::{Mode, Outcome, Target};
use crate::event::Finding;
use crate::json::mask::mask_secrets;
use crate::plan::verdict::PlanCheck;
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
    /// The send's duration in microseconds (`duration_ms` keeps whole milliseconds for what
    /// reads it as before). 0 in records stored before it existed: see [`Entry::micros`].
    #[serde(default)]
    pub duration_us: u64,
    /// Set when the event came from an app's own SDK through capture (docs/capture.md), not
    /// from the composer or a file; absent in entries written before capture existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub captured: Option<Captured>,
    /// The event checked against a tracking plan when it was sent or captured (the plan's
    /// name and its violations counted); absent when no plan was loaded, and in entries
    /// written before plans existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanCheck>,
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

/// Whether any of `secrets` may occur in a string of the exchanges. Serializing them to a
/// reused buffer and searching it is cheap; going through a `Value` to mask is not, and is only
/// needed when this says yes.
fn may_hold_secret(exchanges: &[Exchange], secrets: &[&str]) -> bool {
    if secrets.is_empty() {
        return false;
    }
    thread_local! {
        static TEXT: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    TEXT.with(|t| {
        let mut t = t.borrow_mut();
        t.clear();
        if serde_json::to_writer(&mut *t, exchanges).is_err() {
            return true;
        }
        let found = crate::json::mask::may_hold_secrets(&t, secrets);
        // A very large reply leaves a large buffer behind: let it go.
        if t.capacity() > 1 << 20 {
            *t = Vec::new();
        }
        found
    })
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
        Entry::record_owned(
            destination,
            mode,
            target,
            event,
            outcome,
            report.cloned(),
            secrets,
            now,
        )
    }

    /// `record`, taking the report: its exchanges move into the entry instead of being copied
    /// (a batch run records thousands a second).
    #[allow(clippy::too_many_arguments)]
    pub fn record_owned(
        destination: &str,
        mode: Mode,
        target: &Target,
        event: &Value,
        outcome: &Outcome,
        report: Option<SendReport>,
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
        let (exchanges, duration_us, status_class) = match report {
            Some(r) => {
                let (micros, class) = (r.micros(), r.class());
                (r.exchanges, micros, class)
            }
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
            duration_ms: duration_us / 1000,
            status_class,
            duration_us,
            captured: None,
            plan: None,
        };
        // Replies were masked by the transport; this catches anything it could not know of.
        if may_hold_secret(&entry.exchanges, &secrets)
            && let Ok(mut v) = serde_json::to_value(&entry.exchanges)
            && mask_secrets(&mut v, &secrets) > 0
            && let Ok(masked) = serde_json::from_value(v)
        {
            entry.exchanges = masked;
        }
        entry
    }

    /// The entry with its event's check against the tracking plan `plan` (its file name):
    /// `findings` are the event's findings, the plan's violations among them.
    pub fn with_plan(mut self, plan: Option<&str>, findings: &[Finding]) -> Entry {
        self.plan = plan.map(|name| PlanCheck::of(name, findings));
        self
    }

    /// The plan column's text: "-" when no plan was loaded, else "ok" or the violations.
    pub fn plan_text(&self) -> String {
        crate::plan::verdict::column_text(self.plan.as_ref())
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

    /// The send's duration in microseconds; from the milliseconds for a record stored before
    /// microseconds were.
    pub fn micros(&self) -> u64 {
        if self.duration_us == 0 {
            self.duration_ms.saturating_mul(1000)
        } else {
            self.duration_us
        }
    }

    /// The text that search looks through, at most `limit` bytes: what people search for first
    /// (the event name, the destination, the statuses, the ids), then the event's values (not
    /// its keys or punctuation, the same in every entry) and the start of each text body. Each part has its own bound, so that one long body cannot crowd
    /// out the others, and the whole is small, as the index grows with every byte of it.
    pub fn search_text(&self, limit: usize) -> String {
        let mut out = String::with_capacity(limit.min(4096));
        let mut push = |s: &str, bound: usize| {
            if s.is_empty() || out.len() >= limit {
                return;
            }
            out.push_str(&bounded(s, bound.min(limit - out.len())));
            out.push('\n');
        };
        push(&self.event_name, 256);
        push(&self.destination, 64);
        push(&self.status_text(), 128);
        for key in [
            "userId",
            "anonymousId",
            "messageId",
            "groupId",
            "previousId",
        ] {
            if let Some(v) = self.event.get(key).and_then(Value::as_str) {
                push(v, 128);
            }
        }
        push(&event_values(&self.event, EVENT_BOUND), EVENT_BOUND);
        for ex in &self.exchanges {
            if let Some(b) = &ex.request.body {
                push(b, BODY_BOUND);
            }
            for a in &ex.attempts {
                if let Some(b) = a.body.as_ref().filter(|b| b.encoding.is_none()) {
                    push(&b.text, BODY_BOUND);
                }
            }
        }
        out
    }
}

/// The event's values that search looks through, in bytes: the index's cost (in bytes and in
/// time per entry) grows with every byte of search text.
const EVENT_BOUND: usize = 256;
/// The start of each request and reply body that search looks through.
const BODY_BOUND: usize = 192;

/// The event's string and number values in document order, one a line, until `limit`
/// bytes.
fn event_values(v: &Value, limit: usize) -> String {
    fn walk(v: &Value, out: &mut String, limit: usize) {
        if out.len() >= limit {
            return;
        }
        match v {
            // One value a line: a search never spans two values, and a space between them
            // would make trigrams ("ed o") that match words no value holds together,
            // each such entry then a candidate to check.
            Value::String(s) => {
                out.push_str(s);
                out.push('\n');
            }
            Value::Number(n) => {
                out.push_str(&n.to_string());
                out.push('\n');
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, out, limit)),
            Value::Object(map) => map.values().for_each(|i| walk(i, out, limit)),
            Value::Bool(_) | Value::Null => {}
        }
    }
    let mut out = String::new();
    walk(v, &mut out, limit);
    out
}

/// At most the first `limit` bytes of `s`, cut at a character boundary.
pub fn bounded(s: &str, limit: usize) -> String {
    let mut cut = limit.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    s.get(..cut).unwrap_or_default().to_string()
}
