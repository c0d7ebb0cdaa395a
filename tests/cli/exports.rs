//! The `history` command over a real history that `run` filled (list, search, every filter,
//! show, each export parsed back, usage errors, and the store left untouched), and `translate
//! --format`: curl, a Postman collection that newman (Postman's own runner) runs against the
//! sandbox as it is, and HAR that har-validator accepts.

use crate::support::node::{newman_run, validate_har};
use segment_console::destinations::kit::sandbox_credentials::{API_KEY, API_SECRET};
use segment_console::sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn tour() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/tour.json")
        .to_string_lossy()
        .into_owned()
}

fn console(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_segment-console"))
        .env("SEGMENT_CONSOLE_HOME", home)
        .args(args)
        .output()
        .expect("run segment-console")
}

/// Runs and expects exit 0; stdout as text.
fn ok(home: &Path, args: &[&str]) -> String {
    let o = console(home, args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8")
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

#[test]
fn history_lists_filters_shows_and_exports_what_run_recorded() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let none = console(h, &["history"]);
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no history at"));
    for dest in ["salesmachine", "skalin"] {
        ok(h, &["run", &tour(), "--destination", dest]);
    }
    let db = h.join("history.sqlite3");
    let before = std::fs::read(&db).unwrap();

    // Every entry, newest first; the table counts them.
    let all = json(&ok(h, &["history", "--json"]));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 12, "6 tour events for each of 2 destinations");
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let table = ok(h, &["history", "list"]);
    assert!(
        table.lines().next().unwrap().contains("destination"),
        "{table}"
    );
    assert!(table.trim_end().ends_with("12 entries"), "{table}");
    let limited = ok(h, &["history", "--limit", "3"]);
    assert!(limited.contains("3 of 12 entries"), "{limited}");

    // Each filter narrows.
    let found = json(&ok(
        h,
        &["history", "--search", "Order Completed", "--json"],
    ));
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|e| e["event"] == "Order Completed"));
    let one = json(&ok(
        h,
        &[
            "history",
            "--json",
            "-d",
            "salesmachine",
            "--call",
            "track",
            "--status",
            "2xx",
        ],
    ));
    assert_eq!(one.as_array().unwrap().len(), 1, "{one}");
    let unsupported = json(&ok(h, &["history", "--json", "--status", "unsupported"]));
    let unsupported = unsupported.as_array().unwrap();
    // Salesmachine takes no screen; Skalin takes no group or alias.
    assert_eq!(unsupported.len(), 3, "{unsupported:?}");

    // One entry in full.
    let track_id = one[0]["id"].as_i64().unwrap().to_string();
    let entry = json(&ok(h, &["history", "show", &track_id, "--json"]));
    assert_eq!(entry["event"]["event"], "Order Completed");
    assert_eq!(entry["exchanges"][0]["attempts"][0]["status"], 200);
    let text = ok(h, &["history", "show", &track_id]);
    assert!(text.contains("/salesmachine/v1/track/event"), "{text}");
    assert!(!text.contains(API_SECRET), "secrets stay masked");
    let missing = console(h, &["history", "show", "999"]);
    assert_eq!(missing.status.code(), Some(1));

    // Exports, parsed back: HAR (to a file), Postman, curl.
    let har_path = h.join("out.har");
    ok(
        h,
        &[
            "history",
            "export",
            "--format",
            "har",
            "-d",
            "salesmachine",
            "-o",
            har_path.to_str().unwrap(),
        ],
    );
    let har = json(&std::fs::read_to_string(&har_path).unwrap());
    // Salesmachine's tour: 7 requests (group and page send two; screen none), one attempt each.
    assert_eq!(har["log"]["entries"].as_array().unwrap().len(), 7, "{har}");
    validate_har(&har_path).expect("har-validator accepts the history's HAR");
    let postman = json(&ok(
        h,
        &["history", "export", "--format", "postman", "-d", "skalin"],
    ));
    assert_eq!(
        postman["item"].as_array().unwrap().len(),
        4,
        "Skalin's 4 hits"
    );
    let curl = ok(
        h,
        &["history", "export", "--format", "curl", "--call", "alias"],
    );
    assert_eq!(curl.matches("curl --request POST").count(), 1, "{curl}");
    assert!(curl.contains("/salesmachine/v1/alias"), "{curl}");

    // Usage errors say which option and what it takes.
    for (args, says) in [
        (vec!["history", "--status", "7xx"], "--status 7xx"),
        (vec!["history", "-d", "nowhere"], "--destination nowhere"),
        (vec!["history", "--call", "shout"], "--call shout"),
        (vec!["history", "--limit", "0"], "--limit"),
    ] {
        let o = console(h, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(says),
            "{args:?}"
        );
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "reading never writes the store"
    );
}

#[test]
fn translate_formats_are_what_their_tools_read() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let sandbox = Sandbox::start_blocking(SandboxConfig::default()).expect("sandbox starts");
    let base = sandbox.base_url();
    let settings = h.join("settings.json");
    std::fs::write(
        &settings,
        format!(r#"{{"salesmachine": {{"apiKey": "{API_KEY}", "apiSecret": "{API_SECRET}"}}}}"#),
    )
    .unwrap();
    let args = |format: &str| -> Vec<String> {
        [
            "translate",
            &tour(),
            "-d",
            "salesmachine",
            "--target",
            "sandbox",
            "--sandbox-url",
            &base,
            "--settings",
            settings.to_str().unwrap(),
            "--format",
            format,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let run = |extra: &[&str], format: &str| -> String {
        let mut a = args(format);
        a.extend(extra.iter().map(|s| s.to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ok(h, &a)
    };

    // curl: one command per request, masked unless asked; an event sending nothing says why.
    let curl = run(&[], "curl");
    assert_eq!(curl.matches("curl --request POST").count(), 7, "{curl}");
    assert!(curl.contains("# event 3: unsupported"), "{curl}");
    assert!(!curl.contains(API_SECRET));

    // HAR: har-validator accepts it; masked.
    let har_path = h.join("t.har");
    std::fs::write(&har_path, run(&[], "har")).unwrap();
    validate_har(&har_path).expect("har-validator accepts translate's HAR");
    assert!(
        !std::fs::read_to_string(&har_path)
            .unwrap()
            .contains(API_SECRET)
    );

    // Postman, with the keys: newman runs it as it is, and the sandbox keeps what it sent.
    let collection = h.join("tour.postman_collection.json");
    std::fs::write(&collection, run(&["--show-secrets"], "postman")).unwrap();
    let (out, report) = newman_run(&collection, &h.join("newman.json"));
    assert!(
        out.status.success(),
        "newman: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let codes: Vec<i64> = report["run"]["executions"]
        .as_array()
        .expect("newman's report lists executions")
        .iter()
        .map(|e| e["response"]["code"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(codes.len(), 7, "{report}");
    assert!(codes.iter().all(|c| (200..300).contains(c)), "{codes:?}");
    let state = sandbox.state();
    assert!(
        state["salesmachine"]["contacts"]["u_4f8a2c"].is_object(),
        "{state}"
    );
    assert!(
        state["salesmachine"]["accounts"]["acc_acme"].is_object(),
        "{state}"
    );
}
