//! Golden files of partner requests (`run --expect DIR`): one file per event, named by its index
//! and name (`003-order-completed.json`), compared with what the translator makes now, with a
//! readable diff when they differ. Pure: `files::golden` reads and writes the folder.

use crate::json::diff::{self, Kind};
use serde_json::Value;

/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;
/// The longest name part of a file name.
const SLUG_MAX: usize = 60;

/// The golden file's name for the event at `index`: `003-order-completed.json`.
pub fn file_name(index: usize, event: &Value) -> String {
    let t = event.get("type").and_then(Value::as_str).unwrap_or("event");
    let name = match t {
        "track" => event.get("event").and_then(Value::as_str),
        "page" | "screen" => event.get("name").and_then(Value::as_str),
        _ => None,
    };
    let text = match name {
        Some(n) if !n.trim().is_empty() => n,
        _ => t,
    };
    let mut slug = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
        if slug.len() >= SLUG_MAX {
            break;
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug = if slug.is_empty() { "event" } else { slug };
    format!("{index:03}-{slug}.json")
}

/// Whether a file name is one [`file_name`] makes (so a folder's other files are left alone).
pub fn is_golden_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".json") else {
        return false;
    };
    let digits = stem.chars().take_while(char::is_ascii_digit).count();
    digits >= 3 && stem[digits..].starts_with('-')
}

/// The file's text for a value: key-sorted pretty JSON and a final newline, so a diff in
/// version control shows only real changes.
pub fn text(v: &Value) -> String {
    let mut s = diff::sorted_pretty(v);
    s.push('\n');
    s
}

/// `None` when the two are the same JSON; else a diff from `expected` (the golden file) to
/// `actual`, `-` lines the file's and `+` lines today's, with a few unchanged lines around
/// each change and line numbers of the file.
pub fn compare(expected: &Value, actual: &Value) -> Option<String> {
    let left = diff::sorted_pretty(expected);
    let right = diff::sorted_pretty(actual);
    if left == right {
        return None;
    }
    let lines = diff::diff_lines(&left, &right);
    let changed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.kind != Kind::Same)
        .map(|(i, _)| i)
        .collect();
    let near = |i: usize| changed.iter().any(|&c| c.abs_diff(i) <= CONTEXT);
    let mut out = String::new();
    let mut skipped = false;
    for (i, l) in lines.iter().enumerate() {
        if !near(i) {
            skipped = true;
            continue;
        }
        if skipped || (i > 0 && out.is_empty()) {
            out.push_str("  ...\n");
        }
        skipped = false;
        let no = l
            .left_no
            .map_or_else(|| "    ".to_string(), |n| format!("{n:>4}"));
        match l.kind {
            Kind::Same => out.push_str(&format!("{no}   {}\n", l.left_text)),
            Kind::Removed => out.push_str(&format!("{no} - {}\n", l.left_text)),
            Kind::Added => out.push_str(&format!("{no} + {}\n", l.right_text)),
            Kind::Changed => {
                out.push_str(&format!("{no} - {}\n", l.left_text));
                out.push_str(&format!("     + {}\n", l.right_text));
            }
        }
    }
    if skipped {
        out.push_str("  ...\n");
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_come_from_the_index_and_the_event() {
        let t = json!({"type": "track", "event": "Order Completed!"});
        assert_eq!(file_name(3, &t), "003-order-completed.json");
        assert_eq!(
            file_name(12, &json!({"type": "identify"})),
            "012-identify.json"
        );
        assert_eq!(
            file_name(1000, &json!({"type": "page", "name": "  "})),
            "1000-page.json"
        );
        assert_eq!(
            file_name(0, &json!({"type": "track", "event": "☃"})),
            "000-event.json"
        );
        assert!(is_golden_name("003-order-completed.json"));
        assert!(!is_golden_name("README.json"));
        assert!(!is_golden_name("03-x.json"));
    }

    #[test]
    fn equal_json_in_any_key_order_is_the_same() {
        let a = json!({"a": 1, "b": [1, 2]});
        let b = json!({"b": [1, 2], "a": 1});
        assert_eq!(compare(&a, &b), None);
    }

    #[test]
    fn a_difference_is_a_diff_with_context() {
        let mut a = json!({"requests": [{"url": "http://x/a", "body": {"n": 1}}]});
        for i in 0..20 {
            a[format!("k{i:02}")] = json!(i);
        }
        let mut b = a.clone();
        b["requests"][0]["body"]["n"] = json!(2);
        let d = compare(&a, &b).expect("differs");
        let pad = " ".repeat(8);
        assert!(d.contains(&format!(" - {pad}\"n\": 1\n")), "{d}");
        assert!(d.contains(&format!("     + {pad}\"n\": 2\n")), "{d}");
        // Far-away unchanged lines are folded.
        assert!(d.starts_with("  ...\n"), "{d}");
        assert!(!d.contains("k00"), "{d}");
    }
}
