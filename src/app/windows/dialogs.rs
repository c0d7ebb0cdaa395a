//! The questions the window asks: unsaved changes before they would be dropped, and an
//! autosave found after a crash.

use crate::app::App;
use crate::app::model::workflow::Pending;

impl App {
    /// The question before unsaved work would be dropped, and the crash-recovery offer.
    pub(crate) fn dialogs(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && !self.work.allow_close && self.lib.dirty
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.work.pending = Some(Pending::Close);
        }
        if self.work.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if let Some(p) = self.work.pending.clone() {
            let mut answer = None;
            egui::Modal::new(egui::Id::unique("unsaved-changes")).show(ctx, |ui| {
                ui.heading("Unsaved changes");
                ui.label(format!(
                    "\"{}\" has changes that are not saved. Save them first?",
                    self.lib.title().trim_end_matches(" •")
                ));
                ui.horizontal(|ui| {
                    if ui.button("Save changes").clicked() {
                        answer = Some(1);
                    }
                    if ui.button("Discard changes").clicked() {
                        answer = Some(2);
                    }
                    if ui.button("Keep editing").clicked() {
                        answer = Some(0);
                    }
                });
            });
            match answer {
                Some(1) => {
                    self.work.pending = None;
                    match self.lib.path.clone() {
                        Some(path) => {
                            self.save_to(path);
                            if !self.lib.dirty {
                                self.proceed(p);
                            }
                        }
                        None => {
                            self.services.pick(
                                crate::app::background::services::PickPurpose::SaveAs,
                                "events.json".into(),
                            );
                        }
                    }
                }
                Some(2) => {
                    self.work.pending = None;
                    self.lib.dirty = false;
                    self.clear_autosave();
                    self.proceed(p);
                }
                Some(_) => self.work.pending = None,
                None => {}
            }
        }
        if let Some((set, meta)) = &self.work.recovered {
            let n = set.events.len();
            let from = meta
                .path
                .as_ref()
                .map(|p| format!(" (from {})", p.display()))
                .unwrap_or_default();
            let mut answer = None;
            egui::Modal::new(egui::Id::unique("restore-autosave")).show(ctx, |ui| {
                ui.heading("Restore unsaved work?");
                ui.label(format!(
                    "The last session ended with {n} unsaved events{from}, kept at {}.",
                    meta.saved_at
                ));
                ui.horizontal(|ui| {
                    if ui.button("Restore").clicked() {
                        answer = Some(true);
                    }
                    if ui.button("Discard").clicked() {
                        answer = Some(false);
                    }
                });
            });
            match answer {
                Some(true) => self.restore_autosave(),
                Some(false) => {
                    self.work.recovered = None;
                    self.clear_autosave();
                }
                None => {}
            }
        }
    }
}
