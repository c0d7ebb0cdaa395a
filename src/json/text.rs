//! Reading JSON text that a user or a file gave: one place that turns serde_json's errors into
//! words with a line and a column, refuses invalid UTF-8 where it starts, and bounds how deep an
//! event may nest.
//!
//! Why a depth bound on top of serde_json's own (127 levels): the console wraps events when it
//! stores them (the own event-set format adds two levels, a history entry one, a partner
//! envelope two), and serde_json refuses to read back anything deeper than 127. An event near
//! that limit could be opened but never saved and reopened, nor read back from the history.
//! Events are therefore held to [`MAX_EVENT_DEPTH`], far above any real event and far below
//! the limit, so every wrapper still reads back. Measuring is iterative: no input can make it
//! overflow the stack.

use serde_json::Value;

/// The deepest an event may nest: `{}` is 1, `{"traits": {}}` is 2.
pub const MAX_EVENT_DEPTH: usize = 64;

/// What is wrong with a JSON text, and where (1-based; columns count characters).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses JSON text (serde_json's own nesting limit of 127 applies).
pub fn parse(text: &str) -> Result<Value, JsonError> {
    serde_json::from_str(text).map_err(|e| from_serde(&e, 0))
}

/// Parses an event's text: as [`parse`], and at most `MAX_EVENT_DEPTH` levels deep.
pub fn parse_event(text: &str) -> Result<Value, JsonError> {
    parse_within(text, MAX_EVENT_DEPTH)
}

/// Parses JSON text that may nest at most `max` levels; deeper text is refused with the
/// position of the first bracket past the limit, before serde_json builds anything.
pub fn parse_within(text: &str, max: usize) -> Result<Value, JsonError> {
    if let Some((line, column)) = deep_position(text, max) {
        return Err(JsonError {
            line,
            column,
            message: too_deep_message(max),
        });
    }
    parse(text)
}

/// Parses bytes as JSON, naming where the text stops being UTF-8 when it does.
pub fn parse_bytes(bytes: &[u8]) -> Result<Value, JsonError> {
    parse(utf8(bytes)?)
}

/// The bytes as text, or where they stop being UTF-8.
pub fn utf8(bytes: &[u8]) -> Result<&str, JsonError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = bytes.get(..e.valid_up_to()).unwrap_or_default();
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(good.get(line_start..).unwrap_or_default())
            .chars()
            .count()
            + 1;
        JsonError {
            line,
            column,
            message: "the text is not valid UTF-8 (JSON must be UTF-8)".into(),
        }
    })
}

pub fn too_deep_message(max: usize) -> String {
    format!("the JSON is nested more than {max} levels deep here; the console reads at most {max}")
}

/// serde_json's error in words, without its trailing " at line L column C" (the position is
/// given apart), `line_offset` added to the line (one line of a longer text).
pub fn from_serde(e: &serde_json::Error, line_offset: usize) -> JsonError {
    let raw = e.to_string();
    let bare = match raw.rfind(" at line ") {
        Some(i) => raw.get(..i).unwrap_or(&raw),
        None => raw.as_str(),
    };
    let message = if bare.contains("recursion limit") {
        "the JSON is nested too deeply (more than 127 levels)".to_string()
    } else if bare.contains("number out of range") {
        "a number beyond the range of a 64-bit float (about ±1.8e308); write it as a string \
         to keep it"
            .to_string()
    } else if bare.starts_with("control character") {
        "a raw control character (a NUL byte, a tab or a line break) inside a string; write it \
         escaped, as \\u0000, \\t or \\n"
            .to_string()
    } else {
        bare.to_string()
    };
    JsonError {
        line: e.line().max(1) + line_offset,
        column: e.column().max(1),
        message,
    }
}

/// How deep `v` nests: 0 for a scalar, 1 for `{}` or `[]`, one more per level inside.
pub fn depth(v: &Value) -> usize {
    let mut deepest = 0;
    let mut stack: Vec<(&Value, usize)> = vec![(v, 0)];
    while let Some((v, d)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(o) => Box::new(o.values()),
            _ => continue,
        };
        deepest = deepest.max(d + 1);
        stack.extend(children.map(|c| (c, d + 1)));
    }
    deepest
}

