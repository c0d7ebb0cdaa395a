//! What the subcommands share: reading settings files and naming destinations.

use segment_console::destinations::{self, Destination, Mode, Settings, Target};
use segment_console::json::text as json_text;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

const MAX_SETTINGS_BYTES: u64 = 8 * 1024 * 1024;

/// Finds a destination by id, or says which ids exist.
pub fn destination(id: &str) -> Result<&'static dyn Destination, String> {
    destinations::find(id).ok_or_else(|| {
        let ids: Vec<&str> = destinations::registry().iter().map(|d| d.id()).collect();
        format!(
            "unknown destination \"{id}\"; choose one of {}",
            ids.join(", ")
        )
    })
}

/// Reads a settings file (`{"salesmachine": {...}, ...}`) and returns the part for `dest_id`
/// (empty when the file has none).
pub fn settings_for(path: Option<&Path>, dest_id: &str) -> Result<Settings, String> {
    let Some(path) = path else {
        return Ok(Settings::new());
    };
    let cannot = |e: std::io::Error| format!("cannot read settings file {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    // A settings file is a few lines; a huge one is a wrong path, refused before it is read.
    let mut bytes = Vec::new();
    file.take(MAX_SETTINGS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(format!(
            "settings file {} is larger than {MAX_SETTINGS_BYTES} bytes; it cannot be a settings file",
            path.display()
        ));
    }
    let doc: Value = json_text::parse_bytes(&bytes)
        .map_err(|e| format!("settings file {} is not valid JSON: {e}", path.display()))?;
    let Value::Object(all) = doc else {
        return Err(format!(
            "settings file {} must hold a JSON object keyed by destination id",
            path.display()
        ));
    };
    match all.get(dest_id) {
        None => Ok(Settings::new()),
        Some(Value::Object(s)) => Ok(s.clone()),
        Some(_) => Err(format!(
            "settings file {}: \"{dest_id}\" must be an object of settings",
            path.display()
        )),
    }
}

/// The mode asked for on the command line, or the destination's default.
pub fn mode(dest: &dyn Destination, asked: Option<&str>) -> Result<Mode, String> {
    let Some(m) = asked else {
        return Ok(dest.default_mode());
    };
    Mode::parse(m)
        .filter(|mode| dest.modes().contains(mode))
        .ok_or_else(|| {
            let modes: Vec<&str> = dest.modes().iter().map(|m| m.as_str()).collect();
            format!(
                "{} has no mode \"{m}\"; use {}",
                dest.id(),
                modes.join(" or ")
            )
        })
}

/// Every error in the settings for this mode and target, in one message (exit code 2).
/// Warnings (a Webhooks URL unused by the sandbox) do not stop a run; each event's findings
/// carry them.
pub fn check_settings(
    dest: &dyn Destination,
    settings: &Settings,
    mode: Mode,
    target: &Target,
) -> Result<(), String> {
    let bad: Vec<String> =
        destinations::kit::settings::check(dest.settings_schema(), settings, mode, target)
            .into_iter()
            .filter(|f| f.is_error())
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "invalid settings for {}: {}",
            dest.id(),
            bad.join("; ")
        ))
    }
}

/// Reads a tracking plan (with its `.severity.json` beside it) and applies `--severity
/// KIND=LEVEL` on top (docs/tracking-plans.md).
pub fn plan(path: &Path, severity: &[String]) -> Result<segment_console::plan::Plan, String> {
    let mut plan = segment_console::files::plan_file::load(path)?;
    for s in severity {
        plan.severities
            .apply_assignment(s)
            .map_err(|e| format!("--severity {e}"))?;
    }
    Ok(plan)
}

/// One line per violation for a terminal: `#3 error Datatype-Mismatch at $.properties.revenue:
/// properties.revenue must be number`.
pub fn violation_line(index: usize, f: &segment_console::event::Finding) -> String {
    format!(
        "#{index} {} {} at {}: {}",
        f.severity.as_str(),
        f.kind.as_deref().unwrap_or("-"),
        f.path,
        f.message
    )
}

/// The runtime a command's servers and sends run on: two workers, as the machine's cores.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}
