//! Segment's official SDKs, unchanged, pointed at capture (docs/capture.md, "Pointing real SDKs
//! at it"): segment-analytics-python (with and without `gzip=True`) and @segment/analytics-node,
//! each sending identify, track, page, screen, group and alias. The tests read
//! `/_capture/events` and find every event with its SDK (`context.library`), its merged context
//! and its translation for Salesmachine; with forwarding on, the sandbox's state shows the
//! contact; and every event is in the history, marked captured.
//!
//! Without the SDKs (installed by `scripts/test-deps.sh`) these tests fail and say how to install
//! them; nothing leaves 127.0.0.1.

use crate::support::capture::{self, entries, events, node_sdk, python_sdk, run_node, summary};
use crate::support::python::run_script;
use crate::support::settings;
use segment_console::capture::{DestinationSetup, Forward};
use segment_console::destinations::{self, Mode, Target};
use serde_json::{Value, json};

const WRITE_KEY: &str = "wk_capture_sdk_test_0001";

/// The six calls through the Python SDK's public API; its consumer thread sends them as one
/// batch on `flush`. Prints what its `on_error` caught.
const PYTHON_SCRIPT: &str = r#"
import json
import sys

from segment.analytics import Client

host, key, gzip = sys.argv[1], sys.argv[2], sys.argv[3] == "gzip"
errors = []
client = Client(key, host=host, gzip=gzip, max_retries=0,
                on_error=lambda e, batch: errors.append(str(e)))
ctx = {"app": {"name": "capture-test", "version": "1.2.3"}}
client.identify(user_id="ada", traits={"email": "ada@example.com", "name": "Ada Lovelace"}, context=ctx)
client.track(user_id="ada", event="Report Exported", properties={"format": "csv"}, context=ctx)
client.page(user_id="ada", category="Docs", name="Capture", properties={"url": "https://example.com/docs"}, context=ctx)
client.screen(user_id="ada", name="Home", properties={"tab": "feed"}, context=ctx)
client.group(user_id="ada", group_id="acme", traits={"name": "Acme Inc"}, context=ctx)
client.alias(previous_id="ada-old", user_id="ada", context=ctx)
client.flush()
client.join()
print(json.dumps({"errors": errors}))
"#;

/// The same six calls through the Node SDK.
const NODE_SCRIPT: &str = r#"
const [dir, host, key] = process.argv.slice(-3);
const { Analytics } = require(dir);
const errors = [];
const a = new Analytics({ writeKey: key, host, path: '/v1/batch', maxRetries: 0, flushInterval: 50 });
a.on('error', (e) => errors.push(String((e && (e.reason || e.message)) || e)));
const context = { app: { name: 'capture-test', version: '1.2.3' } };
a.identify({ userId: 'ada', traits: { email: 'ada@example.com', name: 'Ada Lovelace' }, context });
a.track({ userId: 'ada', event: 'Report Exported', properties: { format: 'csv' }, context });
a.page({ userId: 'ada', category: 'Docs', name: 'Capture', properties: { url: 'https://example.com/docs' }, context });
a.screen({ userId: 'ada', name: 'Home', properties: { tab: 'feed' }, context });
a.group({ userId: 'ada', groupId: 'acme', traits: { name: 'Acme Inc' }, context });
a.alias({ userId: 'ada', previousId: 'ada-old', context });
a.closeAndFlush({ timeout: 20000 }).then(() => console.log(JSON.stringify({ errors })));
"#;

fn salesmachine() -> DestinationSetup {
    DestinationSetup {
        destination: destinations::find("salesmachine").expect("salesmachine"),
        settings: settings("salesmachine"),
        mode: Mode::PartnerApi,
    }
}

