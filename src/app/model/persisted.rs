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
}

impl Default for Persisted {
    fn default() -> Self {
        Persisted {
            theme: ThemePref::System,
            destination: "salesmachine".into(),
            stacked: false,
            recent_files: Vec::new(),
            show_secrets: false,
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
