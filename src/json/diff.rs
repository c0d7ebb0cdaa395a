//! Comparing two payloads as people read them: both sides as key-sorted pretty JSON (so the order
//! a partner or a serializer chose does not show up as a change), a line diff with the changed
//! words marked inside changed lines, long unchanged runs folded, and where each change starts
//! (for next/previous). Pure: no UI, no I/O.

use serde_json::{Map, Value};
use similar::{Algorithm, DiffTag, capture_diff_slices_deadline};
use std::collections::BTreeSet;
use std::ops::Range;
use std::time::{Duration, Instant};

/// Lines longer than this are marked changed as a whole: a word diff of a megabyte form body
/// would cost more than it tells.
const WORD_DIFF_MAX: usize = 4_000;

/// How long a line diff may search for the smallest diff before settling for a correct but
/// coarser one (only very large, very different payloads get near it).
const LINE_DIFF_BUDGET: Duration = Duration::from_secs(2);

/// The value with every object's keys in byte order, at every depth.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(child) = m.get(k) {
                    out.insert(k.clone(), sorted(child));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// Key-sorted pretty JSON (two-space indent).
pub fn sorted_pretty(v: &Value) -> String {
    serde_json::to_string_pretty(&sorted(v)).unwrap_or_default()
}

/// Text as it is compared: JSON becomes key-sorted pretty JSON; anything else stays as typed.
pub fn normalize(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => sorted_pretty(&v),
        Err(_) => text.to_string(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Same,
    /// Only on the right.
    Added,
    /// Only on the left.
    Removed,
    /// On both sides, different: the spans say which words.
    Changed,
}

/// One row of a side-by-side diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: Kind,
    /// 1-based line numbers; `None` on the side the line is missing from.
    pub left_no: Option<usize>,
    pub right_no: Option<usize>,
    pub left_text: String,
    pub right_text: String,
    /// Byte ranges of the changed words in `left_text` / `right_text` (Changed lines only).
    pub left_spans: Vec<Range<usize>>,
    pub right_spans: Vec<Range<usize>>,
}

impl DiffLine {
    fn same(l: usize, r: usize, text: &str) -> DiffLine {
        DiffLine {
            kind: Kind::Same,
            left_no: Some(l + 1),
            right_no: Some(r + 1),
            left_text: text.to_string(),
            right_text: text.to_string(),
            left_spans: Vec::new(),
            right_spans: Vec::new(),
        }
    }

    fn removed(l: usize, text: &str) -> DiffLine {
        DiffLine {
            kind: Kind::Removed,
            left_no: Some(l + 1),
            right_no: None,
            left_text: text.to_string(),
            right_text: String::new(),
            left_spans: Vec::new(),
            right_spans: Vec::new(),
        }
    }

    fn added(r: usize, text: &str) -> DiffLine {
        DiffLine {
            kind: Kind::Added,
            left_no: None,
            right_no: Some(r + 1),
            left_text: String::new(),
            right_text: text.to_string(),
            left_spans: Vec::new(),
            right_spans: Vec::new(),
        }
    }

    fn changed(l: usize, r: usize, left: &str, right: &str) -> DiffLine {
        let (left_spans, right_spans) = word_spans(left, right);
        DiffLine {
            kind: Kind::Changed,
            left_no: Some(l + 1),
            right_no: Some(r + 1),
            left_text: left.to_string(),
            right_text: right.to_string(),
            left_spans,
            right_spans,
        }
    }

    /// The row in words, for screen readers and tests: `changed 3 3: "a": 1, | "a": 2,`.
    pub fn describe(&self) -> String {
        let no = |n: Option<usize>| n.map_or_else(String::new, |n| n.to_string());
        match self.kind {
            Kind::Same => format!(
                "same {} {}: {}",
                no(self.left_no),
                no(self.right_no),
                self.left_text
            ),
            Kind::Removed => format!("removed {}: {}", no(self.left_no), self.left_text),
            Kind::Added => format!("added {}: {}", no(self.right_no), self.right_text),
            Kind::Changed => format!(
                "changed {} {}: {} | {}",
                no(self.left_no),
                no(self.right_no),
                self.left_text,
                self.right_text
            ),
        }
    }
}

