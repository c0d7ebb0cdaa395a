//! Which format a plan is in, from its content, and its rules as (type, key, version, schema
//! over the whole event). docs/tracking-plans.md, *Formats to read*.

use super::{PlanError, PlanFormat, RuleType};
use serde_json::{Map, Value, json};

/// A rule as read, before its schema is compiled.
pub(super) struct RawRule {
    /// Where it is in the file, for messages: `rules[3]`.
    pub at: String,
    pub rule_type: RuleType,
    pub key: Option<String>,
    pub version: u64,
    /// Over the whole event.
    pub schema: Value,
}

impl RawRule {
    /// `TRACK "Order Completed" v2`.
    pub fn words(&self) -> String {
        match &self.key {
            Some(k) => format!("{} \"{k}\" v{}", self.rule_type.as_api(), self.version),
            None => format!("{} v{}", self.rule_type.as_api(), self.version),
        }
    }
}

const NOT_A_PLAN: &str = "this is not a tracking plan the console reads: expected {\"rules\": [...]} \
    (Segment's Public API, possibly inside {\"data\": ...} or as a list of pages), typewriter's \
    plan.json, or {\"rules\": {\"events\": [...]}} (the Config API v1)";

/// The format and every rule of a plan document.
pub(super) fn rules(doc: &Value) -> Result<(PlanFormat, Vec<RawRule>), PlanError> {
    match doc {
        // Pages of the Public API's paged listing, saved one after another.
        Value::Array(pages) if pages.is_empty() => Err(PlanError::Shape(NOT_A_PLAN.into())),
        Value::Array(pages) => {
            let mut out = Vec::new();
            for (i, page) in pages.iter().enumerate() {
                let list = page_rules(page).ok_or_else(|| {
                    PlanError::Shape(format!(
                        "[{i}]: each page of a paged plan must be {{\"rules\": [...]}} or \
                         {{\"data\": {{\"rules\": [...]}}}}"
                    ))
                })?;
                out.extend(api_rules(list, &format!("[{i}]."), false)?);
            }
            Ok((PlanFormat::PublicApi, out))
        }
        Value::Object(top) => match top.get("rules") {
            Some(Value::Object(v1)) => Ok((PlanFormat::LegacyV1, legacy_rules(v1)?)),
            Some(Value::Array(list)) => {
                // typewriter marks the rules it unwrapped with `eventMetadata`; its plan also
                // carries the plan's own id and resourceSchemaId around the rules.
                let typewriter = top.contains_key("resourceSchemaId")
                    || list
                        .iter()
                        .any(|r| r.pointer("/jsonSchema/eventMetadata").is_some());
                let format = if typewriter {
                    PlanFormat::Typewriter
                } else {
                    PlanFormat::PublicApi
                };
                Ok((format, api_rules(list, "", typewriter)?))
            }
            _ => match page_rules(doc) {
                Some(list) => Ok((PlanFormat::PublicApi, api_rules(list, "data.", false)?)),
                None => Err(PlanError::Shape(NOT_A_PLAN.into())),
            },
        },
        _ => Err(PlanError::Shape(NOT_A_PLAN.into())),
    }
}

/// The rules of one page: `{"rules": [...]}` or the API's `{"data": {"rules": [...]}}`.
fn page_rules(page: &Value) -> Option<&Vec<Value>> {
    page.get("rules")
        .or_else(|| page.pointer("/data/rules"))
        .and_then(Value::as_array)
}

fn api_rules(list: &[Value], prefix: &str, typewriter: bool) -> Result<Vec<RawRule>, PlanError> {
    let mut out = Vec::with_capacity(list.len());
    for (i, r) in list.iter().enumerate() {
        let at = format!("{prefix}rules[{i}]");
        let shape = |message: String| PlanError::Shape(format!("{at}: {message}"));
        let Value::Object(rule) = r else {
            return Err(shape("a rule must be an object".into()));
        };
        let type_text = rule.get("type").and_then(Value::as_str).ok_or_else(|| {
            shape("\"type\" is missing (TRACK, IDENTIFY, GROUP, PAGE, SCREEN or COMMON)".into())
        })?;
        let rule_type = RuleType::parse(type_text).ok_or_else(|| {
            shape(format!(
                "\"type\" is \"{type_text}\"; expected TRACK, IDENTIFY, GROUP, PAGE, SCREEN or COMMON"
            ))
        })?;
        let key = match rule.get("key") {
            Some(Value::String(k)) if rule_type.keyed() => Some(k.clone()),
            _ if rule_type.keyed() => {
                return Err(shape(format!(
                    "a {} rule needs a \"key\" (the {} name)",
                    rule_type.as_api(),
                    if rule_type == RuleType::Track {
                        "event"
                    } else {
                        "page or screen"
                    }
                )));
            }
            _ => None,
        };
        let version = version(rule.get("version")).map_err(shape)?;
        let mut schema = match rule.get("jsonSchema") {
            Some(s @ (Value::Object(_) | Value::Bool(_))) => s.clone(),
            // The API writes `null` for a rule without a schema: it allows everything.
            None | Some(Value::Null) => json!({}),
            Some(_) => return Err(shape("\"jsonSchema\" must be a JSON Schema object".into())),
        };
        if typewriter {
            schema = unwrap_typewriter(schema, rule_type);
        }
        out.push(RawRule {
            at,
            rule_type,
            key,
            version,
            schema,
        });
    }
    Ok(out)
}

