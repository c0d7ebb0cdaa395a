//! The compare view's model: two sides, each a payload from somewhere (the composer now or
//! before its edits, a destination's translated request, a history entry's event, request or
//! response, or pasted JSON), and their diff. The diff is cached by the two sides' content:
//! it is computed again only when a side's text changes, never per frame.

pub use crate::app::model::compare_source::{Inputs, Part, Resolved, Side, Source, resolve};
use crate::history::Entry;
use crate::json::diff::{self, DiffLine, Row, Stats};
use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// Unchanged lines kept next to a change when the rest of a run is folded.
pub const CONTEXT: usize = 3;
/// Runs hiding fewer lines than this stay open (a fold row for two lines saves nothing).
pub const MIN_FOLD: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SideName {
    Left,
    Right,
}

impl SideName {
    pub fn word(self) -> &'static str {
        match self {
            SideName::Left => "left",
            SideName::Right => "right",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            SideName::Left => "Left",
            SideName::Right => "Right",
        }
    }
}

/// Asked of the compare view from elsewhere (history detail, fan-out columns).
#[derive(Clone, Debug, PartialEq)]
pub enum CompareCmd {
    History {
        side: SideName,
        entry: Box<Entry>,
    },
    Destination {
        side: SideName,
        dest: &'static str,
        index: usize,
    },
}

pub struct CompareState {
    pub open: bool,
    pub left: Side,
    pub right: Side,
    left_key: Option<u64>,
    right_key: Option<u64>,
    pub left_view: Resolved,
    pub right_view: Resolved,
    diff_key: Option<u64>,
    pub lines: Vec<DiffLine>,
    pub rows: Vec<Row>,
    pub starts: Vec<usize>,
    pub stats: Stats,
    /// The change navigated to (an index into `starts`).
    pub current: Option<usize>,
    expanded: BTreeSet<usize>,
    pub fold: bool,
    /// A row to bring into view on the next frame.
    pub scroll_to_row: Option<usize>,
    /// How many times the diff was computed (tests check that frames alone do not).
    pub computed: u64,
}

impl Default for CompareState {
    fn default() -> Self {
        CompareState {
            open: false,
            // The event before and after its edits: the comparison that needs no setup.
            left: Side::of(Source::ComposerBefore),
            right: Side::of(Source::ComposerNow),
            left_key: None,
            right_key: None,
            left_view: Resolved::default(),
            right_view: Resolved::default(),
            diff_key: None,
            lines: Vec::new(),
            rows: Vec::new(),
            starts: Vec::new(),
            stats: Stats::default(),
            current: None,
            expanded: BTreeSet::new(),
            fold: true,
            scroll_to_row: None,
            computed: 0,
        }
    }
}

fn hash_of(parts: impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    parts.hash(&mut h);
    h.finish()
}

/// What a side's text depends on, as one number.
fn side_key(side: &Side, inputs: &Inputs) -> u64 {
    match side.source {
        Source::ComposerNow => hash_of(("now", inputs.doc_text)),
        Source::ComposerBefore => hash_of(("before", inputs.baseline)),
        Source::Destination => hash_of((
            "dest",
            side.dest,
            side.request,
            inputs.fanout.map(|f| f.key),
        )),
        Source::History => hash_of(("history", side.entry.as_ref().map(|e| e.id), side.part)),
        Source::Pasted => hash_of(("pasted", &side.pasted)),
    }
}

impl CompareState {
    pub fn side_mut(&mut self, name: SideName) -> &mut Side {
        match name {
            SideName::Left => &mut self.left,
            SideName::Right => &mut self.right,
        }
    }

    /// Whether a side reads the fan-out's requests (so it must be kept up to date).
    pub fn needs_fanout(&self) -> bool {
        self.open
            && (self.left.source == Source::Destination || self.right.source == Source::Destination)
    }

    /// Brings the sides and the diff up to date; cheap when nothing changed.
    pub fn refresh(&mut self, inputs: &Inputs) {
        let mut changed = false;
        let lk = side_key(&self.left, inputs);
        if self.left_key != Some(lk) {
            self.left_view = resolve(&self.left, inputs);
            self.left_key = Some(lk);
            changed = true;
        }
        let rk = side_key(&self.right, inputs);
        if self.right_key != Some(rk) {
            self.right_view = resolve(&self.right, inputs);
            self.right_key = Some(rk);
            changed = true;
        }
        if !changed {
            return;
        }
        let dk = hash_of((&self.left_view.text, &self.right_view.text));
        if self.diff_key == Some(dk) {
            return;
        }
        self.diff_key = Some(dk);
        self.lines = match (&self.left_view.text, &self.right_view.text) {
            (Ok(l), Ok(r)) => diff::diff_lines(l, r),
            _ => Vec::new(),
        };
        self.starts = diff::change_starts(&self.lines);
        self.stats = diff::stats(&self.lines);
        self.current = None;
        self.expanded.clear();
        self.computed += 1;
        self.rebuild_rows();
    }

    pub fn rebuild_rows(&mut self) {
        self.rows = if self.fold {
            diff::fold(&self.lines, CONTEXT, MIN_FOLD, &self.expanded)
        } else {
            (0..self.lines.len()).map(Row::Line).collect()
        };
    }

    pub fn expand(&mut self, start: usize) {
        self.expanded.insert(start);
        self.rebuild_rows();
    }

    pub fn set_fold(&mut self, fold: bool) {
        self.fold = fold;
        self.rebuild_rows();
    }

    pub fn swap(&mut self) {
        std::mem::swap(&mut self.left, &mut self.right);
        self.left_key = None;
        self.right_key = None;
    }

