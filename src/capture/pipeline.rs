//! What happens to each captured event (docs/capture.md, "What the console does"): its
//! findings, its translation for every destination picked, its forwarding when that is on, and
//! the history entries that record it all. The server commits the entries and answers after.

use super::record::{CapturedEvent, DestinationResult, Forwarded, Translation};
use super::wire::Incoming;
use super::{DestinationSetup, Forward};
use crate::destinations::{self, Outcome, OutcomeKind, Target};
use crate::event::{Finding, has_errors};
use crate::history::Entry;
use crate::history::entry::Captured;
use crate::json::mask::{MASK, mask_secrets};
use crate::transport::{Cancel, SendReport, StatusClass, Transport, TransportOptions};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The findings of one captured event: the one place they are computed, so that a tracking
/// plan's checks join the Segment-spec rules here (docs/tracking-plans.md).
pub fn findings(event: &Value, plan: Option<&crate::plan::Plan>) -> Vec<Finding> {
    let mut found = crate::event::validate(event);
    if let Some(plan) = plan {
        found.extend(plan.check(event));
    }
    found
}

/// A write key as shown and stored: masked but for its last four characters when it is long
/// enough for them to give nothing away ("" for none).
pub fn mask_key(key: &str) -> String {
    let n = key.chars().count();
    if n == 0 {
        String::new()
    } else if n >= 12 {
        let tail: String = key.chars().skip(n - 4).collect();
        format!("{MASK}{tail}")
    } else {
        MASK.to_string()
    }
}

/// How a request arrived, shared by its events.
pub struct Arrival<'a> {
    pub path: &'a str,
    /// The write key in clear (masked before anything is kept).
    pub write_key: &'a str,
    pub received_at: DateTime<Utc>,
}

/// One event ready to commit: its entries, and its view once their ids are known.
pub struct Processed {
    pub view: CapturedEvent,
    pub entries: Vec<Entry>,
    /// For each of `view.destinations`, the index of its entry in `entries`.
    pub entry_of: Vec<usize>,
}

pub struct Pipeline {
    destinations: Vec<(DestinationSetup, Vec<String>)>,
    /// The tracking plan every event is checked against, when one is given.
    plan: Option<std::sync::Arc<crate::plan::Plan>>,
    target: Target,
    forward: bool,
    transport: Transport,
    options: TransportOptions,
}

impl Pipeline {
    pub fn new(
        destinations: Vec<DestinationSetup>,
        plan: Option<std::sync::Arc<crate::plan::Plan>>,
        forward: &Forward,
        transport: Transport,
    ) -> Pipeline {
        let destinations = destinations
            .into_iter()
            .map(|d| {
                let secrets = destinations::kit::settings::secrets(
                    d.destination.settings_schema(),
                    &d.settings,
                );
                (d, secrets)
            })
            .collect();
        Pipeline {
            destinations,
            plan,
            target: forward.target(),
            forward: matches!(forward, Forward::To(_)),
            transport,
            // One attempt, and short: the SDK waits for the reply (it is sent once the partner
            // has answered), and an SDK's own timeout (10 to 15 s) must not run out first; the
            // SDK's retries are the ones to watch.
            options: TransportOptions {
                timeout: std::time::Duration::from_secs(5),
                ..TransportOptions::single()
            },
        }
    }