fn version(v: Option<&Value>) -> Result<u64, String> {
    match v {
        None | Some(Value::Null) => Ok(1),
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("\"version\" is {n}; it must be a whole number from 1")),
        Some(other) => Err(format!("\"version\" is {other}; it must be a whole number")),
    }
}

/// typewriter keeps only the schema of the properties, with `eventMetadata` beside it; the
/// console applies every schema to the whole event, so it is wrapped back.
fn unwrap_typewriter(schema: Value, t: RuleType) -> Value {
    let Value::Object(mut inner) = schema else {
        return schema;
    };
    if inner.remove("eventMetadata").is_none() {
        // Not unwrapped by typewriter: already over the whole event.
        return Value::Object(inner);
    }
    let field = match t {
        RuleType::Identify | RuleType::Group => "traits",
        _ => "properties",
    };
    let draft = inner.remove("$schema");
    let needed = inner
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    let mut outer = Map::new();
    if let Some(d) = draft {
        outer.insert("$schema".into(), d);
    }
    outer.insert("type".into(), json!("object"));
    outer.insert("properties".into(), json!({ field: Value::Object(inner) }));
    if needed {
        outer.insert("required".into(), json!([field]));
    }
    Value::Object(outer)
}

/// The Config API v1: `global`, `identify` and `group` are single schemas; `events` a list of
/// `{name, version, rules}`. typewriter 7's cache is this shape too (with `identify_traits`
/// and `group_traits` lists, which carry no schema).
fn legacy_rules(v1: &Map<String, Value>) -> Result<Vec<RawRule>, PlanError> {
    let mut out = Vec::new();
    let single = |name: &str, t: RuleType, out: &mut Vec<RawRule>| -> Result<(), PlanError> {
        match v1.get(name) {
            None | Some(Value::Null) => Ok(()),
            Some(s @ (Value::Object(_) | Value::Bool(_))) => {
                // An empty object is "no rule" in v1 exports, not "a rule allowing all".
                if s.as_object().is_some_and(Map::is_empty) {
                    return Ok(());
                }
                out.push(RawRule {
                    at: format!("rules.{name}"),
                    rule_type: t,
                    key: None,
                    version: 1,
                    schema: s.clone(),
                });
                Ok(())
            }
            Some(_) => Err(PlanError::Shape(format!(
                "rules.{name}: must be a JSON Schema object"
            ))),
        }
    };
    single("global", RuleType::Common, &mut out)?;
    single("identify", RuleType::Identify, &mut out)?;
    single("group", RuleType::Group, &mut out)?;
    let events = match v1.get("events") {
        None | Some(Value::Null) => &Vec::new(),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(PlanError::Shape(
                "rules.events: must be a list of {\"name\", \"version\", \"rules\"}".into(),
            ));
        }
    };
    if events.is_empty() && out.is_empty() {
        return Err(PlanError::Shape(
            "rules: the plan has no rules (no \"events\", \"global\", \"identify\" or \"group\")"
                .into(),
        ));
    }
    for (i, e) in events.iter().enumerate() {
        let at = format!("rules.events[{i}]");
        let shape = |m: &str| PlanError::Shape(format!("{at}: {m}"));
        let name = e
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| shape("\"name\" (the event name) is missing"))?;
        let version = version(e.get("version")).map_err(|m| shape(&m))?;
        let schema = match e.get("rules") {
            Some(s @ (Value::Object(_) | Value::Bool(_))) => s.clone(),
            None | Some(Value::Null) => json!({}),
            Some(_) => return Err(shape("\"rules\" must be a JSON Schema object")),
        };
        out.push(RawRule {
            at,
            rule_type: RuleType::Track,
            key: Some(name.to_string()),
            version,
            schema,
        });
    }
    Ok(out)
}
