//! Tracking plans (docs/tracking-plans.md): a plan read from any of the formats Segment and its
//! tools write, detected from the content, its rules compiled with a JSON Schema validator, and
//! events checked against it; violations come out as findings with a `kind`. Also what CI checks
//! beside a plan: golden files of partner requests (`golden`), events that must arrive
//! (`arrival`), and a plan drafted from an event set (`draft`).
//!
//! Pure: the caller reads the file (`files::plan_file`) and passes the text.

pub mod arrival;
pub mod draft;
pub mod golden;
mod read;
mod schema;
pub mod verdict;
pub mod violation;

pub use violation::{Severities, ViolationKind};

use crate::event::Finding;
use crate::event::path;
use serde_json::Value;
use std::sync::Arc;

/// Which format a plan file was in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanFormat {
    /// Segment's Public API rules (`{"rules": [...]}`, the `data` envelope, or pages of it).
    PublicApi,
    /// typewriter's cached `plan.json` (rules whose schema covers the properties alone).
    Typewriter,
    /// The Config API v1 shape: `{"rules": {"global", "events", "identify", "group"}}`.
    LegacyV1,
}

impl PlanFormat {
    pub fn describe(self) -> &'static str {
        match self {
            PlanFormat::PublicApi => "Segment Public API rules",
            PlanFormat::Typewriter => "typewriter plan.json",
            PlanFormat::LegacyV1 => "Config API v1 tracking plan",
        }
    }
}

/// The kind of event a rule applies to; `Common` applies to every event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleType {
    Common,
    Track,
    Identify,
    Group,
    Page,
    Screen,
}

impl RuleType {
    /// Reads the API's spelling (`TRACK`) or an event's (`track`).
    pub fn parse(s: &str) -> Option<RuleType> {
        Some(match s.to_ascii_lowercase().as_str() {
            "common" => RuleType::Common,
            "track" => RuleType::Track,
            "identify" => RuleType::Identify,
            "group" => RuleType::Group,
            "page" => RuleType::Page,
            "screen" => RuleType::Screen,
            _ => return None,
        })
    }

    /// The API's spelling.
    pub fn as_api(self) -> &'static str {
        match self {
            RuleType::Common => "COMMON",
            RuleType::Track => "TRACK",
            RuleType::Identify => "IDENTIFY",
            RuleType::Group => "GROUP",
            RuleType::Page => "PAGE",
            RuleType::Screen => "SCREEN",
        }
    }

    /// Whether rules of this type are told apart by a key (the event or page name).
    pub fn keyed(self) -> bool {
        matches!(self, RuleType::Track | RuleType::Page | RuleType::Screen)
    }
}

/// One rule: a JSON Schema over the whole event, compiled.
#[derive(Clone)]
pub struct Rule {
    pub rule_type: RuleType,
    /// The event name (track) or page/screen name; `None` for the others.
    pub key: Option<String>,
    pub version: u64,
    /// The schema as it is applied (over the whole event, ids normalised).
    pub schema: Value,
    validator: Arc<jsonschema::Validator>,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("rule_type", &self.rule_type)
            .field("key", &self.key)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// A plan that cannot be read, with where.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{0}")]
    Shape(String),
    #[error("{at} ({rule}): {message}")]
    Rule {
        /// Where the rule is in the file: `rules[3]`, `[1].rules[0]`, `rules.events[2]`.
        at: String,
        /// The rule's type and key in words: `TRACK "Order Completed" v2`.
        rule: String,
        message: String,
    },
}

/// A tracking plan ready to check events.
#[derive(Clone, Debug)]
pub struct Plan {
    /// What the plan is called where its verdict is shown (the history's plan column): its
    /// file's name when read from one (`files::plan_file::load`), else "tracking plan".
    pub name: String,
    pub format: PlanFormat,
    pub rules: Vec<Rule>,
    pub severities: Severities,
}

impl Plan {
    /// Reads a plan from its text, whatever the format.
    pub fn parse(text: &str) -> Result<Plan, PlanError> {
        let doc = crate::json::text::parse(text).map_err(|e| PlanError::Syntax {
            line: e.line,
            column: e.column,
            message: e.message,
        })?;
        Plan::from_value(&doc)
    }

