//! What the controller asks of the app's state in many places: the current destination and its
//! configuration, where requests go, the secrets to mask, the status line, and moving the
//! composer's event to and from the set.

use crate::app::model::destination::DestConfig;
use crate::app::model::document::Document;
use crate::app::model::preview::PreviewModel;
use crate::app::{App, SandboxState, Status};
use crate::destinations::{self, Destination, Target};
use std::time::Instant;

impl App {
    pub fn destination(&self) -> &'static dyn Destination {
        destinations::find(&self.persisted.destination).unwrap_or(destinations::registry()[0])
    }

    pub fn sandbox_base(&self) -> Option<String> {
        match &self.sandbox {
            SandboxState::Ready(h) => Some(h.control().base_url()),
            _ => None,
        }
    }

    /// The current destination's configuration, from the settings store.
    pub(crate) fn config(&self) -> DestConfig {
        self.settings.config(self.destination())
    }

    pub(crate) fn target(&self, cfg: &DestConfig) -> Target {
        // Before the sandbox answers, previews use a placeholder base that says so.
        let base = self
            .sandbox_base()
            .unwrap_or_else(|| "http://127.0.0.1:0".into());
        cfg.target.resolve(&base)
    }

    pub fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(Status {
            text: text.into(),
            error,
            at: Instant::now(),
        });
    }

    /// The preview's outcome, once computed.
    pub fn preview(&self) -> Option<&PreviewModel> {
        self.preview.model()
    }

    pub(crate) fn secrets(&self) -> Vec<String> {
        destinations::registry()
            .iter()
            .flat_map(|d| {
                destinations::kit::settings::secrets(
                    d.settings_schema(),
                    &self.settings.store().settings(d.id()),
                )
            })
            .collect()
    }

    pub(crate) fn sync_doc_to_lib(&mut self) {
        if let Some(v) = self.doc.value() {
            self.lib.update_current(v);
        }
    }
    pub(crate) fn load_into_doc(&mut self) {
        self.doc = Document::from_value(self.lib.current());
    }
}
