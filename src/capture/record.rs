//! What capture remembers in memory: each committed event as `/_capture/events` and the window
//! show it, the totals of `/_capture/summary`, and the message ids already seen. Everything is
//! bounded (the newest events, the newest ids), so memory stays flat however long it runs; the
//! history keeps every event.

use crate::destinations::Outcome;
use crate::event::Finding;
use crate::transport::StatusClass;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Arc;

/// Message ids remembered per capture for duplicate flagging; the oldest are forgotten first.
pub const SEEN_IDS_KEPT: usize = 200_000;

/// One captured event, once it is in the history.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapturedEvent {
    /// 1, 2, 3... in the order events were committed (reset with the capture).
    pub seq: u64,
    pub received_at: DateTime<Utc>,
    pub sent_at: Option<String>,
    /// The path it was posted to.
    pub path: String,
    /// The write key, masked but for its end.
    pub write_key: String,
    /// `context.library`: which SDK, which version.
    pub library: Value,
    #[serde(rename = "type")]
    pub call_type: String,
    /// A track's `event`, a page's or screen's `name`.
    pub name: String,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub message_id: Option<String>,
    /// No error in the Segment-spec findings, and not dropped.
    pub valid: bool,
    /// Segment would drop this duplicate of an earlier `messageId` from the same source.
    pub duplicate: bool,
    /// Segment would drop it (over 32 KB, beyond 2,500 in a batch): why.
    pub dropped: Option<String>,
    /// The Segment-spec findings (and, later, the tracking plan's).
    pub findings: Vec<Finding>,
    /// The event as the console holds it: batch context and integrations merged, `receivedAt`
    /// set, the write key taken out.
    pub event: Value,
    /// Per destination picked: the translation and, when forwarded, the outcome.
    pub destinations: Vec<DestinationResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationResult {
    pub id: String,
    /// `requests`, `skipped`, `unsupported` or `rejected` (`dropped` for a dropped event).
    pub outcome: String,
    pub reason: Option<String>,
    /// The translation, shown as `translate` prints it (secrets masked): findings, requests,
    /// notes.
    pub translation: Translation,
    /// Set when the requests were sent.
    pub forwarded: Option<Forwarded>,
    pub history_id: Option<i64>,
}

/// What a destination receives for an event. Kept as the pipeline made it and turned into JSON
/// (secrets masked) only when the API or the window shows it: most captured events are never
/// looked at, and ingest should not pay for their text.
#[derive(Clone, Debug, PartialEq)]
pub struct Translation(pub Outcome);

impl Translation {
    /// As `translate` prints an outcome, without its index.
    pub fn to_json(&self) -> Value {
        let mut v = self.0.to_json(0, false);
        if let Value::Object(o) = &mut v {
            o.remove("index");
        }
        v
    }
}

impl Serialize for Translation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forwarded {
    /// Every request got a 2xx.
    pub ok: bool,
    pub status_class: StatusClass,
    /// The final statuses in a few words (`200, 201`, `503 after 3 attempts`).
    pub status: String,
    pub elapsed_ms: u64,
}

impl DestinationResult {
    /// A few words for a log line: `requests -> 200`, `rejected`, `unsupported`.
    pub fn short(&self) -> String {
        match &self.forwarded {
            Some(f) => f.status.clone(),
            None => self.outcome.clone(),
        }
    }
}

/// Counts of one destination's outcomes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DestinationCounts {
    /// Translated into requests.
    pub requests: u64,
    pub skipped: u64,
    pub unsupported: u64,
    pub rejected: u64,
    /// Forwarded, every request answered 2xx.
    pub delivered: u64,
    /// Forwarded, some request not answered 2xx.
    pub failed: u64,
}

/// The totals since the start (or the last reset).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Requests that reached the pipeline (faulted ones not included).
    pub requests: u64,
    /// Requests refused with 400 or 401 (invalid JSON, over 500 KB, an unknown write key).
    pub refused: u64,
    /// Requests answered by a source fault (status or drop).
    pub faulted: u64,
    /// Events received in accepted requests, dropped ones included.
    pub received: u64,
    pub valid: u64,
    pub invalid: u64,
    pub dropped: u64,
    pub duplicates: u64,
    pub destinations: BTreeMap<String, DestinationCounts>,
    /// The last refusal in words, to say why in a summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_refusal: Option<String>,
}

