//! Salesmachine (docs/destinations.md §2): contacts, accounts and events over its JSON API,
//! authenticated with Basic auth of the API token and secret.

use super::kit::lookup::{has_text, usable, user_id_missing_unreported};
use super::kit::sandbox_credentials::{API_KEY, API_SECRET};
use super::kit::settings::to_settings;
use super::{
    Basis, Built, Ctx, Destination, Mode, PartnerRequest, SettingField, Settings, Trace,
    basic_auth, kit::settings, partner_url,
};
use crate::event::{CallType, Event, Finding, Object, path, snake_case};
use serde_json::{Value, json};

pub struct Salesmachine;

const SCHEMA: &[SettingField] = &[
    SettingField::text(
        "apiKey",
        "API token",
        "The API token from Salesmachine's account settings; sent as the Basic auth user name.",
    )
    .required()
    .secret(),
    SettingField::text(
        "apiSecret",
        "API secret",
        "The API secret paired with the token; sent as the Basic auth password.",
    )
    .required()
    .secret(),
];

const LIVE_BASE: &str = "https://api.salesmachine.io";

const ACCOUNT_LINK: &str =
    "Salesmachine links the event to an account only if the contact has exactly one";
const NAME_AND_EMAIL: &str = "Salesmachine recommends name and email";
/// Why a contact or account request that carries `created_at` is inferred.
const CREATED_AT_REASON: &str = "created_at (the event's timestamp): Salesmachine's clients send it \
     with events and batch items, and no public source shows it on /v1/contact or /v1/account.";

const ALIAS_REASON: &str = "Salesmachine documents an alias (\"link and merge two contacts\") but not its request; the path /v1/alias and this body are the console's reasoned guess.";

impl Destination for Salesmachine {
    fn id(&self) -> &'static str {
        "salesmachine"
    }

    fn integration_name(&self) -> &'static str {
        "Salesmachine"
    }

    fn calls(&self) -> &'static [CallType] {
        &[
            CallType::Identify,
            CallType::Track,
            CallType::Page,
            CallType::Group,
            CallType::Alias,
        ]
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::PartnerApi]
    }

    fn sandbox_settings(&self) -> Settings {
        to_settings(json!({"apiKey": API_KEY, "apiSecret": API_SECRET}))
    }

    fn settings_schema(&self) -> &'static [SettingField] {
        SCHEMA
    }

    fn live_base(&self, _settings: &Settings) -> Option<String> {
        Some(LIVE_BASE.to_string())
    }

    /// The generic rules already require `event` (track), `groupId` (group) and both ids of an
    /// alias; what is left is `userId` where an anonymousId would otherwise do, names that
    /// give an empty event_uid, and the contract's warnings.
    fn check(&self, event: &Event, _mode: Mode) -> Vec<Finding> {
        let mut out = Vec::new();
        let call = event.call();
        if matches!(call, CallType::Identify | CallType::Track | CallType::Page)
            && user_id_missing_unreported(event)
        {
            out.push(Finding::error(
                "$.userId",
                format!(
                    "Salesmachine needs a userId on {call} calls: it keys contacts by contact_uid, and an anonymousId alone cannot be sent."
                ),
            ));
        }
        match call {
            CallType::Identify => {
                let traits = event.traits();
                let has = |k: &str| usable(traits.and_then(|t| t.get(k)));
                if !has("account_uid") {
                    out.push(Finding::warning(
                        "$.traits.account_uid",
                        format!(
                            "traits.account_uid is missing: {ACCOUNT_LINK}, so set it to tie this contact to its account."
                        ),
                    ));
                }
                for k in ["name", "email"] {
                    if !has(k) {
                        out.push(Finding::warning(
                            path::at(&["traits", k]),
                            format!("traits.{k} is missing: {NAME_AND_EMAIL} on every contact."),
                        ));
                    }
                }
            }
            CallType::Track | CallType::Page => {
                let (field, name) = match call {
                    CallType::Track => ("event", event.event_name()),
                    _ => ("name", event.name()),
                };
                if let Some(n) = name.filter(|n| has_text(Some(n)))
                    && snake_case(n).is_empty()
                {
                    out.push(Finding::error(
                        path::at(&[field]),
                        format!(
                            "{field} \"{n}\" has no letters or digits, so its Salesmachine event_uid (snake_case of it) would be empty."
                        ),
                    ));
                }
                if !usable(event.properties().and_then(|p| p.get("account_uid"))) {
                    out.push(Finding::warning(
                        "$.properties.account_uid",
                        format!("properties.account_uid is missing: {ACCOUNT_LINK}."),
                    ));
                }
            }
            _ => {}
        }
        out
    }

    fn build(&self, ctx: &Ctx) -> Built {
        let e = ctx.event;
        let user_id = e.user_id.clone().unwrap_or_default();
        let mut built = Built::default();
        match e.call() {
            CallType::Identify => {
                let mut d = Draft::new();
                d.path("contact_uid", Value::String(user_id), "$.userId");
                d.copy("params", e.traits(), "$.traits");
                built
                    .requests
                    .push(self.request(ctx, "/v1/contact", "Upsert contact", d));
            }
            CallType::Track => {
                let name = e.event_name().unwrap_or_default();
                built
                    .requests
                    .push(self.event_request(ctx, &user_id, name, "$.event"));
            }
            CallType::Page => {
                let mut d = Draft::new();
                d.path("contact_uid", Value::String(user_id.clone()), "$.userId");
                d.constant("event_uid", Value::String("pageview".into()));
                let mut params = Object::new();
                for (key, value, source) in page_params(e) {
                    d.trace.path(format!("body.params.{key}"), source);
                    params.insert(key.into(), value);
                }
                if params.is_empty() {
                    d.trace.constant("body.params");
                }
                d.body.insert("params".into(), Value::Object(params));
                built.requests.push(self.request(
                    ctx,
                    "/v1/track/event",
                    "Track event pageview",
                    d,
                ));
                if let Some(name) = e.name().filter(|n| has_text(Some(n))) {
                    built
                        .requests
                        .push(self.event_request(ctx, &user_id, name, "$.name"));
                }
            }
            CallType::Group => {
                let group_id = e.group_id().unwrap_or_default().to_string();
                let mut d = Draft::new();
                d.path("account_uid", Value::String(group_id.clone()), "$.groupId");
                d.copy("params", e.traits(), "$.traits");
                built
                    .requests
                    .push(self.request(ctx, "/v1/account", "Upsert account", d));
                if has_text(Some(&user_id)) {
                    let mut d = Draft::new();
                    d.path("contact_uid", Value::String(user_id), "$.userId");
                    let mut params = Object::new();
                    params.insert("account_uid".into(), Value::String(group_id));
                    d.trace.path("body.params.account_uid", "$.groupId");
                    d.body.insert("params".into(), Value::Object(params));
                    built.requests.push(self.request(
                        ctx,
                        "/v1/contact",
                        "Link contact to account",
                        d,
                    ));
                }
            }
            CallType::Alias => {
                let mut d = Draft::new();
                d.path("contact_uid", Value::String(user_id), "$.userId");
                let previous = e.previous_id().unwrap_or_default().to_string();
                d.path(
                    "previous_contact_uid",
                    Value::String(previous),
                    "$.previousId",
                );
                let r = self
                    .request(ctx, "/v1/alias", "Alias contact", d)
                    .basis(Basis::inferred(ALIAS_REASON));
                built.requests.push(r);
            }
            // Screen is not accepted; the pipeline answers `unsupported` before build.
            CallType::Screen => {}
        }
        built
    }
}

