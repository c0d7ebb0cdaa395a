//! Events that must arrive (`capture --expect FILE`): a list of expectations by type and name,
//! optionally with fields that must match, checked against the events captured. The file's
//! format is in docs/tracking-plans.md, *Expectation files*:
//!
//! ```json
//! {"expect": [
//!   {"type": "track", "event": "Order Completed", "properties": {"revenue": 42}},
//!   {"type": "identify", "traits": {"email": "a@example.com"}, "count": 2},
//!   {"type": "page", "name": "Home"}
//! ]}
//! ```
//!
//! A bare list is read too. Fields match partially: every key given must be there with an
//! equal value (objects compared key by key, numbers by value, so 42 matches 42.0); keys not
//! given may hold anything.

use crate::event::path;
use serde_json::Value;

/// The fields whose expected content is matched partially.
const MATCHED: &[&str] = &["properties", "traits", "context"];

/// One event that must arrive.
#[derive(Clone, Debug, PartialEq)]
pub struct Expectation {
    pub event_type: String,
    /// The track event's name, or the page or screen name.
    pub name: Option<String>,
    /// `properties`, `traits` and `context` as given (only the keys given are compared).
    pub fields: Vec<(String, Value)>,
    /// At least this many events must match (1 unless given).
    pub count: usize,
}

impl Expectation {
    /// `track "Order Completed"`, `identify`.
    pub fn describe(&self) -> String {
        match &self.name {
            Some(n) => format!("{} \"{n}\"", self.event_type),
            None => self.event_type.clone(),
        }
    }

    fn same_event(&self, ev: &Value) -> bool {
        let t = ev.get("type").and_then(Value::as_str).unwrap_or("");
        if !t.eq_ignore_ascii_case(&self.event_type) {
            return false;
        }
        match &self.name {
            None => true,
            Some(n) => {
                let field = if t.eq_ignore_ascii_case("track") {
                    "event"
                } else {
                    "name"
                };
                ev.get(field).and_then(Value::as_str) == Some(n.as_str())
            }
        }
    }

    /// `Ok` when the event matches; else the first difference in words.
    fn matches(&self, ev: &Value) -> Result<(), String> {
        for (field, want) in &self.fields {
            partial(want, ev.get(field), &path::key("$", field))?;
        }
        Ok(())
    }
}

/// An expectation that was not met.
#[derive(Clone, Debug, PartialEq)]
pub struct Unmet {
    /// Its position in the file, from 0.
    pub index: usize,
    pub expectation: Expectation,
    /// How many events matched (fewer than `expectation.count`).
    pub found: usize,
    /// Why the nearest event (same type and name) did not match, when there was one.
    pub nearest: Option<String>,
}

impl std::fmt::Display for Unmet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = &self.expectation;
        if e.count == 1 {
            write!(
                f,
                "expectation {}: {} never arrived",
                self.index,
                e.describe()
            )?;
        } else {
            write!(
                f,
                "expectation {}: {} arrived {} times, expected at least {}",
                self.index,
                e.describe(),
                self.found,
                e.count
            )?;
        }
        if let Some(why) = &self.nearest {
            write!(f, " (the nearest: {why})")?;
        }
        Ok(())
    }
}

/// Reads an expectation file's JSON.
pub fn parse(doc: &Value) -> Result<Vec<Expectation>, String> {
    let list = match doc {
        Value::Array(list) => list,
        Value::Object(m) => match m.get("expect") {
            Some(Value::Array(list)) => list,
            _ => {
                return Err(
                    "an expectation file is {\"expect\": [...]} or a list of expectations".into(),
                );
            }
        },
        _ => {
            return Err(
                "an expectation file is {\"expect\": [...]} or a list of expectations".into(),
            );
        }
    };
    list.iter()
        .enumerate()
        .map(|(i, e)| one(e).map_err(|m| format!("expect[{i}]: {m}")))
        .collect()
}

fn one(e: &Value) -> Result<Expectation, String> {
    let Value::Object(m) = e else {
        return Err("an expectation must be an object with at least \"type\"".into());
    };
    let event_type = m
        .get("type")
        .and_then(Value::as_str)
        .ok_or("\"type\" is missing (track, identify, page, screen, group or alias)")?
        .to_ascii_lowercase();
    let name_field = if event_type == "track" {
        "event"
    } else {
        "name"
    };
    let name = match m.get(name_field).or_else(|| m.get("name")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(format!("\"{name_field}\" must be a string")),
    };
    let mut fields = Vec::new();
    for f in MATCHED {
        match m.get(*f) {
            None => {}
            Some(v @ Value::Object(_)) => fields.push(((*f).to_string(), v.clone())),
            Some(_) => return Err(format!("\"{f}\" must be an object of the fields to match")),
        }
    }
    let count = match m.get("count") {
        None => 1,
        Some(v) => v
            .as_u64()
            .filter(|n| *n >= 1)
            .ok_or("\"count\" must be a whole number from 1")? as usize,
    };
    Ok(Expectation {
        event_type,
        name,
        fields,
        count,
    })
}