/// The side-by-side line diff of two texts.
pub fn diff_lines(left: &str, right: &str) -> Vec<DiffLine> {
    let l: Vec<&str> = left.lines().collect();
    let r: Vec<&str> = right.lines().collect();
    let deadline = Instant::now().checked_add(LINE_DIFF_BUDGET);
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &l, &r, deadline);
    let mut out = Vec::with_capacity(l.len().max(r.len()));
    for op in ops {
        let (tag, lr, rr) = op.as_tag_tuple();
        match tag {
            DiffTag::Equal => {
                for (i, j) in lr.zip(rr) {
                    out.push(DiffLine::same(i, j, l.get(i).copied().unwrap_or_default()));
                }
            }
            DiffTag::Delete => {
                for i in lr {
                    out.push(DiffLine::removed(i, l.get(i).copied().unwrap_or_default()));
                }
            }
            DiffTag::Insert => {
                for j in rr {
                    out.push(DiffLine::added(j, r.get(j).copied().unwrap_or_default()));
                }
            }
            DiffTag::Replace => pair_block(&l, lr, &r, rr, &mut out),
        }
    }
    out
}

/// What a line is about: its key for `"key": value` lines, else the line without its comma.
/// Lines of a replaced block are paired by this, so a new key next to a changed one shows as
/// one added line and one changed line, not as two changed lines that have nothing in common.
fn text<'a>(side: &[&'a str], i: usize) -> &'a str {
    side.get(i).copied().unwrap_or_default()
}

/// Whether the line is a `"key": value` line.
fn keyed(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('"') && t.contains("\": ")
}

fn line_key(line: &str) -> &str {
    let t = line.trim();
    if t.starts_with('"')
        && let Some(i) = t.find("\": ")
    {
        return &t[..i + 2];
    }
    t.strip_suffix(',').unwrap_or(t)
}

fn pair_block(l: &[&str], lr: Range<usize>, r: &[&str], rr: Range<usize>, out: &mut Vec<DiffLine>) {
    let lk: Vec<&str> = l
        .get(lr.clone())
        .unwrap_or_default()
        .iter()
        .map(|s| line_key(s))
        .collect();
    let rk: Vec<&str> = r
        .get(rr.clone())
        .unwrap_or_default()
        .iter()
        .map(|s| line_key(s))
        .collect();
    for op in capture_diff_slices_deadline(Algorithm::Myers, &lk, &rk, None) {
        let (tag, a, b) = op.as_tag_tuple();
        let a = (a.start + lr.start)..(a.end + lr.start);
        let b = (b.start + rr.start)..(b.end + rr.start);
        match tag {
            DiffTag::Delete => a.for_each(|i| out.push(DiffLine::removed(i, text(l, i)))),
            DiffTag::Insert => b.for_each(|j| out.push(DiffLine::added(j, text(r, j)))),
            // Different keys in the same place: one went, another came.
            DiffTag::Replace
                if a.clone().any(|i| keyed(text(l, i))) || b.clone().any(|j| keyed(text(r, j))) =>
            {
                a.for_each(|i| out.push(DiffLine::removed(i, text(l, i))));
                b.for_each(|j| out.push(DiffLine::added(j, text(r, j))));
            }
            // The same key, or keyless lines (array items, brackets) in the same place: a
            // change of that line, paired in order; what is left over is added or removed.
            DiffTag::Equal | DiffTag::Replace => {
                let n = a.len().min(b.len());
                for k in 0..n {
                    let (i, j) = (a.start + k, b.start + k);
                    out.push(DiffLine::changed(i, j, text(l, i), text(r, j)));
                }
                (a.start + n..a.end).for_each(|i| out.push(DiffLine::removed(i, text(l, i))));
                (b.start + n..b.end).for_each(|j| out.push(DiffLine::added(j, text(r, j))));
            }
        }
    }
}

/// Words (letters, digits, `_`), runs of spaces, and single other characters, as byte ranges.
fn tokens(s: &str) -> Vec<Range<usize>> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Word,
        Space,
        Other,
    }
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            Class::Word
        } else if c.is_whitespace() {
            Class::Space
        } else {
            Class::Other
        }
    };
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut prev: Option<Class> = None;
    for (i, c) in s.char_indices() {
        let k = class(c);
        match out.last_mut() {
            Some(last) if prev == Some(k) && k != Class::Other => last.end = i + c.len_utf8(),
            _ => out.push(i..i + c.len_utf8()),
        }
        prev = Some(k);
    }
    out
}

/// The changed words of two lines, merged into ranges, left and right.
fn word_spans(left: &str, right: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    if left.len() > WORD_DIFF_MAX || right.len() > WORD_DIFF_MAX {
        return (whole(left), whole(right));
    }
    let lt = tokens(left);
    let rt = tokens(right);
    let lw: Vec<&str> = lt
        .iter()
        .map(|t| left.get(t.clone()).unwrap_or_default())
        .collect();
    let rw: Vec<&str> = rt
        .iter()
        .map(|t| right.get(t.clone()).unwrap_or_default())
        .collect();
    let mut ls = Vec::new();
    let mut rs = Vec::new();
    for op in capture_diff_slices_deadline(Algorithm::Myers, &lw, &rw, None) {
        let (tag, a, b) = op.as_tag_tuple();
        if tag == DiffTag::Equal {
            continue;
        }
        if let (Some(first), Some(last)) = (
            lt.get(a.start),
            a.end.checked_sub(1).and_then(|e| lt.get(e)),
        ) {
            push_merged(&mut ls, first.start..last.end);
        }
        if let (Some(first), Some(last)) = (
            rt.get(b.start),
            b.end.checked_sub(1).and_then(|e| rt.get(e)),
        ) {
            push_merged(&mut rs, first.start..last.end);
        }
    }
    (ls, rs)
}