impl Salesmachine {
    /// A named event: a track's `event` or a page's `name` (`source` says which).
    fn event_request(&self, ctx: &Ctx, user_id: &str, name: &str, source: &str) -> PartnerRequest {
        let uid = snake_case(name);
        let mut d = Draft::new();
        d.path("contact_uid", Value::String(user_id.into()), "$.userId");
        d.body
            .insert("event_uid".into(), Value::String(uid.clone()));
        d.trace.computed("body.event_uid", "snake_case", &[source]);
        let mut params = ctx.event.properties().cloned().unwrap_or_default();
        // The event's name wins over a property of the same key: it is what Salesmachine shows.
        params.shift_remove("display_name");
        d.trace.object("body.params", "$.properties", &params);
        params.insert("display_name".into(), Value::String(name.into()));
        d.trace.path("body.params.display_name", source);
        d.body.insert("params".into(), Value::Object(params));
        let description = format!("Track event {uid}");
        self.request(ctx, "/v1/track/event", &description, d)
    }

    /// Adds what every request shares: `created_at`, the headers and the URL.
    fn request(&self, ctx: &Ctx, path: &str, description: &str, d: Draft) -> PartnerRequest {
        let Draft {
            mut body,
            mut trace,
        } = d;
        if let Some(ts) = &ctx.event.timestamp {
            body.insert("created_at".into(), Value::String(ts.clone()));
            trace.path("body.created_at", "$.timestamp");
        }
        let key = settings::text(ctx.settings, "apiKey");
        let secret = settings::text(ctx.settings, "apiSecret");
        trace.constant("header.Content-Type");
        trace.computed(
            "header.Authorization",
            "basic_auth",
            &["settings.apiKey", "settings.apiSecret"],
        );
        let sends_created_at = body.contains_key("created_at");
        let mut r = PartnerRequest::post(partner_url(self, ctx, path), description)
            .header("Content-Type", "application/json")
            .secret_header("Authorization", basic_auth(&key, &secret), &key);
        r.add_secret(&secret);
        // Salesmachine's clients send created_at with events and batch items only; on the
        // contact and account endpoints no public source shows it (docs/destinations.md §8.1).
        if sends_created_at && matches!(path, "/v1/contact" | "/v1/account") {
            r = r.basis(Basis::inferred(CREATED_AT_REASON));
        }
        r.json(Value::Object(body)).provenance(trace.take())
    }
}

