//! The Live pane's state (docs/capture.md): the captured events the window shows, without
//! egui. Events come from a running capture's bounded ring (`CaptureControl::since`), a frame's
//! worth at a time; the pane keeps at most [`LIVE_ROWS`] of them, so thousands of events a
//! second cost the window a bounded copy of pointers per frame, never a growing list. Counts
//! and the rate cover every event, shown or not (paused, filtered, scrolled out).

use crate::capture::CapturedEvent;
use crate::plan::verdict::{PlanCheck, Verdict};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Rows the pane holds at most; the oldest go first.
pub const LIVE_ROWS: usize = 5_000;
/// The window the rate is measured over.
const RATE_WINDOW: Duration = Duration::from_secs(2);

/// Counts by outcome since the pane was cleared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveCounts {
    pub events: u64,
    pub valid: u64,
    pub invalid: u64,
    pub dropped: u64,
    pub duplicates: u64,
    /// Events whose every forwarded request got a 2xx.
    pub delivered: u64,
    /// Events with a forwarded request that did not.
    pub failed: u64,
}

#[derive(Debug, Default)]
pub struct LiveModel {
    rows: VecDeque<Arc<CapturedEvent>>,
    /// New events are counted but not added to the rows.
    pub paused: bool,
    /// Text the rows must contain (type, name, user or anonymous id), case-insensitive.
    pub filter: String,
    /// The `seq` of the newest event taken: the next poll asks for those after it.
    last_seq: u64,
    counts: LiveCounts,
    /// (when, how many) per poll, over the last [`RATE_WINDOW`].
    arrivals: VecDeque<(Instant, u64)>,
    pub selected: Option<u64>,
    /// The tracking plan's file name when capture started with one (its column reads "-"
    /// without).
    pub plan: Option<String>,
}

/// What the Live pane's plan column says of an event: no verdict ("-") with no plan, else
/// "ok" or its plan violations counted (errors first), as the history's plan column says it.
pub fn plan_verdict(e: &CapturedEvent, plan: Option<&str>) -> (Option<Verdict>, String) {
    let Some(plan) = plan else {
        return (None, "-".into());
    };
    let check = PlanCheck::of(plan, &e.findings);
    (Some(check.verdict()), check.text())
}

impl LiveModel {
    /// The `seq` to ask the capture for events after.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Takes the events a poll returned (oldest first). Events numbered before what was already
    /// taken mean the capture was reset: the pane starts again from them.
    pub fn take(&mut self, events: Vec<Arc<CapturedEvent>>, now: Instant) {
        if let Some(first) = events.first()
            && first.seq <= self.last_seq
        {
            self.last_seq = 0;
        }
        let mut n = 0;
        for e in events {
            if e.seq <= self.last_seq {
                continue;
            }
            self.last_seq = e.seq;
            n += 1;
            self.count(&e);
            if !self.paused {
                self.rows.push_back(e);
            }
        }
        while self.rows.len() > LIVE_ROWS {
            self.rows.pop_front();
        }
        self.arrivals.push_back((now, n));
        while self
            .arrivals
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > RATE_WINDOW)
        {
            self.arrivals.pop_front();
        }
    }

    fn count(&mut self, e: &CapturedEvent) {
        let c = &mut self.counts;
        c.events += 1;
        if e.dropped.is_some() {
            c.dropped += 1;
        } else if e.valid {
            c.valid += 1;
        } else {
            c.invalid += 1;
        }
        if e.duplicate {
            c.duplicates += 1;
        }
        let forwarded: Vec<bool> = e
            .destinations
            .iter()
            .filter_map(|d| d.forwarded.as_ref().map(|f| f.ok))
            .collect();
        if !forwarded.is_empty() {
            if forwarded.iter().all(|ok| *ok) {
                c.delivered += 1;
            } else {
                c.failed += 1;
            }
        }
    }

    /// Events per second over the last two seconds.
    pub fn rate(&self, now: Instant) -> f64 {
        let n: u64 = self
            .arrivals
            .iter()
            .filter(|(t, _)| now.duration_since(*t) <= RATE_WINDOW)
            .map(|(_, n)| n)
            .sum();
        n as f64 / RATE_WINDOW.as_secs_f64()
    }

    pub fn counts(&self) -> LiveCounts {
        self.counts
    }

    /// Forgets the rows, the counts and the selection (the capture and the history keep
    /// everything).
    pub fn clear(&mut self) {
        let last = self.last_seq;
        *self = LiveModel {
            paused: self.paused,
            filter: std::mem::take(&mut self.filter),
            ..LiveModel::default()
        };
        self.last_seq = last;
    }

    /// The rows that pass the filter, oldest first.
    pub fn visible(&self) -> Vec<&Arc<CapturedEvent>> {
        let needle = self.filter.trim().to_lowercase();
        self.rows
            .iter()
            .filter(|e| {
                needle.is_empty()
                    || [
                        Some(&e.call_type),
                        Some(&e.name),
                        e.user_id.as_ref(),
                        e.anonymous_id.as_ref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|t| t.to_lowercase().contains(&needle))
            })
            .collect()
    }

    pub fn selected_event(&self) -> Option<&Arc<CapturedEvent>> {
        let seq = self.selected?;
        self.rows.iter().find(|e| e.seq == seq)
    }
}

