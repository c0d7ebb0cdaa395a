//! The composer's document: the JSON text the user edits and the event it parses to, kept in
//! sync both ways. The text is the source of truth, so a parse error never loses what was typed;
//! form edits rewrite the text from the value. Pure: no egui here.

use crate::event::CallType;
use serde_json::{Map, Value};

/// A parse error of the JSON text, 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

const UNDO_DEPTH: usize = 200;
/// Keystrokes this close together are one undo step, as in any text editor; it also spares a
/// copy of the whole text per keystroke (a megabyte for a large event).
const TYPING_GROUP: std::time::Duration = std::time::Duration::from_millis(1000);
/// Undo keeps whole texts: past this many bytes in all, the oldest steps go first.
const UNDO_BYTES: usize = 64 * 1024 * 1024;
/// Typed text this long is parsed once typing pauses (`PARSE_PAUSE`), not per keystroke:
/// parsing a megabyte, and what follows from a new value (the form's rows, the event set's
/// copy), costs more than a frame has. The composer also edits it in the windowed editor.
pub const LARGE_TEXT: usize = 200_000;
pub const PARSE_PAUSE: std::time::Duration = std::time::Duration::from_millis(300);

#[derive(Clone, Debug)]
pub struct Document {
    text: String,
    parsed: Result<Value, ParseError>,
    /// Bumps on every change of the text; the editor's caches key on it.
    revision: u64,
    /// Bumps when `parsed` is worked out again; what derives from the value (the form's rows,
    /// the preview, the event set's copy) keys on it.
    value_revision: u64,
    /// Typing into a large text: when to parse it (`parsed` is the text's before until then).
    parse_due: Option<std::time::Instant>,
    undo: Vec<String>,
    redo: Vec<String>,
    /// The text as loaded or last saved: what "before edits" compares against.
    baseline: String,
    /// When the raw editor last changed the text, while a run of typing lasts.
    typing_since: Option<std::time::Instant>,
}

impl Default for Document {
    fn default() -> Self {
        Document::from_value(&serde_json::json!({"type": "track", "userId": "", "event": ""}))
    }
}

pub fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| "{}".into())
}

/// The editor's text as an event: JSON errors and too-deep nesting with line and column.
fn parse(text: &str) -> Result<Value, ParseError> {
    crate::json::text::parse_event(text).map_err(|e| ParseError {
        line: e.line,
        column: e.column,
        message: e.message,
    })
}

/// Revisions are unique across documents, not only within one: what is cached by revision (the
/// key-value rows, the preview) must not take a newly opened event for the last one, as it
/// would if every document started again at 0.
fn next_revision() -> u64 {
    static LAST: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    LAST.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
}

