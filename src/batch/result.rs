//! What a batch says about each event: a verdict, the final status, the time and the error in
//! words, made from the pipeline's outcome and the transport's report.

use crate::destinations::{Outcome, OutcomeKind};
use crate::event::Severity;
use crate::transport::{Exchange, SendReport, StatusClass};
use serde::Serialize;
use serde_json::Value;

/// The most characters of a reply body quoted in an error text.
const BODY_QUOTE: usize = 300;
/// The most characters of an event's label.
const LABEL_MAX: usize = 48;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every request got a 2xx reply.
    Delivered,
    /// A request ended without a 2xx reply (an error status or a transport failure).
    Failed,
    /// The event (or the settings) failed validation; nothing was sent.
    Rejected,
    /// The Integrations object turned the destination off; nothing was sent.
    Skipped,
    /// The destination does not accept this call; nothing was sent.
    Unsupported,
    /// Cancelled while its requests were in flight.
    Cancelled,
    /// The batch stopped before this event was started; nothing was sent or recorded.
    NotRun,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Delivered => "delivered",
            Verdict::Failed => "failed",
            Verdict::Rejected => "rejected",
            Verdict::Skipped => "skipped",
            Verdict::Unsupported => "unsupported",
            Verdict::Cancelled => "cancelled",
            Verdict::NotRun => "not run",
        }
    }

    /// Delivered, or deliberately not sent (skipped and unsupported are the user's or the
    /// destination's choice, not a fault).
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            Verdict::Delivered | Verdict::Skipped | Verdict::Unsupported
        )
    }

    /// Deliberately not sent.
    pub fn is_deliberate_skip(self) -> bool {
        matches!(self, Verdict::Skipped | Verdict::Unsupported)
    }
}

/// One event of a batch, once it is finished (or known never to start).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventResult {
    /// Position in the event set, from 0 (as `translate` numbers them).
    pub index: usize,
    /// A few words naming the event: `track Order Completed`, `identify u_4f8a2c`.
    pub label: String,
    pub verdict: Verdict,
    /// The final HTTP status: of the request that failed, else of the last one sent.
    pub status: Option<u16>,
    /// The class the history files the event under; `None` for an event never run.
    pub status_class: Option<StatusClass>,
    /// The final statuses in a few words (`200, 201`, `503 after 3 attempts`), or `-`.
    pub status_text: String,
    /// Attempts made over every request of the event.
    pub attempts: usize,
    /// Time spent sending (0 when nothing was sent).
    pub duration_ms: u64,
    /// Why the event is not delivered, in words; also the reason of a skip.
    pub error: Option<String>,
    /// The history entry holding every attempt, once it is on disk.
    pub history_id: Option<i64>,
}

impl EventResult {
    /// The result of an event the pipeline answered, with the report when it was sent.
    pub fn of(
        index: usize,
        event: &Value,
        outcome: &Outcome,
        report: Option<&SendReport>,
    ) -> EventResult {
        let mut r = EventResult {
            index,
            label: label(event),
            verdict: Verdict::NotRun,
            status: None,
            status_class: None,
            status_text: "-".into(),
            attempts: 0,
            duration_ms: 0,
            error: None,
            history_id: None,
        };
        match (outcome.kind, report) {
            (OutcomeKind::Requests, Some(report)) => r.fill_from(report),
            (OutcomeKind::Requests, None) => {
                r.verdict = Verdict::NotRun;
                r.error = Some("not sent".into());
            }
            (kind, _) => {
                r.verdict = match kind {
                    OutcomeKind::Skipped => Verdict::Skipped,
                    OutcomeKind::Unsupported => Verdict::Unsupported,
                    _ => Verdict::Rejected,
                };
                r.status_class = StatusClass::of_outcome(kind);
                r.error = Some(nothing_sent_text(outcome));
            }
        }
        r
    }

    /// An event the batch never started.
    pub fn not_run(index: usize, event: &Value, why: &str) -> EventResult {
        EventResult {
            index,
            label: label(event),
            verdict: Verdict::NotRun,
            status: None,
            status_class: None,
            status_text: "-".into(),
            attempts: 0,
            duration_ms: 0,
            error: Some(why.to_string()),
            history_id: None,
        }
    }

    fn fill_from(&mut self, report: &SendReport) {
        self.duration_ms = report.elapsed_ms;
        self.status_class = Some(report.class());
        self.attempts = report.exchanges.iter().map(|e| e.attempts.len()).sum();
        let statuses: Vec<String> = report
            .exchanges
            .iter()
            .filter_map(exchange_status_text)
            .collect();
        if !statuses.is_empty() {
            self.status_text = statuses.join(", ");
        }
        let failing = report
            .exchanges
            .iter()
            .enumerate()
            .find(|(_, e)| !e.succeeded());
        let shown = failing.map(|(_, e)| e).or_else(|| report.exchanges.last());
        self.status = shown.and_then(Exchange::last).and_then(|a| a.status);
        self.verdict = if report.cancelled() {
            Verdict::Cancelled
        } else if failing.is_none() {
            Verdict::Delivered
        } else {
            Verdict::Failed
        };
        self.error = failing.map(|(i, ex)| failure_text(ex, i, report.exchanges.len()));
    }
}

