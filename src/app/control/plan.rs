//! Tracking plans in the window: loading one (remembered across restarts), unloading it, and
//! drafting one from the open event set (docs/tracking-plans.md).

use crate::app::App;
use crate::app::background::services::PickPurpose;
use crate::app::command::Action;
use crate::files::atomic;
use crate::plan::draft;
use std::path::Path;

impl App {
    pub(crate) fn plan_action(&mut self, a: Action) {
        match a {
            Action::LoadPlan => self.services.pick(PickPurpose::LoadPlan, String::new()),
            Action::UnloadPlan => {
                self.plan.unload();
                self.persisted.plan_path = None;
                self.set_status(
                    "No tracking plan: events are no longer checked against one.",
                    false,
                );
            }
            Action::DraftPlan => {
                self.sync_doc_to_lib();
                self.services.pick(
                    PickPurpose::DraftPlan,
                    format!("{}.plan.json", self.suggested_name()),
                );
            }
            _ => {}
        }
    }

    /// Loads a plan and remembers its path, even when it cannot be read (the user fixes the
    /// file and loads it again; at the next start it is tried again).
    pub(crate) fn load_plan(&mut self, path: &Path) {
        self.persisted.plan_path = Some(path.to_path_buf());
        match self.plan.load(path) {
            Ok(words) => self.set_status(words, false),
            Err(e) => self.set_status(e, true),
        }
    }

    /// The plan that the open set's events satisfy, written for the user to edit.
    pub(crate) fn draft_plan_to(&mut self, path: &Path) {
        let drafted = draft::draft(&self.lib.set.events);
        if drafted.rules == 0 {
            self.set_status(
                "No plan drafted: the set has no event a plan can describe (alias calls and \
                 events without a type or name are left out).",
                true,
            );
            return;
        }
        let mut text = serde_json::to_string_pretty(&drafted.plan).unwrap_or_default();
        text.push('\n');
        match atomic::write_atomic(path, text.as_bytes()) {
            Ok(()) => self.set_status(
                format!(
                    "Drafted a plan of {} rules from {} events: {}. Edit it, then load it with \
                     File > Load tracking plan….",
                    drafted.rules,
                    self.lib.set.events.len(),
                    path.display()
                ),
                false,
            ),
            Err(e) => self.set_status(format!("Could not write {}: {e}", path.display()), true),
        }
    }
}
