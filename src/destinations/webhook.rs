//! Webhooks (docs/destinations.md §6): Segment's generic destination. The event JSON is POSTed
//! as it is, with extra headers from the settings and, given a shared secret, an `X-Signature`.

use super::kit::settings::to_settings;
use super::kit::settings::{self, Need, SettingKind};
use super::{Built, Ctx, Destination, Mode, PartnerRequest, SettingField, Settings, Target, Trace};
use crate::event::{CallType, Event, Finding, path};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha1::Sha1;

pub struct Webhooks;

const SCHEMA: &[SettingField] = &[
    SettingField::text(
        "url",
        "Webhook URL",
        "Where every event is POSTed when sending live.",
    )
    .kind(SettingKind::Url)
    .need(Need::Live),
    SettingField::text(
        "headers",
        "Extra headers",
        "Headers added to every request, as an object of names to values, for example \
         {\"X-Team\": \"growth\"}.",
    )
    .kind(SettingKind::Map),
    SettingField::text(
        "sharedSecret",
        "Shared secret",
        "When set, each request carries X-Signature: the hex HMAC-SHA1 of the exact body, keyed \
         by this secret, so the receiver can check who sent it.",
    )
    .secret(),
];

/// Headers the console sets itself; an extra header by one of these names is ignored.
const OWN_HEADERS: &[&str] = &["Content-Type", "X-Signature", "Content-Length", "Host"];

/// Hex HMAC-SHA1 of `body` keyed by `secret`: the `X-Signature` value.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this never fails.
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC accepts keys of every length")
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Whether an extra header probably carries a credential, so that renderings mask it even
/// though the contract does not mark `headers` secret.
fn sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "cookie",
        "token",
        "secret",
        "key",
        "password",
    ]
    .iter()
    .any(|w| n.contains(w))
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn own(name: &str) -> bool {
    OWN_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
}

impl Destination for Webhooks {
    fn id(&self) -> &'static str {
        "webhook"
    }

    fn integration_name(&self) -> &'static str {
        "Webhooks"
    }

    fn calls(&self) -> &'static [CallType] {
        &CallType::ALL
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::PartnerApi]
    }

    fn sandbox_settings(&self) -> Settings {
        // The sandbox serves /webhook/in whatever the URL says, so none is set: a placeholder
        // would be sent to if the user switched to live without noticing.
        to_settings(json!({"headers": {}}))
    }

    fn settings_schema(&self) -> &'static [SettingField] {
        SCHEMA
    }

    fn live_base(&self, s: &Settings) -> Option<String> {
        let url = settings::text(s, "url");
        (!url.is_empty()).then_some(url)
    }

    fn check(&self, _event: &Event, _mode: Mode) -> Vec<Finding> {
        Vec::new()
    }

    /// The extra headers must be sendable: a header name is an HTTP token and a value holds no
    /// line breaks (which would split it into other headers).
    fn check_setup(&self, _e: &Event, _m: Mode, s: &Settings, _t: &Target) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(Value::Object(headers)) = s.get("headers") else {
            return out;
        };
        for (name, value) in headers {
            let at = path::key("settings.headers", name);
            if !is_token(name) {
                out.push(Finding::error(
                    at,
                    format!(
                        "\"{name}\" is not a valid header name: a name is letters, digits and marks such as - or _, with no spaces or colons."
                    ),
                ));
            } else if own(name) {
                out.push(Finding::warning(
                    at,
                    format!(
                        "{name} is set by the console itself, so this extra header is ignored."
                    ),
                ));
            } else if value
                .as_str()
                .is_some_and(|v| v.chars().any(|c| c.is_control() && c != '\t'))
            {
                out.push(Finding::error(
                    at,
                    format!("The value of header {name} must not contain line breaks or other control characters."),
                ));
            }
        }
        out
    }

    fn build(&self, ctx: &Ctx) -> Built {
        let url = match ctx.target {
            Target::Sandbox { base } => format!("{}/webhook/in", base.trim_end_matches('/')),
            Target::Live => settings::text(ctx.settings, "url"),
            Target::Custom { url } => url.clone(),
        };
        let call = ctx.event.call();
        let mut trace = Trace::new();
        if let Value::Object(obj) = ctx.raw {
            trace.object("body", "$", obj);
        }
        trace.constant("header.Content-Type");
        let mut req = PartnerRequest::post(url, format!("POST {call} event to webhook"))
            .header("Content-Type", "application/json");
        // Segment's Webhooks requests carry its User-Agent (docs/destinations.md §8.6); one the
        // user set in the extra headers takes its place.
        let user_agent_set = matches!(ctx.settings.get("headers"), Some(Value::Object(h))
            if h.keys().any(|k| k.eq_ignore_ascii_case("User-Agent")));
        if !user_agent_set {
            req = req.header("User-Agent", "Segment.io/1.0");
            trace.constant("header.User-Agent");
        }
        let mut req = req.json(ctx.raw.clone());
        if let Some(Value::Object(extra)) = ctx.settings.get("headers") {
            for (name, value) in extra {
                let Some(v) = value.as_str() else { continue };
                if own(name) {
                    continue;
                }
                req = req.header(name, v);
                // Masked in renderings as a header only: registering the value as a secret
                // would also blank every occurrence of a short value in the body.
                if sensitive(name)
                    && let Some(h) = req.headers.last_mut()
                {
                    h.secret = true;
                }
                trace.setting(format!("header.{name}"), "headers");
            }
        }
        let secret = settings::text(ctx.settings, "sharedSecret");
        if !secret.is_empty() {
            let sig = signature(&secret, &req.body_bytes());
            req = req.header("X-Signature", sig);
            req.add_secret(&secret);
            trace.computed(
                "header.X-Signature",
                "hmac_sha1_hex",
                &["body", "settings.sharedSecret"],
            );
        }
        Built::one(req.provenance(trace.take()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // printf '%s' '{"type":"track"}' | openssl dgst -sha1 -hmac 'whsec_demo' -hex
    #[test]
    fn signature_is_hex_hmac_sha1() {
        assert_eq!(
            signature("whsec_demo", br#"{"type":"track"}"#),
            "a8946845cf30dd970be74aadb7dc55535140c2bd"
        );
        // RFC 2202 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn header_names_and_credentials() {
        assert!(is_token("X-Team"));
        assert!(!is_token("X Team"));
        assert!(!is_token("X-Team:"));
        assert!(!is_token(""));
        assert!(sensitive("Authorization"));
        assert!(sensitive("X-Api-Key"));
        assert!(!sensitive("X-Team"));
        assert!(own("content-type"));
    }
}