/// `200`, `503 after 3 attempts`, `timed out`; `None` for a request never sent.
fn exchange_status_text(ex: &Exchange) -> Option<String> {
    let last = ex.last()?;
    let mut text = match (&last.error, last.status) {
        (Some(e), _) => e.kind.label().to_string(),
        (None, Some(s)) => s.to_string(),
        (None, None) => "no reply".to_string(),
    };
    if ex.attempts.len() > 1 {
        text.push_str(&format!(" after {} attempts", ex.attempts.len()));
    }
    Some(text)
}

/// What went wrong with request `i` of `of`, in words: its description, the status or the
/// transport error, and the start of the reply's body (already masked by the transport).
fn failure_text(ex: &Exchange, i: usize, of: usize) -> String {
    let mut what = if ex.request.description.is_empty() {
        format!("{} {}", ex.request.method, ex.request.url)
    } else {
        ex.request.description.clone()
    };
    if of > 1 {
        what = format!("request {} of {of} ({what})", i + 1);
    }
    let Some(last) = ex.last() else {
        let why = ex.not_sent.as_deref().unwrap_or("not sent");
        return format!("{what}: {why}");
    };
    let attempts = match ex.attempts.len() {
        1 => String::new(),
        n => format!(" after {n} attempts"),
    };
    if ex.cancelled {
        return format!("{what}: cancelled{attempts}");
    }
    match (&last.error, last.status) {
        (Some(e), _) => format!("{what}: {e}{attempts}"),
        (None, Some(status)) => {
            let mut text = format!("{what}: HTTP {status}");
            if !last.status_text.is_empty() {
                text.push(' ');
                text.push_str(&last.status_text);
            }
            text.push_str(&attempts);
            if let Some(body) = last.body.as_ref().filter(|b| b.encoding.is_none()) {
                let quoted = clip(body.text.trim(), BODY_QUOTE);
                if !quoted.is_empty() {
                    text.push_str(": ");
                    text.push_str(&quoted);
                }
            }
            text
        }
        (None, None) => format!("{what}: no reply{attempts}"),
    }
}

/// The reason of a skip, an unsupported call or a rejection, with every error finding.
fn nothing_sent_text(outcome: &Outcome) -> String {
    let mut text = outcome.reason.clone().unwrap_or_default();
    let errors: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{}: {}", f.path, f.message))
        .collect();
    if !errors.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&errors.join("; "));
    }
    text
}

/// A few words naming an event, from whatever it holds: its call and what identifies it.
pub fn label(event: &Value) -> String {
    let text = |key: &str| match event.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let call = text("type").unwrap_or_else(|| "event".into());
    let who = text("userId").or_else(|| text("anonymousId"));
    let detail = match call.as_str() {
        "track" => text("event"),
        "page" | "screen" => text("name").or(who),
        "group" => text("groupId"),
        "alias" => match (text("previousId"), text("userId")) {
            (Some(p), Some(u)) => Some(format!("{p} -> {u}")),
            (p, u) => p.or(u),
        },
        _ => who,
    };
    let full = match detail {
        Some(d) => format!("{call} {d}"),
        None => call,
    };
    clip(&full, LABEL_MAX)
}

/// At most `max` characters, with an ellipsis when cut; control characters become spaces so
/// one label or error is one line of a table.
pub fn clip(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if clean.chars().count() <= max {
        return clean;
    }
    let mut cut: String = clean.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn labels_name_the_call_and_what_identifies_it() {
        assert_eq!(
            label(&json!({"type": "track", "event": "Order Completed", "userId": "u1"})),
            "track Order Completed"
        );
        assert_eq!(
            label(&json!({"type": "identify", "userId": "u1"})),
            "identify u1"
        );
        assert_eq!(
            label(&json!({"type": "identify", "anonymousId": "a1"})),
            "identify a1"
        );
        assert_eq!(
            label(&json!({"type": "alias", "previousId": "a1", "userId": "u1"})),
            "alias a1 -> u1"
        );
        assert_eq!(
            label(&json!({"type": "group", "groupId": "acc"})),
            "group acc"
        );
        assert_eq!(label(&json!({"type": "page", "userId": 42})), "page 42");
        assert_eq!(label(&json!([1, 2])), "event");
        assert_eq!(
            label(&json!({"type": "track", "event": "a\nb"})),
            "track a b"
        );
        let long = label(&json!({"type": "track", "event": "x".repeat(100)}));
        assert_eq!(long.chars().count(), LABEL_MAX);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn only_delivered_and_deliberate_skips_are_ok() {
        let ok: Vec<Verdict> = [
            Verdict::Delivered,
            Verdict::Failed,
            Verdict::Rejected,
            Verdict::Skipped,
            Verdict::Unsupported,
            Verdict::Cancelled,
            Verdict::NotRun,
        ]
        .into_iter()
        .filter(|v| v.is_ok())
        .collect();
        assert_eq!(
            ok,
            [Verdict::Delivered, Verdict::Skipped, Verdict::Unsupported]
        );
    }
}
