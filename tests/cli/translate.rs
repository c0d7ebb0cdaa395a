//! The `translate` command end to end, on the files of `assets/`: secrets masked unless
//! `--show-secrets`, URLs rewritten for the sandbox target, every destination translating every
//! tour event, and exit code 2 with a message for unreadable files and bad settings.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_segment-console"))
}

fn asset(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name)
}

fn settings_file(dir: &Path) -> PathBuf {
    let p = dir.join("settings.json");
    std::fs::write(
        &p,
        r#"{"salesmachine": {"apiKey": "sm-token-5f2e9a", "apiSecret": "sm-secret-77c1d0"},
            "skalin": {"apiKey": "sk-key-0b3c4d5e", "clientId": "acme-client"}}"#,
    )
    .unwrap();
    p
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run segment-console")
}

fn json_out(o: &Output) -> Vec<Value> {
    let text = String::from_utf8_lossy(&o.stdout);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {text}"))
}

#[test]
fn translates_the_tour_for_salesmachine_with_masked_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_file(dir.path());
    let tour = asset("tour.json");
    let o = run(&[
        "translate",
        tour.to_str().unwrap(),
        "--destination",
        "salesmachine",
        "--settings",
        s.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = json_out(&o);
    assert_eq!(out.len(), 6);
    let outcomes: Vec<&str> = out.iter().map(|e| e["outcome"].as_str().unwrap()).collect();
    // identify, group, page, screen (not accepted), track, alias
    assert_eq!(
        outcomes,
        [
            "requests",
            "requests",
            "requests",
            "unsupported",
            "requests",
            "requests"
        ]
    );
    for (i, e) in out.iter().enumerate() {
        assert_eq!(e["index"], i);
        assert!(e["findings"].is_array());
    }
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(!text.contains("sm-token-5f2e9a") && !text.contains("sm-secret-77c1d0"));
    let first = &out[0]["requests"][0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["url"], "https://api.salesmachine.io/v1/contact");
    assert_eq!(first["body"]["contact_uid"], "u_4f8a2c");
    assert!(
        first["headers"]["Authorization"]
            .as_str()
            .unwrap()
            .starts_with("Basic ")
    );
    assert!(
        first["provenance"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
}

#[test]
fn show_secrets_reveals_and_target_sandbox_rewrites_urls() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_file(dir.path());
    let tour = asset("tour.json");
    let o = run(&[
        "translate",
        tour.to_str().unwrap(),
        "-d",
        "salesmachine",
        "--settings",
        s.to_str().unwrap(),
        "--target",
        "sandbox",
        "--sandbox-url",
        "http://127.0.0.1:9999",
        "--show-secrets",
    ]);
    assert!(o.status.success());
    let out = json_out(&o);
    let auth = out[0]["requests"][0]["headers"]["Authorization"]
        .as_str()
        .unwrap();
    // base64("sm-token-5f2e9a:sm-secret-77c1d0")
    assert_eq!(auth, "Basic c20tdG9rZW4tNWYyZTlhOnNtLXNlY3JldC03N2MxZDA=");
    assert_eq!(
        out[0]["requests"][0]["url"],
        "http://127.0.0.1:9999/salesmachine/v1/contact"
    );
}

#[test]
fn unreadable_files_and_bad_settings_exit_2_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings_file(dir.path());
    let missing = dir.path().join("missing.json");
    let o = run(&["translate", missing.to_str().unwrap(), "-d", "salesmachine"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.json"));
    assert!(o.stdout.is_empty());

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "[{\"type\": \"track\",}]").unwrap();
    let o = run(&["translate", broken.to_str().unwrap(), "-d", "webhook"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 1, column"));

    // Settings for salesmachine lack nothing, but skalin's file entry has no clientId problem;
    // startdeliver has no settings at all: apiKey is required.
    let tour = asset("tour.json");
    let o = run(&[
        "translate",
        tour.to_str().unwrap(),
        "-d",
        "startdeliver",
        "--settings",
        s.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("settings.apiKey"));

    let o = run(&["translate", tour.to_str().unwrap(), "-d", "hubspot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown destination"));

    let bad = dir.path().join("bad-settings.json");
    std::fs::write(&bad, "{not json").unwrap();
    let o = run(&[
        "translate",
        tour.to_str().unwrap(),
        "-d",
        "salesmachine",
        "--settings",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not valid JSON"));
}

#[test]
fn every_destination_translates_every_tour_event() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path().join("all.json");
    std::fs::write(
        &s,
        r#"{"salesmachine": {"apiKey": "k-12345678", "apiSecret": "s-12345678"},
            "startdeliver": {"apiKey": "k-12345678", "startdeliverUserCustomFieldToMatchOn": "externalId"},
            "freshmarketer": {"apiKey": "k-12345678", "domain": "acme.myfreshworks.com", "webhookEndpoint": "https://hooks.example.com/fm"},
            "skalin": {"apiKey": "k-12345678", "clientId": "acme"},
            "webhook": {"url": "https://hooks.example.com/in", "sharedSecret": "whsec-1234"}}"#,
    )
    .unwrap();
    let tour = asset("tour.json");
    for dest in [
        "salesmachine",
        "startdeliver",
        "freshmarketer",
        "skalin",
        "webhook",
    ] {
        let o = run(&[
            "translate",
            tour.to_str().unwrap(),
            "-d",
            dest,
            "--settings",
            s.to_str().unwrap(),
            "--target",
            "sandbox",
        ]);
        assert!(
            o.status.success(),
            "{dest}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let out = json_out(&o);
        assert_eq!(out.len(), 6, "{dest}");
        for e in &out {
            let outcome = e["outcome"].as_str().unwrap();
            assert!(
                outcome == "requests" || outcome == "unsupported",
                "{dest}: a tour event was {outcome}: {e}"
            );
            if outcome == "requests" {
                assert!(!e["requests"].as_array().unwrap().is_empty(), "{dest}: {e}");
            }
        }
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            !text.contains("k-12345678")
                && !text.contains("s-12345678")
                && !text.contains("whsec-1234"),
            "{dest} leaked a secret"
        );
    }
}
