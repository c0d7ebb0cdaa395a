//! Keeping work safe and sending whole sets: "Send all" as a batch with progress, autosave of
//! unsaved changes (offered back after a crash), and the question before unsaved work is dropped.

use crate::app::background::services::PickPurpose;
use crate::app::model::workflow::{AUTOSAVE_META, AUTOSAVE_SET, AutosaveMeta, Pending};
use crate::app::windows::dialogs::{self, Answer};
use crate::app::{App, SandboxState, TargetChoice};
use crate::batch::{BatchJob, BatchRun};
use crate::files::event_set::{self, EventSet};
use crate::history::History;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often unsaved changes are copied to the autosave folder.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(2);

impl App {
    /// Sends every event of the set to the current destination as a batch.
    pub fn send_all(&mut self, ctx: &egui::Context) {
        if self.work.batch.is_some() {
            self.set_status("A batch is already running; cancel it or wait.", true);
            return;
        }
        self.sync_doc_to_lib();
        let events = self.lib.set.events.clone();
        if events.is_empty() {
            self.set_status("The set has no events to send.", true);
            return;
        }
        let cfg = self.config();
        if matches!(cfg.target, TargetChoice::Sandbox)
            && !matches!(self.sandbox, SandboxState::Ready(_))
        {
            self.set_status("The sandbox is not ready; try again in a moment.", true);
            return;
        }
        let Some(transport) = self.services.transport.as_deref().cloned() else {
            self.set_status("Sending is off: the HTTP client could not start.", true);
            return;
        };
        let history = match History::open(&self.services.dirs.history_file()) {
            Ok(h) => h,
            Err(e) => {
                self.set_status(format!("Send all needs the history: {e}"), true);
                return;
            }
        };
        let dest = self.destination();
        let mut job = BatchJob::new(
            dest,
            cfg.settings.clone(),
            cfg.mode,
            self.target(&cfg),
            events,
        );
        job.plan = self.plan.shared();
        let repaint = ctx.clone();
        job.wake = Some(Arc::new(move || repaint.request_repaint()));
        let run = BatchRun::spawn(self.services.runtime.handle(), job, transport, history);
        self.work.batch_progress = run.progress();
        self.work.batch = Some(run);
        self.work.batch_started = Some(Instant::now());
        self.set_status(
            format!(
                "Sending {} events to {}…",
                self.lib.set.events.len(),
                dest.integration_name()
            ),
            false,
        );
    }

    pub fn cancel_batch(&mut self) {
        if let Some(b) = &self.work.batch {
            b.cancel();
            self.set_status("Cancelling the batch…", false);
        }
    }

    /// Polls the running batch; called once per frame, never blocks.
    pub(crate) fn poll_batch(&mut self, ctx: &egui::Context) {
        let Some(run) = &mut self.work.batch else {
            return;
        };
        self.work.batch_progress = run.progress();
        while run.try_result().is_some() {}
        match run.try_summary() {
            None => {
                ctx.request_repaint_after(Duration::from_millis(100));
            }
            Some(result) => {
                self.work.batch = None;
                match result {
                    Ok(s) => {
                        let text = format!(
                            "Send all {}: {} in {:.1} s.",
                            if s.cancelled { "cancelled" } else { "finished" },
                            s.progress,
                            s.elapsed_ms as f64 / 1000.0
                        );
                        let bad = !s.all_ok();
                        self.set_status(text, bad);
                    }
                    Err(e) => self.set_status(format!("Send all: {e}"), true),
                }
                self.reload_history();
            }
        }
    }

    /// Copies unsaved changes to the autosave folder every few seconds, off the UI thread.
    pub(crate) fn autosave_tick(&mut self, ctx: &egui::Context) {
        if !self.lib.dirty || self.work.autosaved == Some(self.lib.revision) {
            return;
        }
        if let Some(t) = self.work.last_autosave
            && t.elapsed() < AUTOSAVE_EVERY
        {
            // Come back when it is due, even if nothing else asks for a frame.
            ctx.request_repaint_after(AUTOSAVE_EVERY - t.elapsed());
            return;
        }
        self.work.last_autosave = Some(Instant::now());
        self.work.autosaved = Some(self.lib.revision);
        self.autosave_now();
    }

