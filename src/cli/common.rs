//! What the subcommands share: reading settings files and naming destinations.

use segment_console::destinations::{self, Destination, Mode, Settings};
use serde_json::Value;
use std::path::Path;

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
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read settings file {}: {e}", path.display()))?;
    let doc: Value = serde_json::from_str(&text)
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
