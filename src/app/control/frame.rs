//! The steps of every frame's logic besides commands and messages: keyboard shortcuts and
//! dropped files, the command queue run until quiet, the preview brought up to date, and the
//! settings written once typing pauses.

use crate::app::App;
use crate::app::command::{COMMANDS, Command};
use crate::app::model::destination::SaveDue;
use crate::app::model::preview::{PreviewModel, Refresh};
use crate::destinations;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Instant;

impl App {
    /// Brings the preview up to date; for a large event, once typing pauses unless `now`.
    pub(crate) fn refresh_preview(&mut self, ctx: &egui::Context, now: bool) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.doc.value_revision().hash(&mut h);
        self.lib.selected.hash(&mut h);
        self.lib.revision.hash(&mut h);
        self.persisted.destination.hash(&mut h);
        self.persisted.show_secrets.hash(&mut h);
        self.settings.revision().hash(&mut h);
        self.sandbox_base().hash(&mut h);
        self.plan.revision.hash(&mut h);
        let key = h.finish();
        let (revision, len) = (self.doc.revision(), self.doc.text().len());
        let refresh = if now {
            self.preview.refresh_now(key)
        } else {
            self.preview.refresh(key, revision, len, Instant::now())
        };
        match refresh {
            Refresh::Keep => return,
            Refresh::Wait(wait) => {
                ctx.request_repaint_after(wait);
                return;
            }
            Refresh::Compute => {}
        }
        let Some(event) = self.doc.value() else {
            // Keep the last good preview while the JSON is broken; the editor shows the error.
            return;
        };
        let dest = self.destination();
        let cfg = self.config();
        let outcome = destinations::translate(
            dest,
            event,
            &cfg.settings,
            cfg.mode,
            &self.target(&cfg),
            chrono::Utc::now(),
        );
        let violations = self.plan.check(event);
        self.preview.set(
            PreviewModel::new(event, outcome, self.persisted.show_secrets).with_plan(violations),
        );
    }

    pub(crate) fn shortcuts(&mut self, ctx: &egui::Context) {
        for c in COMMANDS {
            if let Some(k) = &c.shortcut
                && ctx.input_mut(|i| i.consume_shortcut(k))
            {
                self.commands.push(Command::Run(c.action));
            }
        }
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if let Some(p) = dropped.into_iter().next() {
            self.commands.push(Command::OpenPath(p));
        }
    }

    /// Parses a large typed text once typing pauses, and at once when a command is about to
    /// act on the event (send, save, a form edit).
    pub(crate) fn settle_doc(&mut self, ctx: &egui::Context) {
        let settled = if self.commands.is_empty() {
            match self.doc.settle(Instant::now()) {
                Ok(s) => s,
                Err(wait) => {
                    ctx.request_repaint_after(wait);
                    false
                }
            }
        } else {
            self.doc.settle_now()
        };
        if settled {
            self.sync_doc_to_lib();
        }
        if !self.commands.is_empty() {
            // Commands that act on the request (copy as curl, export) see the typed event.
            self.refresh_preview(ctx, true);
        }
    }

    pub(crate) fn run_commands(&mut self, ctx: &egui::Context) {
        // A command may push more; run until quiet, bounded so a loop cannot hang a frame.
        for _ in 0..8 {
            let commands = std::mem::take(&mut self.commands);
            if commands.is_empty() {
                break;
            }
            for c in commands {
                self.execute(ctx, c);
            }
        }
    }

    /// Typing a key writes the file once it pauses, one save at a time, off the UI thread.
    pub(crate) fn flush_settings(&mut self, ctx: &egui::Context) {
        match self.settings.due(Instant::now()) {
            SaveDue::Nothing => {}
            SaveDue::Later(wait) => ctx.request_repaint_after(wait),
            SaveDue::Now(store) => self.services.save_settings(store),
        }
    }
}