impl Document {
    pub fn from_value(v: &Value) -> Document {
        let text = pretty(v);
        Document {
            baseline: text.clone(),
            parsed: Ok(v.clone()),
            text,
            revision: next_revision(),
            value_revision: next_revision(),
            parse_due: None,
            undo: Vec::new(),
            redo: Vec::new(),
            typing_since: None,
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn baseline(&self) -> &str {
        &self.baseline
    }

    /// The event was saved: later edits compare against this text.
    pub fn mark_saved(&mut self) {
        self.baseline = self.text.clone();
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    pub fn value_revision(&self) -> u64 {
        self.value_revision
    }

    /// Parses typed text once its pause is over. True when the value was worked out again;
    /// otherwise how long until it is due, when it is pending.
    pub fn settle(&mut self, now: std::time::Instant) -> Result<bool, std::time::Duration> {
        match self.parse_due {
            None => Ok(false),
            Some(due) if now >= due => Ok(self.settle_now()),
            Some(due) => Err(due - now),
        }
    }

    /// Parses pending text at once: before anything acts on the value (a send, a save, a form
    /// edit). True when there was text to parse.
    pub fn settle_now(&mut self) -> bool {
        if self.parse_due.take().is_none() {
            return false;
        }
        self.parsed = parse(&self.text);
        self.value_revision = next_revision();
        true
    }

    /// The event, when the text parses. While a large text waits for its pause, the value of
    /// the text before (see `settle`).
    pub fn value(&self) -> Option<&Value> {
        self.parsed.as_ref().ok()
    }

    pub fn error(&self) -> Option<&ParseError> {
        self.parsed.as_ref().err()
    }

    fn remember(&mut self) {
        self.typing_since = None;
        self.undo.push(self.text.clone());
        let mut bytes: usize = self.undo.iter().map(String::len).sum();
        while self.undo.len() > UNDO_DEPTH || (bytes > UNDO_BYTES && self.undo.len() > 1) {
            bytes -= self.undo.remove(0).len();
        }
        self.redo.clear();
    }

    /// The raw editor changed the text (already applied to the widget's buffer). Changes in
    /// quick succession join one undo step.
    pub fn set_text(&mut self, text: String) {
        if text == self.text {
            return;
        }
        let now = std::time::Instant::now();
        match self.typing_since {
            Some(t) if now.duration_since(t) < TYPING_GROUP && !self.undo.is_empty() => {
                self.redo.clear();
            }
            _ => self.remember(),
        }
        self.typing_since = Some(now);
        if text.len() >= LARGE_TEXT {
            self.text = text;
            self.revision = next_revision();
            self.parse_due = Some(now + PARSE_PAUSE);
        } else {
            self.apply_text(text);
        }
    }

    fn apply_text(&mut self, text: String) {
        self.parsed = parse(&text);
        self.text = text;
        self.revision = next_revision();
        self.value_revision = next_revision();
        self.parse_due = None;
    }

    /// Replaces the whole event (sample, history entry, set selection).
    pub fn replace(&mut self, v: &Value) {
        let text = pretty(v);
        if text != self.text {
            self.remember();
            self.apply_text(text);
        }
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo(&mut self) {
        self.typing_since = None;
        if let Some(prev) = self.undo.pop() {
            self.redo.push(std::mem::take(&mut self.text));
            self.apply_text(prev);
        }
    }

    pub fn redo(&mut self) {
        self.typing_since = None;
        if let Some(next) = self.redo.pop() {
            self.undo.push(std::mem::take(&mut self.text));
            self.apply_text(next);
        }
    }

    /// A form edit: changes the parsed object and rewrites the text. Refused (false) while the
    /// text does not parse to an object, so the user's broken text is never overwritten.
    pub fn edit(&mut self, f: impl FnOnce(&mut Map<String, Value>)) -> bool {
        // The value must be the text's, or the edit would rewrite the text from an older one.
        self.settle_now();
        let Ok(Value::Object(obj)) = &self.parsed else {
            return false;
        };
        let mut obj = obj.clone();
        f(&mut obj);
        let v = Value::Object(obj);
        if Some(&v) == self.value() {
            return true;
        }
        self.remember();
        self.text = pretty(&v);
        // Read back rather than trusted: a value typed into a cell may nest the event deeper
        // than an event may go, and the editor must then say where, as for typed text.
        self.parsed = parse(&self.text);
        self.revision = next_revision();
        self.value_revision = next_revision();
        true
    }

    pub fn call_type(&self) -> Option<CallType> {
        self.value()?
            .get("type")?
            .as_str()
            .and_then(CallType::parse)
    }

    /// A top-level string field as the form shows it ("" when absent or not a string).
    pub fn field(&self, key: &str) -> String {
        match self.value().and_then(|v| v.get(key)) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }

    /// Sets a top-level string field; an empty text removes the key.
    pub fn set_field(&mut self, key: &str, text: &str) -> bool {
        self.edit(|o| {
            if text.is_empty() {
                o.shift_remove(key);
            } else {
                o.insert(key.to_string(), Value::String(text.to_string()));
            }
        })
    }

    /// `traits` or `properties` as key / value-text rows: strings bare, anything else as JSON.
    pub fn pairs(&self, container: &str) -> Vec<(String, String)> {
        match self.value().and_then(|v| v.get(container)) {
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), value_text(v))).collect(),
            _ => Vec::new(),
        }
    }

    /// Writes rows back into `traits` or `properties`, keeping their order; rows with an
    /// empty key are dropped; an empty list removes the object.
    pub fn set_pairs(&mut self, container: &str, rows: &[(String, String)]) -> bool {
        self.edit(|o| {
            let mut m = Map::new();
            for (k, v) in rows {
                if !k.trim().is_empty() {
                    m.insert(k.clone(), text_value(v));
                }
            }
            if m.is_empty() {
                o.shift_remove(container);
            } else {
                o.insert(container.to_string(), Value::Object(m));
            }
        })
    }
}

/// How the key-value editor shows a value: a string bare, anything else as compact JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What the key-value editor makes of a text: JSON when it is a number, boolean, null, object
/// or array; otherwise the text as a string. A quoted text stays a string.
pub fn text_value(t: &str) -> Value {
    let trimmed = t.trim();
    let json_like = matches!(
        trimmed.chars().next(),
        Some('{' | '[' | '"' | '-' | '0'..='9')
    ) || matches!(trimmed, "true" | "false" | "null");
    if json_like && let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return v;
    }
    Value::String(t.to_string())
}

