//! Event-set files: every format docs/segment-spec.md lists, detected from the content, and the
//! project's own format saved atomically (temporary file, flush, rename) without secrets.

use super::atomic::write_atomic;
use crate::json::mask::mask_secrets;
use crate::json::text as json_text;
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files above this are refused before they are read, so memory stays bounded.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of events.
    Array,
    /// A Segment batch: `{"batch": [...], "context"?: {...}}`.
    Batch,
    /// One event a line (Segment's archive exports).
    Ndjson,
    /// A single event object.
    Single,
    /// The console's own `{"name": ..., "events": [...]}`.
    Own,
}

impl Format {
    pub fn describe(self) -> &'static str {
        match self {
            Format::Array => "a JSON array of events",
            Format::Batch => "a Segment batch",
            Format::Ndjson => "newline-delimited JSON",
            Format::Single => "a single event",
            Format::Own => "a segment-console event set",
        }
    }
}

/// A named list of events. Events stay raw JSON so that nothing in them is lost, not even
/// what the model cannot read; unknown top-level fields of the own format are kept too.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventSet {
    pub name: String,
    pub events: Vec<Value>,
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub set: EventSet,
    pub format: Format,
}

#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot save {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the file is {size} bytes; event sets larger than {limit} bytes are refused")]
    TooLarge { size: u64, limit: u64 },
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
}

impl SetError {
    /// Line and column (1-based) when the error is in the content.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            SetError::Syntax { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }
}

fn syntax(line: usize, column: usize, message: impl Into<String>) -> SetError {
    SetError::Syntax {
        line,
        column,
        message: message.into(),
    }
}

/// Reads and detects an event-set file.
pub fn open(path: &Path) -> Result<Loaded, SetError> {
    let read_err = |source| SetError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let size = file.metadata().map_err(read_err)?.len();
    if size > MAX_FILE_BYTES {
        return Err(SetError::TooLarge {
            size,
            limit: MAX_FILE_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // `take` also bounds files whose reported size lies (pipes, growing files).
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(SetError::TooLarge {
            size: bytes.len() as u64,
            limit: MAX_FILE_BYTES,
        });
    }
    let mut loaded = parse_bytes(&bytes)?;
    if loaded.set.name.is_empty() {
        loaded.set.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
    }
    Ok(loaded)
}

/// Detects the format of raw bytes, refusing invalid UTF-8 with its position.
pub fn parse_bytes(bytes: &[u8]) -> Result<Loaded, SetError> {
    let text = json_text::utf8(bytes).map_err(SetError::from)?;
    parse(text)
}

/// Detects the format of a text and reads its events.
pub fn parse(text: &str) -> Result<Loaded, SetError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(syntax(1, 1, "the file is empty; it holds no events"));
    }
    let loaded = match serde_json::from_str::<Value>(text) {
        Ok(doc) => from_document(doc)?,
        Err(e) if e.to_string().starts_with("trailing characters") => {
            return parse_ndjson(text);
        }
        Err(e) => return Err(json_text::from_serde(&e, 0).into()),
    };
    // How deep the events sit in the file: inside the array, or the object and its array.
    let base = match loaded.format {
        Format::Array => 1,
        Format::Batch | Format::Own => 2,
        Format::Single | Format::Ndjson => 0,
    };
    check_depth(&loaded.set.events, 0, text, base, 0)?;
    Ok(loaded)
}

/// The first event nested deeper than [`json_text::MAX_EVENT_DEPTH`], as an error at the
/// position where `text` (the text the event is in, its events `base` levels deep) goes too
/// deep; `line_offset` places a line of a longer text.
fn check_depth(
    events: &[Value],
    first: usize,
    text: &str,
    base: usize,
    line_offset: usize,
) -> Result<(), SetError> {
    let max = json_text::MAX_EVENT_DEPTH;
    let Some(i) = events.iter().position(|e| json_text::depth(e) > max) else {
        return Ok(());
    };
    let (line, column) = json_text::deep_position(text, base + max).unwrap_or((1, 1));
    Err(syntax(
        line + line_offset,
        column,
        format!(
            "event {} is nested more than {max} levels deep; the console reads events up to {max} \
             levels, so that it can always save them and read them back",
            first + i + 1
        ),
    ))
}

impl From<json_text::JsonError> for SetError {
    fn from(e: json_text::JsonError) -> SetError {
        syntax(e.line, e.column, e.message)
    }
}

