//! Startdeliver's receiver of Segment's partner webhook (docs/destinations.md sections 1 and 3):
//! `/startdeliver/segment`. It finds the Startdeliver user an event belongs to, creates that
//! user when none matches, and records the event as usage.
//!
//! Matching, as section 3 says: by default the custom field named by
//! `startdeliverUserCustomFieldToMatchOn` must equal `userId`; with
//! `syncUsingEmailInsteadOfCustomField` on, the user's email must equal the first usable one of
//! `email`, `traits.email`, `context.traits.email`, `properties.email` (compared without regard
//! to case), falling back to the custom field when the event has no usable email.
//! The reply says what happened: `{"result": "matched" | "created", "matchedOn": ..., "value":
//! ..., "user": {...}}`.

use super::segment_webhook::{self, Envelope, text};
use crate::destinations::startdeliver::usable_email;
use crate::event::CallType;
use crate::sandbox::state::{SdUsage, SdUser, Startdeliver};
use crate::sandbox::{SharedRef, json_reply, lock, rest_of};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

const PARTNER: &str = "Startdeliver";

pub(super) async fn handle(State(s): State<SharedRef>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let route = rest_of(parts.uri.path(), "startdeliver");
    if route != "segment" {
        return segment_webhook::error(
            StatusCode::NOT_FOUND,
            &format!(
                "nothing at /startdeliver/{route}; Startdeliver receives /startdeliver/segment"
            ),
        );
    }
    let env = match segment_webhook::open(
        &s,
        PARTNER,
        &[CallType::Page, CallType::Track],
        &parts,
        body,
    )
    .await
    {
        Ok(env) => env,
        Err(reply) => return reply,
    };
    let key = match match_key(&env) {
        Ok(k) => k,
        Err(msg) => return segment_webhook::error(StatusCode::BAD_REQUEST, &msg),
    };
    let mut state = lock(&s.state);
    let (user, created) = find_or_create(&mut state.startdeliver, &key);
    state.startdeliver.usage.push(usage(&env, user.id));
    let (on, value) = match &key {
        MatchKey::Email { email, .. } => ("email".to_string(), email.clone()),
        MatchKey::Field { field, value } => (field.clone(), value.clone()),
    };
    json_reply(
        StatusCode::OK,
        json!({
            "result": if created { "created" } else { "matched" },
            "matchedOn": on,
            "value": value,
            "user": user,
        }),
    )
}

enum MatchKey {
    /// Match on email; `field` keeps the custom field so a created user carries both.
    Email {
        email: String,
        field: String,
        user_id: Option<String>,
    },
    Field {
        field: String,
        value: String,
    },
}

fn match_key(env: &Envelope) -> Result<MatchKey, String> {
    let field = match env.settings.get("startdeliverUserCustomFieldToMatchOn") {
        Some(Value::String(f)) if !f.trim().is_empty() => f.clone(),
        Some(Value::String(_)) | None => {
            return Err(
                "X-Segment-Settings must name startdeliverUserCustomFieldToMatchOn, the user \
                 custom field to match on"
                    .into(),
            );
        }
        Some(_) => {
            return Err("startdeliverUserCustomFieldToMatchOn must be text".into());
        }
    };
    let by_email = match env.settings.get("syncUsingEmailInsteadOfCustomField") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err("syncUsingEmailInsteadOfCustomField must be true or false".into()),
    };
    let user_id = text(&env.event, "userId");
    if by_email && let Some(email) = email_of(&env.event) {
        return Ok(MatchKey::Email {
            email,
            field,
            user_id,
        });
    }
    match user_id {
        Some(value) => Ok(MatchKey::Field { field, value }),
        None if by_email => Err(
            "no email (email, traits.email, context.traits.email, properties.email) and no \
             userId to match a Startdeliver user"
                .into(),
        ),
        None => Err(format!("no userId to match a Startdeliver user on {field}")),
    }
}

/// The first usable email of: `email`, `traits.email`, `context.traits.email`,
/// `properties.email`. "Usable" is the translator's rule (something on both sides of an `@`,
/// no spaces), so an unusable one is passed over as the preview says, not matched on.
fn email_of(event: &Map<String, Value>) -> Option<String> {
    let nested = |path: &[&str]| -> Option<String> {
        let (last, parents) = path.split_last()?;
        let mut obj = event;
        for p in parents {
            obj = obj.get(*p)?.as_object()?;
        }
        match obj.get(*last)? {
            Value::String(s) if usable_email(s.trim()) => Some(s.trim().to_string()),
            _ => None,
        }
    };
    [
        &["email"][..],
        &["traits", "email"],
        &["context", "traits", "email"],
        &["properties", "email"],
    ]
    .iter()
    .find_map(|p| nested(p))
}

fn find_or_create(sd: &mut Startdeliver, key: &MatchKey) -> (SdUser, bool) {
    let found = sd.users.iter().find(|u| match key {
        MatchKey::Email { email, .. } => u
            .email
            .as_deref()
            .is_some_and(|e| e.eq_ignore_ascii_case(email)),
        MatchKey::Field { field, value } => {
            u.custom_fields.get(field).and_then(Value::as_str) == Some(value.as_str())
        }
    });
    if let Some(u) = found {
        return (u.clone(), false);
    }
    let mut user = SdUser {
        id: sd.users.len() as u64 + 1,
        email: None,
        custom_fields: Map::new(),
    };
    match key {
        MatchKey::Email {
            email,
            field,
            user_id,
        } => {
            user.email = Some(email.clone());
            if let Some(id) = user_id {
                user.custom_fields.insert(field.clone(), json!(id));
            }
        }
        MatchKey::Field { field, value } => {
            user.custom_fields.insert(field.clone(), json!(value));
        }
    }
    sd.users.push(user.clone());
    (user, true)
}

fn usage(env: &Envelope, user_id: u64) -> SdUsage {
    let props = env
        .event
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let name = match env.call {
        CallType::Track => text(&env.event, "event"),
        _ => text(&env.event, "name")
            .or_else(|| text(&props, "title"))
            .or_else(|| {
                env.event
                    .get("context")
                    .and_then(|c| c.get("page"))
                    .and_then(Value::as_object)
                    .and_then(|p| text(p, "path"))
            }),
    }
    .unwrap_or_else(|| "page".into());
    SdUsage {
        user_id,
        call: env.call.as_str().to_string(),
        name,
        message_id: text(&env.event, "messageId"),
        timestamp: env.event.get("timestamp").cloned(),
        properties: props,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_comes_from_the_first_place_that_has_one() {
        let ev = json!({"traits": {"email": "t@x.io"}, "properties": {"email": "p@x.io"}});
        assert_eq!(email_of(ev.as_object().unwrap()), Some("t@x.io".into()));
        let ev = json!({"email": " ", "context": {"traits": {"email": "c@x.io"}}});
        assert_eq!(email_of(ev.as_object().unwrap()), Some("c@x.io".into()));
        let ev = json!({"properties": {"email": 3}});
        assert_eq!(email_of(ev.as_object().unwrap()), None);
        let ev = json!({"traits": {"email": "not an email"}, "properties": {"email": "p@x.io"}});
        assert_eq!(email_of(ev.as_object().unwrap()), Some("p@x.io".into()));
        let ev = json!({"properties": {"email": "@x.io"}});
        assert_eq!(email_of(ev.as_object().unwrap()), None);
    }
}
