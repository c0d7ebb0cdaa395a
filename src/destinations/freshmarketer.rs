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

/// Contact traits the mapping reads, each with the Freshworks field it fills (`name` only when
/// neither first nor last name is given); every other trait goes into `custom_field`.
const CONTACT_TRAITS: &[(&str, &str)] = &[
    ("email", "emails"),
    ("firstName", "first_name"),
    ("first_name", "first_name"),
    ("lastName", "last_name"),
    ("last_name", "last_name"),
    ("name", "first_name"),
    ("phone", "work_number"),
    ("mobile", "mobile_number"),
    ("mobileNumber", "mobile_number"),
    ("title", "job_title"),
    ("address", "address"),
];

/// Group traits the sales-account mapping reads, with their fields. `industry` is not among them:
/// Freshworks' industry field is `industry_type_id`, a numeric id from the account's own list, so
/// the text goes into `custom_field` (docs/destinations.md §4, revised 2026-12).
const ACCOUNT_TRAITS: &[(&str, &str)] = &[
    ("name", "name"),
    ("website", "website"),
    ("phone", "phone"),
    ("address", "address"),
    ("employees", "number_of_employees"),
];

/// Segment's `address` keys and the Freshworks fields they fill, in Freshworks' order.
const ADDRESS: &[(&str, &str)] = &[
    ("street", "address"),
    ("city", "city"),
    ("state", "state"),
    ("postalCode", "zipcode"),
    ("country", "country"),
];

/// Why the contact and sales-account upserts are inferred (docs/destinations.md §8.4).
const UPSERT_REASON: &str = "Freshworks documents the CRM API's base URL and Token authentication, \
     but the upsert reference could not be checked: the path, unique_identifier and the record's \
     fields follow third-party integrations, and custom_field (keyed here by the trait's name) and \
     the split of name into first and last name have no public source.";

/// Why the partner webhook's settings header is inferred for Freshmarketer.
const EMPTY_SETTINGS_REASON: &str = "X-Segment-Settings is {} (Segment's Freshmarketer destination \
     has no settings to forward, and Segment does not say whether it sends the header then).";

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
    /// In partner-api mode every trait holding an object or an array is named: Freshworks fields
    /// hold one value, so the upsert leaves it out (§4, revised 2026-12).
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
        if mode == Mode::PartnerApi
            && let Some(record) = Record::of(e.call())
            && let Some(t) = traits
        {
            out.extend(unsent_traits(t, record));
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
            (Mode::PartnerApi, CallType::Group) => Built {
                requests: vec![self.sales_account(ctx)],
                notes: account_notes(ctx.event),
            },
            (Mode::PartnerApi, _) => Built::one(segment_webhook::request(
                self,
                ctx,
                Basis::inferred(format!(
                    "Freshworks publishes no event API that matches {call} calls (the CRM API has none; the legacy Freshsales analytics API is not part of it), so the console sends this one as Segment's partner webhook (the event JSON, POSTed to the webhook endpoint), as Segment does for partner-owned destinations."
                )),
                &format!("Send {call} call as Segment partner webhook"),
            )),
            (Mode::SegmentWebhook, CallType::Identify) => Built::one(segment_webhook::request(
                self,
                ctx,
                Basis::inferred(EMPTY_SETTINGS_REASON),
                &format!("Send {call} call as Segment partner webhook"),
            )),
            (Mode::SegmentWebhook, _) => Built::one(segment_webhook::request(
                self,
                ctx,
                Basis::inferred(format!(
                    "Segment's catalog lists only identify calls for its Freshmarketer destination today, so whether Segment sends it {call} calls is inferred; {EMPTY_SETTINGS_REASON}"
                )),
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
            .basis(Basis::inferred(UPSERT_REASON))
            .json(body)
            .provenance(trace.take())
    }
}

/// The two Freshworks records the partner-api upserts fill from traits.
#[derive(Clone, Copy)]
enum Record {
    Contact,
    SalesAccount,
}

impl Record {
    fn of(call: CallType) -> Option<Record> {
        match call {
            CallType::Identify => Some(Record::Contact),
            CallType::Group => Some(Record::SalesAccount),
            _ => None,
        }
    }

    /// The traits mapped to standard fields, with those fields.
    fn traits(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Record::Contact => CONTACT_TRAITS,
            Record::SalesAccount => ACCOUNT_TRAITS,
        }
    }

    /// The trait the record is found by; its absence or wrong type is already an error.
    fn key(self) -> &'static str {
        match self {
            Record::Contact => "email",
            Record::SalesAccount => "name",
        }
    }
}

/// A value one Freshworks field can hold: text, a number, a boolean (null counts as missing).
fn single(v: &Value) -> bool {
    !(v.is_object() || v.is_array())
}

