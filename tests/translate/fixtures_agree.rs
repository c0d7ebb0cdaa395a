//! The translators and the sandbox must agree: every golden fixture whose event the contract
//! sends (`"outcome": "requests"`) is translated again for the sandbox, with the sandbox's
//! credentials, sent by the real transport, and must be accepted (2xx) by the sandbox's
//! imitation of that partner.

use crate::support::*;
use segment_console::destinations::{self, Mode, OutcomeKind, Settings};
use segment_console::sandbox::Credentials;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Settings the sandbox checks: the fixture's own values give way to the sandbox's.
const CREDENTIALS: [&str; 3] = ["apiKey", "apiSecret", "clientId"];

fn fixtures() -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for dest in destinations::registry() {
        let Ok(dir) = std::fs::read_dir(root.join(dest.id())) else {
            continue;
        };
        let mut files: Vec<PathBuf> = dir
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|p| (dest.id().to_string(), p)));
    }
    out
}

fn sandbox_settings(id: &str, fixture: &Value) -> Settings {
    let mut s = settings(id);
    if let Some(given) = fixture["settings"].as_object() {
        for (k, v) in given {
            if !CREDENTIALS.contains(&k.as_str()) {
                s.insert(k.clone(), v.clone());
            }
        }
    }
    s
}

async fn run(id: &str, path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let fx: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    if fx["expected"]["outcome"] != "requests" {
        return Ok(0);
    }
    let dest = destinations::find(id).ok_or("no destination")?;
    let mode = match fx["mode"].as_str() {
        Some(m) => Mode::parse(m).ok_or(format!("bad mode {m}"))?,
        None => dest.default_mode(),
    };
    let s = sandbox_settings(id, &fx);
    let secret = s
        .get("sharedSecret")
        .and_then(Value::as_str)
        .map(str::to_string);
    let sb = sandbox_with(Credentials {
        webhook_secret: secret.clone(),
        ..Credentials::default()
    })
    .await;
    let t = target(&sb);
    // Alone, without the identify that would have come first: Skalin keeps a hit of a contact it
    // does not know yet (docs/destinations.md §5, revised 2026-12).
    let sends = [fx["event"].clone()];
    for ev in &sends {
        let out = destinations::translate(dest, ev, &s, mode, &t, now());
        if out.kind != OutcomeKind::Requests {
            return Err(format!(
                "{:?} for the sandbox: {:?} {:?}",
                out.kind, out.reason, out.findings
            ));
        }
        let r = send(&out, &fast()).await;
        for (i, ex) in r.exchanges.iter().enumerate() {
            let a = ex.last().ok_or(format!("request {i} not sent"))?;
            if !a.status.is_some_and(|c| (200..300).contains(&c)) {
                return Err(format!(
                    "{} {} got {:?} {:?}: {}",
                    ev["type"],
                    ex.request.url,
                    a.status,
                    a.error,
                    body_text(a)
                ));
            }
        }
    }
    if id == "webhook" && secret.is_some() {
        let state = sb.state();
        let sig = &state["webhook"]["deliveries"][0]["signature"];
        if sig != "valid" {
            return Err(format!("signature {sig}"));
        }
    }
    Ok(1)
}

#[tokio::test]
async fn every_request_the_contract_sends_is_accepted_by_the_sandbox() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut per_dest = std::collections::BTreeMap::new();
    for (id, path) in fixtures() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match run(&id, &path).await {
            Ok(n) => {
                checked += n;
                *per_dest.entry(id.clone()).or_insert(0) += n;
            }
            Err(e) => failures.push(format!("{id}/{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every destination has sendable fixtures, so none is skipped silently.
    assert_eq!(per_dest.len(), 5, "{per_dest:?}");
    assert!(checked >= 40, "only {checked} fixtures were sendable");
}
