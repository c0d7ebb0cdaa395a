//! Small tests of presence that destinations share when they check their own required fields.

use crate::spec::Event;
use serde_json::Value;

/// A string with something other than spaces in it.
pub fn has_text(s: Option<&str>) -> bool {
    s.is_some_and(|s| !s.trim().is_empty())
}

/// A value a partner can use as an id or a name: non-blank text or a number.
pub fn usable(v: Option<&Value>) -> bool {
    match v {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Number(_)) => true,
        _ => false,
    }
}

/// True when a destination that needs `userId` must say so itself. The generic rules already
/// report `$.userId` when the event has no usable anonymousId either, or a userId that is not a
/// string; a second finding at the same path would only repeat them.
pub fn user_id_missing_unreported(event: &Event) -> bool {
    let ill_typed = event.extra.get("userId").is_some_and(|v| !v.is_null());
    !has_text(event.user_id.as_deref()) && has_text(event.anonymous_id.as_deref()) && !ill_typed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(v: Value) -> Event {
        Event::from_value(&v).unwrap()
    }

    #[test]
    fn only_an_anonymous_id_is_left_to_the_destination() {
        let anon = ev(json!({"type": "track", "anonymousId": "anon_9d1e"}));
        assert!(user_id_missing_unreported(&anon));
        let blank = ev(json!({"type": "track", "userId": "  ", "anonymousId": "anon_9d1e"}));
        assert!(user_id_missing_unreported(&blank));
        let neither = ev(json!({"type": "track"}));
        assert!(!user_id_missing_unreported(&neither));
        let number = ev(json!({"type": "track", "userId": 7, "anonymousId": "anon_9d1e"}));
        assert!(!user_id_missing_unreported(&number));
        let known = ev(json!({"type": "track", "userId": "u_4f8a2c"}));
        assert!(!user_id_missing_unreported(&known));
    }

    #[test]
    fn usable_values() {
        assert!(usable(Some(&json!("acc_acme"))));
        assert!(usable(Some(&json!(42))));
        assert!(!usable(Some(&json!(" "))));
        assert!(!usable(Some(&json!(null))));
        assert!(!usable(Some(&json!({"id": 1}))));
        assert!(!usable(None));
    }
}