/// A body under construction, with the provenance of each field.
struct Draft {
    body: Object,
    trace: Trace,
}

impl Draft {
    fn new() -> Draft {
        Draft {
            body: Object::new(),
            trace: Trace::new(),
        }
    }

    fn path(&mut self, key: &str, value: Value, source: &str) {
        self.body.insert(key.into(), value);
        self.trace.path(format!("body.{key}"), source);
    }

    fn constant(&mut self, key: &str, value: Value) {
        self.body.insert(key.into(), value);
        self.trace.constant(format!("body.{key}"));
    }

    /// An object copied whole (traits as params); an absent one is sent as `{}`.
    fn copy(&mut self, key: &str, obj: Option<&Object>, source: &str) {
        let obj = obj.cloned().unwrap_or_default();
        let out = format!("body.{key}");
        if obj.is_empty() {
            self.trace.constant(out);
        } else {
            self.trace.object(&out, source, &obj);
        }
        self.body.insert(key.into(), Value::Object(obj));
    }
}

/// The pageview's params as `(param, value, source path)`; a missing value is left out.
pub fn page_params(event: &Event) -> Vec<(&'static str, Value, &'static str)> {
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(|s| Value::String(s.to_string()))
    };
    let props = event.properties();
    let prop = |k: &str| props.and_then(|p| p.get(k));
    let mut out = Vec::new();
    if let Some(v) = text(prop("url")) {
        out.push(("visit_url", v, "$.properties.url"));
    } else if let Some(v) = text(event.context_at(&["page", "url"])) {
        out.push(("visit_url", v, "$.context.page.url"));
    }
    if let Some(v) = text(event.context_at(&["ip"])) {
        out.push(("visit_ip", v, "$.context.ip"));
    }
    if let Some(v) = text(event.context_at(&["userAgent"])) {
        out.push(("visit_agent", v, "$.context.userAgent"));
    }
    if let Some(v) = prop("account_uid").filter(|v| usable(Some(v))) {
        out.push(("account_uid", v.clone(), "$.properties.account_uid"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Vec<(&'static str, Value, &'static str)> {
        page_params(&Event::from_value(&v).unwrap())
    }

    #[test]
    fn page_params_take_each_value_from_its_first_source() {
        let got = params(json!({
            "type": "page", "userId": "u_4f8a2c", "name": "Pricing",
            "properties": {"url": "https://app.example.com/pricing", "account_uid": "acc_acme"},
            "context": {"ip": "203.0.113.7", "userAgent": "Mozilla/5.0",
                        "page": {"url": "https://app.example.com/ignored"}}
        }));
        assert_eq!(
            got,
            vec![
                (
                    "visit_url",
                    json!("https://app.example.com/pricing"),
                    "$.properties.url"
                ),
                ("visit_ip", json!("203.0.113.7"), "$.context.ip"),
                ("visit_agent", json!("Mozilla/5.0"), "$.context.userAgent"),
                ("account_uid", json!("acc_acme"), "$.properties.account_uid"),
            ]
        );
    }

    #[test]
    fn page_params_fall_back_and_leave_missing_values_out() {
        let got = params(json!({
            "type": "page", "userId": "u_4f8a2c",
            "properties": {"url": "  ", "account_uid": null},
            "context": {"page": {"url": "https://app.example.com/settings"}}
        }));
        assert_eq!(
            got,
            vec![(
                "visit_url",
                json!("https://app.example.com/settings"),
                "$.context.page.url"
            )]
        );
        assert!(params(json!({"type": "page", "userId": "u_4f8a2c"})).is_empty());
    }

    #[test]
    fn both_credentials_are_masked_wherever_they_appear() {
        use crate::destinations::{Target, translate};
        use crate::json::mask::MASK;
        let mut settings = Settings::new();
        settings.insert("apiKey".into(), json!("sm_tok_8Kd2Lq7x"));
        settings.insert("apiSecret".into(), json!("sm_sec_Z3w9Pf1c"));
        let event = json!({"type": "identify", "userId": "u_4f8a2c",
                           "traits": {"note": "pasted sm_sec_Z3w9Pf1c by mistake"}});
        let now = chrono::DateTime::UNIX_EPOCH;
        let out = translate(
            &Salesmachine,
            &event,
            &settings,
            Mode::PartnerApi,
            &Target::Live,
            now,
        );
        let shown = out.requests[0].masked().to_json();
        assert_eq!(
            shown["headers"]["Authorization"],
            json!(format!("Basic {MASK}"))
        );
        assert_eq!(
            shown["body"]["params"]["note"],
            json!(format!("pasted {MASK} by mistake"))
        );
    }

    #[test]
    fn a_numeric_account_uid_is_kept_as_given() {
        let got =
            params(json!({"type": "page", "userId": "u", "properties": {"account_uid": 981}}));
        assert_eq!(
            got,
            vec![("account_uid", json!(981), "$.properties.account_uid")]
        );
    }
}
