//! Where the API keys end up. Settings with known keys go through the command line's flows
//! (translate, run with a JUnit report) and the window's (preview, send, history, every
//! export, copy as curl, save with a key pasted into an event, the autosave, every status
//! line); then every file the program wrote and everything it printed or copied is searched
//! for the keys, raw and base64-encoded. They may be only in the settings file (mode 0600)
//! and where the user revealed them (`--show-secrets`, *Reveal secrets*).

use crate::support::ui::{Ui, open_in};
use base64::Engine;
use egui::OutputCommand;
use segment_console::app::command::{Action, Command, ExportKind};
use segment_console::sandbox::{Credentials, Sandbox, SandboxConfig};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};
use std::time::{Duration, Instant};

const API_KEY: &str = "audit-key-7f3e9c2b1d";
const API_SECRET: &str = "audit-sec-4a8d6e0f5c";
const SHARED_SECRET: &str = "audit-hmac-9b2c7e4f1a";

/// Every form a key could take in text: itself, its base64 at each of the three byte
/// alignments (inside a longer encoded value, such as `Basic base64(key:secret)`), standard
/// and URL-safe.
fn forms() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for secret in [API_KEY, API_SECRET, SHARED_SECRET] {
        out.push((secret.to_string(), secret.to_string()));
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::URL_SAFE,
        ] {
            for pad in 0..3 {
                let mut bytes = vec![b'#'; pad];
                bytes.extend_from_slice(secret.as_bytes());
                let enc = engine.encode(&bytes);
                // The characters that depend on the secret's bytes alone.
                let core = enc.get(4..enc.len() - 4).unwrap_or_default().to_string();
                assert!(core.len() >= 16);
                out.push((format!("base64 of {secret}"), core));
            }
        }
    }
    out
}

/// The forms found in `bytes`.
fn found(bytes: &[u8]) -> Vec<String> {
    forms()
        .into_iter()
        .filter(|(_, f)| bytes.windows(f.len()).any(|w| w == f.as_bytes()))
        .map(|(what, _)| what)
        .collect()
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn bin(home: &Path) -> Process {
    let mut c = Process::new(env!("CARGO_BIN_EXE_segment-console"));
    c.env("SEGMENT_CONSOLE_HOME", home);
    c
}

fn printed(o: &Output) -> Vec<u8> {
    let mut all = o.stdout.clone();
    all.extend_from_slice(&o.stderr);
    all
}

fn tour() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets/tour.json")
        .display()
        .to_string()
}

