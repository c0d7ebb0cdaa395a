use super::*;
use crate::destinations::kit::settings;
use crate::destinations::{find, registry};
use crate::event::has_errors;
use serde_json::json;

fn file() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    (dir, path)
}

#[test]
fn a_missing_file_gives_the_sandbox_defaults() {
    let (_dir, path) = file();
    let s = SettingsStore::load(&path).unwrap();
    let sm = s.settings("salesmachine");
    assert_eq!(sm["apiKey"], "sandbox-api-key");
    assert_eq!(sm["apiSecret"], "sandbox-api-secret");
    assert_eq!(s.settings("skalin")["clientId"], "sandbox-client");
    assert_eq!(
        s.target("skalin", "http://127.0.0.1:4000/"),
        Target::Sandbox {
            base: "http://127.0.0.1:4000".into()
        }
    );
    assert!(!path.exists(), "loading never writes");
}

#[test]
fn the_defaults_let_every_destination_send_to_the_sandbox() {
    let (_dir, path) = file();
    let s = SettingsStore::load(&path).unwrap();
    let target = Target::Sandbox {
        base: "http://127.0.0.1:4000".into(),
    };
    for dest in registry() {
        let mode = s.mode(*dest);
        let problems = settings::check(
            dest.settings_schema(),
            &s.settings(dest.id()),
            mode,
            &target,
        );
        // Nothing blocks a send; the one warning is the Webhooks URL, unused by the sandbox
        // but needed to go live (docs/destinations.md §6).
        let expected: Vec<&str> = match dest.id() {
            "webhook" => vec!["settings.url"],
            _ => vec![],
        };
        assert!(!has_errors(&problems), "{}: {problems:?}", dest.id());
        let warned: Vec<&str> = problems.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(warned, expected, "{}: {problems:?}", dest.id());
    }
}

#[test]
fn saved_settings_come_back_and_the_file_is_private() {
    let (_dir, path) = file();
    let mut s = SettingsStore::load(&path).unwrap();
    let mut sm = s.settings("salesmachine");
    sm.insert("apiKey".into(), json!("my-real-key"));
    s.set_settings("salesmachine", sm);
    s.set_target("salesmachine", &Target::Live);
    s.set_target(
        "skalin",
        &Target::Custom {
            url: "http://127.0.0.1:9000/skalin".into(),
        },
    );
    let fm = find("freshmarketer").unwrap();
    s.set_mode("freshmarketer", Mode::SegmentWebhook);
    assert_eq!(s.save().unwrap(), Saved::default());

    let back = SettingsStore::load(&path).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.settings("salesmachine")["apiKey"], "my-real-key");
    assert_eq!(back.target("salesmachine", "http://x"), Target::Live);
    assert_eq!(
        back.target("skalin", "http://x"),
        Target::Custom {
            url: "http://127.0.0.1:9000/skalin".into()
        }
    );
    assert_eq!(back.mode(fm), Mode::SegmentWebhook);
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["destinations"]["skalin"]["target"],
        "http://127.0.0.1:9000/skalin"
    );
    assert_eq!(
        doc["destinations"]["freshmarketer"]["mode"],
        "segment-webhook"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["settings.json"]);
}

#[test]
fn unknown_keys_survive_a_save() {
    let (_dir, path) = file();
    std::fs::write(
        &path,
        r#"{"version": 7, "destinations": {"skalin": {"settings": {"clientId": "c1"}, "pinned": true}}}"#,
    )
    .unwrap();
    let mut s = SettingsStore::load(&path).unwrap();
    s.set_mode("skalin", Mode::PartnerApi);
    s.save().unwrap();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(doc["version"], 7);
    assert_eq!(doc["destinations"]["skalin"]["pinned"], true);
    assert_eq!(
        doc["destinations"]["skalin"]["settings"],
        json!({"clientId": "c1"})
    );
    assert_eq!(doc["destinations"]["skalin"]["mode"], "partner-api");
}

#[test]
fn modes_and_targets_that_cannot_be_used_fall_back_safely() {
    let (_dir, path) = file();
    std::fs::write(
        &path,
        r#"{"destinations": {
            "salesmachine": {"mode": "segment-webhook", "target": "ftp://nope"},
            "skalin": {"mode": "carrier-pigeon"}
        }}"#,
    )
    .unwrap();
    let s = SettingsStore::load(&path).unwrap();
    // Salesmachine has no webhook mode; an unreadable target is the sandbox, never live.
    assert_eq!(s.mode(find("salesmachine").unwrap()), Mode::PartnerApi);
    assert_eq!(
        s.target("salesmachine", "http://127.0.0.1:1"),
        Target::Sandbox {
            base: "http://127.0.0.1:1".into()
        }
    );
    assert_eq!(s.mode(find("skalin").unwrap()), Mode::PartnerApi);
    // A stored destination keeps exactly its stored settings (here none), no defaults mixed in.
    assert!(s.settings("salesmachine").is_empty());
}

#[test]
fn a_broken_file_is_reported_and_never_overwritten() {
    let (_dir, path) = file();
    let broken =
        "{\n  \"destinations\": {\n    \"skalin\": {\"settings\": {\"apiKey\": \"k\",}}\n}\n";
    std::fs::write(&path, broken).unwrap();
    let err = SettingsStore::load(&path).unwrap_err();
    match &err {
        StoreError::Broken { line, column, .. } => assert_eq!((*line, *column), (3, 43)),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("line 3, column 43"), "{err}");

    let mut s = SettingsStore::defaults(&path);
    s.set_mode("skalin", Mode::PartnerApi);
    let saved = s.save().unwrap();
    let bak = path.with_file_name("settings.json.bak");
    assert_eq!(saved.backup.as_deref(), Some(bak.as_path()));
    assert_eq!(std::fs::read_to_string(&bak).unwrap(), broken);
    assert!(SettingsStore::load(&path).is_ok());

    // A second broken file does not replace the first backup.
    std::fs::write(&path, "[1, 2").unwrap();
    let saved = s.save().unwrap();
    let bak1 = path.with_file_name("settings.json.bak.1");
    assert_eq!(saved.backup.as_deref(), Some(bak1.as_path()));
    assert_eq!(std::fs::read_to_string(&bak).unwrap(), broken);
    assert_eq!(std::fs::read_to_string(&bak1).unwrap(), "[1, 2");
}

#[test]
fn a_wrong_shape_is_broken_too() {
    let (_dir, path) = file();
    std::fs::write(&path, r#"{"destinations": {"skalin": {"settings": [1]}}}"#).unwrap();
    assert!(matches!(
        SettingsStore::load(&path),
        Err(StoreError::Broken { line: 1, .. })
    ));
}

#[test]
fn reset_returns_to_the_defaults() {
    let (_dir, path) = file();
    let mut s = SettingsStore::load(&path).unwrap();
    s.set_settings("skalin", Map::new());
    assert!(s.settings("skalin").is_empty());
    s.reset("skalin");
    assert_eq!(s.settings("skalin")["clientId"], "sandbox-client");
}
