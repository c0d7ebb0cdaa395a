//! What the test binaries and the benches share, included by each with
//! `#[path = "../support/mod.rs"] mod support;` (`../tests/support/mod.rs` from benches/).
//!
//! Here: the sandbox's credentials, a fixed clock, the tour events and the settings a new user
//! starts with; translating with the real translators and sending with the real transport to the
//! real sandbox over loopback. Beside it:
//! - `sandbox`: starting a sandbox and talking to it over real HTTP (reqwest or a raw socket);
//! - `scenarios`: the sends against the sandbox's fault injection;
//! - `python`: partners' official Python clients, from the environment `scripts/test-deps.sh`
//!   fills;
//! - `node`: newman and har-validator, from the npm folder the same script fills;
//! - `ui`: the real `App` in an egui_kittest harness;
//! - `bench`: realistic history in bulk, criterion's medians and thread CPU time, for the benches.
//!
//! Each binary uses a part, so unused code is allowed here.

#![allow(dead_code)]

pub mod bench;
pub mod capture;
pub mod node;
pub mod python;
pub mod sandbox;
pub mod scenarios;
pub mod ui;

use chrono::{DateTime, TimeZone, Utc};
use segment_console::destinations::{self, Mode, Outcome, OutcomeKind, Settings, Target};
use segment_console::files::settings_store::default_config;
use segment_console::sandbox::{Credentials, SandboxConfig, SandboxHandle};
use segment_console::transport::{Attempt, Cancel, SendReport, Transport, TransportOptions};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

/// The sandbox's credentials, as the settings store's defaults hold them.
pub const API_KEY: &str = "sandbox-api-key";
pub const API_SECRET: &str = "sandbox-api-secret";
pub const CLIENT_ID: &str = "sandbox-client";
/// The webhook's shared secret the end-to-end tests sign with.
pub const WEBHOOK_SECRET: &str = "e2e-shared-secret-31f9";

/// A fixed "now", so nothing depends on the day the tests run (and every bench run translates
/// the same bytes).
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 6, 10, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// The events of `assets/tour.json`, in order.
pub fn tour() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tour.json");
    let text = std::fs::read_to_string(&path).expect("read assets/tour.json");
    let doc: Value = serde_json::from_str(&text).expect("assets/tour.json is JSON");
    doc["events"].as_array().expect("tour events").clone()
}

/// The tour's event of this call type.
pub fn tour_event(call: &str) -> Value {
    tour()
        .into_iter()
        .find(|e| e["type"] == call)
        .unwrap_or_else(|| panic!("the tour has no {call} event"))
}

/// The settings store's defaults for a destination (what a new user of the window starts
/// with): the sandbox credentials.
pub fn settings(id: &str) -> Settings {
    default_config(id).settings
}

pub fn with(mut s: Settings, key: &str, value: Value) -> Settings {
    s.insert(key.to_string(), value);
    s
}

/// A sandbox on port 0 with the default credentials.
pub async fn sandbox() -> SandboxHandle {
    sandbox::start().await
}

pub async fn sandbox_with(credentials: Credentials) -> SandboxHandle {
    sandbox::start_with(SandboxConfig {
        credentials,
        ..SandboxConfig::default()
    })
    .await
}

pub fn target(sb: &SandboxHandle) -> Target {
    Target::Sandbox {
        base: sb.base_url(),
    }
}

/// Runs the real translator; panics unless the outcome is `requests`.
pub fn translate(id: &str, event: &Value, s: &Settings, mode: Mode, t: &Target) -> Outcome {
    let dest = destinations::find(id).unwrap_or_else(|| panic!("no destination {id}"));
    let out = destinations::translate(dest, event, s, mode, t, now());
    assert_eq!(
        out.kind,
        OutcomeKind::Requests,
        "{id} {}: {:?} {:?}",
        event["type"],
        out.reason,
        out.findings
    );
    out
}

/// Short timings, so that a whole file runs in seconds.
pub fn fast() -> TransportOptions {
    TransportOptions {
        timeout: Duration::from_secs(5),
        max_attempts: 1,
        backoff_base: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(2),
        ..TransportOptions::single()
    }
}

pub fn transport() -> Transport {
    Transport::new().expect("build the transport")
}

pub async fn send(outcome: &Outcome, opts: &TransportOptions) -> SendReport {
    transport()
        .send_event(&outcome.requests, opts, &Cancel::new())
        .await
}

/// Translates and sends one event, returning both.
pub async fn deliver(
    id: &str,
    event: &Value,
    s: &Settings,
    mode: Mode,
    t: &Target,
) -> (Outcome, SendReport) {
    let out = translate(id, event, s, mode, t);
    let report = send(&out, &fast()).await;
    (out, report)
}

/// The final status of every request (`None`: not sent or no reply).
pub fn statuses(r: &SendReport) -> Vec<Option<u16>> {
    r.exchanges
        .iter()
        .map(|e| e.last().and_then(|a| a.status))
        .collect()
}

/// The statuses of every attempt of request `i`.
pub fn attempt_statuses(r: &SendReport, i: usize) -> Vec<Option<u16>> {
    r.exchanges
        .get(i)
        .map(|e| e.attempts.iter().map(|a| a.status).collect())
        .unwrap_or_default()
}

pub fn last(r: &SendReport, i: usize) -> &Attempt {
    r.exchanges
        .get(i)
        .and_then(|e| e.last())
        .unwrap_or_else(|| panic!("request {i} has no attempt: {r:#?}"))
}

pub fn body_text(a: &Attempt) -> String {
    a.body.as_ref().map(|b| b.text.clone()).unwrap_or_default()
}

pub fn body_json(a: &Attempt) -> Value {
    serde_json::from_str(&body_text(a))
        .unwrap_or_else(|e| panic!("reply is not JSON ({e}): {}", body_text(a)))
}

/// Asserts every request got a 2xx on its first attempt.
pub fn assert_all_2xx(what: &str, r: &SendReport) {
    for (i, ex) in r.exchanges.iter().enumerate() {
        let a = ex
            .last()
            .unwrap_or_else(|| panic!("{what}: request {i} was not sent: {:?}", ex.not_sent));
        assert!(
            a.error.is_none() && a.status.is_some_and(|s| (200..300).contains(&s)),
            "{what}: request {i} ({}) got {:?} {:?}: {}",
            ex.request.url,
            a.status,
            a.error,
            body_text(a)
        );
        assert_eq!(ex.attempts.len(), 1, "{what}: request {i} was retried");
    }
}
