//! Masking secrets: every place that shows, logs, exports or saves a value that may hold a
//! destination's key goes through here, so a key never leaves the settings file unmasked.

use serde_json::Value;

/// What a secret looks like once masked.
pub const MASK: &str = "••••••••";

/// Replaces each secret inside string values (values only, never keys) by [`MASK`]; returns how
/// many strings changed.
pub fn mask_secrets(v: &mut Value, secrets: &[&str]) -> usize {
    if secrets.is_empty() {
        return 0;
    }
    match v {
        Value::String(s) if secrets.iter().any(|sec| s.contains(sec)) => {
            for sec in secrets {
                *s = s.replace(sec, MASK);
            }
            1
        }
        Value::Array(a) => a.iter_mut().map(|x| mask_secrets(x, secrets)).sum(),
        Value::Object(o) => o.values_mut().map(|x| mask_secrets(x, secrets)).sum(),
        _ => 0,
    }
}

/// Whether any non-empty secret may be in the JSON text `json`: it occurs in the bytes, or it
/// has a character JSON escapes (a search of the text would miss it). When this says no,
/// masking the value the text encodes changes nothing, so the costly masking can be skipped.
pub fn may_hold_secrets(json: &[u8], secrets: &[&str]) -> bool {
    let escaped = |s: &str| s.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
    secrets
        .iter()
        .filter(|s| !s.is_empty())
        .any(|s| escaped(s) || memchr::memmem::find(json, s.as_bytes()).is_some())
}

/// Replaces every non-empty secret inside a text by [`MASK`].
pub fn mask_text(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| !s.is_empty()) {
        out = out.replace(s, MASK);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_values_not_keys() {
        let mut v = json!({"key-123": "a key-123 b", "n": ["key-123"], "k": 1});
        assert_eq!(mask_secrets(&mut v, &["key-123"]), 2);
        assert_eq!(
            v,
            json!({"key-123": format!("a {MASK} b"), "n": [MASK], "k": 1})
        );
        assert_eq!(
            mask_text("x key-123", &["", "key-123"]),
            format!("x {MASK}")
        );
    }
}
