//! The Segment event model: typed fields for the six calls, and every unknown field kept.
//!
//! Conversion goes through `serde_json::Value` by hand (not derive) so that an explicit `null`
//! or a field of an unexpected shape is kept verbatim in `extra` instead of being dropped:
//! load -> save gives back the same document.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};
use std::fmt;

pub type Object = Map<String, Value>;

/// The six calls of the Segment Spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallType {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

impl CallType {
    pub const ALL: [CallType; 6] = [
        CallType::Identify,
        CallType::Track,
        CallType::Page,
        CallType::Screen,
        CallType::Group,
        CallType::Alias,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Identify => "identify",
            CallType::Track => "track",
            CallType::Page => "page",
            CallType::Screen => "screen",
            CallType::Group => "group",
            CallType::Alias => "alias",
        }
    }

    pub fn parse(s: &str) -> Option<CallType> {
        CallType::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl fmt::Display for CallType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `version` and `channel` arrive both as numbers and as strings; both are kept as given.
#[derive(Clone, Debug, PartialEq)]
pub enum StrOrNum {
    Str(String),
    Num(Number),
}

impl StrOrNum {
    fn to_value(&self) -> Value {
        match self {
            StrOrNum::Str(s) => Value::String(s.clone()),
            StrOrNum::Num(n) => Value::Number(n.clone()),
        }
    }
}

impl fmt::Display for StrOrNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StrOrNum::Str(s) => f.write_str(s),
            StrOrNum::Num(n) => write!(f, "{n}"),
        }
    }
}

/// The fields that belong to one call type.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Identify {
        traits: Option<Object>,
    },
    Track {
        event: Option<String>,
        properties: Option<Object>,
    },
    Page {
        name: Option<String>,
        category: Option<String>,
        properties: Option<Object>,
    },
    Screen {
        name: Option<String>,
        category: Option<String>,
        properties: Option<Object>,
    },
    Group {
        group_id: Option<String>,
        traits: Option<Object>,
    },
    Alias {
        previous_id: Option<String>,
    },
}

/// One Segment event. Known fields are typed; everything else lives in `extra`, in its order.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    pub message_id: Option<String>,
    pub timestamp: Option<String>,
    pub sent_at: Option<String>,
    pub original_timestamp: Option<String>,
    pub received_at: Option<String>,
    pub context: Option<Object>,
    pub integrations: Option<Object>,
    pub version: Option<StrOrNum>,
    pub channel: Option<StrOrNum>,
    pub payload: Payload,
    pub extra: Object,
}

/// Why a JSON value is not an event of the model, with the path of the offending field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ModelError {
    pub path: String,
    pub message: String,
}

fn model_err(path: &str, message: impl Into<String>) -> ModelError {
    ModelError {
        path: path.to_string(),
        message: message.into(),
    }
}

/// Names a JSON value's kind for messages ("a number", "an array").
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Takes the keys of one call out of `rest` with typed readers; a null or ill-typed value stays
/// in `rest` (and so in `extra`), where the validator reports it.
/// Takes the typed fields out of an event's object. It borrows the object and copies only what
/// it takes, then the rest: cloning the whole object and removing keys from the clone cost
/// a tenth of a translation.
struct Taker<'a> {
    src: &'a Object,
    taken: Vec<&'static str>,
}