/// Where the text first opens a bracket past `max` levels (strings skipped), if it does.
/// Works on any text, valid JSON or not, in one pass and constant space. It runs on every
/// parse of an event, so it reads bytes (strings are skipped with SIMD searches) and works out
/// the line and column only for the bracket it reports.
pub fn deep_position(text: &str, max: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut level = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // Inside a string only a quote or a backslash matters; an escape skips the byte
                // after it (a quote or backslash never occurs inside a multi-byte character).
                let mut j = i + 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', &bytes[j.min(bytes.len())..]) {
                        Some(k) if bytes[j + k] == b'\\' => j += k + 2,
                        Some(k) => {
                            i = j + k;
                            break;
                        }
                        None => return None,
                    }
                }
            }
            b'[' | b'{' => {
                level += 1;
                if level > max {
                    let line_start = memchr::memrchr(b'\n', &bytes[..i]).map_or(0, |n| n + 1);
                    let line = memchr::memchr_iter(b'\n', &bytes[..i]).count() + 1;
                    return Some((line, text[line_start..i].chars().count() + 1));
                }
            }
            b']' | b'}' => level = level.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_counts_containers() {
        assert_eq!(depth(&json!(1)), 0);
        assert_eq!(depth(&json!({})), 1);
        assert_eq!(depth(&json!({"a": [1, {"b": []}], "c": 2})), 4);
    }

    #[test]
    fn deep_text_is_refused_where_it_goes_too_deep() {
        let text = format!("{{\"a\":\n  {}1{}}}", "[".repeat(70), "]".repeat(70));
        let e = parse_event(&text).unwrap_err();
        assert_eq!((e.line, e.column), (2, 66));
        assert_eq!(e.message, too_deep_message(64));
        // Brackets inside strings do not count.
        let quoted = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert!(parse_event(&quoted).is_ok());
        // The limit itself is accepted.
        let at_limit = format!("{}{}", "[".repeat(64), "]".repeat(64));
        assert_eq!(depth(&parse_event(&at_limit).unwrap()), 64);
    }

    /// The first version, one character at a time: the byte scan must agree with it.
    fn deep_position_by_chars(text: &str, max: usize) -> Option<(usize, usize)> {
        let (mut line, mut column, mut level) = (1usize, 0usize, 0usize);
        let (mut in_string, mut escaped) = (false, false);
        for c in text.chars() {
            if c == '\n' {
                line += 1;
                column = 0;
            } else {
                column += 1;
            }
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match c {
                '"' => in_string = true,
                '[' | '{' => {
                    level += 1;
                    if level > max {
                        return Some((line, column.max(1)));
                    }
                }
                ']' | '}' => level = level.saturating_sub(1),
                _ => {}
            }
        }
        None
    }

    #[test]
    fn the_byte_scan_finds_the_same_bracket_as_a_character_scan() {
        let pieces = [
            "[", "{", "]", "}", "\"", "\\", "\\\"", "é", "🎉", "\n", "a", " ", "\"[{\"", ":",
        ];
        // Every text of 5 pieces (537,824 of them), at limits 0 to 3.
        let mut checked = 0;
        for n in 0..pieces.len().pow(5) {
            let mut text = String::new();
            let mut k = n;
            for _ in 0..5 {
                text.push_str(pieces[k % pieces.len()]);
                k /= pieces.len();
            }
            for max in 0..4 {
                assert_eq!(
                    deep_position(&text, max),
                    deep_position_by_chars(&text, max),
                    "{text:?} at {max}"
                );
            }
            checked += 1;
        }
        assert!(checked > 500_000);
    }

    #[test]
    fn serde_errors_in_words() {
        let e = parse("{\"n\": 1e400}").unwrap_err();
        assert_eq!((e.line, e.column), (1, 11));
        assert!(e.message.starts_with("a number beyond the range"), "{e}");
        let e = parse("[\"a\u{0}b\"]").unwrap_err();
        assert!(e.message.contains("NUL byte"), "{e}");
        let e = parse(&"[".repeat(100_000)).unwrap_err();
        assert_eq!(
            e.message,
            "the JSON is nested too deeply (more than 127 levels)"
        );
        let e = parse("{\n \"a\": }").unwrap_err();
        assert_eq!(e.to_string(), "line 2, column 7: expected value");
    }

    #[test]
    fn invalid_utf8_is_placed() {
        let e = parse_bytes(b"{\"a\":\n \"\xc3\xa9\xff\"}").unwrap_err();
        assert_eq!((e.line, e.column), (2, 4));
        assert!(e.message.contains("UTF-8"));
    }
}
