//! The open event set: its events, which one the composer edits, and whether it has unsaved
//! changes. The list on the left draws it.

use crate::event::{CallType, Event};
use crate::files::event_set::EventSet;
use serde_json::Value;
use std::path::PathBuf;

const TOUR: &str = include_str!("../../../assets/tour.json");

/// The tour (assets/tour.json, built in): the samples per call, and what a new window opens
/// with.
pub fn tour() -> EventSet {
    crate::files::event_set::parse(TOUR)
        .map(|l| l.set)
        .unwrap_or_default()
}

/// The tour's event of that call, to start from.
pub fn sample(call: CallType) -> Value {
    tour()
        .events
        .into_iter()
        .find(|e| e.get("type").and_then(Value::as_str) == Some(call.as_str()))
        .unwrap_or_else(|| serde_json::json!({"type": call.as_str(), "userId": "u_4f8a2c"}))
}

pub struct Library {
    /// Where the set was opened from or last saved to.
    pub path: Option<PathBuf>,
    pub set: EventSet,
    /// The event the composer edits; `None` is the scratch event, which needs no file.
    pub selected: Option<usize>,
    pub dirty: bool,
    pub filter: String,
    pub scratch: Value,
    /// Labels by index, rebuilt when the set changes (not per frame).
    labels: Vec<String>,
    labels_for: Option<u64>,
    pub revision: u64,
}

impl Library {
    pub fn new(set: EventSet, path: Option<PathBuf>) -> Library {
        let mut l = Library {
            path,
            set,
            selected: None,
            dirty: false,
            filter: String::new(),
            scratch: serde_json::json!({"type": "track", "userId": "", "event": ""}),
            labels: Vec::new(),
            labels_for: None,
            revision: 0,
        };
        if !l.set.events.is_empty() {
            l.selected = Some(0);
        }
        l
    }

    pub fn touch(&mut self) {
        self.revision += 1;
        self.dirty = true;
    }

    /// The event the composer shows.
    pub fn current(&self) -> &Value {
        match self.selected {
            Some(i) => self.set.events.get(i).unwrap_or(&self.scratch),
            None => &self.scratch,
        }
    }

    /// The composer changed the current event. Compared first and copied only when it
    /// differs: an event can be a megabyte, and this runs on every keystroke.
    pub fn update_current(&mut self, v: &Value) {
        match self.selected {
            Some(i) if i < self.set.events.len() => {
                if self.set.events[i] != *v {
                    self.set.events[i] = v.clone();
                    self.touch();
                }
            }
            _ => {
                if self.scratch != *v {
                    self.scratch = v.clone();
                }
            }
        }
    }

    pub fn add(&mut self, v: Value) -> usize {
        let at = self.selected.map_or(self.set.events.len(), |i| i + 1);
        let at = at.min(self.set.events.len());
        self.set.events.insert(at, v);
        self.selected = Some(at);
        self.touch();
        at
    }

    pub fn duplicate(&mut self) -> Option<usize> {
        let i = self.selected?;
        let mut copy = self.set.events.get(i)?.clone();
        // A copy is a new message: keep ids unique so Segment does not deduplicate it.
        if let Value::Object(o) = &mut copy {
            o.shift_remove("messageId");
        }
        Some(self.add(copy))
    }

    pub fn delete(&mut self, i: usize) -> Option<Value> {
        if i >= self.set.events.len() {
            return None;
        }
        let removed = self.set.events.remove(i);
        self.selected = match self.selected {
            _ if self.set.events.is_empty() => None,
            Some(s) if s > i => Some(s - 1),
            Some(s) if s == i => Some(i.min(self.set.events.len() - 1)),
            other => other,
        };
        self.touch();
        Some(removed)
    }

    pub fn move_event(&mut self, from: usize, to: usize) {
        let n = self.set.events.len();
        if from >= n || to >= n || from == to {
            return;
        }
        let v = self.set.events.remove(from);
        self.set.events.insert(to, v);
        if self.selected == Some(from) {
            self.selected = Some(to);
        }
        self.touch();
    }

    pub fn label(&mut self, i: usize) -> &str {
        if self.labels_for != Some(self.revision) || self.labels.len() != self.set.events.len() {
            self.labels = self
                .set
                .events
                .iter()
                .map(|e| match Event::from_value(e) {
                    Ok(ev) => ev.label(),
                    Err(_) => "(not an event)".into(),
                })
                .collect();
            self.labels_for = Some(self.revision);
        }
        self.labels.get(i).map(String::as_str).unwrap_or("")
    }

    pub fn title(&self) -> String {
        let name = if self.set.name.is_empty() {
            "Untitled set"
        } else {
            &self.set.name
        };
        format!("{name}{}", if self.dirty { " •" } else { "" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn lib() -> Library {
        Library::new(
            EventSet {
                name: "t".into(),
                events: vec![
                    json!({"type": "track", "event": "A", "userId": "u", "messageId": "m1"}),
                    json!({"type": "page", "name": "B", "userId": "u"}),
                ],
                extra: Default::default(),
            },
            None,
        )
    }

    #[test]
    fn edits_mark_dirty_and_keep_selection_sane() {
        let mut l = lib();
        assert!(!l.dirty);
        assert_eq!(l.label(0), "track A");
        l.duplicate();
        assert_eq!(l.selected, Some(1));
        assert!(l.set.events[1].get("messageId").is_none());
        assert!(l.dirty);
        l.move_event(1, 0);
        assert_eq!(l.selected, Some(0));
        l.delete(0);
        assert_eq!(l.selected, Some(0));
        assert_eq!(l.set.events.len(), 2);
        l.delete(1);
        l.delete(0);
        assert_eq!(l.selected, None);
        assert_eq!(l.current(), &l.scratch.clone());
        assert_eq!(l.title(), "t •");
    }
}
