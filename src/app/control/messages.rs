//! Taking in what background work reports, once per frame, without blocking.

use crate::app::background::services::{EntryPurpose, Msg, PickPurpose};
use crate::app::{App, SandboxState};
use crate::export;

/// What went wrong with a send, in words: the first request that did not succeed, its last
/// reply or failure, the wait the partner asked for, and how many attempts were made.
pub fn failure_in_words(report: &crate::transport::SendReport) -> Option<String> {
    let ex = report.exchanges.iter().find(|e| !e.succeeded())?;
    if ex.cancelled {
        return Some("cancelled; nothing more was sent".into());
    }
    let last = ex.last()?;
    let mut text = match (&last.error, last.status) {
        (Some(e), _) => e.to_string(),
        (None, Some(code)) => {
            let reason = match code {
                429 => "the partner is rate limiting",
                500..=599 => "the partner failed",
                400..=499 => "the partner refused the request",
                _ => "not a success",
            };
            format!("{code} {} ({reason})", last.status_text)
        }
        (None, None) => "no reply".into(),
    };
    if let Some(ms) = last.retry_after_ms {
        text.push_str(&format!(
            "; it asks to retry after {:.0} s",
            (ms as f64 / 1000.0).ceil()
        ));
    }
    if ex.attempts.len() > 1 {
        text.push_str(&format!(", after {} attempts", ex.attempts.len()));
    }
    Some(text)
}

impl App {
    pub(crate) fn take_messages(&mut self, ctx: &egui::Context) {
        while let Ok(m) = self.services.rx.try_recv() {
            self.on_message(ctx, m);
        }
    }

    fn on_message(&mut self, ctx: &egui::Context, m: Msg) {
        match m {
            Msg::SandboxReady(Ok(h)) => self.sandbox = SandboxState::Ready(h),
            Msg::SandboxReady(Err(e)) => {
                self.set_status(format!("The sandbox could not start: {e}"), true);
                self.sandbox = SandboxState::Failed(e);
            }
            Msg::Sent {
                ticket,
                report,
                entry,
            } => {
                let class = report.class();
                let ms = report.elapsed_ms;
                if !self.send.finish(ticket, report) {
                    return;
                }
                match entry {
                    Ok(e) => {
                        let ok = matches!(class, crate::transport::StatusClass::Success);
                        let text = match self.send.report().and_then(failure_in_words) {
                            Some(why) if !ok => {
                                format!("Not delivered: {why} ({ms} ms, history #{}).", e.id)
                            }
                            _ => {
                                format!("Sent: {} in {ms} ms (history #{}).", e.status_text(), e.id)
                            }
                        };
                        self.set_status(text, !ok);
                        self.last_sent = Some(e);
                    }
                    Err(e) => self.set_status(
                        format!("Sent ({}), but not written to history: {e}", class.as_str()),
                        true,
                    ),
                }
                if let Some(s) = &mut self.smoke {
                    s.sent(matches!(class, crate::transport::StatusClass::Success));
                }
            }
            Msg::HistoryChanged => self.reload_history(),
            Msg::CaptureStopped => {
                self.live.stopping = false;
                self.set_status("Capture stopped.", false);
                self.reload_history();
            }
            Msg::HistorySize(size) => self.history.size = size,
            Msg::HistoryCount {
                generation,
                total,
                exact,
            } => {
                if generation == self.history.generation {
                    match total {
                        Ok(n) => {
                            self.history.total = Some(n);
                            self.history.counting = !exact;
                            self.history.error = None;
                        }
                        Err(e) => {
                            self.history.error = Some(format!("History could not be read: {e}"))
                        }
                    }
                }
            }
            Msg::HistoryPage {
                generation,
                offset,
                rows,
            } => match rows {
                Ok(rows) => self.history.accept_page(generation, offset, rows),
                Err(e) => self.history.error = Some(format!("History could not be read: {e}")),
            },
            Msg::HistoryEntry { purpose, entry } => match entry {
                Ok(Some(e)) => self.on_entry(ctx, purpose, e),
                Ok(None) => self.set_status("That history entry no longer exists.", true),
                Err(e) => self.set_status(format!("History could not be read: {e}"), true),
            },
            Msg::Status { text, error } => self.set_status(text, error),
            Msg::SettingsSaved(r) => {
                self.settings.saved();
                if let Err(e) = r {
                    self.set_status(format!("Settings not saved: {e}"), true);
                }
            }
            Msg::Picked { purpose, path } => {
                let Some(path) = path else {
                    self.work.pending_export = None;
                    return;
                };
                match purpose {
                    PickPurpose::Open => self.open_path(path),
                    PickPurpose::SaveAs => self.save_to(path),
                    PickPurpose::LoadPlan => self.load_plan(&path),
                    PickPurpose::DraftPlan => self.draft_plan_to(&path),
                    PickPurpose::ExportHar | PickPurpose::ExportPostman => {
                        let text = match self.work.pending_export.take() {
                            Some(t) => t,
                            None => {
                                // An export of the preview's requests (not of history).
                                let reqs = self
                                    .preview()
                                    .map(|p| p.outcome.requests.clone())
                                    .unwrap_or_default();
                                let doc = export::postman::to_postman(
                                    &self.lib.set.name,
                                    &reqs,
                                    self.persisted.show_secrets,
                                );
                                serde_json::to_string_pretty(&doc).unwrap_or_default()
                            }
                        };
                        self.write_export(path, text);
                    }
                }
            }
        }
    }

    fn on_entry(&mut self, ctx: &egui::Context, purpose: EntryPurpose, e: crate::history::Entry) {
        match purpose {
            EntryPurpose::Show => {
                if self.history.selected == Some(e.id) {
                    self.history.detail = Some(e);
                }
            }
            EntryPurpose::Replay => {
                if let Some(d) = crate::destinations::find(&e.destination) {
                    self.persisted.destination = d.id().to_string();
                    self.settings.touch();
                }
                self.send_event(e.event);
            }
            EntryPurpose::OpenInComposer => {
                self.doc.replace(&e.event);
                self.sync_doc_to_lib();
                self.set_status(format!("History #{} is in the composer.", e.id), false);
            }
            EntryPurpose::Export(kind) => self.export_entry(ctx, kind, e),
        }
    }

    /// History changed or its filters did: count again and fetch the first page.
    pub(crate) fn reload_history(&mut self) {
        self.history.invalidate();
        let g = self.history.generation;
        self.services.count_history(g, self.history.filter());
        self.fetch_history_pages(vec![0]);
    }

    pub(crate) fn fetch_history_pages(&mut self, offsets: Vec<usize>) {
        let g = self.history.generation;
        for off in offsets {
            self.services.query_history(
                g,
                self.history.filter(),
                off,
                crate::app::model::history::PAGE,
            );
        }
    }
}
