//! Golden fixtures: every file under tests/fixtures/<destination>/ holds an event, settings and
//! the exact outcome the contract (docs/destinations.md) requires. See tests/fixtures/README.md.

use chrono::{DateTime, Utc};
use segment_console::destinations::{self, Mode, Target};
use serde_json::Value;
use std::path::Path;

fn run_fixture(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fx: Value = serde_json::from_str(&text).map_err(|e| format!("bad fixture JSON: {e}"))?;
    let dest_id = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .ok_or("fixture outside a destination folder")?;
    let dest = destinations::find(dest_id).ok_or(format!("no destination {dest_id}"))?;
    let settings = fx["settings"].as_object().cloned().unwrap_or_default();
    let mode = match fx.get("mode").and_then(Value::as_str) {
        Some(m) => Mode::parse(m).ok_or(format!("bad mode {m}"))?,
        None => dest.default_mode(),
    };
    let target = Target::parse(
        fx.get("target").and_then(Value::as_str).unwrap_or("live"),
        "http://127.0.0.1:7311",
    )?;
    let now: DateTime<Utc> = fx
        .get("now")
        .and_then(Value::as_str)
        .unwrap_or("2026-06-01T12:00:00Z")
        .parse()
        .map_err(|e| format!("bad now: {e}"))?;
    let show = fx
        .get("showSecrets")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let outcome = destinations::translate(dest, &fx["event"], &settings, mode, &target, now);
    let mut actual = outcome.to_json(0, show);
    let expected = &fx["expected"];
    // Provenance is compared only where the fixture spells it out.
    if let (Some(act), Some(exp)) = (
        actual["requests"].as_array_mut(),
        expected["requests"].as_array(),
    ) {
        for (a, e) in act.iter_mut().zip(exp) {
            if e.get("provenance").is_none() {
                a.as_object_mut().map(|o| o.shift_remove("provenance"));
            }
        }
    }
    let mut expected = expected.clone();
    expected["index"] = Value::from(0);
    // Findings are compared as a set of (severity, path); messages by substring when given.
    let act_findings = actual
        .as_object_mut()
        .and_then(|o| o.shift_remove("findings"));
    let exp_findings = expected
        .as_object_mut()
        .and_then(|o| o.shift_remove("findings"));
    if let Some(exp) = exp_findings {
        let act = act_findings.unwrap_or(Value::Array(vec![]));
        compare_findings(&act, &exp)?;
    }
    for key in ["reason", "notes"] {
        if expected.get(key).is_none() {
            actual.as_object_mut().map(|o| o.shift_remove(key));
        }
    }
    if actual != expected {
        return Err(format!(
            "outcome differs\n--- expected\n{}\n--- actual\n{}",
            serde_json::to_string_pretty(&expected).unwrap_or_default(),
            serde_json::to_string_pretty(&actual).unwrap_or_default()
        ));
    }
    Ok(())
}

fn compare_findings(act: &Value, exp: &Value) -> Result<(), String> {
    let key = |f: &Value| {
        (
            f["severity"].as_str().unwrap_or("").to_string(),
            f["path"].as_str().unwrap_or("").to_string(),
        )
    };
    let mut a: Vec<_> = act.as_array().into_iter().flatten().map(key).collect();
    let mut e: Vec<_> = exp.as_array().into_iter().flatten().map(key).collect();
    a.sort();
    e.sort();
    if a != e {
        return Err(format!(
            "findings differ: expected {e:?}, got {a:?}\nactual: {act}"
        ));
    }
    for ef in exp.as_array().into_iter().flatten() {
        if let Some(part) = ef.get("message").and_then(Value::as_str) {
            let found = act.as_array().into_iter().flatten().any(|af| {
                key(af) == key(ef) && af["message"].as_str().unwrap_or("").contains(part)
            });
            if !found {
                return Err(format!(
                    "no finding at {:?} mentions {part:?}: {act}",
                    key(ef)
                ));
            }
        }
    }
    Ok(())
}

#[test]
fn every_golden_fixture_holds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut failures = Vec::new();
    let mut count = 0;
    for dest in destinations::registry() {
        let dir = root.join(dest.id());
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<_> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        for f in files {
            count += 1;
            if let Err(e) = run_fixture(&f) {
                failures.push(format!("{}: {e}", f.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} fixtures failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    eprintln!("{count} golden fixtures checked");
}