fn whole(s: &str) -> Vec<Range<usize>> {
    if s.is_empty() {
        Vec::new()
    } else {
        std::iter::once(0..s.len()).collect()
    }
}

fn push_merged(spans: &mut Vec<Range<usize>>, r: Range<usize>) {
    match spans.last_mut() {
        Some(last) if last.end >= r.start => last.end = last.end.max(r.end),
        _ => spans.push(r),
    }
}

/// A row of the folded view: a line of the diff (by index), or a run of unchanged lines shown
/// as one row until it is expanded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    Line(usize),
    /// `count` unchanged lines starting at line index `start`.
    Fold {
        start: usize,
        count: usize,
    },
}

/// Folds runs of unchanged lines, keeping `context` lines next to each change; a run is folded
/// only when that hides at least `min_fold` lines. Folds whose start is in `expanded` stay open.
pub fn fold(
    lines: &[DiffLine],
    context: usize,
    min_fold: usize,
    expanded: &BTreeSet<usize>,
) -> Vec<Row> {
    let mut rows = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if lines.get(i).is_some_and(|l| l.kind != Kind::Same) {
            rows.push(Row::Line(i));
            i += 1;
            continue;
        }
        let start = i;
        while lines.get(i).is_some_and(|l| l.kind == Kind::Same) {
            i += 1;
        }
        let end = i;
        // Context only where a change is next to the run.
        let keep_before = if start > 0 { context } else { 0 };
        let keep_after = if end < lines.len() { context } else { 0 };
        let hidden_from = (start + keep_before).min(end);
        let hidden_to = end.saturating_sub(keep_after).max(hidden_from);
        let hidden = hidden_to - hidden_from;
        if hidden >= min_fold.max(1) && !expanded.contains(&hidden_from) {
            rows.extend((start..hidden_from).map(Row::Line));
            rows.push(Row::Fold {
                start: hidden_from,
                count: hidden,
            });
            rows.extend((hidden_to..end).map(Row::Line));
        } else {
            rows.extend((start..end).map(Row::Line));
        }
    }
    rows
}

/// The index of the first line of every run of changed lines, in order.
pub fn change_starts(lines: &[DiffLine]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_change = false;
    for (i, l) in lines.iter().enumerate() {
        let changed = l.kind != Kind::Same;
        if changed && !in_change {
            out.push(i);
        }
        in_change = changed;
    }
    out
}

/// How many lines of each kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub same: usize,
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
}

