//! The Integrations object, read as Segment reads it (docs/segment-spec.md).

use serde_json::Value;

/// Whether a destination named `name` (its Integrations-object name, case-sensitive) gets the
/// event. `Err` carries the reason it is off, in words, for a `skipped` outcome.
pub fn enabled(integrations: Option<&Value>, name: &str) -> Result<(), String> {
    let Some(Value::Object(map)) = integrations else {
        return Ok(());
    };
    match map.get(name) {
        Some(Value::Bool(false)) => Err(format!("integrations.{name} is false")),
        Some(_) => Ok(()),
        None => match map.get("All") {
            Some(Value::Bool(false)) => Err(format!(
                "integrations.All is false and integrations has no key \"{name}\""
            )),
            _ => Ok(()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::enabled;
    use serde_json::json;

    #[test]
    fn the_rules_of_the_spec() {
        assert!(enabled(None, "Skalin").is_ok());
        assert!(enabled(Some(&json!({})), "Skalin").is_ok());
        assert_eq!(
            enabled(Some(&json!({"Skalin": false})), "Skalin").unwrap_err(),
            "integrations.Skalin is false"
        );
        // Case-sensitive: a differently cased key does not count.
        assert!(enabled(Some(&json!({"skalin": false})), "Skalin").is_ok());
        assert!(enabled(Some(&json!({"All": false})), "Skalin").is_err());
        assert!(enabled(Some(&json!({"All": false, "Skalin": true})), "Skalin").is_ok());
        // An object of options, or any non-boolean, counts as on.
        assert!(enabled(Some(&json!({"All": false, "Skalin": {"x": 1}})), "Skalin").is_ok());
        assert!(enabled(Some(&json!({"All": false, "Skalin": 0})), "Skalin").is_ok());
        assert!(enabled(Some(&json!({"Skalin": "false"})), "Skalin").is_ok());
        assert!(enabled(Some(&json!({"All": true, "Skalin": false})), "Skalin").is_err());
        // A non-object integrations value is ignored here (the validator reports it).
        assert!(enabled(Some(&json!("off")), "Skalin").is_ok());
    }
}
