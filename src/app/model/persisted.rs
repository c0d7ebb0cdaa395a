//! What the window remembers between runs (eframe persistence): layout, theme, the last
//! destination, recent files. Secrets never go here; they live in the settings store.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemePref {
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default)]
pub struct Persisted {
    pub theme: ThemePref,
    pub destination: String,
    /// Source and translation stacked instead of side by side.
    pub stacked: bool,
    pub recent_files: Vec<PathBuf>,
    pub show_secrets: bool,
    /// The tracking plan loaded last (File > Load tracking plan…), read again at start.
    pub plan_path: Option<PathBuf>,
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            theme: ThemePref::System,
            destination: "salesmachine".into(),
            stacked: false,
            recent_files: Vec::new(),
            show_secrets: false,
            plan_path: None,
        }
    }
}

pub const MAX_RECENT: usize = 10;

impl Persisted {
    pub fn add_recent(&mut self, path: PathBuf) {
        self.recent_files.retain(|p| p != &path);
        self.recent_files.insert(0, path);
        self.recent_files.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_path_is_remembered_and_older_configs_read_without_it() {
        let p = Persisted {
            plan_path: Some(PathBuf::from("/plans/plan.json")),
            ..Persisted::default()
        };
        let text = serde_json::to_string(&p).unwrap();
        let back: Persisted = serde_json::from_str(&text).unwrap();
        assert_eq!(back.plan_path, p.plan_path);
        let old: Persisted = serde_json::from_str(r#"{"destination": "skalin"}"#).unwrap();
        assert_eq!((old.destination.as_str(), old.plan_path), ("skalin", None));
    }
}