impl Summary {
    /// Every event valid and kept, no request refused, every forwarded request answered 2xx:
    /// what the command line's exit code 0 means.
    pub fn all_ok(&self) -> bool {
        self.invalid == 0
            && self.dropped == 0
            && self.refused == 0
            && self.destinations.values().all(|d| d.failed == 0)
    }

    fn count(&mut self, e: &CapturedEvent) {
        self.received += 1;
        if e.dropped.is_some() {
            self.dropped += 1;
        } else if e.valid {
            self.valid += 1;
        } else {
            self.invalid += 1;
        }
        if e.duplicate {
            self.duplicates += 1;
        }
        for d in &e.destinations {
            let c = self.destinations.entry(d.id.clone()).or_default();
            match d.outcome.as_str() {
                "requests" => c.requests += 1,
                "skipped" => c.skipped += 1,
                "unsupported" => c.unsupported += 1,
                "rejected" => c.rejected += 1,
                _ => {}
            }
            match &d.forwarded {
                Some(f) if f.ok => c.delivered += 1,
                Some(_) => c.failed += 1,
                None => {}
            }
        }
    }
}

/// What `GET /_capture/events` asks for; every field set narrows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub call_type: Option<String>,
    /// The track's `event` (or the page's or screen's `name`).
    pub event: Option<String>,
    pub user_id: Option<String>,
    pub valid: Option<bool>,
    /// The first `limit` matches, oldest first.
    pub limit: Option<usize>,
}

impl Filter {
    pub fn matches(&self, e: &CapturedEvent) -> bool {
        self.call_type.as_ref().is_none_or(|t| *t == e.call_type)
            && self.event.as_ref().is_none_or(|n| *n == e.name)
            && self
                .user_id
                .as_ref()
                .is_none_or(|u| e.user_id.as_ref() == Some(u))
            && self.valid.is_none_or(|v| v == e.valid)
    }
}

/// The in-memory record; one per capture, behind a lock.
#[derive(Debug)]
pub struct Store {
    keep: usize,
    ring: VecDeque<Arc<CapturedEvent>>,
    next_seq: u64,
    summary: Summary,
    seen: HashSet<(String, String)>,
    seen_order: VecDeque<(String, String)>,
}

impl Store {
    pub fn new(keep: usize) -> Store {
        Store {
            keep: keep.max(1),
            ring: VecDeque::new(),
            next_seq: 1,
            summary: Summary::default(),
            seen: HashSet::new(),
            seen_order: VecDeque::new(),
        }
    }

    /// True when this source already sent this message id; remembers it either way.
    pub fn seen_before(&mut self, source: &str, message_id: &str) -> bool {
        let key = (source.to_string(), message_id.to_string());
        if self.seen.contains(&key) {
            return true;
        }
        self.seen.insert(key.clone());
        self.seen_order.push_back(key);
        while self.seen_order.len() > SEEN_IDS_KEPT {
            if let Some(old) = self.seen_order.pop_front() {
                self.seen.remove(&old);
            }
        }
        false
    }

    /// Forgets ids remembered for a request that could not be committed (the SDK will send
    /// them again, and they are not duplicates then).
    pub fn forget(&mut self, ids: &[(String, String)]) {
        for id in ids {
            self.seen.remove(id);
        }
        self.seen_order.retain(|k| self.seen.contains(k));
    }

    /// Numbers and keeps a committed event; returns it shared.
    pub fn push(&mut self, mut e: CapturedEvent) -> Arc<CapturedEvent> {
        e.seq = self.next_seq;
        self.next_seq += 1;
        self.summary.count(&e);
        let e = Arc::new(e);
        self.ring.push_back(e.clone());
        while self.ring.len() > self.keep {
            self.ring.pop_front();
        }
        e
    }

    pub fn count_request(&mut self) {
        self.summary.requests += 1;
    }

    pub fn count_refusal(&mut self, why: String) {
        self.summary.refused += 1;
        self.summary.last_refusal = Some(why);
    }

    pub fn count_fault(&mut self) {
        self.summary.faulted += 1;
    }

    pub fn summary(&self) -> Summary {
        self.summary.clone()
    }