    pub fn destination_ids(&self) -> Vec<&'static str> {
        self.destinations
            .iter()
            .map(|(d, _)| d.destination.id())
            .collect()
    }

    /// Validates, translates and (when forwarding is on) sends one event.
    pub async fn process(
        &self,
        incoming: Incoming,
        arrival: &Arrival<'_>,
        duplicate: bool,
    ) -> Processed {
        let Incoming {
            mut event,
            dropped,
            write_key: _,
        } = incoming;
        if arrival.write_key.chars().count() >= 4 {
            mask_secrets(&mut event, &[arrival.write_key]);
        }
        let now = arrival.received_at;
        let found = findings(&event, self.plan.as_deref());
        let valid = dropped.is_none() && !has_errors(&found);
        let text = |key: &str| match event.get(key) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let call_type = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let name = match call_type.as_str() {
            "track" => text("event"),
            "page" | "screen" => text("name"),
            _ => None,
        }
        .unwrap_or_default();
        let captured = Captured {
            write_key: mask_key(arrival.write_key),
            library: event
                .get("context")
                .and_then(|c| c.get("library"))
                .cloned()
                .unwrap_or(Value::Null),
            sent_at: text("sentAt"),
            received_at: now,
            path: arrival.path.to_string(),
            dropped: dropped.clone(),
            duplicate,
        };
        let mut view = CapturedEvent {
            seq: 0,
            received_at: now,
            sent_at: captured.sent_at.clone(),
            path: captured.path.clone(),
            write_key: captured.write_key.clone(),
            library: captured.library.clone(),
            call_type,
            name,
            user_id: text("userId"),
            anonymous_id: text("anonymousId"),
            message_id: text("messageId"),
            valid,
            duplicate,
            dropped: dropped.clone(),
            findings: found.clone(),
            event,
            destinations: Vec::new(),
        };
        let mut entries = Vec::new();
        let mut entry_of = Vec::new();
        if dropped.is_some() || self.destinations.is_empty() {
            // Nothing to translate (a dropped event goes nowhere in Segment either): one entry
            // records the event itself.
            let (outcome, reason) = match &dropped {
                Some(why) => ("dropped", why.clone()),
                None => ("captured", "no destination picked".to_string()),
            };
            let nothing = Outcome {
                kind: OutcomeKind::Skipped,
                reason: Some(reason),
                findings: found,
                requests: Vec::new(),
                notes: Vec::new(),
            };
            let mut entry = Entry::record(
                "",
                destinations::Mode::PartnerApi,
                &self.target,
                &view.event,
                &nothing,
                None,
                &[],
                now,
            );
            entry.mode = String::new();
            entry.target = "capture".into();
            entry.outcome = outcome.into();
            entry.status_class = if valid {
                StatusClass::Skipped
            } else {
                StatusClass::Rejected
            };
            entry.captured = Some(captured);
            let entry =
                entry.with_plan(self.plan.as_ref().map(|p| p.name.as_str()), &view.findings);
            entries.push(entry);
            return Processed {
                view,
                entries,
                entry_of,
            };
        }
        for (setup, secrets) in &self.destinations {
            let dest = setup.destination;
            let outcome = destinations::translate(
                dest,
                &view.event,
                &setup.settings,
                setup.mode,
                &self.target,
                now,
            );
            let report = if self.forward && outcome.kind == OutcomeKind::Requests {
                Some(
                    self.transport
                        .send_event(&outcome.requests, &self.options, &Cancel::new())
                        .await,
                )
            } else {
                None
            };
            let mut entry = Entry::record(
                dest.id(),
                setup.mode,
                &self.target,
                &view.event,
                &outcome,
                report.as_ref(),
                secrets,
                now,
            );
            entry.captured = Some(captured.clone());
            let entry =
                entry.with_plan(self.plan.as_ref().map(|p| p.name.as_str()), &view.findings);
            view.destinations.push(DestinationResult {
                id: dest.id().to_string(),
                outcome: outcome.kind.as_str().to_string(),
                reason: outcome.reason.clone(),
                translation: Translation(outcome),
                forwarded: report.as_ref().map(|r| forwarded(r, &entry)),
                history_id: None,
            });
            entry_of.push(entries.len());
            entries.push(entry);
        }
        Processed {
            view,
            entries,
            entry_of,
        }
    }
}

fn forwarded(report: &SendReport, entry: &Entry) -> Forwarded {
    let class = report.class();
    Forwarded {
        ok: class == StatusClass::Success,
        status_class: class,
        status: entry.status_text(),
        elapsed_ms: report.elapsed_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_keys_are_masked_but_for_a_short_tail() {
        assert_eq!(mask_key(""), "");
        assert_eq!(mask_key("short"), MASK);
        assert_eq!(mask_key("wk_0123456789abcdef"), format!("{MASK}cdef"));
        assert!(!mask_key("wk_0123456789abcdef").contains("0123"));
    }
}
