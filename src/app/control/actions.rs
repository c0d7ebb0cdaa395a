//! Executing commands: the one place where what widgets ask for happens.

use crate::app::background::services::{EntryPurpose, PickPurpose};
use crate::app::command::{Action, Command, ExportKind};
use crate::app::model::library::sample;
use crate::app::{App, Library, SandboxState, theme};
use crate::destinations::{self, OutcomeKind, PartnerRequest};
use crate::event::fill;
use crate::export;
use crate::files::event_set;
use crate::history::Entry;
use serde_json::Value;
use std::path::PathBuf;

impl App {
    pub fn execute(&mut self, ctx: &egui::Context, c: Command) {
        match c {
            Command::Run(a) => self.run_action(ctx, a),
            Command::SelectEvent(i) => {
                if self.doc.error().is_some() {
                    self.set_status(
                        "Fix or undo the JSON error before switching events; nothing was changed.",
                        true,
                    );
                    return;
                }
                self.lib.selected = i;
                self.load_into_doc();
            }
            Command::DeleteEvent(i) => {
                self.lib.delete(i);
                self.load_into_doc();
            }
            Command::MoveEvent { from, to } => self.lib.move_event(from, to),
            Command::RenameSet(name) => {
                self.lib.set.name = name;
                self.lib.touch();
            }
            Command::LoadSample(call) => {
                self.doc.replace(&sample(call));
                self.sync_doc_to_lib();
            }
            Command::SetCallType(call) => {
                let ok = self.doc.edit(|o| {
                    o.insert("type".into(), Value::String(call.as_str().into()));
                });
                if !ok {
                    self.set_status(
                        "The JSON must be a valid object to change its call type.",
                        true,
                    );
                }
                self.sync_doc_to_lib();
            }
            Command::SelectDestination(id) => {
                self.persisted.destination = id.to_string();
                self.settings.touch();
            }
            Command::SetConfig {
                destination,
                config,
            } => self.settings.apply(destination, &config),
            Command::OpenPath(p) => self.guard(crate::app::model::workflow::Pending::Open(Some(p))),
            Command::SaveTo(p) => self.save_to(p),
            Command::SelectHistory(id) => {
                self.history.selected = Some(id);
                self.services.fetch_entry(id, EntryPurpose::Show);
            }
            Command::Replay(id) => self.services.fetch_entry(id, EntryPurpose::Replay),
            Command::OpenHistoryInComposer(id) => {
                self.services.fetch_entry(id, EntryPurpose::OpenInComposer)
            }
            Command::ExportHistory(kind) => match self.history.selected {
                Some(id) => self.services.fetch_entry(id, EntryPurpose::Export(kind)),
                None => self.set_status("Select a history entry to export.", true),
            },
            Command::DeleteHistory(id) => {
                self.services.history(move |h| {
                    Some(match h.delete(&[id]) {
                        Ok(_) => crate::app::background::services::Msg::HistoryChanged,
                        Err(e) => crate::app::background::services::Msg::Status {
                            text: format!("Could not delete the entry: {e}"),
                            error: true,
                        },
                    })
                });
                self.history.selected = None;
            }
            Command::AddEvents(events) => self.add_events(events),
            Command::Compare(c) => self.compare_command(c),
            Command::ReloadHistory => self.reload_history(),
            Command::SetHistorySizeCap(cap) => {
                self.services.history(move |h| {
                    let (text, error) = match (h.set_size_cap(cap), cap) {
                        (Ok(n), Some(b)) => (
                            format!(
                                "The history is kept under {}; {n} oldest entries removed now.",
                                crate::history::size_text(b)
                            ),
                            false,
                        ),
                        (Ok(_), None) => ("The history has no size cap.".into(), false),
                        (Err(e), _) => (format!("Could not set the history's size cap: {e}"), true),
                    };
                    Some(crate::app::background::services::Msg::Status { text, error })
                });
                self.reload_history();
            }
            Command::ClearHistory => {
                self.services.history(|h| {
                    Some(match h.clear() {
                        Ok(n) => crate::app::background::services::Msg::Status {
                            text: format!("Cleared {n} history entries."),
                            error: false,
                        },
                        Err(e) => crate::app::background::services::Msg::Status {
                            text: format!("Could not clear history: {e}"),
                            error: true,
                        },
                    })
                });
                self.history.selected = None;
                self.reload_history();
            }
        }
    }

