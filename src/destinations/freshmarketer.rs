//! Freshmarketer (docs/destinations.md §4). In partner-api mode identify and group become
//! Freshworks CRM upserts; track, page and alias have no matching Freshworks API, so they go as
//! Segment's partner webhook in both modes.

use super::kit::lookup::{self, generic_flags_user_id};
use super::kit::sandbox_credentials::API_KEY;
use super::kit::settings::to_settings;
use super::kit::settings::{self, Need, SettingKind};
use super::{
    Basis, Built, Ctx, Destination, Mode, PartnerRequest, SettingField, Settings, Target, Trace,
    kit::segment_webhook, partner_url,
};
use crate::event::{CallType, Event, Finding, Object, path};
use serde_json::{Map, Value, json};

pub struct Freshmarketer;

const SCHEMA: &[SettingField] = &[
    SettingField::text(
        "apiKey",
        "API key",
        "Your Freshworks CRM API key (Profile settings > API settings). Sent as \
         Authorization: Token token=<key> in partner-api mode, as the Basic user in segment-webhook mode.",
    )
    .required()
    .secret()
    .min_len(8),
    SettingField::text(
        "domain",
        "Domain",
        "Your account's Freshworks host, for example acme.myfreshworks.com; live requests go to \
         https://<domain>.",
    )
    .need(Need::InMode(Mode::PartnerApi)),
    SettingField::text(
        "webhookEndpoint",
        "Webhook endpoint",
        "Where Segment's partner webhook goes when sending live: every call in segment-webhook \
         mode, and track, page and alias in partner-api mode. Freshmarketer publishes none.",
    )
    .kind(SettingKind::Url)
    .need(Need::LiveInMode(Mode::SegmentWebhook)),
];

/// Contact traits the mapping reads; every other trait goes into `custom_field`.
const CONTACT_TRAITS: &[&str] = &[
    "email",
    "firstName",
    "first_name",
    "lastName",
    "last_name",
    "name",
    "phone",
    "mobile",
    "mobileNumber",
    "title",
    "address",
];

/// Group traits the sales-account mapping reads.
const ACCOUNT_TRAITS: &[&str] = &[
    "name",
    "website",
    "phone",
    "address",
    "employees",
    "industry",
];

/// Segment's `address` keys and the Freshworks fields they fill, in Freshworks' order.
const ADDRESS: &[(&str, &str)] = &[
    ("street", "address"),
    ("city", "city"),
    ("state", "state"),
    ("postalCode", "zipcode"),
    ("country", "country"),
];

impl Destination for Freshmarketer {
    fn id(&self) -> &'static str {
        "freshmarketer"
    }

    fn integration_name(&self) -> &'static str {
        "Freshmarketer"
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
        &[Mode::PartnerApi, Mode::SegmentWebhook]
    }

    fn sandbox_settings(&self) -> Settings {
        to_settings(json!({"apiKey": API_KEY, "domain": "sandbox.myfreshworks.com"}))
    }

    fn settings_schema(&self) -> &'static [SettingField] {
        SCHEMA
    }

    fn live_base(&self, settings: &Settings) -> Option<String> {
        let domain = settings::text(settings, "domain");
        let host = host(&domain);
        (!host.is_empty()).then(|| format!("https://{host}"))
    }

    /// Identify's userId and email come from Segment's page for this destination, so they hold
    /// in both modes; the group name is the key of the sales-account upsert, so only partner-api.
    fn check(&self, e: &Event, mode: Mode) -> Vec<Finding> {
        let mut out = Vec::new();
        let traits = e.traits();
        let trait_text = |k: &str| lookup::text(traits.and_then(|t| t.get(k)));
        match e.call() {
            CallType::Identify => {
                if lookup::id(&e.user_id).is_none() && !generic_flags_user_id(e) {
                    out.push(Finding::error(
                        "$.userId",
                        "Freshmarketer needs a userId on every identify (Segment's Freshmarketer page requires it); an anonymousId alone is not enough.",
                    ));
                }
                if trait_text("email").is_none() {
                    out.push(Finding::error(
                        "$.traits.email",
                        "Freshmarketer needs traits.email on every identify: the contact is found by its email.",
                    ));
                }
                out.push(Finding::warning(
                    "$.traits",
                    "Freshmarketer blanks contact fields that an update leaves out: send every trait the contact should keep.",
                ));
            }
            CallType::Group if mode == Mode::PartnerApi && trait_text("name").is_none() => {
                out.push(Finding::error(
                    "$.traits.name",
                    "Freshmarketer needs traits.name on group: the sales account is found by its name.",
                ));
            }
            _ => {}
        }
        out
    }

    fn check_setup(&self, e: &Event, mode: Mode, s: &Settings, target: &Target) -> Vec<Finding> {
        let mut out = Vec::new();
        if mode != Mode::PartnerApi {
            return out;
        }
        let domain = settings::text(s, "domain");
        if !domain.is_empty() {
            let h = host(&domain);
            if h.is_empty() || h.contains(['/', '?', '#', '@', ' ']) {
                out.push(Finding::error(
                    "settings.domain",
                    format!(
                        "Domain must be a host name such as acme.myfreshworks.com, not \"{domain}\"."
                    ),
                ));
            }
        }
        let envelope = !matches!(e.call(), CallType::Identify | CallType::Group);
        if envelope
            && matches!(target, Target::Live)
            && settings::text(s, "webhookEndpoint").is_empty()
        {
            out.push(Finding::error(
                "settings.webhookEndpoint",
                format!(
                    "Webhook endpoint is required to send {} calls to the live target: Freshworks publishes no event API, so they go as Segment's partner webhook to the endpoint you give.",
                    e.call()
                ),
            ));
        }
        out
    }

    fn build(&self, ctx: &Ctx) -> Built {
        let call = ctx.event.call();
        match (ctx.mode, call) {
            (Mode::PartnerApi, CallType::Identify) => Built::one(self.contact(ctx)),
            (Mode::PartnerApi, CallType::Group) => Built::one(self.sales_account(ctx)),
            (Mode::PartnerApi, _) => Built::one(segment_webhook::request(
                self,
                ctx,
                Basis::inferred(format!(
                    "Freshworks publishes no event API that matches {call} calls, so the console sends this one as Segment's partner webhook (the event JSON, POSTed to the webhook endpoint), as Segment does for partner-owned destinations."
                )),
                &format!("Send {call} call as Segment partner webhook"),
            )),
            (Mode::SegmentWebhook, _) => Built::one(segment_webhook::request(
                self,
                ctx,
                Basis::Documented,
                &format!("Send {call} call as Segment partner webhook"),
            )),
        }
    }
}

