//! Capture in the window (docs/capture.md): starting and stopping the server from the Capture
//! switch, bringing the Live pane up to date each frame from the capture's bounded ring, and
//! what the pane asks of an event (into the set, into the composer).

use crate::app::App;
use crate::app::panels::live::{self, LiveAction, SwitchAction};
use crate::capture::{Capture, CaptureConfig, DestinationSetup, Forward};
use crate::destinations::{self, Target};
use crate::history::History;
use std::time::{Duration, Instant};

/// How often a running capture is looked at when nothing else repaints the window.
const POLL_EVERY: Duration = Duration::from_millis(100);
/// The history pane is told of captured events at most this often (each tell is a query).
const HISTORY_EVERY: Duration = Duration::from_secs(2);

impl App {
    /// Takes the events captured since the last frame into the Live pane.
    pub(crate) fn poll_capture(&mut self, ctx: &egui::Context) {
        let Some(handle) = &self.live.running else {
            return;
        };
        let fresh = handle.since(self.live.pane.last_seq());
        let arrived = !fresh.is_empty();
        self.live.pane.take(fresh, Instant::now());
        if arrived
            && self
                .live
                .history_told
                .is_none_or(|t| t.elapsed() >= HISTORY_EVERY)
        {
            self.live.history_told = Some(Instant::now());
            self.reload_history();
        }
        ctx.request_repaint_after(POLL_EVERY);
    }

    /// The Capture switch, drawn in the top bar.
    pub(crate) fn capture_bar(&mut self, ui: &mut egui::Ui) {
        let url = self.live.base_url();
        match live::switch_bar(ui, &mut self.live.form, url.as_deref(), self.live.stopping) {
            Some(SwitchAction::Start) => self.start_capture(),
            Some(SwitchAction::Stop) => self.stop_capture(),
            None => {}
        }
    }

    /// The Live pane, while a capture runs.
    pub(crate) fn live_pane(&mut self, ui: &mut egui::Ui) {
        match live::show(ui, &mut self.live.pane, Instant::now()) {
            Some(LiveAction::AddToSet(event)) => {
                self.sync_doc_to_lib();
                self.lib.add(event);
                self.load_into_doc();
                self.set_status("The captured event is in the event set.", false);
            }
            Some(LiveAction::OpenInComposer(event)) | Some(LiveAction::Preview(event)) => {
                // The composer's event is what the preview translates: source beside the
                // partner requests, as for a composed event. It goes into the scratch event,
                // never over an event of the set (a click on a row must not change a file),
                // and the scratch's old text stays one undo away.
                if self.doc.error().is_some() {
                    self.set_status(
                        "Fix or undo the JSON error in the composer first; nothing was changed.",
                        true,
                    );
                    return;
                }
                if self.lib.selected.is_some() {
                    self.sync_doc_to_lib();
                    self.lib.selected = None;
                    self.load_into_doc();
                }
                self.doc.replace(&event);
                self.sync_doc_to_lib();
                self.set_status(
                    "The captured event is in the scratch event (Ctrl+Z restores its old text); \
                     the event set is unchanged.",
                    false,
                );
            }
            None => {}
        }
    }

    /// Starts a capture from the switch's form (public for the benches, which drive it without a
    /// pointer).
    pub fn start_capture(&mut self) {
        self.live.form.error = None;
        let port = match self.live.form.port() {
            Ok(p) => p,
            Err(e) => {
                self.live.form.error = Some(e);
                return;
            }
        };
        let history = match History::open(&self.services.dirs.history_file()) {
            Ok(h) => h,
            Err(e) => {
                self.live.form.error = Some(e.to_string());
                return;
            }
        };
        let forward = match (self.live.form.forward, self.sandbox_base()) {
            (true, Some(base)) => Forward::To(Target::Sandbox { base }),
            (true, None) => {
                self.live.form.error = Some("the sandbox is not running yet".into());
                return;
            }
            (false, _) => Forward::None,
        };
        let setups = self
            .live
            .form
            .destinations
            .iter()
            .filter_map(|id| destinations::find(id))
            .map(|d| DestinationSetup {
                destination: d,
                settings: self.settings.store().settings(d.id()),
                mode: d.default_mode(),
            })
            .collect();
        let config = CaptureConfig {
            port,
            write_keys: self.live.form.keys(),
            destinations: setups,
            plan: self.plan.shared(),
            forward,
            ..CaptureConfig::new(history)
        };
        let runtime = self.services.runtime.clone();
        match runtime.block_on(Capture::start(config)) {
            Ok(handle) => {
                self.set_status(format!("Capturing at {}", handle.base_url()), false);
                self.live.pane = Default::default();
                self.live.pane.plan = self.plan.loaded().then(|| self.plan.name()).flatten();
                self.live.running = Some(handle);
            }
            Err(e) if e.port_in_use() => {
                self.live.form.error = Some(format!(
                    "port {port} is in use; pick another, or 0 for any free port"
                ));
            }
            Err(e) => self.live.form.error = Some(e.to_string()),
        }
    }

    /// Switches capture off without waiting for it: requests in flight are committed and
    /// answered before the port closes, which may take the server's grace period, and the
    /// window keeps drawing meanwhile (the switch says "Stopping…").
    fn stop_capture(&mut self) {
        if let Some(handle) = self.live.running.take() {
            self.live.stopping = true;
            self.set_status("Stopping capture…", false);
            self.services.spawn_then(
                handle.shutdown(),
                crate::app::background::services::Msg::CaptureStopped,
            );
        }
    }
}