    /// Writes the set and where it came from; a crash later loses at most a few seconds.
    pub(crate) fn autosave_now(&mut self) {
        let dir = self.services.dirs.autosave_dir();
        let secrets = self.secrets();
        let set = self.lib.set.clone();
        let meta = AutosaveMeta {
            path: self.lib.path.clone(),
            saved_at: chrono::Utc::now().to_rfc3339(),
        };
        let tx = self.services.sender();
        self.services.runtime.spawn_blocking(move || {
            let r = std::fs::create_dir_all(&dir)
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    event_set::save(&dir.join(AUTOSAVE_SET), &set, &secrets)
                        .map_err(|e| e.to_string())
                })
                .and_then(|_| {
                    let text = serde_json::to_string_pretty(&meta).unwrap_or_default();
                    crate::files::atomic::write_atomic(&dir.join(AUTOSAVE_META), text.as_bytes())
                        .map_err(|e| e.to_string())
                });
            if let Err(e) = r {
                let _ = tx.send(crate::app::background::services::Msg::Status {
                    text: format!("Could not keep a copy of unsaved changes: {e}"),
                    error: true,
                });
            }
        });
    }

    /// Nothing is unsaved any more: the autosave copy is not needed.
    pub(crate) fn clear_autosave(&mut self) {
        let dir = self.services.dirs.autosave_dir();
        for f in [AUTOSAVE_SET, AUTOSAVE_META] {
            let _ = std::fs::remove_file(dir.join(f));
        }
    }

    pub fn restore_autosave(&mut self) {
        if let Some((set, meta)) = self.work.recovered.take() {
            let n = set.events.len();
            self.lib = crate::app::Library::new(set, meta.path.clone());
            self.lib.dirty = true;
            self.load_into_doc();
            self.set_status(
                format!(
                    "Restored {n} unsaved {} from {}.",
                    if n == 1 { "event" } else { "events" },
                    meta.saved_at
                ),
                false,
            );
        }
    }

    /// Runs `p` now when nothing is unsaved, else asks first.
    pub(crate) fn guard(&mut self, p: Pending) {
        if self.lib.dirty {
            self.work.pending = Some(p);
        } else {
            self.proceed(p);
        }
    }

    pub(crate) fn proceed(&mut self, p: Pending) {
        match p {
            Pending::Open(Some(path)) => self.open_path(path),
            Pending::Open(None) => self.services.pick(
                crate::app::background::services::PickPurpose::Open,
                String::new(),
            ),
            Pending::New => {
                self.lib = crate::app::Library::new(EventSet::default(), None);
                self.load_into_doc();
                self.clear_autosave();
            }
            Pending::Close => {
                self.work.allow_close = true;
            }
        }
    }
}

impl App {
    /// Closing with unsaved changes asks first; the questions are drawn and their answers
    /// carried out.
    pub(crate) fn dialogs(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested()) && !self.work.allow_close && self.lib.dirty
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.work.pending = Some(Pending::Close);
        }
        if self.work.allow_close {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        let title = self.lib.title();
        let Some(answer) = dialogs::show(ctx, &self.work, title.trim_end_matches(" •")) else {
            return;
        };
        match answer {
            Answer::SaveChanges => {
                let Some(p) = self.work.pending.take() else {
                    return;
                };
                match self.lib.path.clone() {
                    Some(path) => {
                        self.save_to(path);
                        if !self.lib.dirty {
                            self.proceed(p);
                        }
                    }
                    None => self
                        .services
                        .pick(PickPurpose::SaveAs, "events.json".into()),
                }
            }
            Answer::DiscardChanges => {
                let Some(p) = self.work.pending.take() else {
                    return;
                };
                self.lib.dirty = false;
                self.clear_autosave();
                self.proceed(p);
            }
            Answer::KeepEditing => self.work.pending = None,
            Answer::RestoreAutosave => self.restore_autosave(),
            Answer::DiscardAutosave => {
                self.work.recovered = None;
                self.clear_autosave();
            }
        }
    }
}