    fn run_action(&mut self, ctx: &egui::Context, a: Action) {
        match a {
            Action::Send => self.send_current(),
            Action::CancelSend => {
                if self.send.cancel() {
                    self.set_status("Cancelling…", false);
                } else if self.work.batch.is_some() {
                    self.cancel_batch();
                } else {
                    self.set_status("Nothing is being sent.", false);
                }
            }
            Action::FillIds => self.fill_ids(),
            Action::Undo => {
                self.doc.undo();
                self.sync_doc_to_lib();
            }
            Action::Redo => {
                self.doc.redo();
                self.sync_doc_to_lib();
            }
            Action::NewEvent => {
                self.lib
                    .add(serde_json::json!({"type": "track", "userId": "", "event": ""}));
                self.load_into_doc();
            }
            Action::Duplicate => {
                if self.lib.duplicate().is_some() {
                    self.load_into_doc();
                }
            }
            Action::Open => self.guard(crate::app::model::workflow::Pending::Open(None)),
            Action::NewSet => self.guard(crate::app::model::workflow::Pending::New),
            Action::Save => match self.lib.path.clone() {
                Some(p) => self.save_to(p),
                None => self.services.pick(
                    PickPurpose::SaveAs,
                    format!("{}.json", self.suggested_name()),
                ),
            },
            Action::SaveAs => self.services.pick(
                PickPurpose::SaveAs,
                format!("{}.json", self.suggested_name()),
            ),
            Action::ToggleLayout => self.persisted.stacked = !self.persisted.stacked,
            Action::ToggleTheme => {
                self.persisted.theme = theme::next(ctx, self.persisted.theme);
                theme::apply(ctx, self.persisted.theme);
            }
            Action::DestinationSettings => self.settings.form_open = !self.settings.form_open,
            Action::FilterHistory => self.history.focus_filter = true,
            Action::Palette => {
                self.palette.open = !self.palette.open;
                self.palette.query.clear();
            }
            Action::CopyCurl => {
                let reqs = self.preview_requests();
                if reqs.is_empty() {
                    self.set_status("No request to copy: this outcome sends nothing.", true);
                    return;
                }
                let text: Vec<String> = reqs
                    .iter()
                    .map(|r| export::curl::to_curl(r, self.persisted.show_secrets))
                    .collect();
                ctx.copy_text(text.join("\n\n"));
                self.set_status(format!("Copied {} request(s) as curl.", text.len()), false);
            }
            Action::ExportPostman => {
                if self.preview_requests().is_empty() {
                    self.set_status("No request to export: this outcome sends nothing.", true);
                } else {
                    self.services.pick(
                        PickPurpose::ExportPostman,
                        "segment-console.postman_collection.json".into(),
                    );
                }
            }
            Action::Compare | Action::FanOut | Action::AudienceBuilder => self.tool_action(a),
            Action::LoadPlan | Action::UnloadPlan | Action::DraftPlan => self.plan_action(a),
            Action::SendAll => self.send_all(ctx),
        }
    }

    pub(crate) fn suggested_name(&self) -> String {
        let n = self.lib.set.name.trim();
        if n.is_empty() {
            "events".into()
        } else {
            n.replace(['/', '\\'], "-")
        }
    }

    fn preview_requests(&self) -> Vec<PartnerRequest> {
        self.preview
            .model()
            .map(|p| p.outcome.requests.clone())
            .unwrap_or_default()
    }

    fn fill_ids(&mut self) {
        let Some(v) = self.doc.value() else {
            self.set_status("Fix the JSON error first: there is nothing to fill.", true);
            return;
        };
        let mut v = v.clone();
        let filled = fill::fill(
            &mut v,
            fill::FillOptions::ALL,
            chrono::Utc::now(),
            &mut fill::random_id,
        );
        if filled.is_empty() {
            self.set_status(
                "Nothing to fill: messageId, timestamp and an id are set.",
                false,
            );
        } else {
            self.doc.replace(&v);
            self.sync_doc_to_lib();
            self.set_status(format!("Filled {}.", filled.join(", ")), false);
        }
    }

    /// Sends the composer's event to the current destination, off the UI thread.
    pub fn send_current(&mut self) {
        let Some(event) = self.doc.value().cloned() else {
            self.set_status("The JSON has an error; fix it to send.", true);
            return;
        };
        self.send_event(event);
    }

