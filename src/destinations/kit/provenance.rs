//! Where each output field of a partner request came from.

use crate::event::path;
use serde_json::{Map, Value, json};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A field of the source event, as a JSON path (`$.traits.email`).
    Path(String),
    /// A fixed value of the contract.
    Constant,
    /// A destination setting, by key.
    Setting(String),
    /// Computed by a named rule from source paths (`snake_case($.event)`).
    Computed { rule: String, from: Vec<String> },
}

impl Source {
    /// The source paths this output depends on, for highlighting.
    pub fn paths(&self) -> Vec<&str> {
        match self {
            Source::Path(p) => vec![p.as_str()],
            Source::Computed { from, .. } => from.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Path(p) => f.write_str(p),
            Source::Constant => f.write_str("constant"),
            Source::Setting(k) => write!(f, "setting {k}"),
            Source::Computed { rule, from } => write!(f, "{rule}({})", from.join(", ")),
        }
    }
}

/// One line of provenance: `output <- source`. Outputs are `body.params.email`,
/// `header.Authorization`, `query.client_id` or `url`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub output: String,
    pub source: Source,
}

impl Provenance {
    pub fn to_json(&self) -> Value {
        json!({"output": self.output, "source": self.source.to_string()})
    }
}

impl std::fmt::Display for Provenance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <- {}", self.output, self.source)
    }
}

/// Collects provenance lines while a translator builds a request.
#[derive(Default, Debug)]
pub struct Trace {
    pub lines: Vec<Provenance>,
}

impl Trace {
    pub fn new() -> Trace {
        Trace::default()
    }

    fn push(&mut self, output: impl Into<String>, source: Source) {
        self.lines.push(Provenance {
            output: output.into(),
            source,
        });
    }

    pub fn path(&mut self, output: impl Into<String>, source: impl Into<String>) {
        self.push(output, Source::Path(source.into()));
    }

    pub fn constant(&mut self, output: impl Into<String>) {
        self.push(output, Source::Constant);
    }

    pub fn setting(&mut self, output: impl Into<String>, key: &str) {
        self.push(output, Source::Setting(key.into()));
    }

    pub fn computed(&mut self, output: impl Into<String>, rule: &str, from: &[&str]) {
        self.push(
            output,
            Source::Computed {
                rule: rule.into(),
                from: from.iter().map(|s| s.to_string()).collect(),
            },
        );
    }

    /// One line per key of an object copied whole: `body.params.plan <- $.traits.plan`.
    pub fn object(&mut self, output: &str, source: &str, obj: &Map<String, Value>) {
        for k in obj.keys() {
            self.path(path::key(output, k), path::key(source, k));
        }
    }

    pub fn take(self) -> Vec<Provenance> {
        self.lines
    }
}
