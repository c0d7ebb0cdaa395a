//! Skalin (docs/destinations.md §5). In partner-api mode every call is one hit on Skalin's
//! server-side tracking endpoint with all parameters in the query string; in segment-webhook
//! mode it is Segment's partner webhook.

use super::kit::lookup::{self, generic_flags_user_id};
use super::kit::sandbox_credentials::{API_KEY, CLIENT_ID};
use super::kit::settings::to_settings;
use super::kit::settings::{self, Need, SettingKind};
use super::{
    Basis, Built, Ctx, Destination, Mode, PartnerRequest, SettingField, Settings, Trace,
    kit::segment_webhook, partner_url,
};
use crate::event::time::to_utc;
use crate::event::{CallType, Event, Finding};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub struct Skalin;

const SCHEMA: &[SettingField] = &[
    SettingField::text(
        "apiKey",
        "API key",
        "Your Skalin API key. Used only in segment-webhook mode (as the Basic user); the hit \
         endpoint of partner-api mode takes none.",
    )
    .required()
    .secret(),
    SettingField::text(
        "clientId",
        "Client ID",
        "Your Skalin client id, sent as client_id on every hit.",
    )
    .required()
    .segment(),
    SettingField::text(
        "webhookEndpoint",
        "Webhook endpoint",
        "Where Segment's partner webhook goes in segment-webhook mode when sending live; Skalin \
         publishes none.",
    )
    .kind(SettingKind::Url)
    .need(Need::LiveInMode(Mode::SegmentWebhook)),
];

/// The first 16 hex digits of SHA-256 of `text`: how visitor, visit and event ids are made.
pub fn sha256_hex16(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = hex::encode(digest);
    hex.truncate(16);
    hex
}

/// `visitor_id`: from `anonymousId`, else `userId`.
pub fn visitor_id(anonymous_id: Option<&str>, user_id: Option<&str>) -> Option<String> {
    anonymous_id.or(user_id).map(sha256_hex16)
}

/// `visit_id`: from the text `<visitor_id>:<YYYY-MM-DD>` (the day in UTC).
pub fn visit_id(visitor_id: &str, day: DateTime<Utc>) -> String {
    sha256_hex16(&format!("{visitor_id}:{}", day.format("%Y-%m-%d")))
}

/// Percent-encodes a query value: everything but RFC 3986's unreserved characters becomes
/// `%XX` of its UTF-8 bytes, so a space is `%20` and JSON survives any server's decoder.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    encode_into(&mut out, text);
    out
}

