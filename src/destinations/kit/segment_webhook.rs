//! The envelope Segment uses for partner-owned destinations (docs/destinations.md §1):
//! the event JSON itself, POSTed with the API key as Basic user and the other settings in
//! `X-Segment-Settings`.

use super::settings;
use crate::destinations::{Basis, Ctx, Destination, PartnerRequest, Target, Trace, basic_auth};
use base64::Engine;
use serde_json::{Map, Value};

/// Settings that never go into `X-Segment-Settings`: the key travels as Basic auth, and the
/// endpoint is the console's own routing, not a setting the partner reads.
const NOT_FORWARDED: &[&str] = &["apiKey", "webhookEndpoint"];

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

/// The JSON object of the other settings (defaults applied, secrets left out), in schema order.
pub fn forwarded_settings(dest: &dyn Destination, s: &settings::Settings) -> Map<String, Value> {
    let schema = dest.settings_schema();
    let mut out = Map::new();
    for spec in schema {
        if spec.secret || NOT_FORWARDED.contains(&spec.key) {
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
    trace.setting("header.Authorization", "apiKey");
    trace.computed(
        "header.X-Segment-Settings",
        "base64_json",
        &forwarded
            .keys()
            .map(|k| format!("settings.{k}"))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    PartnerRequest::post(endpoint(dest, ctx), description)
        .header("Content-Type", "application/json")
        .header("User-Agent", "Segment.io/1.0")
        .secret_header("Authorization", basic_auth(&api_key, ""), &api_key)
        .header("X-Segment-Settings", encoded)
        .json(ctx.raw.clone())
        .basis(basis)
        .provenance(trace.take())
}
