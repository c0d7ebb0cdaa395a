//! A plan drafted from an event set, in Segment's Public API rules format, for the user to
//! edit: one rule per track event name, page and screen name, and one for identify and for
//! group; each value's type inferred from what the set holds (an integer where every value was
//! whole, `null` added where one was null), and a field required when every occurrence had it.
//! The set's own events satisfy the draft (tested), so a later change shows up as a violation.

use super::RuleType;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// What the values seen at one place had in common.
#[derive(Default)]
struct Shape {
    types: BTreeSet<&'static str>,
    /// Over every object seen here.
    object: Option<ObjectShape>,
    /// Over every element of every array seen here.
    items: Option<Box<Shape>>,
}

#[derive(Default)]
struct ObjectShape {
    /// How many objects were seen.
    seen: usize,
    /// Each key: in how many of them it was, and its values' shape.
    fields: BTreeMap<String, (usize, Shape)>,
}

impl Shape {
    fn add(&mut self, v: &Value) {
        self.types.insert(type_name(v));
        match v {
            Value::Object(m) => self.object.get_or_insert_with(Default::default).add(m),
            Value::Array(a) => {
                let items = self.items.get_or_insert_with(Default::default);
                for x in a {
                    items.add(x);
                }
            }
            _ => {}
        }
    }

    fn schema(&self) -> Value {
        let mut types: Vec<&str> = self.types.iter().copied().collect();
        // A set that held 3 and 3.5 holds numbers.
        if types.contains(&"number") {
            types.retain(|t| *t != "integer");
        }
        let mut s = Map::new();
        match types.as_slice() {
            [] => {}
            [one] => {
                s.insert("type".into(), json!(one));
            }
            many => {
                s.insert("type".into(), json!(many));
            }
        }
        if let Some(o) = &self.object {
            o.fill(&mut s);
        }
        if let Some(items) = &self.items
            && !items.types.is_empty()
        {
            s.insert("items".into(), items.schema());
        }
        Value::Object(s)
    }
}

impl ObjectShape {
    fn add(&mut self, m: &Map<String, Value>) {
        self.seen += 1;
        for (k, v) in m {
            let (count, shape) = self.fields.entry(k.clone()).or_default();
            *count += 1;
            shape.add(v);
        }
    }

    fn fill(&self, s: &mut Map<String, Value>) {
        let properties: Map<String, Value> = self
            .fields
            .iter()
            .map(|(k, (_, shape))| (k.clone(), shape.schema()))
            .collect();
        let required: Vec<&String> = self
            .fields
            .iter()
            .filter(|(_, (count, _))| *count == self.seen)
            .map(|(k, _)| k)
            .collect();
        s.insert("properties".into(), Value::Object(properties));
        s.insert("required".into(), json!(required));
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One rule being drafted: how many events it covers, and the shape of their payload field.
struct Draft {
    rule_type: RuleType,
    key: Option<String>,
    version: u64,
    events: usize,
    /// How many events had the payload field (`properties` or `traits`).
    with_field: usize,
    field: Shape,
}

/// The payload field a rule's type is about.
fn field_of(t: RuleType) -> &'static str {
    match t {
        RuleType::Identify | RuleType::Group => "traits",
        _ => "properties",
    }
}

/// Drafts a plan (`{"rules": [...]}`) that every event of `events` satisfies. Events the plan
/// cannot describe (alias, no type, a track without a name) are left out; `skipped` says how
/// many.
pub fn draft(events: &[Value]) -> Drafted {
    let mut drafts: Vec<Draft> = Vec::new();
    // Each describable event with its rule's type and key, and the version it names.
    let described: Vec<(&Value, RuleType, Option<&str>, Option<u64>)> = events
        .iter()
        .filter_map(|ev| {
            let t = ev
                .get("type")
                .and_then(Value::as_str)
                .and_then(RuleType::parse)
                .filter(|t| *t != RuleType::Common)?;
            let key = match t {
                RuleType::Track => ev.get("event").and_then(Value::as_str),
                RuleType::Page | RuleType::Screen => ev.get("name").and_then(Value::as_str),
                _ => None,
            };
            if t.keyed() && key.is_none() {
                return None;
            }
            Some((ev, t, key, super::event_version(ev)))
        })
        .collect();
    let skipped = events.len() - described.len();
    // An event naming no version is checked against the latest, so it joins the latest
    // version the set names for its rule (1 when none does).
    let latest = |t: RuleType, key: Option<&str>| {
        described
            .iter()
            .filter(|(_, dt, dk, _)| *dt == t && *dk == key)
            .filter_map(|(_, _, _, v)| *v)
            .max()
            .unwrap_or(1)
    };
    for &(ev, t, key, named) in &described {
        let version = named.unwrap_or_else(|| latest(t, key));
        let at = match drafts
            .iter()
            .position(|d| d.rule_type == t && d.key.as_deref() == key && d.version == version)
        {
            Some(i) => i,
            None => {
                drafts.push(Draft {
                    rule_type: t,
                    key: key.map(str::to_string),
                    version,
                    events: 0,
                    with_field: 0,
                    field: Shape::default(),
                });
                drafts.len() - 1
            }
        };
        let d = &mut drafts[at];
        d.events += 1;
        if let Some(v) = ev.get(field_of(t)) {
            d.with_field += 1;
            d.field.add(v);
        }
    }
    let rules: Vec<Value> = drafts.iter().map(rule).collect();
    Drafted {
        plan: json!({ "rules": rules }),
        rules: drafts.len(),
        skipped,
    }
}

/// A drafted plan and what went into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Drafted {
    pub plan: Value,
    pub rules: usize,
    /// Events the plan does not describe (alias calls, no type, no name).
    pub skipped: usize,
}