impl Freshmarketer {
    fn contact(&self, ctx: &Ctx) -> PartnerRequest {
        let e = ctx.event;
        let empty = Object::new();
        let traits = e.traits().unwrap_or(&empty);
        let mut m = Mapper::new("body.contact", "$.traits", traits);
        m.copy("emails", &["email"]);
        let first = m.copy("first_name", &["firstName", "first_name"]);
        let last = m.copy("last_name", &["lastName", "last_name"]);
        if !first
            && !last
            && let Some(name) = lookup::text(traits.get("name"))
        {
            let (given, family) = split_name(name);
            let from = ["$.traits.name"];
            m.put_computed("first_name", json!(given), "before_first_space", &from);
            if let Some(f) = family {
                m.put_computed("last_name", json!(f), "after_first_space", &from);
            }
        }
        m.copy("work_number", &["phone"]);
        m.copy("mobile_number", &["mobile", "mobileNumber"]);
        m.copy("job_title", &["title"]);
        m.address();
        if let Some(uid) = lookup::id(&e.user_id) {
            m.put_path("external_id", json!(uid), "$.userId");
        }
        m.custom_fields(CONTACT_TRAITS);
        let email = lookup::text(traits.get("email")).unwrap_or_default();
        let mut trace = Trace::new();
        trace.path("body.unique_identifier.emails", "$.traits.email");
        trace.lines.extend(m.trace.take());
        let body = json!({
            "unique_identifier": {"emails": email},
            "contact": Value::Object(m.out),
        });
        self.upsert(
            ctx,
            "/crm/sales/api/contacts/upsert",
            "Upsert contact",
            body,
            trace,
        )
    }

    fn sales_account(&self, ctx: &Ctx) -> PartnerRequest {
        let empty = Object::new();
        let traits = ctx.event.traits().unwrap_or(&empty);
        let mut m = Mapper::new("body.sales_account", "$.traits", traits);
        m.copy("name", &["name"]);
        m.copy("website", &["website"]);
        m.copy("phone", &["phone"]);
        m.address();
        m.copy("number_of_employees", &["employees"]);
        m.copy("industry_type", &["industry"]);
        m.custom_fields(ACCOUNT_TRAITS);
        let name = lookup::text(traits.get("name")).unwrap_or_default();
        let mut trace = Trace::new();
        trace.path("body.unique_identifier.name", "$.traits.name");
        trace.lines.extend(m.trace.take());
        let body = json!({
            "unique_identifier": {"name": name},
            "sales_account": Value::Object(m.out),
        });
        self.upsert(
            ctx,
            "/crm/sales/api/sales_accounts/upsert",
            "Upsert sales account",
            body,
            trace,
        )
    }