    pub fn send_event(&mut self, event: Value) {
        if self.send.is_busy() {
            self.set_status("A send is already running; cancel it or wait.", true);
            return;
        }
        let dest = self.destination();
        let cfg = self.config();
        if matches!(cfg.target, crate::app::TargetChoice::Sandbox) {
            match &self.sandbox {
                SandboxState::Ready(_) => {}
                SandboxState::Starting => {
                    self.set_status(
                        "The sandbox is still starting; try again in a moment.",
                        true,
                    );
                    return;
                }
                SandboxState::Failed(e) => {
                    self.set_status(
                        format!("The sandbox is off ({e}); choose another target."),
                        true,
                    );
                    return;
                }
            }
        }
        let target = self.target(&cfg);
        let now = chrono::Utc::now();
        let outcome = destinations::translate(dest, &event, &cfg.settings, cfg.mode, &target, now);
        let secrets = destinations::kit::settings::secrets(dest.settings_schema(), &cfg.settings);
        let dest_id = dest.id();
        let mode = cfg.mode;
        // Checked now, against the plan loaded at the send, for the entry's plan column.
        let plan_check = self.plan.verdict(&event);
        match outcome.kind {
            OutcomeKind::Rejected => {
                self.set_status(
                    format!("Not sent: {}", outcome.reason.clone().unwrap_or_default()),
                    true,
                );
            }
            OutcomeKind::Skipped | OutcomeKind::Unsupported => {
                let mut entry = Entry::record(
                    dest_id, mode, &target, &event, &outcome, None, &secrets, now,
                );
                entry.plan = plan_check;
                let reason = outcome.reason.clone().unwrap_or_default();
                self.services.history(move |h| {
                    Some(match h.append(&entry) {
                        Ok(_) => crate::app::background::services::Msg::HistoryChanged,
                        Err(e) => crate::app::background::services::Msg::Status {
                            text: format!("Not written to history: {e}"),
                            error: true,
                        },
                    })
                });
                self.set_status(format!("Nothing sent: {reason}"), false);
            }
            OutcomeKind::Requests => {
                let (ticket, cancel) = self.send.start();
                let requests = outcome.requests.clone();
                self.services.send(
                    ticket,
                    requests,
                    self.send_options.clone(),
                    cancel,
                    move |report| {
                        let mut entry = Entry::record(
                            dest_id,
                            mode,
                            &target,
                            &event,
                            &outcome,
                            Some(report),
                            &secrets,
                            chrono::Utc::now(),
                        );
                        entry.plan = plan_check;
                        entry
                    },
                );
            }
        }
    }

    pub(crate) fn open_path(&mut self, p: PathBuf) {
        match event_set::open(&p) {
            Ok(loaded) => {
                let n = loaded.set.events.len();
                self.lib = Library::new(loaded.set, Some(p.clone()));
                self.load_into_doc();
                self.persisted.add_recent(p.clone());
                self.set_status(
                    format!(
                        "Opened {} ({}, {n} events).",
                        p.display(),
                        loaded.format.describe()
                    ),
                    false,
                );
            }
            Err(e) => self.set_status(format!("Could not open {}: {e}", p.display()), true),
        }
    }

    pub(crate) fn save_to(&mut self, p: PathBuf) {
        self.sync_doc_to_lib();
        if self.lib.set.name.is_empty() {
            self.lib.set.name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        match event_set::save(&p, &self.lib.set, &self.secrets()) {
            Ok(masked) => {
                self.doc.mark_saved();
                self.lib.path = Some(p.clone());
                self.lib.dirty = false;
                self.clear_autosave();
                self.persisted.add_recent(p.clone());
                let extra = if masked > 0 {
                    format!(" {masked} value(s) holding a secret were masked.")
                } else {
                    String::new()
                };
                self.set_status(format!("Saved {}.{extra}", p.display()), false);
            }
            Err(e) => self.set_status(format!("Not saved: {e}. Your events are still here."), true),
        }
    }

    /// Writes an export chosen from the preview or history, off the UI thread.
    pub(crate) fn write_export(&mut self, path: PathBuf, text: String) {
        let tx = self.services.sender();
        self.services.runtime.spawn_blocking(move || {
            let r = crate::files::atomic::write_atomic(&path, text.as_bytes());
            let m = match r {
                Ok(()) => crate::app::background::services::Msg::Status {
                    text: format!("Exported {}.", path.display()),
                    error: false,
                },
                Err(e) => crate::app::background::services::Msg::Status {
                    text: format!("Could not export to {}: {e}", path.display()),
                    error: true,
                },
            };
            let _ = tx.send(m);
        });
    }

    pub(crate) fn export_entry(&mut self, ctx: &egui::Context, kind: ExportKind, entry: Entry) {
        match kind {
            ExportKind::Har => {
                self.work.pending_export = Some(
                    serde_json::to_string_pretty(&export::har::to_har(&[entry]))
                        .unwrap_or_default(),
                );
                self.services
                    .pick(PickPurpose::ExportHar, "segment-console.har".into());
            }
            ExportKind::Postman => {
                let reqs: Vec<PartnerRequest> = entry
                    .exchanges
                    .iter()
                    .map(|e| export::request_of_record(&e.request))
                    .collect();
                let doc =
                    export::postman::to_postman(&format!("history #{}", entry.id), &reqs, false);
                self.work.pending_export =
                    Some(serde_json::to_string_pretty(&doc).unwrap_or_default());
                self.services.pick(
                    PickPurpose::ExportPostman,
                    "segment-console.postman_collection.json".into(),
                );
            }
            ExportKind::Curl => {
                let text: Vec<String> = entry
                    .exchanges
                    .iter()
                    .map(|e| export::curl::to_curl(&export::request_of_record(&e.request), false))
                    .collect();
                ctx.copy_text(text.join("\n\n"));
                self.set_status(
                    format!("Copied {} request(s) as curl (secrets masked).", text.len()),
                    false,
                );
            }
        }
    }
}
