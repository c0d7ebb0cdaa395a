//! Partners' official clients, unchanged, pointed at the sandbox (docs/destinations.md §7).
//!
//! Salesmachine: the official `salesmachine-python` client (PyPI, version 1.0.1), installed by
//! `scripts/test-deps.sh` into `target/pyenv`, runs in a Python process against the sandbox on loopback. Its
//! `Client(key, secret, url=...)` takes the full batch URL (by default
//! `https://api.salesmachine.io/v1/batch`); here it is the sandbox's base URL followed by
//! `/salesmachine/v1/batch`. It sends Basic auth (token and secret) and a JSON array of items
//! with `method`, and on an error status reads `code` and `message` from the body into its own
//! `APIError`, retrying each batch four times first. The tests check that:
//! - with the sandbox's credentials a batch of a contact, an account, an event and a pageview
//!   succeeds and each arrives in the sandbox's state with its fields;
//! - with a wrong key, and under a 429 fault, the client raises its own `APIError` (not a
//!   `KeyError`) carrying the sandbox's status, code and message, and nothing is kept.
//!
//! Without the environment these tests fail and say how to install it; they never contact a
//! host other than 127.0.0.1.
//!
//! The other partners have no official client installable here (PyPI, npm and crates.io were
//! searched): Startdeliver and Skalin publish none; for Freshworks CRM there is only PyPI
//! `freshsales` 1.0.0 (2018), which Freshworks does not document as its client, and npm
//! `freshsales`, a third party's wrapper; Segment's Webhooks destination has no client, being
//! any URL. Their requests are held to the sandbox by the tour tests in `destinations.rs`.

use crate::support::python::{run_script, salesmachine_python};
use segment_console::destinations::kit::sandbox_credentials::{API_KEY, API_SECRET};
use segment_console::sandbox::{BlockingSandbox, Fault, Sandbox, SandboxConfig};
use serde_json::{Value, json};

/// Queues a contact, an account, an event and a pageview with salesmachine-python's public
/// calls, lets its consumer thread send them and waits (`flush`), then prints what its
/// `on_error` caught as JSON. `send=False` keeps the consumer from starting before the four
/// calls are queued, so they go out as one batch of the client's own making.
const SALESMACHINE_SCRIPT: &str = r#"
import json
import sys

import salesmachine
from salesmachine.request import APIError

url, key, secret = sys.argv[1:4]
caught = []


def on_error(error, batch):
    caught.append({
        "type": type(error).__module__ + "." + type(error).__name__,
        "api_error": isinstance(error, APIError),
        "status": getattr(error, "status", None),
        "code": getattr(error, "code", None),
        "message": getattr(error, "message", None),
        "text": str(error),
        "items": len(batch),
    })


client = salesmachine.Client(key, secret, url=url, send=False, on_error=on_error)
client.set_contact("ada", {"name": "Ada Lovelace", "email": "ada@example.com",
                           "account_uid": "acme"})
client.set_account("acme", {"name": "Acme Inc", "plan": "enterprise", "seats": 12})
client.track_event("ada", "report_exported", {"format": "csv", "rows": 120})
client.track_pageview("ada", {"visit_url": "https://example.com/pricing",
                              "visit_ip": "203.0.113.9"})
client.consumer.start()
client.flush()
print(json.dumps({"version": salesmachine.__version__, "caught": caught}))
"#;

fn start() -> BlockingSandbox {
    Sandbox::start_blocking(SandboxConfig::default()).expect("the sandbox starts")
}

/// Runs the script with the official client against `sb` and returns what it printed.
fn run_salesmachine_python(sb: &BlockingSandbox, key: &str, secret: &str) -> Value {
    let python = salesmachine_python();
    let url = format!("{}/salesmachine/v1/batch", sb.base_url());
    run_script(&python, SALESMACHINE_SCRIPT, &[&url, key, secret])
}

#[test]
fn salesmachine_python_sends_a_batch_the_sandbox_keeps() {
    let sb = start();
    let out = run_salesmachine_python(&sb, API_KEY, API_SECRET);
    assert_eq!(out, json!({"version": "1.0.1", "caught": []}));

    let state = sb.state();
    let sm = &state["salesmachine"];
    assert_eq!(
        sm["contacts"],
        json!({"ada": {"params": {"name": "Ada Lovelace", "email": "ada@example.com",
            "account_uid": "acme"}}})
    );
    assert_eq!(
        sm["accounts"],
        json!({"acme": {"params": {"name": "Acme Inc", "plan": "enterprise", "seats": 12}}})
    );
    assert_eq!(
        sm["events"],
        json!([
            {"contact_uid": "ada", "event_uid": "report_exported",
                "params": {"format": "csv", "rows": 120}},
            {"contact_uid": "ada", "event_uid": "pageview",
                "params": {"visit_url": "https://example.com/pricing", "visit_ip": "203.0.113.9"}}
        ])
    );
    // One request: the client's own batch of the four items.
    assert_eq!(
        state["counts"]["salesmachine"],
        json!({"requests": 1, "statuses": {"200": 1}, "dropped": 0})
    );
}

#[test]
fn salesmachine_python_raises_its_api_error_for_a_wrong_key() {
    let sb = start();
    let out = run_salesmachine_python(&sb, "wrong-api-key", API_SECRET);
    assert_eq!(
        out["caught"],
        json!([{
            "type": "salesmachine.request.APIError",
            "api_error": true,
            "status": 401,
            "code": "invalid_api_key",
            "message": "The API token or API secret is wrong",
            "text": "[Salesmachine] invalid_api_key: The API token or API secret is wrong (401)",
            "items": 4
        }]),
        "{out}"
    );
    let state = sb.state();
    assert_eq!(state["salesmachine"]["contacts"], json!({}));
    assert_eq!(state["salesmachine"]["events"], json!([]));
    // salesmachine-python 1.0.1 sends a failed batch five times (its Consumer retries any
    // error four times, without a pause), then hands the error to on_error.
    assert_eq!(
        state["counts"]["salesmachine"],
        json!({"requests": 5, "statuses": {"401": 5}, "dropped": 0})
    );
}

#[test]
fn salesmachine_python_raises_its_api_error_for_a_fault_reply() {
    let sb = start();
    sb.set_fault(
        "salesmachine",
        Fault::Status {
            code: 429,
            count: 5,
            retry_after: Some(1),
        },
    )
    .expect("set the fault");
    let out = run_salesmachine_python(&sb, API_KEY, API_SECRET);
    let caught = &out["caught"];
    assert_eq!(caught.as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(
        (
            &caught[0]["type"],
            &caught[0]["status"],
            &caught[0]["code"],
            &caught[0]["message"]
        ),
        (
            &json!("salesmachine.request.APIError"),
            &json!(429),
            &json!("rate_limited"),
            &json!("Too Many Requests (sandbox fault); retry after 1 seconds")
        ),
        "{out}"
    );
    assert_eq!(sb.state()["salesmachine"]["contacts"], json!({}));
    assert_eq!(
        sb.faults(),
        json!({}),
        "the five attempts used the fault up"
    );
}
