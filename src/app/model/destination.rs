//! The destination bar: picker (with each one's accepted calls), mode, target, and the settings
//! form built from the destination's schema (secrets masked with reveal, checked as you type).

use crate::destinations::{Mode, Settings, Target};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Where one destination's requests go, as the user chose it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TargetChoice {
    #[default]
    Sandbox,
    Live,
    Custom {
        url: String,
    },
}

impl TargetChoice {
    pub fn resolve(&self, sandbox_base: &str) -> Target {
        match self {
            TargetChoice::Sandbox => Target::Sandbox {
                base: sandbox_base.to_string(),
            },
            TargetChoice::Live => Target::Live,
            TargetChoice::Custom { url } => Target::Custom { url: url.clone() },
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            TargetChoice::Sandbox => "sandbox",
            TargetChoice::Live => "live",
            TargetChoice::Custom { .. } => "custom URL",
        }
    }
}

/// One destination's configuration in the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DestConfig {
    pub settings: Settings,
    pub mode: Mode,
    pub target: TargetChoice,
}

/// What a JSON-valued setting holds once typed: the JSON, or the text itself when it is not
/// JSON (the settings check then says why), `None` when empty. Bounded like an event: deeper
/// JSON would make a settings file that cannot be read back, and would be moved aside.
pub fn map_value(text: &str) -> Option<Value> {
    match crate::json::text::parse_event(text) {
        Ok(v) => Some(v),
        Err(_) if text.trim().is_empty() => None,
        Err(_) => Some(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod map_value_tests {
    use super::*;

    #[test]
    fn json_text_or_the_text_itself_never_deeper_than_an_event() {
        assert_eq!(
            map_value("{\"X-Team\": \"growth\"}"),
            Some(serde_json::json!({"X-Team": "growth"}))
        );
        assert_eq!(map_value("  "), None);
        assert_eq!(map_value("{broken"), Some(Value::String("{broken".into())));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(map_value(&deep), Some(Value::String(deep.clone())));
        let too_deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(map_value(&too_deep), Some(Value::String(too_deep.clone())));
    }
}
