//! Destinations: the contract of each partner (docs/destinations.md), behind one trait, and the
//! pipeline every event goes through (filter, accepted calls, validation, build).
//! Pure: no I/O, no clock; the caller passes "now".

pub mod freshmarketer;
pub mod kit;
pub mod salesmachine;
pub mod skalin;
pub mod startdeliver;
pub mod webhook;

pub use kit::provenance::{Provenance, Source, Trace};
pub use kit::request::{Basis, Body, Header, PartnerRequest};
pub use kit::settings::{Need, SettingField, SettingKind, Settings};

use crate::event::{CallType, Event, Finding, has_errors, integrations, validate};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    PartnerApi,
    SegmentWebhook,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::PartnerApi => "partner-api",
            Mode::SegmentWebhook => "segment-webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "partner-api" => Some(Mode::PartnerApi),
            "segment-webhook" => Some(Mode::SegmentWebhook),
            _ => None,
        }
    }
}

/// Where requests go. The sandbox's base is known only once it runs, so it travels here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Target {
    Sandbox { base: String },
    Live,
    Custom { url: String },
}

impl Target {
    /// Reads `live`, `sandbox` or a URL, as the command line takes them.
    pub fn parse(text: &str, sandbox_base: &str) -> Result<Target, String> {
        match text {
            "live" => Ok(Target::Live),
            "sandbox" => Ok(Target::Sandbox {
                base: sandbox_base.trim_end_matches('/').to_string(),
            }),
            url if kit::settings::looks_like_url(url) => Ok(Target::Custom {
                url: url.to_string(),
            }),
            other => Err(format!(
                "target \"{other}\" is not live, sandbox or an http(s):// URL"
            )),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Target::Sandbox { .. } => "sandbox".into(),
            Target::Live => "live".into(),
            Target::Custom { url } => url.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutcomeKind {
    Requests,
    Skipped,
    Unsupported,
    Rejected,
}

impl OutcomeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Requests => "requests",
            OutcomeKind::Skipped => "skipped",
            OutcomeKind::Unsupported => "unsupported",
            OutcomeKind::Rejected => "rejected",
        }
    }
}

/// What the pipeline made of one event.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// Why nothing is sent, in words (skipped, unsupported, rejected).
    pub reason: Option<String>,
    pub findings: Vec<Finding>,
    pub requests: Vec<PartnerRequest>,
    /// Sentences the preview shows beside the requests (Startdeliver's matching, ...).
    pub notes: Vec<String>,
}

impl Outcome {
    fn nothing(kind: OutcomeKind, reason: String, findings: Vec<Finding>) -> Outcome {
        Outcome {
            kind,
            reason: Some(reason),
            findings,
            requests: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The `translate` command's JSON for this outcome (masked unless `show_secrets`).
    pub fn to_json(&self, index: usize, show_secrets: bool) -> Value {
        let mut out = json!({
            "index": index,
            "outcome": self.kind.as_str(),
        });
        if let Some(r) = &self.reason {
            out["reason"] = Value::String(r.clone());
        }
        out["findings"] = serde_json::to_value(&self.findings).unwrap_or(Value::Null);
        out["requests"] = Value::Array(
            self.requests
                .iter()
                .map(|r| r.shown(show_secrets).to_json())
                .collect(),
        );
        if !self.notes.is_empty() {
            out["notes"] = json!(self.notes);
        }
        out
    }
}

/// What a destination's build step gets.
pub struct Ctx<'a> {
    pub event: &'a Event,
    /// The event as given, for envelopes that forward it untouched.
    pub raw: &'a Value,
    pub settings: &'a Settings,
    pub mode: Mode,
    pub target: &'a Target,
    pub now: DateTime<Utc>,
}

/// Requests and the sentences that explain them.
#[derive(Default, Debug)]
pub struct Built {
    pub requests: Vec<PartnerRequest>,
    pub notes: Vec<String>,
}

impl Built {
    pub fn one(r: PartnerRequest) -> Built {
        Built {
            requests: vec![r],
            notes: Vec::new(),
        }
    }
}

pub trait Destination: Sync + Send {
    /// Stable id: `salesmachine`, also the sandbox path prefix.
    fn id(&self) -> &'static str;
    /// The key of the Integrations object (case-sensitive): `Salesmachine`.
    fn integration_name(&self) -> &'static str;
    fn calls(&self) -> &'static [CallType];
    /// The modes it has; the first is the default.
    fn modes(&self) -> &'static [Mode];
    fn settings_schema(&self) -> &'static [SettingField];
    /// The settings that work against the embedded sandbox: its credentials
    /// (`kit::sandbox_credentials`) and a value for every other setting it needs. A new
    /// window's configuration, and what `run --target sandbox` fills in.
    fn sandbox_settings(&self) -> Settings;
    /// The partner's real base URL for partner-api mode, when known from the settings.
    fn live_base(&self, settings: &Settings) -> Option<String>;
    /// The destination's own required fields and warnings (after the generic rules).
    fn check(&self, event: &Event, mode: Mode) -> Vec<Finding>;
    /// Checks that need the settings and target together with the event (an endpoint only some
    /// calls use, headers the user typed). Runs after `check`.
    fn check_setup(&self, _e: &Event, _m: Mode, _s: &Settings, _t: &Target) -> Vec<Finding> {
        Vec::new()
    }
    /// Builds the requests. Only called for an accepted, valid event with valid settings.
    fn build(&self, ctx: &Ctx) -> Built;