/// The Capture switch's fields, as the user types them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureForm {
    pub port: String,
    /// Write keys separated by commas or spaces; none accepts every key.
    pub write_keys: String,
    /// Destination ids events are translated for.
    pub destinations: Vec<&'static str>,
    /// Send the translated requests to the window's sandbox.
    pub forward: bool,
    /// Why the last start failed.
    pub error: Option<String>,
}

impl Default for CaptureForm {
    fn default() -> Self {
        CaptureForm {
            port: crate::capture::DEFAULT_PORT.to_string(),
            write_keys: String::new(),
            destinations: vec!["salesmachine"],
            forward: false,
            error: None,
        }
    }
}

impl CaptureForm {
    /// The port, or what is wrong with it.
    pub fn port(&self) -> Result<u16, String> {
        let t = self.port.trim();
        t.parse::<u16>()
            .map_err(|_| format!("port \"{t}\" is not a number from 0 to 65535"))
    }

    pub fn keys(&self) -> Vec<String> {
        self.write_keys
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn toggle(&mut self, id: &'static str) {
        match self.destinations.iter().position(|d| *d == id) {
            Some(i) => {
                self.destinations.remove(i);
            }
            None => self.destinations.push(id),
        }
    }
}

/// A capture the window runs: the form, the pane, and the running server when it is on.
#[derive(Default)]
pub struct LiveSession {
    pub form: CaptureForm,
    pub pane: LiveModel,
    pub running: Option<crate::capture::CaptureHandle>,
    /// A stopped capture is finishing (committing and answering what is in flight, up to
    /// its grace period) off the UI thread; it cannot be started again until it has.
    pub stopping: bool,
    /// When the history pane was last told that captured events arrived.
    pub history_told: Option<Instant>,
}

impl LiveSession {
    pub fn base_url(&self) -> Option<String> {
        self.running.as_ref().map(|h| h.base_url())
    }
}

/// The snippets that point each official SDK at a capture listening on `base_url`.
pub fn snippets(base_url: &str, write_key: &str) -> Vec<(&'static str, String)> {
    let host_port = base_url.trim_start_matches("http://");
    vec![
        (
            "Python",
            format!(
                "from segment.analytics import Client\n\
                 analytics = Client(\"{write_key}\", host=\"{base_url}\")"
            ),
        ),
        (
            "Node",
            format!(
                "const {{ Analytics }} = require('@segment/analytics-node')\n\
                 const analytics = new Analytics({{ writeKey: '{write_key}', host: '{base_url}', path: '/v1/batch' }})"
            ),
        ),
        (
            "analytics.js",
            format!(
                "AnalyticsBrowser.load(\n  {{ writeKey: '{write_key}', cdnURL: '{base_url}' }},\n  \
                 {{ integrations: {{ 'Segment.io': {{ apiHost: '{host_port}/v1', protocol: 'http' }} }} }},\n)"
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::{DestinationResult, Forwarded};
    use crate::transport::StatusClass;
    use serde_json::json;

    fn event(
        seq: u64,
        call: &str,
        user: &str,
        valid: bool,
        forwarded_ok: Option<bool>,
    ) -> Arc<CapturedEvent> {
        Arc::new(CapturedEvent {
            seq,
            received_at: chrono::Utc::now(),
            sent_at: None,
            path: "/v1/batch".into(),
            write_key: String::new(),
            library: json!({"name": "analytics-python"}),
            call_type: call.into(),
            name: if call == "track" {
                "Order Completed".into()
            } else {
                String::new()
            },
            user_id: Some(user.into()),
            anonymous_id: None,
            message_id: None,
            valid,
            duplicate: false,
            dropped: None,
            findings: Vec::new(),
            event: json!({}),
            destinations: forwarded_ok
                .map(|ok| DestinationResult {
                    id: "salesmachine".into(),
                    outcome: "requests".into(),
                    reason: None,
                    translation: crate::capture::Translation(crate::destinations::Outcome {
                        kind: crate::destinations::OutcomeKind::Requests,
                        reason: None,
                        findings: Vec::new(),
                        requests: Vec::new(),
                        notes: Vec::new(),
                    }),
                    forwarded: Some(Forwarded {
                        ok,
                        status_class: StatusClass::Success,
                        status: "200".into(),
                        elapsed_ms: 1,
                    }),
                    history_id: Some(1),
                })
                .into_iter()
                .collect(),
        })
    }

    #[test]
    fn rows_stay_bounded_while_counts_and_rate_cover_everything() {
        let mut m = LiveModel::default();
        let t0 = Instant::now();
        let batch: Vec<_> = (1..=(LIVE_ROWS as u64 + 10))
            .map(|s| event(s, "track", "u1", s % 2 == 0, Some(s % 3 != 0)))
            .collect();
        m.take(batch, t0);
        assert_eq!(m.visible().len(), LIVE_ROWS);
        assert_eq!(m.visible()[0].seq, 11, "the oldest went first");
        let c = m.counts();
        assert_eq!(c.events, LIVE_ROWS as u64 + 10);
        assert_eq!(c.valid + c.invalid, c.events);
        assert_eq!(c.delivered + c.failed, c.events);
        assert!((m.rate(t0) - c.events as f64 / 2.0).abs() < 1e-9);
        assert_eq!(m.rate(t0 + Duration::from_secs(5)), 0.0);
        assert_eq!(m.last_seq(), LIVE_ROWS as u64 + 10);
    }

    #[test]
    fn pause_counts_without_adding_rows_and_filter_narrows() {
        let mut m = LiveModel::default();
        let now = Instant::now();
        m.take(
            vec![
                event(1, "track", "ada", true, None),
                event(2, "identify", "bob", true, None),
            ],
            now,
        );
        m.paused = true;
        m.take(vec![event(3, "track", "ada", false, None)], now);
        assert_eq!(m.visible().len(), 2);
        assert_eq!(m.counts().events, 3);
        assert_eq!(m.counts().invalid, 1);
        m.filter = "ADA".into();
        assert_eq!(
            m.visible().iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![1]
        );
        m.filter = "order".into();
        assert_eq!(m.visible().len(), 1);
        m.selected = Some(2);
        assert_eq!(m.selected_event().map(|e| e.seq), Some(2));
        m.clear();
        assert!(m.visible().is_empty());
        assert_eq!(m.counts(), LiveCounts::default());
        assert!(m.paused && m.filter == "order", "the pane's settings stay");
        // A capture that was reset numbers from 1 again: the pane follows it.
        m.paused = false;
        m.filter.clear();
        m.take(
            vec![
                event(1, "page", "eve", true, None),
                event(2, "page", "eve", true, None),
            ],
            now,
        );
        assert_eq!(m.visible().len(), 2);
        assert_eq!(m.last_seq(), 2);
    }

    #[test]
    fn the_form_reads_its_port_and_keys() {
        let mut f = CaptureForm::default();
        assert_eq!(f.port(), Ok(7312));
        f.port = " 0 ".into();
        assert_eq!(f.port(), Ok(0));
        f.port = "70000".into();
        assert!(f.port().unwrap_err().contains("70000"));
        f.write_keys = "wk_a, wk_b  wk_c,".into();
        assert_eq!(f.keys(), vec!["wk_a", "wk_b", "wk_c"]);
        f.toggle("salesmachine");
        assert!(f.destinations.is_empty());
        f.toggle("skalin");
        assert_eq!(f.destinations, vec!["skalin"]);
    }

    #[test]
    fn snippets_point_each_sdk_at_the_capture() {
        let s = snippets("http://127.0.0.1:7312", "wk");
        assert_eq!(s.len(), 3);
        assert!(s[0].1.contains("host=\"http://127.0.0.1:7312\""));
        assert!(
            s[1].1
                .contains("host: 'http://127.0.0.1:7312', path: '/v1/batch'")
        );
        assert!(
            s[2].1
                .contains("apiHost: '127.0.0.1:7312/v1', protocol: 'http'")
        );
        assert!(s[2].1.contains("cdnURL: 'http://127.0.0.1:7312'"));
    }

    #[test]
    fn the_plan_column_reads_none_ok_or_the_violations_counted() {
        let mut e = (*event(1, "track", "ada", true, None)).clone();
        assert_eq!(plan_verdict(&e, None), (None, "-".into()));
        // A Segment-spec warning is not the plan's.
        e.findings
            .push(crate::event::Finding::warning("$.timestamp", "missing"));
        assert_eq!(
            plan_verdict(&e, Some("plan.json")),
            (Some(Verdict::Ok), "ok".into())
        );
        let mut violation = crate::event::Finding::error("$.properties.rows", "rows is required");
        violation.kind = Some("Required-Missing".into());
        e.findings.push(violation.clone());
        let mut extra = crate::event::Finding::warning("$.properties.x", "not in the plan");
        extra.kind = Some("Additional-Properties".into());
        e.findings.push(extra.clone());
        e.findings.push(extra);
        assert_eq!(
            plan_verdict(&e, Some("plan.json")),
            (Some(Verdict::Errors), "1 error, 2 warnings".into())
        );
    }
}
