//! Keeping work safe and sending whole sets: "Send all" as a batch with progress, autosave of
//! unsaved changes (offered back after a crash), and the question before unsaved work is dropped.

use super::{App, SandboxState, TargetChoice};
use crate::batch::{BatchJob, BatchRun, Progress};
use crate::files::event_set::{self, EventSet};
use crate::history::History;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often unsaved changes are copied to the autosave folder.
const AUTOSAVE_EVERY: Duration = Duration::from_secs(2);
const AUTOSAVE_SET: &str = "unsaved.json";
const AUTOSAVE_META: &str = "unsaved.meta.json";

/// What the autosave remembers besides the events.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AutosaveMeta {
    pub path: Option<PathBuf>,
    pub saved_at: String,
}

/// Work that waits for an answer about unsaved changes.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    Open(Option<PathBuf>),
    New,
    Close,
}

pub struct Workflow {
    pub batch: Option<BatchRun>,
    pub batch_progress: Progress,
    pub batch_started: Option<Instant>,
    pub last_autosave: Option<Instant>,
    /// The library revision the last autosave wrote.
    autosaved: Option<u64>,
    /// The set found in the autosave folder at start, offered back.
    pub recovered: Option<(EventSet, AutosaveMeta)>,
    pub pending: Option<Pending>,
    pub allow_close: bool,
}

impl Workflow {
    pub fn new(autosave_dir: &std::path::Path) -> Workflow {
        let set = event_set::open(&autosave_dir.join(AUTOSAVE_SET)).ok();
        let meta = std::fs::read_to_string(autosave_dir.join(AUTOSAVE_META))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Workflow {
            batch: None,
            batch_progress: Progress::default(),
            batch_started: None,
            last_autosave: None,
            autosaved: None,
            recovered: set.map(|l| (l.set, meta)),
            pending: None,
            allow_close: false,
        }
    }
}

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
    pub(super) fn poll_batch(&mut self, ctx: &egui::Context) {
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
    pub(super) fn autosave_tick(&mut self, ctx: &egui::Context) {
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
    pub(super) fn autosave_now(&mut self) {
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
                let _ = tx.send(super::services::Msg::Status {
                    text: format!("Could not keep a copy of unsaved changes: {e}"),
                    error: true,
                });
            }
        });
    }

    /// Nothing is unsaved any more: the autosave copy is not needed.
    pub(super) fn clear_autosave(&mut self) {
        let dir = self.services.dirs.autosave_dir();
        for f in [AUTOSAVE_SET, AUTOSAVE_META] {
            let _ = std::fs::remove_file(dir.join(f));
        }
    }

    pub fn restore_autosave(&mut self) {
        if let Some((set, meta)) = self.work.recovered.take() {
            let n = set.events.len();
            self.lib = super::Library::new(set, meta.path.clone());
            self.lib.dirty = true;
            self.load_into_doc();
            self.set_status(
                format!("Restored {n} unsaved events from {}.", meta.saved_at),
                false,
            );
        }
    }

    /// Runs `p` now when nothing is unsaved, else asks first.
    pub(super) fn guard(&mut self, p: Pending) {
        if self.lib.dirty {
            self.work.pending = Some(p);
        } else {
            self.proceed(p);
        }
    }

    pub(super) fn proceed(&mut self, p: Pending) {
        match p {
            Pending::Open(Some(path)) => self.open_path(path),
            Pending::Open(None) => self
                .services
                .pick(super::services::PickPurpose::Open, String::new()),
            Pending::New => {
                self.lib = super::Library::new(EventSet::default(), None);
                self.load_into_doc();
                self.clear_autosave();
            }
            Pending::Close => {
                self.work.allow_close = true;
            }
        }
    }

    /// The question before unsaved work would be dropped, and the crash-recovery offer.
    pub(super) fn dialogs(&mut self, ctx: &egui::Context) {
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
                            self.services
                                .pick(super::services::PickPurpose::SaveAs, "events.json".into());
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