impl Taker<'_> {
    fn string(&mut self, key: &'static str) -> Option<String> {
        match self.src.get(key) {
            Some(Value::String(s)) => {
                self.taken.push(key);
                Some(s.clone())
            }
            _ => None,
        }
    }

    fn object(&mut self, key: &'static str) -> Option<Object> {
        match self.src.get(key) {
            Some(Value::Object(o)) => {
                self.taken.push(key);
                Some(o.clone())
            }
            _ => None,
        }
    }

    fn str_or_num(&mut self, key: &'static str) -> Option<StrOrNum> {
        match self.src.get(key) {
            Some(Value::String(s)) => {
                self.taken.push(key);
                Some(StrOrNum::Str(s.clone()))
            }
            Some(Value::Number(n)) => {
                self.taken.push(key);
                Some(StrOrNum::Num(n.clone()))
            }
            _ => None,
        }
    }

    /// Everything not taken (nor `type`), in the event's order.
    fn rest(&self) -> Object {
        self.src
            .iter()
            .filter(|(k, _)| k.as_str() != "type" && !self.taken.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

impl Event {
    /// A new event of a call with nothing else set.
    pub fn new(call: CallType) -> Event {
        let payload = match call {
            CallType::Identify => Payload::Identify { traits: None },
            CallType::Track => Payload::Track {
                event: None,
                properties: None,
            },
            CallType::Page => Payload::Page {
                name: None,
                category: None,
                properties: None,
            },
            CallType::Screen => Payload::Screen {
                name: None,
                category: None,
                properties: None,
            },
            CallType::Group => Payload::Group {
                group_id: None,
                traits: None,
            },
            CallType::Alias => Payload::Alias { previous_id: None },
        };
        Event {
            user_id: None,
            anonymous_id: None,
            message_id: None,
            timestamp: None,
            sent_at: None,
            original_timestamp: None,
            received_at: None,
            context: None,
            integrations: None,
            version: None,
            channel: None,
            payload,
            extra: Object::new(),
        }
    }

    pub fn call(&self) -> CallType {
        match self.payload {
            Payload::Identify { .. } => CallType::Identify,
            Payload::Track { .. } => CallType::Track,
            Payload::Page { .. } => CallType::Page,
            Payload::Screen { .. } => CallType::Screen,
            Payload::Group { .. } => CallType::Group,
            Payload::Alias { .. } => CallType::Alias,
        }
    }

    /// Reads an event. Only a missing or unknown `type` (or a non-object) is an error here;
    /// fields of the wrong type are kept as they are, for the validator to report.
    pub fn from_value(value: &Value) -> Result<Event, ModelError> {
        let Value::Object(obj) = value else {
            return Err(model_err(
                "$",
                format!("an event must be a JSON object, not {}", kind_of(value)),
            ));
        };
        let call = match obj.get("type") {
            Some(Value::String(s)) => CallType::parse(s).ok_or_else(|| {
                model_err(
                    "$.type",
                    format!(
                        "\"{s}\" is not a Segment call; use identify, track, page, screen, group or alias"
                    ),
                )
            })?,
            Some(other) => {
                return Err(model_err(
                    "$.type",
                    format!("type must be a string, not {}", kind_of(other)),
                ));
            }
            None => {
                return Err(model_err(
                    "$.type",
                    "the event has no type (identify, track, page, screen, group or alias)",
                ));
            }
        };
        let mut t = Taker {
            src: obj,
            taken: Vec::with_capacity(16),
        };
        let payload = match call {
            CallType::Identify => Payload::Identify {
                traits: t.object("traits"),
            },
            CallType::Track => Payload::Track {
                event: t.string("event"),
                properties: t.object("properties"),
            },
            CallType::Page => Payload::Page {
                name: t.string("name"),
                category: t.string("category"),
                properties: t.object("properties"),
            },
            CallType::Screen => Payload::Screen {
                name: t.string("name"),
                category: t.string("category"),
                properties: t.object("properties"),
            },
            CallType::Group => Payload::Group {
                group_id: t.string("groupId"),
                traits: t.object("traits"),
            },
            CallType::Alias => Payload::Alias {
                previous_id: t.string("previousId"),
            },
        };
        Ok(Event {
            user_id: t.string("userId"),
            anonymous_id: t.string("anonymousId"),
            message_id: t.string("messageId"),
            timestamp: t.string("timestamp"),
            sent_at: t.string("sentAt"),
            original_timestamp: t.string("originalTimestamp"),
            received_at: t.string("receivedAt"),
            context: t.object("context"),
            integrations: t.object("integrations"),
            version: t.str_or_num("version"),
            channel: t.str_or_num("channel"),
            payload,
            extra: t.rest(),
        })
    }

    /// Writes the event back: `type` first, then the typed fields, then the unknown ones.
    pub fn to_value(&self) -> Value {
        let mut m = Object::new();
        m.insert("type".into(), Value::String(self.call().as_str().into()));
        let put_str = |m: &mut Object, k: &str, v: &Option<String>| {
            if let Some(s) = v {
                m.insert(k.into(), Value::String(s.clone()));
            }
        };
        put_str(&mut m, "userId", &self.user_id);
        put_str(&mut m, "anonymousId", &self.anonymous_id);
        match &self.payload {
            Payload::Identify { traits } => put_obj(&mut m, "traits", traits),
            Payload::Track { event, properties } => {
                put_str(&mut m, "event", event);
                put_obj(&mut m, "properties", properties);
            }
            Payload::Page {
                name,
                category,
                properties,
            }
            | Payload::Screen {
                name,
                category,
                properties,
            } => {
                put_str(&mut m, "name", name);
                put_str(&mut m, "category", category);
                put_obj(&mut m, "properties", properties);
            }
            Payload::Group { group_id, traits } => {
                put_str(&mut m, "groupId", group_id);
                put_obj(&mut m, "traits", traits);
            }
            Payload::Alias { previous_id } => put_str(&mut m, "previousId", previous_id),
        }
        put_str(&mut m, "messageId", &self.message_id);
        put_str(&mut m, "timestamp", &self.timestamp);
        put_str(&mut m, "sentAt", &self.sent_at);
        put_str(&mut m, "originalTimestamp", &self.original_timestamp);
        put_str(&mut m, "receivedAt", &self.received_at);
        put_obj(&mut m, "context", &self.context);
        put_obj(&mut m, "integrations", &self.integrations);
        if let Some(v) = &self.version {
            m.insert("version".into(), v.to_value());
        }
        if let Some(c) = &self.channel {
            m.insert("channel".into(), c.to_value());
        }
        for (k, v) in &self.extra {
            m.insert(k.clone(), v.clone());
        }
        Value::Object(m)
    }

    /// `traits` of identify and group, `properties` of track, page and screen.
    pub fn traits(&self) -> Option<&Object> {
        match &self.payload {
            Payload::Identify { traits } | Payload::Group { traits, .. } => traits.as_ref(),
            _ => None,
        }
    }

    pub fn properties(&self) -> Option<&Object> {
        match &self.payload {
            Payload::Track { properties, .. }
            | Payload::Page { properties, .. }
            | Payload::Screen { properties, .. } => properties.as_ref(),
            _ => None,
        }
    }

    /// The track event name.
    pub fn event_name(&self) -> Option<&str> {
        match &self.payload {
            Payload::Track { event, .. } => event.as_deref(),
            _ => None,
        }
    }

    /// The page or screen name.
    pub fn name(&self) -> Option<&str> {
        match &self.payload {
            Payload::Page { name, .. } | Payload::Screen { name, .. } => name.as_deref(),
            _ => None,
        }
    }

    pub fn group_id(&self) -> Option<&str> {
        match &self.payload {
            Payload::Group { group_id, .. } => group_id.as_deref(),
            _ => None,
        }
    }

    pub fn previous_id(&self) -> Option<&str> {
        match &self.payload {
            Payload::Alias { previous_id } => previous_id.as_deref(),
            _ => None,
        }
    }

    /// A value in `context` by a dotted path of keys (`context_at(&["page", "url"])`).
    pub fn context_at(&self, keys: &[&str]) -> Option<&Value> {
        let mut cur = self.context.as_ref()?.get(*keys.first()?)?;
        for k in &keys[1..] {
            cur = cur.as_object()?.get(*k)?;
        }
        Some(cur)
    }

    /// A short label for lists and history: the event name, page name, group id or call.
    pub fn label(&self) -> String {
        let detail = match &self.payload {
            Payload::Track { event, .. } => event.clone(),
            Payload::Page { name, .. } | Payload::Screen { name, .. } => name.clone(),
            Payload::Group { group_id, .. } => group_id.clone(),
            Payload::Alias { previous_id } => previous_id.as_ref().map(|p| format!("{p} -> …")),
            Payload::Identify { .. } => self.user_id.clone().or(self.anonymous_id.clone()),
        };
        match detail {
            Some(d) if !d.is_empty() => format!("{} {}", self.call(), d),
            _ => self.call().to_string(),
        }
    }
}

fn put_obj(m: &mut Object, k: &str, v: &Option<Object>) {
    if let Some(o) = v {
        m.insert(k.into(), Value::Object(o.clone()));
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        let v = Value::deserialize(d)?;
        Event::from_value(&v).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_fields_and_unknown_ones_survive() {
        let v = json!({
            "type": "track", "userId": "u1", "event": "Order Completed",
            "properties": {"revenue": 42.5, "x": {"deep": [1, null]}},
            "version": 2, "channel": "server", "weird": null, "anonymousId": null,
            "context": {"ip": "1.2.3.4", "custom": true}
        });
        let e = Event::from_value(&v).unwrap();
        assert_eq!(e.call(), CallType::Track);
        assert_eq!(e.event_name(), Some("Order Completed"));
        assert_eq!(e.version, Some(StrOrNum::Num(2.into())));
        assert_eq!(e.channel, Some(StrOrNum::Str("server".into())));
        assert!(e.anonymous_id.is_none());
        assert_eq!(e.extra.get("anonymousId"), Some(&Value::Null));
        assert_eq!(e.to_value(), v);
    }

    #[test]
    fn ill_typed_fields_are_kept_verbatim() {
        let v = json!({"type": "identify", "userId": 7, "traits": "nope"});
        let e = Event::from_value(&v).unwrap();
        assert!(e.user_id.is_none() && e.traits().is_none());
        assert_eq!(e.to_value(), v);
    }

    #[test]
    fn type_errors_name_the_path() {
        let err = Event::from_value(&json!({"type": "click"})).unwrap_err();
        assert_eq!(err.path, "$.type");
        assert!(err.message.contains("\"click\""));
        assert_eq!(Event::from_value(&json!([])).unwrap_err().path, "$");
        assert!(Event::from_value(&json!({})).is_err());
    }

    #[test]
    fn serde_round_trip() {
        let text = r#"{"type":"alias","previousId":"a","userId":"b","z":1}"#;
        let e: Event = serde_json::from_str(text).unwrap();
        assert_eq!(e.previous_id(), Some("a"));
        let back = serde_json::to_value(&e).unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(text).unwrap());
    }
}