fn looks_like_event(obj: &Map<String, Value>) -> bool {
    [
        "type",
        "userId",
        "anonymousId",
        "event",
        "traits",
        "properties",
        "messageId",
    ]
    .iter()
    .any(|k| obj.contains_key(*k))
}

fn from_document(doc: Value) -> Result<Loaded, SetError> {
    match doc {
        Value::Array(events) => Ok(Loaded {
            set: EventSet {
                events,
                ..EventSet::default()
            },
            format: Format::Array,
        }),
        Value::Object(mut obj) => {
            if let Some(Value::Array(_)) = obj.get("batch") {
                let Some(Value::Array(events)) = obj.shift_remove("batch") else {
                    unreachable!("checked just above")
                };
                let shared = match obj.get("context") {
                    Some(Value::Object(c)) => Some(c.clone()),
                    _ => None,
                };
                let events = events
                    .into_iter()
                    .map(|e| match &shared {
                        Some(ctx) => merge_context(e, ctx),
                        None => e,
                    })
                    .collect();
                Ok(Loaded {
                    set: EventSet {
                        events,
                        ..EventSet::default()
                    },
                    format: Format::Batch,
                })
            } else if let Some(Value::Array(_)) = obj.get("events")
                && !obj.contains_key("type")
            {
                let Some(Value::Array(events)) = obj.shift_remove("events") else {
                    unreachable!("checked just above")
                };
                let name = match obj.shift_remove("name") {
                    Some(Value::String(s)) => s,
                    Some(other) => {
                        obj.insert("name".into(), other);
                        String::new()
                    }
                    None => String::new(),
                };
                Ok(Loaded {
                    set: EventSet {
                        name,
                        events,
                        extra: obj,
                    },
                    format: Format::Own,
                })
            } else if looks_like_event(&obj) {
                Ok(Loaded {
                    set: EventSet {
                        events: vec![Value::Object(obj)],
                        ..EventSet::default()
                    },
                    format: Format::Single,
                })
            } else {
                Err(syntax(
                    1,
                    1,
                    "this JSON object is not an event (no type), a Segment batch (no \"batch\" array) or an event set (no \"events\" array)",
                ))
            }
        }
        other => Err(syntax(
            1,
            1,
            format!(
                "the file holds {}, not events: expected an array, a batch, an event or one event a line",
                crate::event::model::kind_of(&other)
            ),
        )),
    }
}

/// The batch's shared context goes under each event's own; the event's keys win.
fn merge_context(mut event: Value, shared: &Map<String, Value>) -> Value {
    if let Value::Object(obj) = &mut event {
        let mut merged = shared.clone();
        if let Some(Value::Object(own)) = obj.get("context") {
            deep_merge(&mut merged, own);
        } else if obj.contains_key("context") {
            return event;
        }
        obj.insert("context".into(), Value::Object(merged));
    }
    event
}

fn deep_merge(base: &mut Map<String, Value>, top: &Map<String, Value>) {
    for (k, v) in top {
        match (base.get_mut(k), v) {
            (Some(Value::Object(b)), Value::Object(t)) => deep_merge(b, t),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

fn parse_ndjson(text: &str) -> Result<Loaded, SetError> {
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| json_text::from_serde(&e, i))?;
        check_depth(std::slice::from_ref(&v), events.len(), line, 0, i)?;
        events.push(v);
    }
    Ok(Loaded {
        set: EventSet {
            events,
            ..EventSet::default()
        },
        format: Format::Ndjson,
    })
}

/// The own format's text: `name`, `events`, then unknown fields, pretty-printed, with every
/// occurrence of a secret masked. Returns the text and how many values were masked.
pub fn to_text(set: &EventSet, secrets: &[String]) -> (String, usize) {
    let mut doc = Map::new();
    doc.insert("name".into(), Value::String(set.name.clone()));
    doc.insert("events".into(), Value::Array(set.events.clone()));
    for (k, v) in &set.extra {
        if k != "name" && k != "events" {
            doc.insert(k.clone(), v.clone());
        }
    }
    let mut doc = Value::Object(doc);
    let secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| s.len() >= 4)
        .collect();
    let masked = mask_secrets(&mut doc, &secrets);
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    (text, masked)
}

/// Saves atomically: a reader sees the old file or the new one, never half of either.
pub fn save(path: &Path, set: &EventSet, secrets: &[String]) -> Result<usize, SetError> {
    let (text, masked) = to_text(set, secrets);
    write_atomic(path, text.as_bytes()).map_err(|source| SetError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(masked)
}