fn encode_into(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            // By hand: `format!` per byte was a tenth of a Skalin translation.
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// The email Skalin's identity carries: `traits.email`, else `context.traits.email`.
fn email(e: &Event) -> Option<(&str, &'static str)> {
    lookup::text(e.traits().and_then(|t| t.get("email")))
        .map(|m| (m, "$.traits.email"))
        .or_else(|| {
            lookup::text(e.context_at(&["traits", "email"])).map(|m| (m, "$.context.traits.email"))
        })
}

/// `customer_id`: `traits.groupId`, else `traits.trait.groupId` (how Segment's own Skalin example
/// nests it), else `context.groupId` (§5, revised 2026-12).
fn customer(e: &Event) -> Option<(String, &'static str)> {
    let traits = e.traits();
    lookup::scalar(traits.and_then(|t| t.get("groupId")))
        .map(|c| (c, "$.traits.groupId"))
        .or_else(|| {
            let nested = traits
                .and_then(|t| t.get("trait"))
                .and_then(|t| t.get("groupId"));
            lookup::scalar(nested).map(|c| (c, "$.traits.trait.groupId"))
        })
        .or_else(|| lookup::scalar(e.context_at(&["groupId"])).map(|c| (c, "$.context.groupId")))
}

/// The feature a page or screen records, with where it came from.
fn feature(e: &Event) -> Option<(&str, &'static str)> {
    if e.call() == CallType::Track {
        return e
            .event_name()
            .filter(|s| !s.trim().is_empty())
            .map(|n| (n, "$.event"));
    }
    e.name()
        .filter(|s| !s.trim().is_empty())
        .map(|n| (n, "$.name"))
        .or_else(|| {
            lookup::text(e.properties().and_then(|p| p.get("title")))
                .map(|t| (t, "$.properties.title"))
        })
        .or_else(|| {
            lookup::text(e.context_at(&["page", "path"])).map(|p| (p, "$.context.page.path"))
        })
}

/// Why a hit is inferred (docs/destinations.md §8.5): every query parameter is Skalin's, but
/// not these.
const HIT_REASON: &str = "Skalin documents the hit endpoint and every query parameter; inferred: \
     the Content-Type header (Skalin's examples send no body and no content type) and the formats \
     of ts and localtime (both the event's timestamp in UTC).";

/// Why a screen call in segment-webhook mode is inferred.
const SCREEN_REASON: &str = "Segment's sources disagree on whether its Skalin destination takes \
     screen calls (its page lists them, its catalog does not), so whether Segment sends this one is \
     inferred.";

impl Destination for Skalin {
    fn id(&self) -> &'static str {
        "skalin"
    }

    fn integration_name(&self) -> &'static str {
        "Skalin"
    }

    fn calls(&self) -> &'static [CallType] {
        &[
            CallType::Identify,
            CallType::Track,
            CallType::Page,
            CallType::Screen,
        ]
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::PartnerApi, Mode::SegmentWebhook]
    }

    fn sandbox_settings(&self) -> Settings {
        to_settings(json!({"apiKey": API_KEY, "clientId": CLIENT_ID}))
    }

    fn settings_schema(&self) -> &'static [SettingField] {
        SCHEMA
    }

    fn live_base(&self, _settings: &Settings) -> Option<String> {
        Some("https://collect.skalin.io".into())
    }

    /// Skalin records events only for contacts it knows, whichever way they arrive, so the
    /// identity rule holds in both modes; the feature name fills the hit's `event`, so only
    /// partner-api needs it. Track's `event` is a generic rule already.
    fn check(&self, e: &Event, mode: Mode) -> Vec<Finding> {
        let mut out = Vec::new();
        if lookup::id(&e.user_id).is_none() && email(e).is_none() && !generic_flags_user_id(e) {
            out.push(Finding::error(
                "$.userId",
                "Skalin records events only for contacts it knows: give a userId, or an email in traits.email or context.traits.email.",
            ));
        }
        if mode == Mode::PartnerApi
            && matches!(e.call(), CallType::Page | CallType::Screen)
            && feature(e).is_none()
        {
            out.push(Finding::error(
                "$.name",
                format!(
                    "Skalin needs a feature name for a {} call: set name, properties.title or context.page.path.",
                    e.call()
                ),
            ));
        }
        out
    }

    fn build(&self, ctx: &Ctx) -> Built {
        let call = ctx.event.call();
        match ctx.mode {
            Mode::SegmentWebhook => Built::one(segment_webhook::request(
                self,
                ctx,
                if call == CallType::Screen {
                    Basis::inferred(SCREEN_REASON)
                } else {
                    Basis::Documented
                },
                &format!("Send {call} call as Segment partner webhook"),
            )),
            Mode::PartnerApi => Built {
                requests: vec![self.hit(ctx)],
                notes: vec![
                    "apiKey is used only in segment-webhook mode: Skalin's hit endpoint takes no API key."
                        .into(),
                ],
            },
        }
    }
}

impl Skalin {
    fn hit(&self, ctx: &Ctx) -> PartnerRequest {
        let e = ctx.event;
        let mut q = Query::default();
        let identify = e.call() == CallType::Identify;
        q.constant("rec", "1");
        q.computed(
            "action",
            if identify { "ui" } else { "ev" },
            "action_of_call",
            &["$.type"],
        );
        q.setting(
            "client_id",
            settings::text(ctx.settings, "clientId"),
            "clientId",
        );
        let anon = lookup::id(&e.anonymous_id);
        let user = lookup::id(&e.user_id);
        let visitor_src = if anon.is_some() {
            "$.anonymousId"
        } else {
            "$.userId"
        };
        let visitor = visitor_id(anon, user).unwrap_or_default();
        q.computed("visitor_id", &visitor, "sha256_hex16", &[visitor_src]);
        let when = e.timestamp.as_deref().and_then(to_utc);
        match when {
            Some(t) => q.computed(
                "visit_id",
                &visit_id(&visitor, t),
                "sha256_hex16_of_visitor_and_day",
                &[visitor_src, "$.timestamp"],
            ),
            // No timestamp: the visit is the day of sending.
            None => q.computed(
                "visit_id",
                &visit_id(&visitor, ctx.now),
                "sha256_hex16_of_visitor_and_today",
                &[visitor_src],
            ),
        }
        if let Some(mid) = lookup::id(&e.message_id) {
            q.computed(
                "event_id",
                &sha256_hex16(mid),
                "sha256_hex16",
                &["$.messageId"],
            );
        }
        self.identity(e, &mut q);
        if let Some((c, src)) = customer(e) {
            q.path("customer_id", &c, src);
        }
        if !identify && let Some((name, src)) = feature(e) {
            let mut obj = Map::new();
            obj.insert("name".into(), Value::String(name.into()));
            obj.insert("event_name".into(), Value::String("feature".into()));
            let json = Value::Object(obj).to_string();
            q.computed("event", &json, "feature_json", &[src]);
        }
        let url = lookup::text(e.context_at(&["page", "url"]))
            .map(|u| (u, "$.context.page.url"))
            .or_else(|| {
                lookup::text(e.properties().and_then(|p| p.get("url")))
                    .map(|u| (u, "$.properties.url"))
            });
        if let Some((u, src)) = url {
            q.path("url", u, src);
        }
        if let Some(ip) = lookup::text(e.context_at(&["ip"])) {
            q.path("cip", ip, "$.context.ip");
        }
        if let Some(t) = when {
            let ts = t.format("%Y-%m-%dT%H:%M:%S").to_string();
            q.computed("ts", &ts, "utc_seconds", &["$.timestamp"]);
            let local = t.format("%H:%M:%S").to_string();
            q.computed("localtime", &local, "utc_time_of_day", &["$.timestamp"]);
        }
        let mut trace = q.trace;
        trace.constant("header.Content-Type");
        trace.constant("header.Cache-Control");
        let description = if identify {
            "Identify contact".to_string()
        } else {
            format!("Record {} feature use", e.call())
        };
        let url = partner_url(self, ctx, &format!("/hit?{}", q.text));
        PartnerRequest::post(url, description)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Cache-Control", "no-cache")
            .basis(Basis::inferred(HIT_REASON))
            .provenance(trace.take())
    }