pub fn stats(lines: &[DiffLine]) -> Stats {
    let mut s = Stats::default();
    for l in lines {
        match l.kind {
            Kind::Same => s.same += 1,
            Kind::Added => s.added += 1,
            Kind::Removed => s.removed += 1,
            Kind::Changed => s.changed += 1,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn described(lines: &[DiffLine]) -> Vec<String> {
        lines.iter().map(DiffLine::describe).collect()
    }

    #[test]
    fn sorted_pretty_orders_keys_at_every_depth() {
        let v = json!({"b": 1, "a": {"z": [{"y": 1, "x": 2}], "c": null}});
        assert_eq!(
            sorted_pretty(&v),
            "{\n  \"a\": {\n    \"c\": null,\n    \"z\": [\n      {\n        \"x\": 2,\n        \"y\": 1\n      }\n    ]\n  },\n  \"b\": 1\n}"
        );
        assert_eq!(normalize("not json"), "not json");
        assert_eq!(
            normalize("{\"b\":1,\"a\":2}"),
            "{\n  \"a\": 2,\n  \"b\": 1\n}"
        );
    }

    #[test]
    fn a_changed_value_an_added_key_and_a_removed_key() {
        let left = sorted_pretty(&json!({"event": "Signed Up", "userId": "u1", "old": true}));
        let right = sorted_pretty(&json!({"event": "Signed In", "userId": "u1", "new": 2}));
        let lines = diff_lines(&left, &right);
        assert_eq!(
            described(&lines),
            vec![
                "same 1 1: {",
                "changed 2 2:   \"event\": \"Signed Up\", |   \"event\": \"Signed In\",",
                "removed 3:   \"old\": true,",
                "added 3:   \"new\": 2,",
                "same 4 4:   \"userId\": \"u1\"",
                "same 5 5: }",
            ]
        );
        let changed = &lines[1];
        let word = |t: &str, spans: &[Range<usize>]| -> Vec<String> {
            spans.iter().map(|r| t[r.clone()].to_string()).collect()
        };
        assert_eq!(word(&changed.left_text, &changed.left_spans), vec!["Up"]);
        assert_eq!(word(&changed.right_text, &changed.right_spans), vec!["In"]);
        assert_eq!(change_starts(&lines), vec![1]);
        assert_eq!(
            stats(&lines),
            Stats {
                same: 3,
                added: 1,
                removed: 1,
                changed: 1
            }
        );
    }

    #[test]
    fn a_key_added_at_the_end_changes_the_comma_of_the_line_before() {
        let lines = diff_lines("{\n  \"a\": 1\n}", "{\n  \"a\": 1,\n  \"b\": 2\n}");
        assert_eq!(
            described(&lines),
            vec![
                "same 1 1: {",
                "changed 2 2:   \"a\": 1 |   \"a\": 1,",
                "added 3:   \"b\": 2",
                "same 3 4: }",
            ]
        );
        assert_eq!(lines[1].left_spans, Vec::<Range<usize>>::new());
        assert_eq!(lines[1].right_spans, vec![8..9]);
    }

    #[test]
    fn identical_texts_have_no_changes_and_fold_whole() {
        let text = (1..=20)
            .map(|i| format!("l{i}"))
            .collect::<Vec<_>>()
            .join("\n");
        let lines = diff_lines(&text, &text);
        assert!(lines.iter().all(|l| l.kind == Kind::Same));
        assert!(change_starts(&lines).is_empty());
        assert_eq!(
            fold(&lines, 3, 4, &BTreeSet::new()),
            vec![Row::Fold {
                start: 0,
                count: 20
            }]
        );
    }

    #[test]
    fn folds_keep_context_around_each_change_and_expand_on_request() {
        let left: Vec<String> = (1..=30).map(|i| format!("line {i}")).collect();
        let mut right = left.clone();
        right[9] = "line ten".into();
        right[24] = "line twenty-five".into();
        let lines = diff_lines(&left.join("\n"), &right.join("\n"));
        assert_eq!(change_starts(&lines), vec![9, 24]);
        let rows = fold(&lines, 2, 3, &BTreeSet::new());
        let mut expect = vec![Row::Fold { start: 0, count: 7 }];
        expect.extend((7..=11).map(Row::Line));
        expect.push(Row::Fold {
            start: 12,
            count: 10,
        });
        expect.extend((22..=26).map(Row::Line));
        expect.push(Row::Fold {
            start: 27,
            count: 3,
        });
        assert_eq!(rows, expect);
        // A run too short to fold is shown whole.
        let rows = fold(&lines, 2, 4, &BTreeSet::new());
        assert_eq!(rows.last(), Some(&Row::Line(29)));
        // An expanded fold shows its lines.
        let open: BTreeSet<usize> = [12].into_iter().collect();
        let rows = fold(&lines, 2, 3, &open);
        assert!(rows.contains(&Row::Line(15)));
        assert!(
            !rows
                .iter()
                .any(|r| matches!(r, Row::Fold { start: 12, .. }))
        );
        assert_eq!(rows.len(), 1 + 20 + 1);
    }

    #[test]
    fn lines_only_on_one_side_and_words_inside_lines() {
        let lines = diff_lines("a\nb\nc", "a\nc\nd");
        assert_eq!(
            described(&lines),
            vec!["same 1 1: a", "removed 2: b", "same 3 2: c", "added 3: d"]
        );
        let (l, r) = word_spans(
            "  \"url\": \"https://x.example/a?b=1\",",
            "  \"url\": \"https://x.example/a?b=22\",",
        );
        assert_eq!(l, vec![32..33]);
        assert_eq!(r, vec![32..34]);
        let long = "x".repeat(WORD_DIFF_MAX + 1);
        let (l, r) = word_spans(&long, "y");
        assert_eq!(
            (l.len(), l.first(), r.first()),
            (1, Some(&(0..long.len())), Some(&(0..1)))
        );
        assert_eq!(diff_lines("", ""), Vec::new());
    }

    #[test]
    fn multibyte_text_is_split_on_char_boundaries() {
        let (l, r) = word_spans("\"name\": \"Zoë Ünal\"", "\"name\": \"Zoë Unal\"");
        assert_eq!(&"\"name\": \"Zoë Ünal\""[l[0].clone()], "Ünal");
        assert_eq!(&"\"name\": \"Zoë Unal\""[r[0].clone()], "Unal");
    }
}