    fn upsert(
        &self,
        ctx: &Ctx,
        path: &str,
        description: &str,
        body: Value,
        mut trace: Trace,
    ) -> PartnerRequest {
        let key = settings::text(ctx.settings, "apiKey");
        trace.constant("header.Content-Type");
        trace.setting("header.Authorization", "apiKey");
        PartnerRequest::post(partner_url(self, ctx, path), description)
            .header("Content-Type", "application/json")
            .secret_header("Authorization", format!("Token token={key}"), &key)
            .json(body)
            .provenance(trace.take())
    }
}

/// The host of the `domain` setting, forgiving a pasted scheme or trailing slash.
fn host(domain: &str) -> &str {
    let d = domain.trim();
    let d = d
        .strip_prefix("https://")
        .or_else(|| d.strip_prefix("http://"))
        .unwrap_or(d);
    d.trim_end_matches('/')
}

/// `"Maya van der Berg"` -> `("Maya", Some("van der Berg"))`: split at the first space only.
pub fn split_name(name: &str) -> (&str, Option<&str>) {
    let name = name.trim();
    match name.split_once(' ') {
        Some((first, rest)) if !rest.trim().is_empty() => (first, Some(rest.trim())),
        _ => (name, None),
    }
}

/// Builds one Freshworks object from traits, writing provenance as it goes.
struct Mapper<'a> {
    out: Map<String, Value>,
    trace: Trace,
    output: &'static str,
    source: &'static str,
    traits: &'a Object,
}

impl<'a> Mapper<'a> {
    fn new(output: &'static str, source: &'static str, traits: &'a Object) -> Mapper<'a> {
        Mapper {
            out: Map::new(),
            trace: Trace::new(),
            output,
            source,
            traits,
        }
    }

    /// The first of `keys` present (not null) fills `field`; false when none is.
    fn copy(&mut self, field: &str, keys: &[&str]) -> bool {
        for k in keys {
            if let Some(v) = lookup::present(self.traits.get(*k)) {
                let src = path::key(self.source, k);
                self.put_path(field, v.clone(), &src);
                return true;
            }
        }
        false
    }

    fn put_path(&mut self, field: &str, v: Value, src: &str) {
        self.trace.path(path::key(self.output, field), src);
        self.out.insert(field.to_string(), v);
    }

    fn put_computed(&mut self, field: &str, v: Value, rule: &str, from: &[&str]) {
        self.trace
            .computed(path::key(self.output, field), rule, from);
        self.out.insert(field.to_string(), v);
    }

    /// `address.street` -> `address`, `address.city` -> `city`, ...; a non-object address gives
    /// nothing (the generic rules warn about it).
    fn address(&mut self) {
        let Some(Value::Object(addr)) = self.traits.get("address") else {
            return;
        };
        let parent = path::key(self.source, "address");
        for (seg, field) in ADDRESS {
            if let Some(v) = lookup::present(addr.get(*seg)) {
                let src = path::key(&parent, seg);
                self.put_path(field, v.clone(), &src);
            }
        }
    }

    /// Every trait the mapping did not read, under its own key (Freshworks matches custom
    /// fields by label). Nulls are left out like every other missing value.
    fn custom_fields(&mut self, mapped: &[&str]) {
        let mut custom = Map::new();
        let parent = path::key(self.output, "custom_field");
        for (k, v) in self.traits {
            if mapped.contains(&k.as_str()) || v.is_null() {
                continue;
            }
            self.trace
                .path(path::key(&parent, k), path::key(self.source, k));
            custom.insert(k.clone(), v.clone());
        }
        if !custom.is_empty() {
            self.out
                .insert("custom_field".to_string(), Value::Object(custom));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_splits_at_the_first_space_only() {
        assert_eq!(split_name("Maya Lindqvist"), ("Maya", Some("Lindqvist")));
        assert_eq!(
            split_name("Maya van der Berg"),
            ("Maya", Some("van der Berg"))
        );
        assert_eq!(split_name("  Maya  "), ("Maya", None));
        assert_eq!(split_name("Maya  Lind"), ("Maya", Some("Lind")));
        assert_eq!(split_name("Cher"), ("Cher", None));
    }

    #[test]
    fn host_forgives_a_pasted_scheme() {
        assert_eq!(host("acme.myfreshworks.com"), "acme.myfreshworks.com");
        assert_eq!(
            host(" https://acme.myfreshworks.com/ "),
            "acme.myfreshworks.com"
        );
        let mut s = Settings::new();
        s.insert("domain".into(), json!("http://acme.myfreshworks.com"));
        assert_eq!(
            Freshmarketer.live_base(&s).as_deref(),
            Some("https://acme.myfreshworks.com")
        );
        assert_eq!(Freshmarketer.live_base(&Settings::new()), None);
    }
}