    /// `identity`: `{"email": ..., "id": userId}`, keys without a value left out.
    fn identity(&self, e: &Event, q: &mut Query) {
        let mut obj = Map::new();
        let mut from = Vec::new();
        if let Some((m, src)) = email(e) {
            obj.insert("email".into(), Value::String(m.into()));
            from.push(src);
        }
        if let Some(u) = lookup::id(&e.user_id) {
            obj.insert("id".into(), Value::String(u.into()));
            from.push("$.userId");
        }
        if !obj.is_empty() {
            q.computed(
                "identity",
                &Value::Object(obj).to_string(),
                "identity_json",
                &from,
            );
        }
    }
}

/// The query string in the making, each parameter with its provenance.
#[derive(Default)]
struct Query {
    /// `key=value&...`, values percent-encoded.
    text: String,
    trace: Trace,
}

impl Query {
    fn add(&mut self, key: &str, value: &str) {
        if !self.text.is_empty() {
            self.text.push('&');
        }
        self.text.push_str(key);
        self.text.push('=');
        encode_into(&mut self.text, value);
    }

    fn constant(&mut self, key: &str, value: &str) {
        self.add(key, value);
        self.trace.constant(format!("query.{key}"));
    }

    fn setting(&mut self, key: &str, value: String, setting: &str) {
        self.add(key, &value);
        self.trace.setting(format!("query.{key}"), setting);
    }

    fn path(&mut self, key: &str, value: &str, src: &str) {
        self.add(key, value);
        self.trace.path(format!("query.{key}"), src);
    }

    fn computed(&mut self, key: &str, value: &str, rule: &str, from: &[&str]) {
        self.add(key, value);
        self.trace.computed(format!("query.{key}"), rule, from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected digests computed by hand, e.g. `printf '%s' 'anon-123' | sha256sum | cut -c1-16`.
    #[test]
    fn ids_are_the_first_16_hex_digits_of_sha256() {
        assert_eq!(sha256_hex16("anon-123"), "fdfd86a4caabaef7");
        assert_eq!(sha256_hex16(""), "e3b0c44298fc1c14");
        assert_eq!(
            visitor_id(Some("anon-123"), Some("u_4f8a2c")),
            Some("fdfd86a4caabaef7".into())
        );
        assert_eq!(
            visitor_id(None, Some("u_4f8a2c")),
            Some("a8cb3e5089c4acd7".into())
        );
        assert_eq!(visitor_id(None, None), None);
    }

    #[test]
    fn visit_id_hashes_visitor_and_utc_day() {
        let t = to_utc("2026-03-10T23:30:00-02:00").unwrap();
        // 2026-03-11 in UTC.
        // printf '%s' 'fdfd86a4caabaef7:2026-03-11' | sha256sum | cut -c1-16
        assert_eq!(visit_id("fdfd86a4caabaef7", t), "1637fc9d7a9e1786");
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved() {
        assert_eq!(percent_encode("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(
            percent_encode(r#"{"email":"maya@example.com"}"#),
            "%7B%22email%22%3A%22maya%40example.com%22%7D"
        );
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn the_api_key_note_only_in_partner_api_mode() {
        let s = serde_json::json!({"apiKey": "sk_live_3f9a7c21", "clientId": "acme-cs"});
        let ev = serde_json::json!({"type": "track", "userId": "u_4f8a2c", "event": "Signed In"});
        let sandbox = super::super::Target::Sandbox {
            base: "http://127.0.0.1:7311".into(),
        };
        let run = |mode| {
            super::super::translate(
                &Skalin,
                &ev,
                s.as_object().unwrap(),
                mode,
                &sandbox,
                Utc::now(),
            )
        };
        let api = run(Mode::PartnerApi);
        assert_eq!(api.requests.len(), 1);
        assert_eq!(api.notes.len(), 1);
        assert!(api.notes[0].starts_with("apiKey is used only in segment-webhook mode"));
        let hook = run(Mode::SegmentWebhook);
        assert_eq!(hook.requests.len(), 1);
        assert!(hook.notes.is_empty());
    }
}
