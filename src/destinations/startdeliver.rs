//! Startdeliver (docs/destinations.md §3): page and track calls as Segment's partner webhook,
//! and the rule by which Startdeliver finds (or creates) the user an event belongs to.

use super::kit::lookup::{has_text, user_id_missing_unreported};
use super::kit::sandbox_credentials::API_KEY;
use super::kit::settings::to_settings;
use super::{
    Basis, Built, Ctx, Destination, Mode, Need, SettingField, SettingKind, Settings, Target,
    kit::segment_webhook, kit::settings,
};
use crate::event::{CallType, Event, Finding};
use serde_json::json;

pub struct Startdeliver;

pub const MATCH_FIELD: &str = "startdeliverUserCustomFieldToMatchOn";
pub const SYNC_BY_EMAIL: &str = "syncUsingEmailInsteadOfCustomField";

const SCHEMA: &[SettingField] = &[
    SettingField::text(
        "apiKey",
        "API key",
        "The API key from Startdeliver's settings; Segment sends it as the Basic auth user name.",
    )
    .required()
    .secret()
    .min_len(8),
    SettingField::text(
        MATCH_FIELD,
        "User custom field to match on",
        "The alias of the Startdeliver user custom field that holds your userId, for example externalId.",
    )
    .required()
    .segment(),
    SettingField::text(
        SYNC_BY_EMAIL,
        "Match on email instead of the custom field",
        "Find users by email; events without an email still match on the custom field and userId.",
    )
    .kind(SettingKind::Bool)
    .default("false")
    .segment(),
    SettingField::text(
        "webhookEndpoint",
        "Webhook endpoint",
        "The URL Segment would POST to. Startdeliver publishes none, so the live target needs it.",
    )
    .kind(SettingKind::Url)
    .need(Need::LiveInMode(Mode::SegmentWebhook)),
];

/// Where an email is looked for, in order (the first usable one wins).
const EMAIL_SOURCES: &[&[&str]] = &[
    &["email"],
    &["traits", "email"],
    &["context", "traits", "email"],
    &["properties", "email"],
];

/// How Startdeliver finds the user of an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Match {
    /// The user whose custom field `field` holds `value` (the userId). `email_missing` is true
    /// when email matching is on but the event had no usable email (the fallback).
    CustomField {
        field: String,
        value: String,
        email_missing: bool,
    },
    /// The user with this email, found at `from` (`traits.email`).
    Email { email: String, from: String },
}

impl Match {
    /// The user field matched on: the custom field's alias, or `email`.
    pub fn field(&self) -> &str {
        match self {
            Match::CustomField { field, .. } => field,
            Match::Email { .. } => "email",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Match::CustomField { value, .. } => value,
            Match::Email { email, .. } => email,
        }
    }

    /// The matching in words, for the preview.
    pub fn sentence(&self) -> String {
        match self {
            Match::CustomField {
                field,
                value,
                email_missing: false,
            } => format!(
                "Matches the Startdeliver user whose `{field}` is `{value}`; creates that user if none matches."
            ),
            Match::CustomField {
                field,
                value,
                email_missing: true,
            } => format!(
                "{SYNC_BY_EMAIL} is on but the event has no usable email (looked in {}), so it falls back to userId: matches the Startdeliver user whose `{field}` is `{value}`; creates that user if none matches.",
                email_places()
            ),
            Match::Email { email, from } => format!(
                "Matches the Startdeliver user whose email is `{email}` (from `{from}`); creates that user if none matches."
            ),
        }
    }
}

/// How Startdeliver would match this event's user with these settings, or `None` when the event
/// gives nothing to match on. The sandbox uses it too, so both sides agree.
pub fn match_value(event: &Event, s: &Settings) -> Option<Match> {
    let by_email = settings::flag(SCHEMA, s, SYNC_BY_EMAIL);
    if by_email && let Some((email, from)) = find_email(event) {
        return Some(Match::Email { email, from });
    }
    let user_id = event.user_id.as_deref().filter(|u| has_text(Some(u)))?;
    Some(Match::CustomField {
        field: settings::text(s, MATCH_FIELD),
        value: user_id.to_string(),
        email_missing: by_email,
    })
}

/// The first usable email and where it was (`traits.email`).
fn find_email(event: &Event) -> Option<(String, String)> {
    let doc = event.to_value();
    EMAIL_SOURCES.iter().find_map(|keys| {
        let mut cur = &doc;
        for k in *keys {
            cur = cur.as_object()?.get(*k)?;
        }
        let email = cur.as_str()?.trim();
        usable_email(email).then(|| (email.to_string(), keys.join(".")))
    })
}

/// Text with something on both sides of an `@`: anything less cannot name a user. The sandbox
/// skips the same emails, so its match is the one the preview announces.
pub fn usable_email(s: &str) -> bool {
    matches!(s.split_once('@'), Some((local, domain)) if !local.is_empty() && !domain.is_empty())
        && !s.contains(char::is_whitespace)
}

fn email_places() -> String {
    let names: Vec<String> = EMAIL_SOURCES.iter().map(|k| k.join(".")).collect();
    names.join(", ")
}

