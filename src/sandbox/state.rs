//! What the sandbox remembers, per destination, until reset: what `GET /_sandbox/state` shows.
//! The partner modules change it; this file only says its shape.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

#[derive(Debug, Default, Serialize)]
pub struct State {
    pub salesmachine: Salesmachine,
    pub startdeliver: Startdeliver,
    pub freshmarketer: Freshmarketer,
    pub skalin: Skalin,
    pub webhook: Webhook,
    /// Per destination: how many requests came and what they got.
    pub counts: BTreeMap<String, Counts>,
}

impl State {
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Counts one exchange: `status` is `None` when the connection was dropped.
    pub fn count(&mut self, dest: &str, status: Option<u16>) {
        let c = self.counts.entry(dest.to_string()).or_default();
        c.requests += 1;
        match status {
            Some(code) => *c.statuses.entry(code.to_string()).or_default() += 1,
            None => c.dropped += 1,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Counts {
    pub requests: u64,
    /// Status code (as text) to how many replies had it.
    pub statuses: BTreeMap<String, u64>,
    pub dropped: u64,
}

#[derive(Debug, Default, Serialize)]
pub struct Salesmachine {
    /// By contact_uid.
    pub contacts: BTreeMap<String, SmRecord>,
    /// By account_uid.
    pub accounts: BTreeMap<String, SmRecord>,
    pub events: Vec<SmEvent>,
    pub aliases: Vec<SmAlias>,
}

#[derive(Debug, Default, Serialize)]
pub struct SmRecord {
    /// Every param ever sent, later values winning (Salesmachine updates, it does not blank).
    pub params: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct SmEvent {
    pub contact_uid: String,
    pub event_uid: String,
    pub params: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct SmAlias {
    pub contact_uid: String,
    pub previous_contact_uid: String,
}

#[derive(Debug, Default, Serialize)]
pub struct Startdeliver {
    pub users: Vec<SdUser>,
    pub usage: Vec<SdUsage>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SdUser {
    pub id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Custom field alias to value (the field named by `startdeliverUserCustomFieldToMatchOn`).
    pub custom_fields: Map<String, Value>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SdUsage {
    pub user_id: u64,
    /// `track` or `page`.
    #[serde(rename = "type")]
    pub call: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Value>,
    pub properties: Map<String, Value>,
}

#[derive(Debug, Default, Serialize)]
pub struct Freshmarketer {
    /// Each record is `{"id": n, <every contact field>, "custom_field": {...}}`.
    pub contacts: Vec<Map<String, Value>>,
    pub sales_accounts: Vec<Map<String, Value>>,
    /// Events that came through the Segment partner webhook (`/freshmarketer/segment`).
    pub segment: Vec<Value>,
}

#[derive(Debug, Default, Serialize)]
pub struct Skalin {
    pub identities: Vec<SkIdentity>,
    pub features: Vec<SkFeature>,
    /// Features of a contact not identified yet, kept until a `ui` hit with that id or email
    /// arrives, then moved to `features` (docs/destinations.md §7, revised 2026-12).
    pub pending: Vec<SkPending>,
    /// Hits accepted again with an `event_id` already recorded (kept once).
    pub duplicates: u64,
    /// Events that came through the Segment partner webhook (`/skalin/segment`).
    pub segment: Vec<Value>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SkIdentity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    pub visitor_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct SkFeature {
    /// Index into `identities`.
    pub identity: usize,
    pub name: String,
    pub event_name: String,
    /// Every parameter of the hit, as received (a bulk element's in the hit's spelling).
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
pub struct SkPending {
    /// Who the hit named; either may be missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The hit's visitor id, which attaches it when it named neither an email nor an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visitor_id: Option<String>,
    pub name: String,
    pub event_name: String,
    /// Every parameter of the hit, as received.
    pub params: BTreeMap<String, String>,
}

#[derive(Debug, Default, Serialize)]
pub struct Webhook {
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Serialize)]
pub struct Delivery {
    /// Header name to value, with credentials masked.
    pub headers: BTreeMap<String, String>,
    pub body: Value,
    /// `valid` when a shared secret is configured (an invalid one is refused), else `not checked`.
    pub signature: &'static str,
}