fn rule(d: &Draft) -> Value {
    let field = field_of(d.rule_type);
    let mut props = Map::new();
    props.insert("context".into(), json!({}));
    let inner = if d.with_field > 0 {
        d.field.schema()
    } else {
        json!({})
    };
    props.insert(field.into(), inner);
    let other = if field == "traits" {
        "properties"
    } else {
        "traits"
    };
    props.insert(other.into(), json!({}));
    let mut schema = Map::new();
    schema.insert(
        "$schema".into(),
        json!("http://json-schema.org/draft-07/schema#"),
    );
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Value::Object(props));
    let required: Vec<&str> = if d.with_field == d.events && d.events > 0 {
        vec![field]
    } else {
        Vec::new()
    };
    schema.insert("required".into(), json!(required));
    let mut r = Map::new();
    r.insert(
        "key".into(),
        d.key.as_deref().map_or(Value::Null, |k| json!(k)),
    );
    r.insert("type".into(), json!(d.rule_type.as_api()));
    r.insert("version".into(), json!(d.version));
    r.insert("jsonSchema".into(), Value::Object(schema));
    Value::Object(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Plan;

    fn set() -> Vec<Value> {
        vec![
            json!({"type": "identify", "userId": "u1", "traits": {"email": "a@b.c", "age": 30}}),
            json!({"type": "track", "event": "Order Completed", "userId": "u1",
                   "properties": {"revenue": 10, "currency": "USD",
                                  "products": [{"sku": "a", "price": 2.5}, {"sku": "b", "price": 3}]}}),
            json!({"type": "track", "event": "Order Completed", "userId": "u2",
                   "properties": {"revenue": 12.5, "coupon": null,
                                  "products": [{"sku": "c", "price": 1}]}}),
            json!({"type": "page", "name": "Home", "userId": "u1"}),
            json!({"type": "alias", "userId": "u1", "previousId": "a"}),
        ]
    }

    #[test]
    fn the_draft_validates_the_set_it_came_from() {
        let events = set();
        let d = draft(&events);
        assert_eq!((d.rules, d.skipped), (3, 1));
        let plan = Plan::from_value(&d.plan).expect("the draft is a plan");
        for ev in &events {
            assert_eq!(plan.check(ev), Vec::new(), "{ev}");
        }
        let oc = &d.plan["rules"][1]["jsonSchema"]["properties"]["properties"];
        // Present in both occurrences: required; in one: optional.
        assert_eq!(oc["required"], json!(["products", "revenue"]));
        assert_eq!(oc["properties"]["revenue"]["type"], json!("number"));
        assert_eq!(oc["properties"]["coupon"]["type"], json!("null"));
        assert_eq!(
            oc["properties"]["products"]["items"]["properties"]["price"]["type"],
            json!("number")
        );
        assert_eq!(
            d.plan["rules"][0]["jsonSchema"]["properties"]["traits"]["properties"]["age"]["type"],
            json!("integer")
        );
    }

    #[test]
    fn versions_the_set_names_get_their_own_rules() {
        let v = |n: Option<u64>, revenue: Value| {
            let mut e = json!({"type": "track", "event": "Order Completed", "userId": "u",
                               "properties": {"revenue": revenue}});
            if let Some(n) = n {
                e["context"] = json!({"protocols": {"event_version": n}});
            }
            e
        };
        let events = [
            v(Some(1), json!("10")),
            v(Some(2), json!(10)),
            v(None, json!(11)),
        ];
        let d = draft(&events);
        assert_eq!(d.rules, 2);
        let plan = Plan::from_value(&d.plan).unwrap();
        for ev in &events {
            assert_eq!(plan.check(ev), Vec::new(), "{ev}");
        }
        // Version 1 wants the string it saw, version 2 (the latest) the number.
        assert!(!plan.check(&v(Some(1), json!(3))).is_empty());
        assert!(!plan.check(&v(None, json!("3"))).is_empty());
    }

    #[test]
    fn a_changed_event_violates_the_draft() {
        let events = set();
        let plan = Plan::from_value(&draft(&events).plan).unwrap();
        let mut changed = events[1].clone();
        changed["properties"]["revenue"] = json!("10");
        changed["properties"]
            .as_object_mut()
            .unwrap()
            .remove("products");
        let kinds: Vec<Option<String>> = plan.check(&changed).into_iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [
                Some("Required-Missing".to_string()),
                Some("Datatype-Mismatch".to_string())
            ]
        );
        let mut renamed = events[1].clone();
        renamed["event"] = json!("Order Done");
        assert_eq!(
            plan.check(&renamed)[0].kind.as_deref(),
            Some("Unplanned-Event")
        );
    }
}
