//! The destinations' configuration as the window edits it: each one's settings, mode and
//! target, kept in the settings store and written once typing pauses.

use crate::destinations::{Destination, Mode, Settings, Target};
use crate::files::settings_store::SettingsStore;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// How long typing must pause before the settings file is written.
const SAVE_PAUSE: Duration = Duration::from_millis(400);

/// The settings as the window holds them, and the state of their form.
pub struct SettingsEdit {
    store: SettingsStore,
    /// Grows whenever a configuration changes, so that what depends on one (the preview, the
    /// fan-out) knows to compute again.
    revision: u64,
    /// Changed and not yet written, since then.
    dirty_since: Option<Instant>,
    /// A save runs on the background thread; one at a time.
    saving: bool,
    /// The secret fields the user chose to show.
    pub revealed: BTreeSet<String>,
    /// The settings form is open under the destination bar.
    pub form_open: bool,
}

/// What the settings want of the caller this frame.
#[derive(Debug, PartialEq)]
pub enum SaveDue {
    Nothing,
    /// Look again after this long (typing has not paused yet).
    Later(Duration),
    /// Write this store now (off the UI thread), then call [`SettingsEdit::saved`].
    Now(SettingsStore),
}

impl SettingsEdit {
    pub fn new(store: SettingsStore) -> SettingsEdit {
        SettingsEdit {
            store,
            revision: 0,
            dirty_since: None,
            saving: false,
            revealed: BTreeSet::new(),
            form_open: false,
        }
    }

    pub fn store(&self) -> &SettingsStore {
        &self.store
    }

    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Something the configurations depend on changed (the destination picked, say).
    pub fn touch(&mut self) {
        self.revision += 1;
    }

    /// One destination's configuration, from the store.
    pub fn config(&self, d: &dyn Destination) -> DestConfig {
        let target = match self.store.target(d.id(), "http://sandbox") {
            Target::Sandbox { .. } => TargetChoice::Sandbox,
            Target::Live => TargetChoice::Live,
            Target::Custom { url } => TargetChoice::Custom { url },
        };
        DestConfig {
            settings: self.store.settings(d.id()),
            mode: self.store.mode(d),
            target,
        }
    }

    /// Takes in an edited configuration; it is written once typing pauses.
    pub fn apply(&mut self, id: &str, cfg: &DestConfig) {
        self.store.set_settings(id, cfg.settings.clone());
        self.store.set_mode(id, cfg.mode);
        self.store
            .set_target(id, &cfg.target.resolve("http://sandbox"));
        self.revision += 1;
        self.dirty_since = Some(Instant::now());
    }

    /// Whether the store is to be written now.
    pub fn due(&mut self, now: Instant) -> SaveDue {
        let Some(at) = self.dirty_since else {
            return SaveDue::Nothing;
        };
        let waited = now.saturating_duration_since(at);
        if waited < SAVE_PAUSE {
            return SaveDue::Later(SAVE_PAUSE - waited + Duration::from_millis(50));
        }
        if self.saving {
            return SaveDue::Nothing;
        }
        self.dirty_since = None;
        self.saving = true;
        SaveDue::Now(self.store.clone())
    }

    /// The background save ended (either way); the next may start.
    pub fn saved(&mut self) {
        self.saving = false;
    }
}

/// Where one destination's requests go, as the user chose it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TargetChoice {
    #[default]
    Sandbox,
    Live,
    Custom {
        url: String,
    },
}

impl TargetChoice {
    pub fn resolve(&self, sandbox_base: &str) -> Target {
        match self {
            TargetChoice::Sandbox => Target::Sandbox {
                base: sandbox_base.to_string(),
            },
            TargetChoice::Live => Target::Live,
            TargetChoice::Custom { url } => Target::Custom { url: url.clone() },
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            TargetChoice::Sandbox => "sandbox",
            TargetChoice::Live => "live",
            TargetChoice::Custom { .. } => "custom URL",
        }
    }
}

/// One destination's configuration in the window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DestConfig {
    pub settings: Settings,
    pub mode: Mode,
    pub target: TargetChoice,
}

/// What a JSON-valued setting holds once typed: the JSON, or the text itself when it is not
/// JSON (the settings check then says why), `None` when empty. Bounded like an event: deeper
/// JSON would make a settings file that cannot be read back, and would be moved aside.
pub fn map_value(text: &str) -> Option<Value> {
    match crate::json::text::parse_event(text) {
        Ok(v) => Some(v),
        Err(_) if text.trim().is_empty() => None,
        Err(_) => Some(Value::String(text.to_string())),
    }
}

#[cfg(test)]
mod settings_edit_tests {
    use super::*;

    #[test]
    fn an_edit_is_written_once_typing_pauses_one_save_at_a_time() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = SettingsEdit::new(SettingsStore::defaults(&dir.path().join("s.json")));
        let d = crate::destinations::find("salesmachine").expect("salesmachine");
        let t0 = Instant::now();
        assert_eq!(s.due(t0), SaveDue::Nothing);
        let mut cfg = s.config(d);
        cfg.settings.insert("apiKey".into(), "typed".into());
        let before = s.revision();
        s.apply(d.id(), &cfg);
        assert!(s.revision() > before);
        assert_eq!(s.config(d).settings["apiKey"], "typed");
        assert!(matches!(s.due(Instant::now()), SaveDue::Later(_)));
        let later = Instant::now() + SAVE_PAUSE;
        let SaveDue::Now(store) = s.due(later) else {
            panic!("due once typing paused")
        };
        assert_eq!(store.settings("salesmachine")["apiKey"], "typed");
        s.apply(d.id(), &cfg);
        assert_eq!(
            s.due(later + SAVE_PAUSE),
            SaveDue::Nothing,
            "one save at a time"
        );
        s.saved();
        assert!(matches!(s.due(later + SAVE_PAUSE * 2), SaveDue::Now(_)));
    }
}

#[cfg(test)]
mod map_value_tests {
    use super::*;

    #[test]
    fn json_text_or_the_text_itself_never_deeper_than_an_event() {
        assert_eq!(
            map_value("{\"X-Team\": \"growth\"}"),
            Some(serde_json::json!({"X-Team": "growth"}))
        );
        assert_eq!(map_value("  "), None);
        assert_eq!(map_value("{broken"), Some(Value::String("{broken".into())));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(map_value(&deep), Some(Value::String(deep.clone())));
        let too_deep = format!("{}{}", "[".repeat(65), "]".repeat(65));
        assert_eq!(map_value(&too_deep), Some(Value::String(too_deep.clone())));
    }
}
