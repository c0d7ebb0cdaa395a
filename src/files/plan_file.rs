//! Reading a tracking plan from disk, with the settings kept beside it
//! (docs/tracking-plans.md, *How the console implements it*): for `plan.json`, the file
//! `plan.severity.json` in the same folder, `{"severity": {"Unplanned-Event": "error"}}`, when it
//! exists. Also reading expectation files (`capture --expect`).

use crate::json::text as json_text;
use crate::plan::arrival::{self, Expectation};
use crate::plan::{Plan, Severities};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Plans and their settings are refused above this size before they are read.
pub const MAX_PLAN_BYTES: u64 = 32 * 1024 * 1024;

/// The settings file that goes with a plan: `plan.json` -> `plan.severity.json`.
pub fn settings_path(plan: &Path) -> PathBuf {
    let stem = plan
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "plan".into());
    plan.with_file_name(format!("{stem}.severity.json"))
}

/// Reads a file's text with the size bound, naming the file in every error.
fn read_text(path: &Path, what: &str) -> Result<String, String> {
    let cannot = |e: std::io::Error| format!("cannot read the {what} {}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(format!(
            "the {what} {} is larger than {MAX_PLAN_BYTES} bytes",
            path.display()
        ));
    }
    json_text::utf8(&bytes)
        .map(str::to_string)
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a plan and, when it is there, its severity settings. Every error is one sentence
/// naming the file and the place in it.
pub fn load(path: &Path) -> Result<Plan, String> {
    let text = read_text(path, "tracking plan")?;
    let mut plan = Plan::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(name) = path.file_name() {
        plan.name = name.to_string_lossy().into_owned();
    }
    let side = settings_path(path);
    if side.is_file() {
        let text = read_text(&side, "plan settings")?;
        let doc = json_text::parse(&text).map_err(|e| format!("{}: {e}", side.display()))?;
        plan.severities =
            Severities::from_settings(&doc).map_err(|e| format!("{}: {e}", side.display()))?;
    }
    Ok(plan)
}

/// Reads an expectation file of events that must arrive.
pub fn load_expectations(path: &Path) -> Result<Vec<Expectation>, String> {
    let text = read_text(path, "expectation file")?;
    let doc = json_text::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    arrival::parse(&doc).map_err(|e| format!("{}: {e}", path.display()))
}