#[test]
fn keys_are_only_in_the_settings_file_and_where_revealed() {
    // A sandbox that accepts exactly these keys, so that sends succeed.
    let sb = Sandbox::start_blocking(SandboxConfig {
        credentials: Credentials {
            api_key: API_KEY.into(),
            api_secret: API_SECRET.into(),
            client_id: "audit-client".into(),
            webhook_secret: Some(SHARED_SECRET.into()),
        },
        ..SandboxConfig::default()
    })
    .expect("sandbox");
    let sm_url = format!("{}/salesmachine", sb.base_url());
    let wh_url = format!("{}/webhook/in", sb.base_url());
    // The command line's settings file is the user's own input: kept outside the searched
    // folders.
    let input = tempfile::tempdir().unwrap();
    let cli_settings = input.path().join("cli-settings.json");
    std::fs::write(
        &cli_settings,
        json!({
            "salesmachine": {"apiKey": API_KEY, "apiSecret": API_SECRET},
            "webhook": {"url": wh_url, "sharedSecret": SHARED_SECRET},
        })
        .to_string(),
    )
    .unwrap();
    let cli_home = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::new();

    // --- The command line.
    let s = cli_settings.to_str().unwrap();
    let o = bin(cli_home.path())
        .args(["translate", &tour(), "-d", "salesmachine", "--settings", s])
        .output()
        .unwrap();
    assert!(o.status.success());
    outputs.push(("translate".into(), printed(&o)));
    let revealed = bin(cli_home.path())
        .args([
            "translate",
            &tour(),
            "-d",
            "salesmachine",
            "--settings",
            s,
            "--show-secrets",
        ])
        .output()
        .unwrap();
    assert!(
        found(&revealed.stdout).contains(&format!("base64 of {API_KEY}")),
        "--show-secrets shows the key (in the Basic token)"
    );
    let junit = out.path().join("report.xml");
    for (dest, target) in [("salesmachine", &sm_url), ("webhook", &wh_url)] {
        let o = bin(cli_home.path())
            .args([
                "run",
                &tour(),
                "-d",
                dest,
                "--settings",
                s,
                "--target",
                target,
            ])
            .args(["--junit", junit.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{dest}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        outputs.push((format!("run {dest}"), printed(&o)));
    }

    // --- The window, its data folder holding the keys.
    let win_home = tempfile::tempdir().unwrap();
    let settings_json = win_home.path().join("settings.json");
    std::fs::write(
        &settings_json,
        json!({"destinations": {"salesmachine": {
            "settings": {"apiKey": API_KEY, "apiSecret": API_SECRET}, "target": sm_url}}})
        .to_string(),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&settings_json, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let mut ui = open_in(win_home, None);
    ui.wait_sandbox();
    let mut seen = Vec::<u8>::new();
    ui.click("1. identify u_4f8a2c");
    assert!(
        !ui.has_label_containing(API_KEY),
        "the preview shows no key"
    );
    ui.click("Send");
    wait_status(&mut ui, "Sent: 20", &mut seen);
    let id = ui
        .harness
        .state()
        .last_sent
        .as_ref()
        .map(|e| e.id)
        .expect("sent");

    // Copy as curl (masked), then every export of the history entry and of the preview.
    seen.extend(copied(&mut ui, Command::Run(Action::CopyCurl)));
    run(&mut ui, Command::SelectHistory(id));
    for (kind, name) in [
        (ExportKind::Har, "entry.har"),
        (ExportKind::Postman, "entry.postman.json"),
    ] {
        ui.picker.set(&out.path().join(name));
        run(&mut ui, Command::ExportHistory(kind));
        wait_status(&mut ui, "Exported", &mut seen);
        ui.harness.state_mut().status = None;
    }
    seen.extend(copied(&mut ui, Command::ExportHistory(ExportKind::Curl)));
    ui.picker.set(&out.path().join("preview.postman.json"));
    run(&mut ui, Command::Run(Action::ExportPostman));
    wait_status(&mut ui, "Exported", &mut seen);

    // The key pasted into an event: saved masked, and in the autosave of the unsaved set.
    ui.replace_text(
        "Event JSON",
        &json!({"type": "identify", "userId": "u_1", "traits": {"note": format!("my key is {API_KEY}")}}).to_string(),
    );
    ui.picker.set(&out.path().join("set.json"));
    run(&mut ui, Command::Run(Action::SaveAs));
    wait_status(&mut ui, "value(s) holding a secret were masked", &mut seen);
    ui.replace_text(
        "Event JSON",
        &json!({"type": "identify", "userId": "u_2", "traits": {"k": API_SECRET}}).to_string(),
    );
    // The unsaved set is autosaved (masked) within seconds; keep a copy for the scan below,
    // since discarding the changes removes it.
    let autosave = ui.home.path().join("autosave/unsaved.json");
    ui.wait_for("the autosave of the unsaved set", |_| {
        std::fs::read_to_string(&autosave).is_ok_and(|t| t.contains("u_2"))
    });
    std::fs::copy(&autosave, out.path().join("autosave-copy.json")).expect("copy autosave");
    run(&mut ui, Command::OpenPath(PathBuf::from(tour())));
    ui.click("Discard changes");
    wait_status(&mut ui, "Opened", &mut seen);

    // Revealed on purpose: then, and only then, a copied curl holds the key.
    ui.click("Reveal secrets");
    ui.click("1. identify u_4f8a2c");
    let revealed_curl = copied(&mut ui, Command::Run(Action::CopyCurl));
    assert!(
        found(&revealed_curl).contains(&format!("base64 of {API_SECRET}")),
        "a revealed curl has the key (in the Basic token)"
    );
    outputs.push(("window status lines and clipboard".into(), seen));

    // --- The search.
    let mut leaks = Vec::new();
    for (what, bytes) in &outputs {
        for f in found(bytes) {
            leaks.push(format!("{f} printed by {what}"));
        }
    }
    let mut searched = 0;
    for dir in [cli_home.path(), ui.home.path(), out.path()] {
        for file in files_under(dir) {
            searched += 1;
            let hits = found(&std::fs::read(&file).unwrap_or_default());
            if file == settings_json {
                assert!(
                    hits.contains(&API_KEY.to_string()),
                    "the settings file keeps the key"
                );
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
                    assert_eq!(mode & 0o777, 0o600, "settings.json is owner-only");
                }
                continue;
            }
            for f in hits {
                leaks.push(format!("{f} in {}", file.display()));
            }
        }
    }
    let names: Vec<String> = files_under(ui.home.path())
        .iter()
        .chain(files_under(cli_home.path()).iter())
        .chain(files_under(out.path()).iter())
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in [
        "history.sqlite3",
        "autosave-copy.json",
        "set.json",
        "entry.har",
        "entry.postman.json",
        "preview.postman.json",
        "report.xml",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} was not written: {names:?}"
        );
    }
    assert!(searched >= 8, "{names:?}");
    println!(
        "RELIABILITY secrets files_searched={searched} outputs_searched={} forms_per_key={}",
        outputs.len(),
        forms().len() / 3
    );
    assert!(leaks.is_empty(), "keys leaked:\n{}", leaks.join("\n"));
}

fn run(ui: &mut Ui, c: Command) {
    ui.harness.state_mut().commands.push(c);
    ui.steps(2);
}

/// Runs a command in one frame and returns what that frame copied to the clipboard.
fn copied(ui: &mut Ui, c: Command) -> Vec<u8> {
    ui.harness.state_mut().commands.push(c);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        ui.harness.step();
        let text: Vec<u8> = ui
            .harness
            .output()
            .platform_output
            .commands
            .iter()
            .filter_map(|c| match c {
                OutputCommand::CopyText(t) => Some(t.as_bytes().to_vec()),
                _ => None,
            })
            .flatten()
            .collect();
        if !text.is_empty() {
            return text;
        }
        assert!(Instant::now() < deadline, "nothing was copied");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Steps until the status line contains `want`, keeping every status line shown on the way.
fn wait_status(ui: &mut Ui, want: &str, seen: &mut Vec<u8>) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        ui.harness.step();
        let text = ui
            .harness
            .state()
            .status
            .as_ref()
            .map(|s| s.text.clone())
            .unwrap_or_default();
        seen.extend_from_slice(text.as_bytes());
        seen.push(b'\n');
        if text.contains(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "waited for \"{want}\", status: {text}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}
