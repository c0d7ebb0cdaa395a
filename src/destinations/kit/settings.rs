//! Destination settings: a schema per destination, values as a JSON object, checks in words.

use crate::destinations::{Mode, Target};
use crate::event::Finding;
use serde_json::{Map, Value};

/// A destination's settings: `{"apiKey": "...", ...}`.
pub type Settings = Map<String, Value>;

/// The object inside a JSON value, for settings written with `json!`.
pub fn to_settings(v: Value) -> Settings {
    match v {
        Value::Object(o) => o,
        _ => Map::new(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKind {
    Text,
    Bool,
    Url,
    /// An object of string values (extra headers).
    Map,
}

/// When a setting must have a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Optional,
    Always,
    /// Required in this mode.
    InMode(Mode),
    /// Required in this mode when sending to the live target (the partner's endpoint is not public).
    LiveInMode(Mode),
    /// Required when sending to the live target, in any mode; elsewhere unused, and its absence
    /// only a warning (it will be needed to go live).
    Live,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SettingField {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: SettingKind,
    pub need: Need,
    pub secret: bool,
    /// A default as JSON text (`"false"`, `"\"externalId\""`), if any.
    pub default: Option<&'static str>,
    pub help: &'static str,
    pub min_len: Option<usize>,
    /// Segment's own destination has this setting, so its partner webhook forwards it in
    /// `X-Segment-Settings`; the console's own settings (an endpoint, a domain) stay out.
    pub segment: bool,
}

impl SettingField {
    pub const fn text(key: &'static str, label: &'static str, help: &'static str) -> SettingField {
        SettingField {
            key,
            label,
            kind: SettingKind::Text,
            need: Need::Optional,
            secret: false,
            default: None,
            help,
            min_len: None,
            segment: false,
        }
    }

    pub const fn kind(mut self, kind: SettingKind) -> SettingField {
        self.kind = kind;
        self
    }

    pub const fn need(mut self, need: Need) -> SettingField {
        self.need = need;
        self
    }

    pub const fn required(self) -> SettingField {
        self.need(Need::Always)
    }

    pub const fn secret(mut self) -> SettingField {
        self.secret = true;
        self
    }

    pub const fn default(mut self, json: &'static str) -> SettingField {
        self.default = Some(json);
        self
    }

    /// A setting of Segment's own destination (forwarded in `X-Segment-Settings`).
    pub const fn segment(mut self) -> SettingField {
        self.segment = true;
        self
    }

    pub const fn min_len(mut self, n: usize) -> SettingField {
        self.min_len = Some(n);
        self
    }

    pub fn default_value(&self) -> Option<Value> {
        self.default.and_then(|d| serde_json::from_str(d).ok())
    }

    fn needed(&self, mode: Mode, target: &Target) -> bool {
        match self.need {
            Need::Optional => false,
            Need::Always => true,
            Need::InMode(m) => m == mode,
            Need::LiveInMode(m) => m == mode && matches!(target, Target::Live),
            Need::Live => matches!(target, Target::Live),
        }
    }
}

/// A setting's value with the schema's default applied.
pub fn value(schema: &[SettingField], settings: &Settings, key: &str) -> Option<Value> {
    match settings.get(key) {
        Some(Value::Null) | None => schema
            .iter()
            .find(|s| s.key == key)
            .and_then(SettingField::default_value),
        Some(v) => Some(v.clone()),
    }
}

/// The text of a setting ("" when unset).
pub fn text(settings: &Settings, key: &str) -> String {
    match settings.get(key) {
        Some(Value::String(s)) => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A boolean setting, with the schema default.
pub fn flag(schema: &[SettingField], settings: &Settings, key: &str) -> bool {
    match value(schema, settings, key) {
        Some(Value::Bool(b)) => b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// Every problem with the settings for this mode and target, at `settings.<key>`.
pub fn check(
    schema: &[SettingField],
    settings: &Settings,
    mode: Mode,
    target: &Target,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for spec in schema {
        let path = format!("settings.{}", spec.key);
        let v = value(schema, settings, spec.key);
        let empty = match &v {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            _ => false,
        };
        if empty {
            if spec.needed(mode, target) {
                let when = match spec.need {
                    Need::LiveInMode(_) => {
                        " to send to the live target (the partner publishes no endpoint, so give the one Segment would call)"
                    }
                    Need::Live => " to send to the live target",
                    Need::InMode(m) => match m {
                        Mode::PartnerApi => " in partner-api mode",
                        Mode::SegmentWebhook => " in segment-webhook mode",
                    },
                    _ => "",
                };
                out.push(Finding::error(
                    path,
                    format!("{} is required{when}.", spec.label),
                ));
            } else if spec.need == Need::Live {
                out.push(Finding::warning(
                    path,
                    format!(
                        "{} is not used for this target, but is required to send live.",
                        spec.label
                    ),
                ));
            }
            continue;
        }
        let v = v.unwrap_or(Value::Null);
        match spec.kind {
            SettingKind::Bool => {
                if !(v.is_boolean() || v == "true" || v == "false") {
                    out.push(Finding::error(
                        path,
                        format!("{} must be true or false.", spec.label),
                    ));
                }
            }
            SettingKind::Map => {
                let ok = v
                    .as_object()
                    .is_some_and(|o| o.values().all(Value::is_string));
                if !ok {
                    out.push(Finding::error(
                        path,
                        format!("{} must be an object of names to text values.", spec.label),
                    ));
                }
            }
            SettingKind::Text | SettingKind::Url => {
                let Some(s) = v.as_str() else {
                    out.push(Finding::error(
                        path,
                        format!("{} must be text.", spec.label),
                    ));
                    continue;
                };
                if let Some(n) = spec.min_len
                    && s.trim().chars().count() < n
                {
                    out.push(Finding::error(
                        path.clone(),
                        format!("{} must be at least {n} characters long.", spec.label),
                    ));
                }
                if spec.kind == SettingKind::Url && !looks_like_url(s.trim()) {
                    out.push(Finding::error(
                        path,
                        format!(
                            "{} must be an http:// or https:// URL, not \"{}\".",
                            spec.label,
                            s.trim()
                        ),
                    ));
                }
            }
        }
    }
    out
}

pub fn looks_like_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    matches!(rest, Some(r) if !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

/// The secret values present in these settings, for masking.
pub fn secrets(schema: &[SettingField], settings: &Settings) -> Vec<String> {
    schema
        .iter()
        .filter(|s| s.secret)
        .map(|s| text(settings, s.key))
        .filter(|s| !s.is_empty())
        .collect()
}
