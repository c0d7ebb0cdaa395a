//! Pretty JSON as lines that each know the JSON path they show, so the preview can tie an
//! output field to the source field it came from (provenance highlighting), line by line.

use crate::event::path;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// The path of the value this line opens or holds (`$.traits.email`, `body.params.email`).
    pub path: String,
    pub text: String,
}

/// The lines of `serde_json::to_string_pretty(v)`, each with its path under `root`.
pub fn lines(v: &Value, root: &str) -> Vec<Line> {
    let mut out = Vec::new();
    walk(v, root, None, 0, false, &mut out);
    out
}

fn indent(depth: usize) -> String {
    "  ".repeat(depth)
}

/// Recursive, one call per level of the value: the line texts are made in the helpers below,
/// not inline, so that each level's frame stays small. The deepest event the console reads (127
/// levels) must fit a small thread stack, even in a debug build (a test walks it on 256 KB).
fn walk(v: &Value, p: &str, key: Option<&str>, depth: usize, comma: bool, out: &mut Vec<Line>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push(opening(p, key, depth, '{'));
            let n = m.len();
            for (i, (k, child)) in m.iter().enumerate() {
                walk(child, &path::key(p, k), Some(k), depth + 1, i + 1 < n, out);
            }
            out.push(closing(p, depth, '}', comma));
        }
        Value::Array(a) if !a.is_empty() => {
            out.push(opening(p, key, depth, '['));
            let n = a.len();
            for (i, child) in a.iter().enumerate() {
                walk(child, &path::index(p, i), None, depth + 1, i + 1 < n, out);
            }
            out.push(closing(p, depth, ']', comma));
        }
        scalar => out.push(leaf(scalar, p, key, depth, comma)),
    }
}

/// The indentation and, inside an object, the quoted key.
#[inline(never)]
fn prefix(key: Option<&str>, depth: usize) -> String {
    match key {
        Some(k) => format!(
            "{}{}: ",
            indent(depth),
            serde_json::to_string(k).unwrap_or_default()
        ),
        None => indent(depth),
    }
}

#[inline(never)]
fn opening(p: &str, key: Option<&str>, depth: usize, bracket: char) -> Line {
    Line {
        path: p.to_string(),
        text: format!("{}{bracket}", prefix(key, depth)),
    }
}

#[inline(never)]
fn closing(p: &str, depth: usize, bracket: char, comma: bool) -> Line {
    Line {
        path: p.to_string(),
        text: format!("{}{bracket}{}", indent(depth), if comma { "," } else { "" }),
    }
}

#[inline(never)]
fn leaf(scalar: &Value, p: &str, key: Option<&str>, depth: usize, comma: bool) -> Line {
    Line {
        path: p.to_string(),
        text: format!(
            "{}{}{}",
            prefix(key, depth),
            serde_json::to_string(scalar).unwrap_or_default(),
            if comma { "," } else { "" }
        ),
    }
}

/// True when `path` is `ancestor` or lies inside it (`$.traits.a` inside `$.traits`).
pub fn within(path: &str, ancestor: &str) -> bool {
    path == ancestor
        || (path.starts_with(ancestor)
            && matches!(path.as_bytes().get(ancestor.len()), Some(b'.' | b'[')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn same_text_as_serde_pretty_with_paths() {
        let v = json!({"type": "identify", "traits": {"email": "a@b.co", "first name": "A", "tags": [1, {"x": null}], "e": {}}, "n": []});
        let ls = lines(&v, "$");
        let text: Vec<&str> = ls.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(text.join("\n"), serde_json::to_string_pretty(&v).unwrap());
        let email = ls.iter().find(|l| l.text.contains("a@b.co")).unwrap();
        assert_eq!(email.path, "$.traits.email");
        let quoted = ls.iter().find(|l| l.text.contains("first name")).unwrap();
        assert_eq!(quoted.path, "$.traits['first name']");
        let x = ls.iter().find(|l| l.text.contains("\"x\"")).unwrap();
        assert_eq!(x.path, "$.traits.tags[1].x");
    }

    #[test]
    fn within_respects_segment_boundaries() {
        assert!(within("$.traits.email", "$.traits"));
        assert!(within("$.traits", "$.traits"));
        assert!(within("$.a[0]", "$.a"));
        assert!(!within("$.traitsX", "$.traits"));
    }
}