/// The fields of one call that the form shows, with their labels.
pub fn form_fields(call: CallType) -> &'static [(&'static str, &'static str)] {
    match call {
        CallType::Identify => &[("userId", "User id"), ("anonymousId", "Anonymous id")],
        CallType::Track => &[
            ("userId", "User id"),
            ("anonymousId", "Anonymous id"),
            ("event", "Event name"),
        ],
        CallType::Page | CallType::Screen => &[
            ("userId", "User id"),
            ("anonymousId", "Anonymous id"),
            ("name", "Name"),
            ("category", "Category"),
        ],
        CallType::Group => &[
            ("userId", "User id"),
            ("anonymousId", "Anonymous id"),
            ("groupId", "Group id"),
        ],
        CallType::Alias => &[("previousId", "Previous id"), ("userId", "User id")],
    }
}

/// Which object the key-value editor edits for a call.
pub fn container(call: CallType) -> Option<&'static str> {
    match call {
        CallType::Identify | CallType::Group => Some("traits"),
        CallType::Track | CallType::Page | CallType::Screen => Some("properties"),
        CallType::Alias => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn form_edits_rewrite_the_text_and_text_edits_update_the_form() {
        let mut d = Document::from_value(&json!({"type": "track", "userId": "u"}));
        assert!(d.set_field("event", "Order Completed"));
        assert!(d.text().contains("\"event\": \"Order Completed\""));
        d.set_text(d.text().replace("Order Completed", "Signed Up"));
        assert_eq!(d.field("event"), "Signed Up");
        assert!(d.set_field("userId", ""));
        assert!(d.value().unwrap().get("userId").is_none());
    }

    #[test]
    fn broken_text_is_kept_and_form_edits_are_refused() {
        let mut d = Document::default();
        d.set_text("{\"type\": \"track\",\n  \"event\": }".into());
        let e = d.error().unwrap().clone();
        assert_eq!((e.line, e.column), (2, 12));
        assert!(!d.set_field("event", "x"));
        assert_eq!(d.text(), "{\"type\": \"track\",\n  \"event\": }");
        d.undo();
        assert!(d.error().is_none());
        d.redo();
        assert!(d.error().is_some());
    }

    #[test]
    fn a_run_of_typing_is_one_undo_step_and_a_form_edit_is_its_own() {
        let mut d = Document::from_value(&json!({"type": "track", "event": "A"}));
        let start = d.text().to_string();
        let mut typed = start.clone();
        // Spaces after the brace: the text stays an event, so the form can edit it.
        for c in [" ", "\t", " "] {
            typed.insert_str(1, c);
            d.set_text(typed.clone());
        }
        assert!(d.set_field("userId", "u1"));
        let after_form = d.text().to_string();
        d.undo();
        assert_eq!(d.text(), typed, "the form edit is undone alone");
        d.undo();
        assert_eq!(d.text(), start, "the three keystrokes are undone together");
        assert!(!d.can_undo());
        d.redo();
        d.redo();
        assert_eq!(d.text(), after_form);
    }

    #[test]
    fn typing_after_a_pause_is_a_new_undo_step() {
        let mut d = Document::from_value(&json!({"type": "track"}));
        let start = d.text().to_string();
        d.set_text(format!(" {start}"));
        // As if the last keystroke were long ago.
        d.typing_since = Some(std::time::Instant::now() - TYPING_GROUP * 2);
        d.set_text(format!("  {start}"));
        d.undo();
        assert_eq!(d.text(), format!(" {start}"));
        d.undo();
        assert_eq!(d.text(), start);
    }

    /// A large event: `n` line items, well past `LARGE_TEXT` as pretty text.
    fn large(n: usize) -> Value {
        let items: Vec<Value> = (0..n)
            .map(|i| json!({"sku": format!("SKU-{i:06}")}))
            .collect();
        json!({"type": "track", "event": "Order Completed", "properties": {"products": items}})
    }

    #[test]
    fn typing_into_a_large_text_is_parsed_once_typing_pauses() {
        let mut d = Document::from_value(&large(8_000));
        assert!(d.text().len() > LARGE_TEXT);
        let (rev, value_rev) = (d.revision(), d.value_revision());
        let typed = d.text().replacen("Order Completed", "Order Refunded", 1);
        d.set_text(typed.clone());
        // The text is the typed one at once; the value waits for the pause.
        assert_eq!(d.text(), typed);
        assert!(d.revision() != rev);
        assert_eq!(d.value_revision(), value_rev);
        assert_eq!(
            d.value().map(|v| v["event"].clone()),
            Some(json!("Order Completed"))
        );
        let now = std::time::Instant::now();
        assert!(matches!(d.settle(now), Err(w) if w <= PARSE_PAUSE));
        assert_eq!(d.settle(now + PARSE_PAUSE), Ok(true));
        assert!(d.value_revision() != value_rev);
        assert_eq!(
            d.value().map(|v| v["event"].clone()),
            Some(json!("Order Refunded"))
        );
        assert_eq!(
            d.settle(now + PARSE_PAUSE * 2),
            Ok(false),
            "nothing left to parse"
        );
        // Small texts are parsed as they are typed.
        let mut small = Document::default();
        small.set_text(r#"{"type": "identify"}"#.into());
        assert_eq!(small.call_type(), Some(CallType::Identify));
        assert_eq!(small.settle(now), Ok(false));
    }

    #[test]
    fn a_form_edit_while_a_large_text_waits_applies_to_what_was_typed() {
        let mut d = Document::from_value(&large(8_000));
        let typed = d.text().replacen("Order Completed", "Order Refunded", 1);
        d.set_text(typed);
        assert!(d.set_field("userId", "u_9"));
        let v = d.value().cloned().unwrap_or_default();
        assert_eq!(
            (v["event"].clone(), v["userId"].clone()),
            (json!("Order Refunded"), json!("u_9"))
        );
        assert!(
            d.text().contains("Order Refunded"),
            "the typed text was not lost"
        );
        // An error typed into a large text shows once parsed, and blocks form edits.
        let broken = format!("{},", d.text());
        d.set_text(broken.clone());
        assert!(d.error().is_none(), "not parsed yet");
        assert!(d.settle_now());
        assert!(d.error().is_some());
        assert!(!d.set_field("userId", "u_10"));
        assert_eq!(d.text(), broken);
    }

    #[test]
    fn undo_keeps_at_most_its_byte_budget() {
        let big = "x".repeat(UNDO_BYTES / 4);
        let mut d = Document::from_value(&json!({"type": "track"}));
        for i in 0..8 {
            d.replace(&json!({"type": "track", "event": format!("{i}{big}")}));
        }
        let kept: usize = d.undo.iter().map(String::len).sum();
        assert!(kept <= UNDO_BYTES, "{kept} bytes kept");
        assert!(d.undo.len() >= 3, "recent steps stay: {}", d.undo.len());
    }

    #[test]
    fn pairs_round_trip_with_json_values() {
        let mut d = Document::from_value(
            &json!({"type": "identify", "traits": {"a": "x", "n": 3, "o": {"k": [1]}}}),
        );
        assert_eq!(
            d.pairs("traits"),
            vec![
                ("a".into(), "x".into()),
                ("n".into(), "3".into()),
                ("o".into(), "{\"k\":[1]}".into())
            ]
        );
        d.set_pairs(
            "traits",
            &[
                ("a".into(), "hello".into()),
                ("n".into(), "4.5".into()),
                ("q".into(), "\"42\"".into()),
                ("".into(), "dropped".into()),
                ("b".into(), "{broken".into()),
            ],
        );
        assert_eq!(
            d.value().unwrap()["traits"],
            json!({"a": "hello", "n": 4.5, "q": "42", "b": "{broken"})
        );
        d.set_pairs("traits", &[]);
        assert!(d.value().unwrap().get("traits").is_none());
    }
}