impl Destination for Startdeliver {
    fn id(&self) -> &'static str {
        "startdeliver"
    }

    fn integration_name(&self) -> &'static str {
        "Startdeliver"
    }

    fn calls(&self) -> &'static [CallType] {
        &[CallType::Page, CallType::Track]
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::SegmentWebhook]
    }

    fn sandbox_settings(&self) -> Settings {
        to_settings(json!({
            "apiKey": API_KEY,
            "startdeliverUserCustomFieldToMatchOn": "externalId",
            "syncUsingEmailInsteadOfCustomField": false,
        }))
    }

    fn settings_schema(&self) -> &'static [SettingField] {
        SCHEMA
    }

    fn live_base(&self, _settings: &Settings) -> Option<String> {
        None
    }

    fn check(&self, _event: &Event, _mode: Mode) -> Vec<Finding> {
        // Every rule of Startdeliver depends on its matching settings: see `check_setup`.
        Vec::new()
    }

    fn check_setup(&self, event: &Event, _mode: Mode, s: &Settings, _t: &Target) -> Vec<Finding> {
        // With neither id the generic rules already reject the event at `$.userId`.
        if match_value(event, s).is_some() || !user_id_missing_unreported(event) {
            return Vec::new();
        }
        let field = settings::text(s, MATCH_FIELD);
        let field = if field.is_empty() {
            "custom field".to_string()
        } else {
            format!("custom field `{field}`")
        };
        let message = if settings::flag(SCHEMA, s, SYNC_BY_EMAIL) {
            format!(
                "Startdeliver has no user to match: the event has no usable email (looked in {}) and no userId for the {field}.",
                email_places()
            )
        } else {
            format!(
                "Startdeliver matches users on userId through the {field}, and this event has no userId. Add one, or turn on {SYNC_BY_EMAIL} to match on email."
            )
        };
        vec![Finding::error("$.userId", message)]
    }

    fn build(&self, ctx: &Ctx) -> Built {
        let description = format!("Forward {}", ctx.event.label());
        let request = segment_webhook::request(self, ctx, Basis::Documented, &description);
        Built {
            requests: vec![request],
            notes: match_value(ctx.event, ctx.settings)
                .map(|m| m.sentence())
                .into_iter()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn ev(v: Value) -> Event {
        Event::from_value(&v).unwrap()
    }

    fn settings(by_email: Value) -> Settings {
        let mut s = Settings::new();
        s.insert(MATCH_FIELD.into(), json!("externalId"));
        s.insert(SYNC_BY_EMAIL.into(), by_email);
        s
    }

    #[test]
    fn by_default_the_user_id_matches_on_the_custom_field() {
        let e = ev(json!({
            "type": "track", "userId": "u_4f8a2c", "event": "Report Exported",
            "context": {"traits": {"email": "dana.reyes@example.com"}}
        }));
        let m = match_value(&e, &settings(Value::Null)).unwrap();
        assert_eq!(
            m,
            Match::CustomField {
                field: "externalId".into(),
                value: "u_4f8a2c".into(),
                email_missing: false
            }
        );
        assert_eq!((m.field(), m.value()), ("externalId", "u_4f8a2c"));
        assert_eq!(
            m.sentence(),
            "Matches the Startdeliver user whose `externalId` is `u_4f8a2c`; creates that user if none matches."
        );
    }

    #[test]
    fn email_sources_are_tried_in_order() {
        let e = ev(json!({
            "type": "page", "userId": "u_4f8a2c",
            "properties": {"email": "props@example.com"},
            "context": {"traits": {"email": "ctx@example.com"}},
            "traits": {"email": "not an email"}
        }));
        let m = match_value(&e, &settings(json!(true))).unwrap();
        assert_eq!(
            m,
            Match::Email {
                email: "ctx@example.com".into(),
                from: "context.traits.email".into()
            }
        );
        let root = ev(json!({
            "type": "track", "event": "Signed In", "anonymousId": "anon_9d1e",
            "email": " dana.reyes@example.com ", "traits": {"email": "other@example.com"}
        }));
        let m = match_value(&root, &settings(json!("true"))).unwrap();
        assert_eq!(m.value(), "dana.reyes@example.com");
        assert_eq!(m.field(), "email");
        assert!(m.sentence().contains("(from `email`)"));
    }

    #[test]
    fn without_an_email_the_user_id_is_the_fallback() {
        let e = ev(
            json!({"type": "track", "userId": "u_4f8a2c", "event": "Signed In",
                          "properties": {"email": "@example.com"}}),
        );
        let m = match_value(&e, &settings(json!(true))).unwrap();
        assert_eq!(
            m,
            Match::CustomField {
                field: "externalId".into(),
                value: "u_4f8a2c".into(),
                email_missing: true
            }
        );
        assert!(m.sentence().starts_with(
            "syncUsingEmailInsteadOfCustomField is on but the event has no usable email"
        ));
    }

    #[test]
    fn nothing_to_match_on() {
        let anon = ev(
            json!({"type": "track", "anonymousId": "anon_9d1e", "event": "Signed In",
                             "properties": {"email": "dana.reyes@example.com"}}),
        );
        // Email matching is off, so the email does not count.
        assert_eq!(match_value(&anon, &settings(json!(false))), None);
        let blank = ev(json!({"type": "track", "userId": " ", "event": "Signed In"}));
        assert_eq!(match_value(&blank, &settings(json!(true))), None);
    }

    #[test]
    fn usable_emails() {
        assert!(usable_email("dana.reyes@example.com"));
        assert!(!usable_email("dana.reyes"));
        assert!(!usable_email("dana@"));
        assert!(!usable_email("@example.com"));
        assert!(!usable_email("dana reyes@example.com"));
    }
}
