//! The envelope Segment uses for partner-owned destinations (docs/destinations.md §1):
//! the event JSON itself, POSTed with the API key as Basic user and the other settings in
//! `X-Segment-Settings`.

use super::settings;
use crate::destinations::{Basis, Ctx, Destination, PartnerRequest, Target, Trace, basic_auth};
use base64::Engine;
use serde_json::{Map, Value};

/// The header that marks a request as this envelope.
pub const SETTINGS_HEADER: &str = "X-Segment-Settings";

/// The endpoint: the sandbox's `/<id>/segment`, the `webhookEndpoint` setting for live, or a
/// custom URL as typed.
pub fn endpoint(dest: &dyn Destination, ctx: &Ctx) -> String {
    match ctx.target {
        Target::Sandbox { base } => {
            format!("{}/{}/segment", base.trim_end_matches('/'), dest.id())
        }
        Target::Live => settings::text(ctx.settings, "webhookEndpoint"),
        Target::Custom { url } => url.clone(),
    }
}

/// The JSON object of the settings Segment's own destination has (defaults applied, secrets
/// left out: the key travels as Basic auth), in schema order.
pub fn forwarded_settings(dest: &dyn Destination, s: &settings::Settings) -> Map<String, Value> {
    let schema = dest.settings_schema();
    let mut out = Map::new();
    for spec in schema {
        if spec.secret || !spec.segment {
            continue;
        }
        if let Some(v) = settings::value(schema, s, spec.key)
            && !v.is_null()
        {
            // A flag typed as "true" is forwarded as the boolean the partner reads.
            let v = match spec.kind {
                settings::SettingKind::Bool => Value::Bool(settings::flag(schema, s, spec.key)),
                _ => v,
            };
            out.insert(spec.key.to_string(), v);
        }
    }
    out
}

/// The whole request; `basis` and `description` vary by who uses the envelope.
pub fn request(
    dest: &dyn Destination,
    ctx: &Ctx,
    basis: Basis,
    description: &str,
) -> PartnerRequest {
    let api_key = settings::text(ctx.settings, "apiKey");
    let forwarded = forwarded_settings(dest, ctx.settings);
    let encoded = base64::engine::general_purpose::STANDARD
        .encode(serde_json::to_vec(&Value::Object(forwarded.clone())).unwrap_or_default());
    let mut trace = Trace::new();
    if let Value::Object(obj) = ctx.raw {
        trace.object("body", "$", obj);
    }
    trace.constant("header.Content-Type");
    trace.constant("header.User-Agent");
    trace.constant("header.Accept");
    trace.constant("header.Cache-Control");
    trace.setting("header.Authorization", "apiKey");
    if forwarded.is_empty() {
        // `{}` whatever the settings say (Segment's own destination has no settings to forward).
        trace.constant("header.X-Segment-Settings");
    } else {
        let sources: Vec<String> = forwarded.keys().map(|k| format!("settings.{k}")).collect();
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        trace.computed("header.X-Segment-Settings", "base64_json", &sources);
    }
    PartnerRequest::post(endpoint(dest, ctx), description)
        .header("Content-Type", "application/json")
        .header("User-Agent", "Segment.io/1.0")
        .header("Accept", "*/*")
        .header("Cache-Control", "no-cache")
        .secret_header("Authorization", basic_auth(&api_key, ""), &api_key)
        .header(SETTINGS_HEADER, encoded)
        .json(ctx.raw.clone())
        .basis(basis)
        .provenance(trace.take())
}

/// The note for settings that have a value but are not forwarded (the console's own, which
/// Segment's destination does not have), so that nothing the user typed vanishes unsaid.
pub fn unforwarded_note(dest: &dyn Destination, s: &settings::Settings) -> Option<String> {
    let schema = dest.settings_schema();
    let left: Vec<&str> = schema
        .iter()
        .filter(|f| !f.secret && !f.segment)
        .filter(|f| {
            settings::value(schema, s, f.key)
                .is_some_and(|v| !(v.is_null() || v.as_str().is_some_and(|t| t.trim().is_empty())))
        })
        .map(|f| f.key)
        .collect();
    if left.is_empty() {
        return None;
    }
    Some(format!(
        "X-Segment-Settings carries only the settings of Segment's own {} destination; {} {} the \
         console's own and {} not forwarded.",
        dest.integration_name(),
        left.join(", "),
        if left.len() == 1 { "is" } else { "are" },
        if left.len() == 1 { "is" } else { "are" },
    ))
}
