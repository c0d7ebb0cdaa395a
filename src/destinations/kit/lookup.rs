//! Reading values out of an event the way translators need them: blank text counts as missing,
//! and a destination's own required-field check does not repeat what the generic rules already say.

use crate::event::{CallType, Event};
use serde_json::Value;

/// Text that is really there: a string with something besides spaces.
pub fn text(v: Option<&Value>) -> Option<&str> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// A string or a number as text (ids arrive as both); anything else counts as missing.
pub fn scalar(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::Number(n)) => Some(n.to_string()),
        other => text(other).map(str::to_string),
    }
}

/// A typed id field that is really there.
/// Non-blank text.
pub fn has_text(s: Option<&str>) -> bool {
    s.is_some_and(|s| !s.trim().is_empty())
}

/// A value a destination can send as an id: non-blank text or a number.
pub fn usable(v: Option<&Value>) -> bool {
    scalar(v).is_some()
}

/// The event has no userId, and the generic rules said nothing about it (an anonymousId
/// stood in), so a destination that needs a userId must say so itself.
pub fn user_id_missing_unreported(e: &Event) -> bool {
    id(&e.user_id).is_none() && !generic_flags_user_id(e)
}

pub fn id(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|s| !s.trim().is_empty())
}

/// A value that is present and not null.
pub fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// Whether the generic rules (event::validate) already report `$.userId` for this event, so a
/// destination asking for a userId would only say the same thing twice.
pub fn generic_flags_user_id(e: &Event) -> bool {
    let ill_typed = e.extra.get("userId").is_some_and(|v| !v.is_null());
    let no_user = id(&e.user_id).is_none();
    let no_anon = id(&e.anonymous_id).is_none();
    ill_typed || (no_user && (e.call() == CallType::Alias || no_anon))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(v: Value) -> Event {
        Event::from_value(&v).unwrap()
    }

    #[test]
    fn blank_text_is_missing() {
        assert_eq!(text(Some(&json!("a"))), Some("a"));
        assert_eq!(text(Some(&json!("  "))), None);
        assert_eq!(text(Some(&json!(3))), None);
        assert_eq!(scalar(Some(&json!(3))), Some("3".into()));
        assert_eq!(scalar(Some(&json!(null))), None);
        assert_eq!(id(&Some(" ".into())), None);
    }

    #[test]
    fn user_id_reported_once() {
        assert!(generic_flags_user_id(&ev(json!({"type": "identify"}))));
        assert!(generic_flags_user_id(&ev(
            json!({"type": "identify", "userId": 7, "anonymousId": "a"})
        )));
        assert!(!generic_flags_user_id(&ev(
            json!({"type": "identify", "anonymousId": "a"})
        )));
        assert!(!generic_flags_user_id(&ev(
            json!({"type": "identify", "userId": null, "anonymousId": "a"})
        )));
        assert!(generic_flags_user_id(&ev(
            json!({"type": "alias", "anonymousId": "a", "previousId": "p"})
        )));
        assert!(!generic_flags_user_id(&ev(
            json!({"type": "track", "userId": "u"})
        )));
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