    /// The kept events that match, oldest first.
    pub fn events(&self, filter: &Filter) -> Vec<Arc<CapturedEvent>> {
        let limit = filter.limit.unwrap_or(usize::MAX);
        self.ring
            .iter()
            .filter(|e| filter.matches(e))
            .take(limit)
            .cloned()
            .collect()
    }

    /// Kept events after `seq` (for a window catching up), oldest first.
    pub fn since(&self, seq: u64) -> Vec<Arc<CapturedEvent>> {
        let start = self.ring.partition_point(|e| e.seq <= seq);
        self.ring.range(start..).cloned().collect()
    }

    pub fn reset(&mut self) {
        *self = Store::new(self.keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destinations::OutcomeKind;
    use serde_json::json;

    fn event(call: &str, name: &str, user: &str, valid: bool) -> CapturedEvent {
        CapturedEvent {
            seq: 0,
            received_at: Utc::now(),
            sent_at: None,
            path: "/v1/batch".into(),
            write_key: String::new(),
            library: json!({}),
            call_type: call.into(),
            name: name.into(),
            user_id: Some(user.into()),
            anonymous_id: None,
            message_id: None,
            valid,
            duplicate: false,
            dropped: None,
            findings: Vec::new(),
            event: json!({}),
            destinations: vec![DestinationResult {
                id: "salesmachine".into(),
                outcome: "requests".into(),
                reason: None,
                translation: Translation(Outcome {
                    kind: OutcomeKind::Requests,
                    reason: None,
                    findings: Vec::new(),
                    requests: Vec::new(),
                    notes: Vec::new(),
                }),
                forwarded: Some(Forwarded {
                    ok: valid,
                    status_class: StatusClass::Success,
                    status: "200".into(),
                    elapsed_ms: 1,
                }),
                history_id: None,
            }],
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_and_the_totals_count_everything() {
        let mut s = Store::new(2);
        s.push(event("track", "A", "u1", true));
        s.push(event("identify", "", "u2", false));
        let mut dropped = event("track", "B", "u1", false);
        dropped.dropped = Some("too big".into());
        s.push(dropped);
        let all = s.events(&Filter::default());
        assert_eq!(all.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
        let sum = s.summary();
        assert_eq!(
            (sum.received, sum.valid, sum.invalid, sum.dropped),
            (3, 1, 1, 1)
        );
        assert_eq!(sum.destinations["salesmachine"].delivered, 1);
        assert_eq!(sum.destinations["salesmachine"].failed, 2);
        assert!(!sum.all_ok());
        assert_eq!(s.since(2).len(), 1);
        s.reset();
        assert_eq!(s.summary(), Summary::default());
        assert_eq!(s.push(event("track", "A", "u", true)).seq, 1);
    }

    #[test]
    fn filters_narrow_and_limit() {
        let mut s = Store::new(100);
        s.push(event("track", "A", "u1", true));
        s.push(event("track", "B", "u2", true));
        s.push(event("identify", "", "u1", false));
        s.push(event("track", "A", "u1", true));
        let f = |call: Option<&str>, name: Option<&str>, user: Option<&str>, valid, limit| Filter {
            call_type: call.map(str::to_string),
            event: name.map(str::to_string),
            user_id: user.map(str::to_string),
            valid,
            limit,
        };
        let seqs = |f: Filter| s.events(&f).iter().map(|e| e.seq).collect::<Vec<_>>();
        assert_eq!(
            seqs(f(Some("track"), None, None, None, None)),
            vec![1, 2, 4]
        );
        assert_eq!(seqs(f(None, Some("A"), None, None, None)), vec![1, 4]);
        assert_eq!(seqs(f(None, None, Some("u1"), None, None)), vec![1, 3, 4]);
        assert_eq!(seqs(f(None, None, None, Some(false), None)), vec![3]);
        assert_eq!(seqs(f(None, None, Some("u1"), None, Some(2))), vec![1, 3]);
    }

    #[test]
    fn message_ids_are_duplicates_per_source_and_can_be_forgotten() {
        let mut s = Store::new(10);
        assert!(!s.seen_before("wk1", "m1"));
        assert!(s.seen_before("wk1", "m1"));
        assert!(
            !s.seen_before("wk2", "m1"),
            "another source may reuse an id"
        );
        s.forget(&[("wk1".into(), "m1".into())]);
        assert!(!s.seen_before("wk1", "m1"));
    }
}
