//! Violation kinds (RudderStack's names), their severities, and the validator's errors turned
//! into them with a path in the event and a sentence in Segment's manner
//! (`properties.revenue must be number`). docs/tracking-plans.md, *Violation kinds*.

use crate::event::Severity;
use crate::event::path;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ViolationKind {
    #[serde(rename = "Unplanned-Event")]
    UnplannedEvent,
    #[serde(rename = "Required-Missing")]
    RequiredMissing,
    #[serde(rename = "Datatype-Mismatch")]
    DatatypeMismatch,
    #[serde(rename = "Additional-Properties")]
    AdditionalProperties,
    #[serde(rename = "Unknown-Violation")]
    UnknownViolation,
}

impl ViolationKind {
    pub const ALL: [ViolationKind; 5] = [
        ViolationKind::UnplannedEvent,
        ViolationKind::RequiredMissing,
        ViolationKind::DatatypeMismatch,
        ViolationKind::AdditionalProperties,
        ViolationKind::UnknownViolation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::UnplannedEvent => "Unplanned-Event",
            ViolationKind::RequiredMissing => "Required-Missing",
            ViolationKind::DatatypeMismatch => "Datatype-Mismatch",
            ViolationKind::AdditionalProperties => "Additional-Properties",
            ViolationKind::UnknownViolation => "Unknown-Violation",
        }
    }

    pub fn parse(s: &str) -> Option<ViolationKind> {
        ViolationKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Missing, mistyped and otherwise invalid data are errors; an event or a property the
    /// plan does not know yet is a warning (plans lag behind code).
    pub fn default_severity(self) -> Severity {
        match self {
            ViolationKind::RequiredMissing
            | ViolationKind::DatatypeMismatch
            | ViolationKind::UnknownViolation => Severity::Error,
            ViolationKind::UnplannedEvent | ViolationKind::AdditionalProperties => {
                Severity::Warning
            }
        }
    }
}

/// How much each kind matters for one plan: `error`, `warning` or `off` (not reported).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Severities {
    overrides: BTreeMap<ViolationKind, Option<Severity>>,
}

impl Severities {
    /// The severity of a kind; `None` when it is turned off.
    pub fn of(&self, kind: ViolationKind) -> Option<Severity> {
        match self.overrides.get(&kind) {
            Some(s) => *s,
            None => Some(kind.default_severity()),
        }
    }

    pub fn set(&mut self, kind: ViolationKind, severity: Option<Severity>) {
        self.overrides.insert(kind, severity);
    }

    /// Reads `KIND=LEVEL` (`Unplanned-Event=error`), as the command line's `--severity` takes it.
    pub fn apply_assignment(&mut self, text: &str) -> Result<(), String> {
        let (kind, level) = text
            .split_once('=')
            .ok_or_else(|| format!("\"{text}\": write KIND=LEVEL, as Unplanned-Event=error"))?;
        let kind = parse_kind(kind)?;
        self.set(kind, parse_level(level)?);
        Ok(())
    }

    /// Reads the settings object kept beside a plan: `{"severity": {"Unplanned-Event":
    /// "error", "Additional-Properties": "off"}}`.
    pub fn from_settings(doc: &Value) -> Result<Severities, String> {
        let mut s = Severities::default();
        let Some(map) = doc.get("severity") else {
            return Ok(s);
        };
        let Value::Object(map) = map else {
            return Err(
                "\"severity\" must be an object of KIND: \"error\" | \"warning\" | \"off\"".into(),
            );
        };
        for (k, v) in map {
            let kind = parse_kind(k).map_err(|e| format!("severity: {e}"))?;
            let level = v
                .as_str()
                .ok_or_else(|| format!("severity.{k}: must be \"error\", \"warning\" or \"off\""))
                .and_then(|l| parse_level(l).map_err(|e| format!("severity.{k}: {e}")))?;
            s.set(kind, level);
        }
        Ok(s)
    }
}

fn parse_kind(text: &str) -> Result<ViolationKind, String> {
    ViolationKind::parse(text).ok_or_else(|| {
        let all: Vec<&str> = ViolationKind::ALL.iter().map(|k| k.as_str()).collect();
        format!(
            "\"{}\" is not a violation kind; use {}",
            text.trim(),
            all.join(", ")
        )
    })
}

fn parse_level(text: &str) -> Result<Option<Severity>, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "error" => Ok(Some(Severity::Error)),
        "warning" => Ok(Some(Severity::Warning)),
        "off" => Ok(None),
        other => Err(format!(
            "\"{other}\" is not a level; use error, warning or off"
        )),
    }
}

/// Every violation of `event` against a compiled schema: (kind, path, sentence).
pub(super) fn of_schema(
    validator: &jsonschema::Validator,
    event: &Value,
) -> Vec<(ViolationKind, String, String)> {
    let mut out = Vec::new();
    for e in validator.iter_errors(event) {
        let at = dollar_path(e.instance_path().iter());
        match e.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_string);
                let p = path::key(&at, &name);
                out.push((
                    ViolationKind::RequiredMissing,
                    p.clone(),
                    format!("{} is required", dotted(&p)),
                ));
            }
            ValidationErrorKind::Type { kind } => {
                let types: Vec<String> = match kind {
                    TypeKind::Single(t) => vec![t.to_string()],
                    TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
                };
                out.push((
                    ViolationKind::DatatypeMismatch,
                    at.clone(),
                    format!("{} must be {}", dotted(&at), types.join(" or ")),
                ));
            }
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                for name in unexpected {
                    let p = path::key(&at, name);
                    out.push((
                        ViolationKind::AdditionalProperties,
                        p.clone(),
                        format!("{} is not allowed by the tracking plan", dotted(&p)),
                    ));
                }
            }
            // `"properties": {"coupon": false}`: the property may not be there at all.
            ValidationErrorKind::FalseSchema if at != "$" => out.push((
                ViolationKind::AdditionalProperties,
                at.clone(),
                format!("{} is not allowed by the tracking plan", dotted(&at)),
            )),
            ValidationErrorKind::Enum { options } => out.push((
                ViolationKind::UnknownViolation,
                at.clone(),
                format!(
                    "{} must be one of {}",
                    dotted(&at),
                    clip(&options.to_string())
                ),
            )),
            ValidationErrorKind::Pattern { pattern } => out.push((
                ViolationKind::UnknownViolation,
                at.clone(),
                format!("{} must match the pattern {pattern}", dotted(&at)),
            )),
            _ => out.push((
                ViolationKind::UnknownViolation,
                at.clone(),
                format!("{}: {}", dotted(&at), clip(&e.to_string())),
            )),
        }
    }
    out
}

/// A location in the event as the console writes paths: `$.properties.items[0].price`.
fn dollar_path<'a>(segments: impl Iterator<Item = LocationSegment<'a>>) -> String {
    segments.fold("$".to_string(), |p, s| match s {
        LocationSegment::Property(name) => path::key(&p, &name),
        LocationSegment::Index(i) => path::index(&p, i),
    })
}

/// The path as Segment's messages write it: `properties.revenue`; the root is "the event".
fn dotted(p: &str) -> String {
    match p.strip_prefix("$.") {
        Some(rest) => rest.to_string(),
        None if p == "$" => "the event".to_string(),
        None => p.strip_prefix('$').unwrap_or(p).to_string(),
    }
}

/// Values quoted in a sentence stay short.
fn clip(s: &str) -> String {
    const MAX: usize = 160;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
