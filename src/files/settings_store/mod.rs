//! The one place destination settings live (secrets included): a JSON file, mode 0600, written
//! atomically. `{"destinations": {"salesmachine": {"settings": {...}, "mode": "...",
//! "target": "sandbox"}}}`. A destination never configured gets the sandbox's credentials
//! (docs/destinations.md §7), so a new user can send at once.

use crate::destinations::{Destination, Mode, Settings, Target};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The temporary files of a save start with this.
pub const TEMP_PREFIX: &str = ".settings-";

/// Settings files above this are refused: they cannot be the console's.
const MAX_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DestinationConfig {
    #[serde(default)]
    pub settings: Settings,
    /// `partner-api` or `segment-webhook`; read leniently (see [`SettingsStore::mode`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// `sandbox`, `live` or a URL, as the command line takes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Keys a later version may add, kept as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
struct Doc {
    #[serde(default)]
    destinations: BTreeMap<String, DestinationConfig>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot read the settings file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the settings file {path} cannot be read at line {line}, column {column}: {message}. \
         The console uses the default settings and leaves the file as it is; a save moves it \
         aside first (to a .bak file beside it)"
    )]
    Broken {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("the settings file {path} is {size} bytes, too large to be the console's")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("cannot save the settings to {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What a save did beyond writing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Saved {
    /// Where an unreadable file found in the way was moved.
    pub backup: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SettingsStore {
    path: PathBuf,
    doc: Doc,
}

impl SettingsStore {
    /// Reads the file; a missing file is an empty store (every destination at its defaults).
    pub fn load(path: &Path) -> Result<SettingsStore, StoreError> {
        let doc = read_doc(path)?.unwrap_or_default();
        Ok(SettingsStore {
            path: path.to_path_buf(),
            doc,
        })
    }

    /// A store at its defaults, for when [`SettingsStore::load`] failed and the console goes on.
    pub fn defaults(path: &Path) -> SettingsStore {
        SettingsStore {
            path: path.to_path_buf(),
            doc: Doc::default(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The destination's configuration as stored, else its defaults.
    pub fn config(&self, id: &str) -> DestinationConfig {
        self.doc
            .destinations
            .get(id)
            .cloned()
            .unwrap_or_else(|| default_config(id))
    }

    pub fn settings(&self, id: &str) -> Settings {
        self.config(id).settings
    }

    /// The stored mode when the destination has it, else the destination's default.
    pub fn mode(&self, dest: &dyn Destination) -> Mode {
        self.config(dest.id())
            .mode
            .as_deref()
            .and_then(Mode::parse)
            .filter(|m| dest.modes().contains(m))
            .unwrap_or_else(|| dest.default_mode())
    }

    /// The stored target; the sandbox when none is stored or it cannot be read (never `live`
    /// by accident).
    pub fn target(&self, id: &str, sandbox_base: &str) -> Target {
        let sandbox = || Target::Sandbox {
            base: sandbox_base.trim_end_matches('/').to_string(),
        };
        match self.config(id).target {
            Some(t) => Target::parse(&t, sandbox_base).unwrap_or_else(|_| sandbox()),
            None => sandbox(),
        }
    }

    fn entry(&mut self, id: &str) -> &mut DestinationConfig {
        self.doc
            .destinations
            .entry(id.to_string())
            .or_insert_with(|| default_config(id))
    }

    pub fn set_settings(&mut self, id: &str, settings: Settings) {
        self.entry(id).settings = settings;
    }

    pub fn set_mode(&mut self, id: &str, mode: Mode) {
        self.entry(id).mode = Some(mode.as_str().to_string());
    }

    pub fn set_target(&mut self, id: &str, target: &Target) {
        let text = match target {
            Target::Sandbox { .. } => "sandbox".to_string(),
            Target::Live => "live".to_string(),
            Target::Custom { url } => url.clone(),
        };
        self.entry(id).target = Some(text);
    }

    /// Back to the defaults for this destination.
    pub fn reset(&mut self, id: &str) {
        self.doc.destinations.remove(id);
    }

    /// Writes the file atomically, owner-only. A file in the way that cannot be read is never
    /// overwritten: it is moved to `settings.json.bak` (or `.bak.1`, ...) first.
    pub fn save(&self) -> Result<Saved, StoreError> {
        let write_err = |source| StoreError::Write {
            path: self.path.clone(),
            source,
        };
        let backup = match read_doc(&self.path) {
            Ok(_) => None,
            Err(StoreError::Broken { .. } | StoreError::TooLarge { .. }) => {
                let to = free_backup_name(&self.path);
                std::fs::rename(&self.path, &to).map_err(write_err)?;
                Some(to)
            }
            Err(e) => return Err(e),
        };
        let mut text = serde_json::to_string_pretty(&self.doc).unwrap_or_else(|_| "{}".into());
        text.push('\n');
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        crate::files::atomic::write_private(&self.path, text.as_bytes(), TEMP_PREFIX)
            .map_err(write_err)?;
        Ok(Saved { backup })
    }
}

/// The file's document, `None` when there is no file.
fn read_doc(path: &Path) -> Result<Option<Doc>, StoreError> {
    let read_err = |source| StoreError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(read_err(e)),
    };
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
        });
    }
    let broken = |e: crate::json::text::JsonError| StoreError::Broken {
        path: path.to_path_buf(),
        line: e.line,
        column: e.column,
        message: e.message,
    };
    let text = crate::json::text::utf8(&bytes).map_err(broken)?;
    serde_json::from_str(text)
        .map(Some)
        .map_err(|e| broken(crate::json::text::from_serde(&e, 0)))
}

fn free_backup_name(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".bak");
    let first = PathBuf::from(&name);
    if !first.exists() {
        return first;
    }
    (1u32..)
        .map(|n| {
            let mut candidate = name.clone();
            candidate.push(format!(".{n}"));
            PathBuf::from(candidate)
        })
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// A destination's configuration before the user changes anything: what works against the
/// embedded sandbox (the destination's `sandbox_settings`), with the sandbox as target.
pub fn default_config(id: &str) -> DestinationConfig {
    DestinationConfig {
        settings: crate::destinations::find(id)
            .map(|d| d.sandbox_settings())
            .unwrap_or_default(),
        mode: None,
        target: Some("sandbox".into()),
        extra: Map::new(),
    }
}

#[cfg(test)]
mod tests;