    fn default_mode(&self) -> Mode {
        self.modes()[0]
    }

    fn accepts(&self, call: CallType) -> bool {
        self.calls().contains(&call)
    }
}

/// The destinations the console knows, in the order the picker shows them.
pub fn registry() -> &'static [&'static dyn Destination] {
    static ALL: [&dyn Destination; 5] = [
        &salesmachine::Salesmachine,
        &startdeliver::Startdeliver,
        &freshmarketer::Freshmarketer,
        &skalin::Skalin,
        &webhook::Webhooks,
    ];
    &ALL
}

pub fn find(id: &str) -> Option<&'static dyn Destination> {
    registry().iter().copied().find(|d| d.id() == id)
}

/// Names the calls, for messages: "identify, track, page, group and alias".
pub fn list_calls(calls: &[CallType]) -> String {
    let names: Vec<&str> = calls.iter().map(|c| c.as_str()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.to_string(),
        None => String::new(),
    }
}

/// Runs the pipeline of docs/destinations.md §0 for one event.
pub fn translate(
    dest: &dyn Destination,
    raw: &Value,
    settings: &Settings,
    mode: Mode,
    target: &Target,
    now: DateTime<Utc>,
) -> Outcome {
    // 1. Integrations filter.
    if let Err(reason) = integrations::enabled(raw.get("integrations"), dest.integration_name()) {
        return Outcome::nothing(OutcomeKind::Skipped, reason, Vec::new());
    }
    // 2. Accepted calls (an unreadable type is a validation error, below).
    if let Some(call) = raw
        .get("type")
        .and_then(Value::as_str)
        .and_then(CallType::parse)
        && !dest.accepts(call)
    {
        return Outcome::nothing(
            OutcomeKind::Unsupported,
            format!(
                "{} does not accept {call} calls; it accepts {}.",
                dest.integration_name(),
                list_calls(dest.calls())
            ),
            Vec::new(),
        );
    }
    // 3. Validation: the mode, the generic rules, the settings, then the destination's own.
    let mut findings = Vec::new();
    if !dest.modes().contains(&mode) {
        let modes: Vec<&str> = dest.modes().iter().map(|m| m.as_str()).collect();
        findings.push(Finding::error(
            "settings.mode",
            format!(
                "{} has no {} mode; use {}.",
                dest.integration_name(),
                mode.as_str(),
                modes.join(" or ")
            ),
        ));
    }
    findings.extend(validate(raw));
    findings.extend(kit::settings::check(
        dest.settings_schema(),
        settings,
        mode,
        target,
    ));
    let event = Event::from_value(raw).ok();
    if let Some(e) = &event {
        findings.extend(dest.check(e, mode));
        findings.extend(dest.check_setup(e, mode, settings, target));
    }
    let event = match event {
        Some(e) if !has_errors(&findings) => e,
        _ => {
            let n = findings.iter().filter(|f| f.is_error()).count().max(1);
            let reason = format!(
                "{n} error{} must be fixed before this event can be sent.",
                if n == 1 { "" } else { "s" }
            );
            return Outcome::nothing(OutcomeKind::Rejected, reason, findings);
        }
    };
    // 4. Build.
    let ctx = Ctx {
        event: &event,
        raw,
        settings,
        mode,
        target,
        now,
    };
    let mut built = dest.build(&ctx);
    let envelope = built.requests.iter().any(|r| {
        r.headers
            .iter()
            .any(|h| h.name == kit::segment_webhook::SETTINGS_HEADER)
    });
    if envelope && let Some(note) = kit::segment_webhook::unforwarded_note(dest, settings) {
        built.notes.push(note);
    }
    Outcome {
        kind: OutcomeKind::Requests,
        reason: None,
        findings,
        requests: built.requests,
        notes: built.notes,
    }
}

/// The URL of a partner-api request: target base + partner path and query (section 0, Targets).
pub fn partner_url(dest: &dyn Destination, ctx: &Ctx, path_and_query: &str) -> String {
    match ctx.target {
        Target::Sandbox { base } => {
            format!(
                "{}/{}{path_and_query}",
                base.trim_end_matches('/'),
                dest.id()
            )
        }
        Target::Live => format!(
            "{}{path_and_query}",
            dest.live_base(ctx.settings).unwrap_or_default()
        ),
        Target::Custom { url } => format!("{}{path_and_query}", url.trim_end_matches('/')),
    }
}

/// `Basic base64(user:password)`, the colon always present.
pub fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}
