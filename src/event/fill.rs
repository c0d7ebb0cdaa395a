//! Filling what the console can supply: a messageId, a timestamp, an anonymousId.
//! The caller passes the clock and the id source, so tests are exact.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FillOptions {
    pub message_id: bool,
    pub timestamp: bool,
    /// Only when the event has neither a userId nor an anonymousId.
    pub anonymous_id: bool,
}

impl FillOptions {
    /// What the spec asks for: messageId and timestamp.
    pub const IDS_AND_TIME: FillOptions = FillOptions {
        message_id: true,
        timestamp: true,
        anonymous_id: false,
    };
    /// The composer's "Fill ids and time".
    pub const ALL: FillOptions = FillOptions {
        message_id: true,
        timestamp: true,
        anonymous_id: true,
    };
}

/// Fills the missing fields of an event object in place and returns the keys it filled.
/// A field that is present with any value (even a wrong one) is left for the validator.
pub fn fill(
    event: &mut Value,
    opts: FillOptions,
    now: DateTime<Utc>,
    new_id: &mut dyn FnMut() -> uuid::Uuid,
) -> Vec<&'static str> {
    let Value::Object(obj) = event else {
        return Vec::new();
    };
    let mut filled = Vec::new();
    let missing = |o: &serde_json::Map<String, Value>, k: &str| match o.get(k) {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    };
    if opts.message_id && missing(obj, "messageId") {
        obj.insert("messageId".into(), Value::String(new_id().to_string()));
        filled.push("messageId");
    }
    if opts.timestamp && missing(obj, "timestamp") {
        obj.insert(
            "timestamp".into(),
            Value::String(now.to_rfc3339_opts(SecondsFormat::Millis, true)),
        );
        filled.push("timestamp");
    }
    if opts.anonymous_id && missing(obj, "anonymousId") && missing(obj, "userId") {
        obj.insert("anonymousId".into(), Value::String(new_id().to_string()));
        filled.push("anonymousId");
    }
    filled
}

/// The id source for real use: random UUID v4.
pub fn random_id() -> uuid::Uuid {
    uuid::Uuid::new_v4()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn fixed_ids() -> impl FnMut() -> uuid::Uuid {
        let mut n = 0u128;
        move || {
            n += 1;
            uuid::Builder::from_random_bytes(n.to_be_bytes()).into_uuid()
        }
    }

    #[test]
    fn fills_exactly_what_is_missing() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let mut ids = fixed_ids();
        let mut e = json!({"type": "track", "event": "X", "userId": "u"});
        let filled = fill(&mut e, FillOptions::ALL, now, &mut ids);
        assert_eq!(filled, vec!["messageId", "timestamp"]);
        assert_eq!(e["timestamp"], "2026-03-01T12:00:00.000Z");
        let id = uuid::Uuid::parse_str(e["messageId"].as_str().unwrap()).unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_eq!(id.to_string(), "00000000-0000-4000-8000-000000000001");
        // Already filled: nothing changes.
        let before = e.clone();
        assert!(fill(&mut e, FillOptions::ALL, now, &mut ids).is_empty());
        assert_eq!(e, before);
    }

    #[test]
    fn anonymous_id_only_without_any_id() {
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
        let mut ids = fixed_ids();
        let mut e = json!({"type": "page", "messageId": 5, "timestamp": "x"});
        assert_eq!(
            fill(&mut e, FillOptions::ALL, now, &mut ids),
            vec!["anonymousId"]
        );
        assert_eq!(e["messageId"], 5);
        let mut e2 = json!({"type": "page"});
        assert_eq!(
            fill(&mut e2, FillOptions::IDS_AND_TIME, now, &mut ids),
            vec!["messageId", "timestamp"]
        );
        assert!(e2.get("anonymousId").is_none());
    }
}