/// Every expectation that the captured events do not meet, in the file's order.
pub fn unmet(expectations: &[Expectation], events: &[Value]) -> Vec<Unmet> {
    let mut tally = Tally::new(expectations.to_vec());
    for ev in events {
        tally.observe(ev);
    }
    tally.unmet()
}

/// The expectations met so far by events seen one at a time, for a capture that runs for
/// hours and keeps no list of every event it took.
#[derive(Clone, Debug)]
pub struct Tally {
    expectations: Vec<Expectation>,
    found: Vec<usize>,
    nearest: Vec<Option<String>>,
}

impl Tally {
    pub fn new(expectations: Vec<Expectation>) -> Tally {
        let n = expectations.len();
        Tally {
            expectations,
            found: vec![0; n],
            nearest: vec![None; n],
        }
    }

    pub fn observe(&mut self, ev: &Value) {
        for (i, e) in self.expectations.iter().enumerate() {
            if !e.same_event(ev) {
                continue;
            }
            match e.matches(ev) {
                Ok(()) => self.found[i] += 1,
                Err(why) => {
                    self.nearest[i].get_or_insert(why);
                }
            }
        }
    }

    pub fn unmet(&self) -> Vec<Unmet> {
        self.expectations
            .iter()
            .enumerate()
            .filter(|(i, e)| self.found[*i] < e.count)
            .map(|(i, e)| Unmet {
                index: i,
                expectation: e.clone(),
                found: self.found[i],
                nearest: if self.found[i] == 0 {
                    self.nearest[i].clone()
                } else {
                    None
                },
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.expectations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.expectations.is_empty()
    }
}

/// `want` is contained in `got`: objects key by key (extra keys allowed), everything else
/// equal (numbers by value).
fn partial(want: &Value, got: Option<&Value>, at: &str) -> Result<(), String> {
    let Some(got) = got else {
        return Err(format!("{at} is missing"));
    };
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                partial(wv, g.get(k), &path::key(at, k))?;
            }
            Ok(())
        }
        (Value::Number(a), Value::Number(b)) if a.as_f64() == b.as_f64() => Ok(()),
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{at} is {}, expected {}", clip(b), clip(a))),
    }
}

fn clip(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(80).collect();
        format!("{cut}…")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn captured() -> Vec<Value> {
        vec![
            json!({"type": "identify", "userId": "u", "traits": {"email": "a@b.c", "plan": "pro"}}),
            json!({"type": "track", "event": "Order Completed", "userId": "u",
                   "properties": {"revenue": 42.0, "currency": "USD", "items": [1, 2]}}),
            json!({"type": "page", "name": "Home", "userId": "u"}),
        ]
    }

    #[test]
    fn met_expectations_leave_nothing() {
        let list = parse(&json!({"expect": [
            {"type": "track", "event": "Order Completed", "properties": {"revenue": 42}},
            {"type": "identify", "traits": {"email": "a@b.c"}},
            {"type": "page", "name": "Home"},
            {"type": "track", "event": "Order Completed", "properties": {"items": [1, 2]}}
        ]}))
        .unwrap();
        assert_eq!(unmet(&list, &captured()), Vec::new());
    }

    #[test]
    fn missing_events_mismatched_fields_and_counts_are_reported() {
        let list = parse(&json!([
            {"type": "track", "event": "Signed Up"},
            {"type": "track", "event": "Order Completed", "properties": {"revenue": 40}},
            {"type": "page", "name": "Home", "count": 2},
            {"type": "identify", "traits": {"address": {"city": "Paris"}}}
        ]))
        .unwrap();
        let out = unmet(&list, &captured());
        let words: Vec<String> = out.iter().map(ToString::to_string).collect();
        assert_eq!(
            words,
            [
                "expectation 0: track \"Signed Up\" never arrived",
                "expectation 1: track \"Order Completed\" never arrived (the nearest: \
                 $.properties.revenue is 42.0, expected 40)",
                "expectation 2: page \"Home\" arrived 1 times, expected at least 2",
                "expectation 3: identify never arrived (the nearest: $.traits.address is missing)",
            ]
        );
    }

    #[test]
    fn a_bad_file_says_which_expectation() {
        assert_eq!(
            parse(&json!({"expect": [{"type": "track"}, {"event": "x"}]})).unwrap_err(),
            "expect[1]: \"type\" is missing (track, identify, page, screen, group or alias)"
        );
        assert_eq!(
            parse(&json!([{"type": "track", "count": 0}])).unwrap_err(),
            "expect[0]: \"count\" must be a whole number from 1"
        );
        assert!(parse(&json!({"events": []})).is_err());
    }
}