/// One warning per trait the upsert leaves out because it holds an object or an array
/// (§4, revised 2026-12). The `address` object is read key by key into standard fields, so
/// its keys are checked instead of the object.
fn unsent_traits(traits: &Object, record: Record) -> Vec<Finding> {
    let mut out = Vec::new();
    for (k, v) in traits {
        if k == record.key() {
            continue;
        }
        let at = path::key("$.traits", k);
        if let ("address", Value::Object(addr)) = (k.as_str(), v) {
            for (seg, field) in ADDRESS {
                if let Some(w) = addr
                    .get(*seg)
                    .and_then(|v| unsent(v, &path::key(&at, seg), Some(field)))
                {
                    out.push(w);
                }
            }
            continue;
        }
        let field = record
            .traits()
            .iter()
            .find(|(t, _)| t == k)
            .map(|(_, f)| *f);
        out.extend(unsent(v, &at, field));
    }
    out
}

/// The warning for a value no Freshworks field holds, naming the standard field it would have
/// filled, else the custom fields.
fn unsent(v: &Value, at: &str, field: Option<&str>) -> Option<Finding> {
    let what = match v {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        _ => return None,
    };
    let message = match field {
        Some(f) => format!("Freshworks' {f} field holds a single value; this {what} is not sent."),
        None => format!("Freshworks custom fields hold a single value; this {what} is not sent."),
    };
    Some(Finding::warning(at, message))
}

/// What the preview says beside a sales-account upsert: the groupId it does not send, and where
/// `industry` went (§4, revised 2026-12).
fn account_notes(e: &Event) -> Vec<String> {
    let mut notes = Vec::new();
    let group = e
        .group_id()
        .filter(|g| !g.trim().is_empty())
        .map(|g| format!("groupId `{g}`"))
        .unwrap_or_else(|| "groupId".into());
    notes.push(format!(
        "{group} is not sent: Freshworks sales accounts have no field for it; the account is found by traits.name."
    ));
    if e.traits()
        .and_then(|t| lookup::present(t.get("industry")))
        .is_some_and(single)
    {
        notes.push(
            "industry is sent as the custom field \"industry\", not as Freshworks' industry field: that field (industry_type_id) takes the numeric id of an entry in the account's own industry list, which the console cannot know."
                .into(),
        );
    }
    notes
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

    /// The first of `keys` holding a single value fills `field`; false when none does. Objects
    /// and arrays are left out (`check` warns about them).
    fn copy(&mut self, field: &str, keys: &[&str]) -> bool {
        for k in keys {
            if let Some(v) = lookup::present(self.traits.get(*k)).filter(|v| single(v)) {
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
    /// nothing (the generic rules warn about it), nor does a key holding an object or an array.
    fn address(&mut self) {
        let Some(Value::Object(addr)) = self.traits.get("address") else {
            return;
        };
        let parent = path::key(self.source, "address");
        for (seg, field) in ADDRESS {
            if let Some(v) = lookup::present(addr.get(*seg)).filter(|v| single(v)) {
                let src = path::key(&parent, seg);
                self.put_path(field, v.clone(), &src);
            }
        }
    }

    /// Every trait the mapping did not read, under its own key (Freshworks matches custom
    /// fields by label). Nulls are left out like every other missing value; objects and arrays
    /// too, since a custom field holds one value (`check` warns about them).
    fn custom_fields(&mut self, mapped: &[(&str, &str)]) {
        let mut custom = Map::new();
        let parent = path::key(self.output, "custom_field");
        for (k, v) in self.traits {
            if mapped.iter().any(|(t, _)| t == k) || v.is_null() || !single(v) {
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
    fn objects_and_arrays_are_named_only_in_partner_api_mode() {
        let ev = Event::from_value(&json!({"type": "identify", "userId": "u1",
            "traits": {"email": "a@x.io", "company": {"name": "Acme"}, "tags": ["a"],
                "phone": ["1", "2"], "address": {"street": "1 Main St", "city": ["x"]}}}))
        .unwrap();
        let named = |mode| -> Vec<(String, String)> {
            Freshmarketer
                .check(&ev, mode)
                .into_iter()
                .filter(|f| f.path != "$.traits")
                .map(|f| (f.path, f.message))
                .collect()
        };
        let custom = |what: &str| {
            format!("Freshworks custom fields hold a single value; this {what} is not sent.")
        };
        assert_eq!(
            named(Mode::PartnerApi),
            [
                ("$.traits.company".to_string(), custom("object")),
                ("$.traits.tags".to_string(), custom("array")),
                (
                    "$.traits.phone".to_string(),
                    "Freshworks' work_number field holds a single value; this array is not sent."
                        .to_string()
                ),
                (
                    "$.traits.address.city".to_string(),
                    "Freshworks' city field holds a single value; this array is not sent."
                        .to_string()
                ),
            ]
        );
        assert!(named(Mode::SegmentWebhook).is_empty());
        // The email is the contact's key: its wrong type is an error already, not a warning.
        let bad = Event::from_value(&json!({"type": "identify", "userId": "u1",
            "traits": {"email": {"work": "a@x.io"}}}))
        .unwrap();
        let paths: Vec<String> = Freshmarketer
            .check(&bad, Mode::PartnerApi)
            .into_iter()
            .filter(|f| f.path == "$.traits.email")
            .map(|f| format!("{:?}", f.severity))
            .collect();
        assert_eq!(paths, ["Error"]);
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