    /// Reads a plan from parsed JSON.
    pub fn from_value(doc: &Value) -> Result<Plan, PlanError> {
        let (format, raw) = read::rules(doc)?;
        let mut rules = Vec::with_capacity(raw.len());
        for r in raw {
            let words = r.words();
            let schema = schema::normalise(r.schema);
            let validator = schema::compile(&schema).map_err(|message| PlanError::Rule {
                at: r.at,
                rule: words,
                message,
            })?;
            rules.push(Rule {
                rule_type: r.rule_type,
                key: r.key,
                version: r.version,
                schema,
                validator: Arc::new(validator),
            });
        }
        Ok(Plan {
            name: "tracking plan".into(),
            format,
            rules,
            severities: Severities::default(),
        })
    }

    /// How many event rules (not COMMON) the plan has.
    pub fn event_rules(&self) -> usize {
        self.rules
            .iter()
            .filter(|r| r.rule_type != RuleType::Common)
            .count()
    }

    /// The latest rule of a type and key, or the given version of it.
    fn rule(&self, t: RuleType, key: Option<&str>, version: Option<u64>) -> Lookup<'_> {
        let matching: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|r| r.rule_type == t && (!t.keyed() || r.key.as_deref() == key))
            .collect();
        if matching.is_empty() {
            return Lookup::None;
        }
        match version {
            Some(v) => match matching.iter().find(|r| r.version == v) {
                Some(r) => Lookup::Found(r),
                None => {
                    let mut have: Vec<u64> = matching.iter().map(|r| r.version).collect();
                    have.sort_unstable();
                    have.dedup();
                    Lookup::NoSuchVersion(have)
                }
            },
            None => matching
                .into_iter()
                .max_by_key(|r| r.version)
                .map_or(Lookup::None, Lookup::Found),
        }
    }

    /// The event's verdict, as its history entry keeps it: this plan's name and its
    /// violations counted.
    pub fn verdict(&self, event: &Value) -> verdict::PlanCheck {
        verdict::PlanCheck::of(&self.name, &self.check(event))
    }

    /// Every violation of the event against the plan, as findings with a `kind`, in the
    /// plan's severities (kinds set to `off` are left out).
    pub fn check(&self, event: &Value) -> Vec<Finding> {
        let mut found: Vec<(ViolationKind, String, String)> = Vec::new();
        if let Lookup::Found(common) = self.rule(RuleType::Common, None, None) {
            found.extend(violation::of_schema(&common.validator, event));
        }
        let event_type = event
            .get("type")
            .and_then(Value::as_str)
            .and_then(RuleType::parse)
            .filter(|t| *t != RuleType::Common);
        if let Some(t) = event_type {
            let key_field = match t {
                RuleType::Track => Some("event"),
                RuleType::Page | RuleType::Screen => Some("name"),
                _ => None,
            };
            let key = key_field.and_then(|f| event.get(f)).and_then(Value::as_str);
            let version = event_version(event);
            let name = || match key {
                Some(k) => format!("{} \"{k}\"", t.as_api().to_lowercase()),
                None => t.as_api().to_lowercase(),
            };
            match self.rule(t, key, version) {
                Lookup::Found(rule) => found.extend(violation::of_schema(&rule.validator, event)),
                Lookup::NoSuchVersion(have) => {
                    let have: Vec<String> = have.iter().map(u64::to_string).collect();
                    found.push((
                        ViolationKind::UnplannedEvent,
                        path::at(&["context", "protocols", "event_version"]),
                        format!(
                            "version {} of {} is not in the tracking plan (it has version {})",
                            version.unwrap_or_default(),
                            name(),
                            have.join(", ")
                        ),
                    ));
                }
                // A track without a name is the Segment spec's error already (`event` is
                // required), not an event a plan could list.
                Lookup::None if t == RuleType::Track => {
                    if let Some(shown) = key {
                        found.push((
                            ViolationKind::UnplannedEvent,
                            path::at(&["event"]),
                            format!("track \"{shown}\" is not in the tracking plan"),
                        ));
                    }
                }
                Lookup::None => {}
            }
        }
        found
            .into_iter()
            .filter_map(|(kind, path, message)| {
                let severity = self.severities.of(kind)?;
                Some(Finding {
                    severity,
                    path,
                    message,
                    kind: Some(kind.as_str().to_string()),
                })
            })
            .collect()
    }
}

enum Lookup<'a> {
    Found(&'a Rule),
    NoSuchVersion(Vec<u64>),
    None,
}

/// The rule version an event names in `context.protocols.event_version`.
pub fn event_version(event: &Value) -> Option<u64> {
    event
        .pointer("/context/protocols/event_version")
        .and_then(version_of)
}

/// `event_version` as an integer: a number or a numeric string (SDKs send both).
fn version_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
