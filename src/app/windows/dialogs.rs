//! The questions the window asks: unsaved changes before they would be dropped, and an
//! autosave found after a crash. Drawing only: the answer goes back to the controller
//! (`control/workflow.rs`), which acts on it.

use crate::app::model::workflow::Workflow;

/// What the user answered this frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Answer {
    SaveChanges,
    DiscardChanges,
    KeepEditing,
    RestoreAutosave,
    DiscardAutosave,
}

/// The question before unsaved work of the set `title` would be dropped (while one is pending),
/// and the crash-recovery offer (while an autosave was found).
pub(crate) fn show(ctx: &egui::Context, work: &Workflow, title: &str) -> Option<Answer> {
    let mut answer = None;
    if work.pending.is_some() {
        egui::Modal::new(egui::Id::unique("unsaved-changes")).show(ctx, |ui| {
            ui.heading("Unsaved changes");
            ui.label(format!(
                "\"{title}\" has changes that are not saved. Save them first?"
            ));
            ui.horizontal(|ui| {
                if ui.button("Save changes").clicked() {
                    answer = Some(Answer::SaveChanges);
                }
                if ui.button("Discard changes").clicked() {
                    answer = Some(Answer::DiscardChanges);
                }
                if ui.button("Keep editing").clicked() {
                    answer = Some(Answer::KeepEditing);
                }
            });
        });
    }
    if let Some((set, meta)) = &work.recovered {
        let n = set.events.len();
        let from = meta
            .path
            .as_ref()
            .map(|p| format!(" (from {})", p.display()))
            .unwrap_or_default();
        egui::Modal::new(egui::Id::unique("restore-autosave")).show(ctx, |ui| {
            ui.heading("Restore unsaved work?");
            ui.label(format!(
                "The last session ended with {n} unsaved {}{from}, kept at {}.",
                if n == 1 { "event" } else { "events" },
                meta.saved_at
            ));
            ui.horizontal(|ui| {
                if ui.button("Restore").clicked() {
                    answer = Some(Answer::RestoreAutosave);
                }
                if ui.button("Discard").clicked() {
                    answer = Some(Answer::DiscardAutosave);
                }
            });
        });
    }
    answer
}