    pub fn next_change(&mut self) {
        let n = self.starts.len();
        if n == 0 {
            return;
        }
        self.current = Some(match self.current {
            None => 0,
            Some(i) => (i + 1).min(n - 1),
        });
        self.scroll_to_current();
    }

    pub fn previous_change(&mut self) {
        let n = self.starts.len();
        if n == 0 {
            return;
        }
        self.current = Some(match self.current {
            None => n - 1,
            Some(i) => i.saturating_sub(1),
        });
        self.scroll_to_current();
    }

    fn scroll_to_current(&mut self) {
        let Some(line) = self.current.and_then(|c| self.starts.get(c)).copied() else {
            return;
        };
        self.scroll_to_row = self.rows.iter().position(|r| *r == Row::Line(line));
    }

    /// The lines of the current change (from its start to the next unchanged line).
    pub fn current_range(&self) -> Option<std::ops::Range<usize>> {
        let start = *self.starts.get(self.current?)?;
        let end = self
            .lines
            .iter()
            .enumerate()
            .skip(start)
            .find(|(_, l)| l.kind == diff::Kind::Same)
            .map_or(self.lines.len(), |(i, _)| i);
        Some(start..end)
    }

    pub fn apply(&mut self, cmd: CompareCmd) {
        self.open = true;
        match cmd {
            CompareCmd::History { side, entry } => {
                let other = match side {
                    SideName::Left => &self.right,
                    SideName::Right => &self.left,
                };
                let parts = Part::all_of(&entry);
                // Two entries side by side compare like with like: the other side's part when
                // this entry has it, else its first request.
                let part = match (&other.entry, other.source) {
                    (Some(_), Source::History) if parts.contains(&other.part) => other.part,
                    _ if parts.contains(&Part::Request(0)) => Part::Request(0),
                    _ => Part::Event,
                };
                let s = self.side_mut(side);
                s.source = Source::History;
                s.entry = Some(entry);
                s.part = part;
            }
            CompareCmd::Destination { side, dest, index } => {
                let s = self.side_mut(side);
                s.source = Source::Destination;
                s.dest = dest;
                s.request = index;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs<'a>(now: &'a str, before: &'a str) -> Inputs<'a> {
        Inputs {
            doc_text: now,
            baseline: before,
            fanout: None,
        }
    }

    #[test]
    fn before_and_after_an_edit_diff_once_per_change() {
        let mut st = CompareState::default();
        let before = r#"{"type": "track", "event": "A", "userId": "u"}"#;
        let now = r#"{"userId": "u", "type": "track", "event": "B"}"#;
        st.refresh(&inputs(now, before));
        assert_eq!(st.computed, 1);
        let described: Vec<String> = st.lines.iter().map(DiffLine::describe).collect();
        assert_eq!(
            described,
            vec![
                "same 1 1: {",
                "changed 2 2:   \"event\": \"A\", |   \"event\": \"B\",",
                "same 3 3:   \"type\": \"track\",",
                "same 4 4:   \"userId\": \"u\"",
                "same 5 5: }",
            ]
        );
        // Nothing changed: nothing is computed again.
        st.refresh(&inputs(now, before));
        assert_eq!(st.computed, 1);
        // Same content in another key order: the same diff, not computed again.
        st.refresh(&inputs(
            r#"{"event": "B", "type": "track", "userId": "u"}"#,
            before,
        ));
        assert_eq!(st.computed, 1);
        st.next_change();
        assert_eq!(st.current, Some(0));
        assert_eq!(st.current_range(), Some(1..2));
        assert_eq!(st.scroll_to_row, Some(1));
    }

    #[test]
    fn navigation_stays_within_the_changes() {
        let mut st = CompareState::default();
        let left: Vec<String> = (1..=30).map(|i| format!("{i}")).collect();
        let mut right = left.clone();
        right[4] = "five".into();
        right[20] = "twenty-one".into();
        st.left.source = Source::Pasted;
        st.left.pasted = left.join("\n");
        st.right.source = Source::Pasted;
        st.right.pasted = right.join("\n");
        st.refresh(&inputs("", ""));
        assert_eq!(st.starts, vec![4, 20]);
        assert!(st.left_view.note.is_some());
        st.previous_change();
        assert_eq!(st.current, Some(1));
        st.next_change();
        assert_eq!(st.current, Some(1));
        st.previous_change();
        st.previous_change();
        assert_eq!(st.current, Some(0));
        // Row of line 4: one fold (lines 0..1) then lines 1..=3 of context, so row 4.
        assert_eq!(st.scroll_to_row, Some(4));
    }

    #[test]
    fn a_history_side_compares_like_with_like() {
        let mut st = CompareState::default();
        let entry: Entry = serde_json::from_value(serde_json::json!({
            "id": 7, "time": "2026-01-02T03:04:05Z", "destination": "salesmachine",
            "mode": "partner-api", "target": "sandbox", "call_type": "track",
            "event_name": "A", "event": {"type": "track"}, "outcome": "requests",
            "reason": null, "findings": [], "exchanges": [], "duration_ms": 3,
            "status_class": "2xx"
        }))
        .expect("entry");
        st.apply(CompareCmd::History {
            side: SideName::Left,
            entry: Box::new(entry),
        });
        assert!(st.open);
        assert_eq!(st.left.part, Part::Event);
        st.left.part = Part::Request(0);
        let r = resolve(&st.left, &inputs("", ""));
        assert_eq!(
            r.text,
            Err("History #7 has 0 request(s); there is no request 1.".into())
        );
        st.swap();
        assert_eq!(st.right.source, Source::History);
        assert_eq!(st.left.source, Source::ComposerNow);
    }
}