/// Checks the six events as `/_capture/events` lists them: each call once, from `library`,
/// with the script's context merged beside the SDK's own, and Salesmachine's translation
/// (screen unsupported, the other five as requests to their documented paths).
fn check_events(list: &[Value], library: &str, version: &str) {
    let calls: Vec<&str> = list.iter().filter_map(|e| e["type"].as_str()).collect();
    let mut sorted = calls.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        ["alias", "group", "identify", "page", "screen", "track"],
        "{list:#?}"
    );
    for e in list {
        let call = e["type"].as_str().unwrap_or_default();
        assert_eq!(e["library"]["name"], library, "{call}: {e:#}");
        assert_eq!(e["library"]["version"], version, "{call}");
        assert_eq!(e["event"]["context"]["library"]["name"], library, "{call}");
        assert_eq!(
            e["event"]["context"]["app"]["name"], "capture-test",
            "{call}"
        );
        assert_eq!(e["userId"], "ada", "{call}");
        assert!(e["sentAt"].is_string(), "{call}: the SDK's sentAt is kept");
        assert!(e["event"]["receivedAt"].is_string(), "{call}");
        assert_eq!(e["valid"], true, "{call}: {:#}", e["findings"]);
        assert_eq!(e["duplicate"], false, "{call}");
        assert!(e["writeKey"].as_str().unwrap().ends_with("0001"), "{call}");
        assert!(
            !e.to_string().contains(WRITE_KEY),
            "{call}: the key is masked"
        );
        let sm = &e["destinations"][0];
        assert_eq!(sm["id"], "salesmachine", "{call}");
        assert!(sm["historyId"].as_i64().is_some_and(|id| id > 0), "{call}");
        let paths: Vec<String> = sm["translation"]["requests"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|q| {
                        let url = q["url"].as_str().unwrap_or_default();
                        url.split("/salesmachine").nth(1).unwrap_or(url).to_string()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let want: &[&str] = match call {
            "identify" => &["/v1/contact"],
            "track" => &["/v1/track/event"],
            // A pageview, then the named page as an event of its own.
            "page" => &["/v1/track/event", "/v1/track/event"],
            "group" => &["/v1/account", "/v1/contact"],
            "alias" => &["/v1/alias"],
            _ => &[],
        };
        if call == "screen" {
            assert_eq!(sm["outcome"], "unsupported", "{sm:#}");
        } else {
            assert_eq!(sm["outcome"], "requests", "{call}: {sm:#}");
            assert_eq!(paths, want, "{call}");
        }
    }
    let track = list.iter().find(|e| e["type"] == "track").unwrap();
    assert_eq!(track["name"], "Report Exported");
    let body = &track["destinations"][0]["translation"]["requests"][0]["body"];
    assert_eq!(body["event_uid"], "report_exported", "{body:#}");
}

async fn python_sends(gzip: bool) {
    let python = python_sdk();
    let cap = capture::start(|c| {
        c.write_keys = vec![WRITE_KEY.into()];
        c.destinations = vec![salesmachine()];
    })
    .await;
    let url = cap.url();
    let mode = if gzip { "gzip" } else { "plain" };
    let out = tokio::task::spawn_blocking(move || {
        run_script(&python, PYTHON_SCRIPT, &[&url, WRITE_KEY, mode])
    })
    .await
    .unwrap();
    assert_eq!(out["errors"], json!([]), "the SDK reported errors");
    let list = events(&cap.url(), "").await;
    assert_eq!(list.len(), 6, "{list:#?}");
    check_events(&list, "analytics-python", capture::PYTHON_SDK);
    // One request of six: the SDK's own batch.
    let sum = summary(&cap.url()).await;
    assert_eq!(sum["requests"], 1, "{sum:#}");
    assert_eq!(sum["received"], 6);
    assert_eq!(sum["destinations"]["salesmachine"]["unsupported"], 1);
    // Every event is in the history, marked captured, with the key masked.
    let stored = entries(&cap.history_path);
    assert_eq!(stored.len(), 6);
    for e in &stored {
        let c = e.captured.as_ref().expect("marked captured");
        assert_eq!(c.library["name"], "analytics-python");
        assert_eq!(c.path, "/v1/batch");
        assert!(c.sent_at.is_some());
        assert!(!serde_json::to_string(e).unwrap().contains(WRITE_KEY));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_is_captured_translated_and_recorded() {
    python_sends(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_with_gzip_is_captured_the_same() {
    python_sends(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_sdk_is_captured_and_forwarded_to_the_sandbox() {
    let dir = node_sdk();
    let sb = crate::support::sandbox().await;
    let cap = capture::start(|c| {
        c.destinations = vec![salesmachine()];
        c.forward = Forward::To(Target::Sandbox {
            base: sb.base_url(),
        });
    })
    .await;
    let url = cap.url();
    let dir_text = dir.to_string_lossy().into_owned();
    let out =
        tokio::task::spawn_blocking(move || run_node(NODE_SCRIPT, &[&dir_text, &url, WRITE_KEY]))
            .await
            .unwrap();
    assert_eq!(out["errors"], json!([]), "the SDK reported errors");
    let list = events(&cap.url(), "").await;
    assert_eq!(list.len(), 6, "{list:#?}");
    check_events(&list, "@segment/analytics-node", capture::NODE_SDK);
    // Forwarded: each translated event reached the sandbox and was answered 2xx.
    for e in &list {
        let sm = &e["destinations"][0];
        if sm["outcome"] == "requests" {
            assert_eq!(sm["forwarded"]["ok"], true, "{sm:#}");
        } else {
            assert!(sm["forwarded"].is_null());
        }
    }
    let state = sb.state();
    let contact = &state["salesmachine"]["contacts"]["ada"]["params"];
    assert_eq!(contact["email"], "ada@example.com", "{state:#}");
    assert_eq!(
        state["salesmachine"]["accounts"]["acme"]["params"]["name"],
        "Acme Inc"
    );
    let sum = summary(&cap.url()).await;
    assert_eq!(
        sum["destinations"]["salesmachine"]["delivered"], 5,
        "{sum:#}"
    );
    assert_eq!(sum["destinations"]["salesmachine"]["requests"], 5);
    assert_eq!(sum["destinations"]["salesmachine"]["failed"], 0);
    // The history holds the partner's replies.
    let stored = entries(&cap.history_path);
    let identify = stored.iter().find(|e| e.call_type == "identify").unwrap();
    // A new contact: Salesmachine answers 201 Created.
    assert_eq!(
        identify.exchanges[0].last().and_then(|a| a.status),
        Some(201)
    );
    // Filters narrow the list the way a test would ask.
    assert_eq!(events(&cap.url(), "?type=track&userId=ada").await.len(), 1);
    assert_eq!(
        events(&cap.url(), "?event=Report%20Exported").await.len(),
        1
    );
    assert_eq!(events(&cap.url(), "?valid=false").await.len(), 0);
    assert_eq!(events(&cap.url(), "?limit=2").await.len(), 2);
}
