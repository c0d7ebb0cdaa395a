//! The console window (eframe/egui). `App` holds the window's sub-states and implements
//! `eframe::App`: `logic` takes in background messages, runs the commands that widgets pushed
//! and brings models up to date; `ui` lays out the panels and windows.
//!
//! - `model/`: the state, without egui (testable without a frame);
//! - `panels/` and `windows/`: drawing, each a function of the state it shows, pushing
//!   `Command`s for what the user asks;
//! - `control/`: the controller, `impl App` blocks that execute commands and messages;
//! - `background/`: the runtime, the history thread, sends and the file picker.
//!
//! Nothing expensive happens per frame: the translation is recomputed only when its inputs
//! change; history rows come a page at a time from the history thread.

pub mod background;
pub mod command;
mod control;
pub mod model;
mod panels;
mod theme;
mod widgets;
mod windowed_editor;
mod windows;

use crate::destinations::OutcomeKind;
use background::services::{FilePicker, Services};
use command::Command;
use model::destination::{SettingsEdit, TargetChoice};
use model::document::Document;
use model::library::Library;
use model::persisted::Persisted;
use model::preview::PreviewCache;
use panels::destination_bar::DestinationPane;
use panels::{chrome, composer, history as history_panel, library as library_panel, preview};

use crate::files::paths::DataDirs;
use crate::files::settings_store::SettingsStore;
use crate::history::Entry;
use crate::sandbox::SandboxHandle;
use std::sync::Arc;
use std::time::Instant;

/// A message in the status bar.
pub struct Status {
    pub text: String,
    pub error: bool,
    pub at: Instant,
}

/// How the window is started: where its data lives, its runtime, and how files are picked
/// (a seam that tests fill with a path of their own).
pub struct AppOptions {
    pub dirs: DataDirs,
    pub runtime: Arc<tokio::runtime::Runtime>,
    pub picker: Arc<dyn FilePicker>,
    /// `SEGMENT_CONSOLE_SMOKE=1`: load the tour, send it to the sandbox, report, exit.
    pub smoke: Option<background::smoke::Smoke>,
}

/// The sandbox's state as the window knows it.
pub enum SandboxState {
    Starting,
    Ready(SandboxHandle),
    Failed(String),
}

pub struct App {
    persisted: Persisted,
    pub lib: Library,
    pub doc: Document,
    kv: composer::KvEditor,
    pub settings: SettingsEdit,
    preview: PreviewCache,
    preview_ui: preview::PreviewUi,
    pub commands: Vec<Command>,
    pub status: Option<Status>,
    services: Services,
    pub sandbox: SandboxState,
    pub send: model::send::Send,
    /// How one send goes (timeout, reply cap); tests shorten the timeout.
    pub send_options: crate::transport::TransportOptions,
    /// The history entry of the last finished send, shown as the response.
    pub last_sent: Option<Entry>,
    pub history: model::history::HistoryPane,
    palette: windows::palette::PaletteState,
    smoke: Option<background::smoke::Smoke>,
    pub work: model::workflow::Workflow,
    pub tools: model::tools::Tools,
    /// The tracking plan events are checked against (none until one is loaded).
    pub plan: model::plan::PlanState,
    /// Capture: the switch's form, the Live pane, the running server.
    pub live: model::capture::LiveSession,
}

impl App {
    /// The preview panel's contents: its options, the send bar, the last reply, the preview.
    fn preview_contents(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Preview");
            ui.checkbox(&mut self.persisted.stacked, "Stacked")
                .on_hover_text("Show the source above the translation instead of side by side");
            ui.checkbox(&mut self.persisted.show_secrets, "Reveal secrets")
                .on_hover_text("Show API keys in the preview and in copied curl commands");
        });
        let rejected = self
            .preview
            .model()
            .is_some_and(|p| p.outcome.kind == OutcomeKind::Rejected);
        chrome::send_bar(
            ui,
            rejected,
            self.doc.error().is_none(),
            self.send.started(),
            &mut self.commands,
        );
        chrome::response_section(ui, self.send.report());
        match self.preview.model() {
            Some(model) => preview::show(
                ui,
                model,
                &mut self.preview_ui,
                self.persisted.stacked,
                &mut self.commands,
            ),
            None => {
                ui.label("Fix the event's JSON to see its translation.");
            }
        }
    }

    pub fn new(cc: &eframe::CreationContext<'_>, opts: AppOptions) -> App {
        let persisted: Persisted = if opts.smoke.is_some() {
            Persisted::default()
        } else {
            cc.storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default()
        };
        theme::apply(&cc.egui_ctx, persisted.theme);
        let (services, problems) =
            Services::start(&cc.egui_ctx, opts.runtime, opts.dirs.clone(), opts.picker);
        let settings_file = opts.dirs.settings_file();
        let (store, store_problem) = match SettingsStore::load(&settings_file) {
            Ok(s) => (s, None),
            Err(e) => (SettingsStore::defaults(&settings_file), Some(e.to_string())),
        };
        let lib = Library::new(model::library::tour(), None);
        let doc = Document::from_value(lib.current());
        let mut app = App {
            persisted,
            lib,
            doc,
            kv: Default::default(),
            settings: SettingsEdit::new(store),
            preview: PreviewCache::default(),
            preview_ui: Default::default(),
            commands: Vec::new(),
            status: None,
            services,
            sandbox: SandboxState::Starting,
            send: Default::default(),
            send_options: crate::transport::TransportOptions::single(),
            last_sent: None,
            history: Default::default(),
            palette: Default::default(),
            smoke: opts.smoke,
            work: model::workflow::Workflow::new(&opts.dirs.autosave_dir()),
            tools: Default::default(),
            plan: Default::default(),
            live: Default::default(),
        };
        // The plan loaded last is read again; a problem with it comes after the others.
        let plan_problem = match app.persisted.plan_path.clone() {
            Some(path) => app.plan.load(&path).err(),
            None => None,
        };
        if let Some(p) = problems
            .into_iter()
            .chain(store_problem)
            .chain(plan_problem)
            .next()
        {
            app.set_status(p, true);
        }
        app.reload_history();
        app
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.take_messages(ctx);
        self.shortcuts(ctx);
        self.settle_doc(ctx);
        self.run_commands(ctx);
        self.flush_settings(ctx);
        self.poll_batch(ctx);
        self.autosave_tick(ctx);
        self.refresh_preview(ctx, false);
        self.refresh_tools(ctx);
        self.smoke_step(ctx);
        self.poll_capture(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu").show(ui, |ui| {
            chrome::menu_bar(
                ui,
                &self.persisted.recent_files,
                &self.sandbox,
                &mut self.commands,
            )
        });
        egui::Panel::top("capture").show(ui, |ui| self.capture_bar(ui));
        egui::Panel::top("destination").show(ui, |ui| {
            let dest = self.destination();
            let mut cfg = self.config();
            let before = cfg.clone();
            DestinationPane {
                dest,
                config: &mut cfg,
                revealed: &mut self.settings.revealed,
                settings_open: &mut self.settings.form_open,
                commands: &mut self.commands,
            }
            .show(ui);
            if cfg != before {
                // Applied in the next frame's logic, which this asks for at once.
                ui.ctx().request_repaint();
                self.commands.push(Command::SetConfig {
                    destination: dest.id(),
                    config: Box::new(cfg),
                });
            }
        });
        egui::Panel::bottom("status").show(ui, |ui| chrome::status_bar(ui, self.status.as_ref()));
        // egui lays panels out in the order they are declared, and Tab follows the order
        // widgets are drawn in. The history (full width, at the bottom) and the preview (on
        // the right) must be declared before the library and the composer to get their
        // places, so those two panels only reserve their area here, and their contents are
        // drawn after the composer's: Tab then goes library, composer, preview, history, as
        // the eye reads the window. The reserved area keeps the size the user drags to.
        // The library, composer and preview keep at least TOP_MIN of height above the bottom
        // panes (the library's fixed part needs about 290): on a 720-pixel screen with capture
        // on, the history and Live panes at their default sizes left them 85 pixels, and the
        // library's buttons ran under the Live pane. The panes give way down to their minimums.
        const TOP_MIN: f32 = 300.0;
        const LIVE_MIN: f32 = 120.0;
        const HISTORY_MIN: f32 = 150.0;
        let live_on = self.live.running.is_some();
        let room = ui.available_rect_before_wrap().height() - TOP_MIN;
        let history_area = egui::Panel::bottom("history")
            .resizable(true)
            .default_size(250.0)
            .min_size(HISTORY_MIN)
            .max_size((room - if live_on { LIVE_MIN } else { 0.0 }).max(HISTORY_MIN))
            .show(ui, widgets::reserve)
            .inner;
        // The Live pane, while capture runs, sits above the history, drawn after the preview.
        let live_area = live_on.then(|| {
            let room = ui.available_rect_before_wrap().height() - TOP_MIN;
            egui::Panel::bottom("live")
                .resizable(true)
                .default_size(260.0)
                .min_size(LIVE_MIN)
                .max_size(room.max(LIVE_MIN))
                .show(ui, widgets::reserve)
                .inner
        });
        egui::Panel::left("library")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                let progress = self.work.batch.as_ref().map(|_| &self.work.batch_progress);
                library_panel::show(ui, &mut self.lib, progress, &mut self.commands)
            });
        let preview_area = egui::Panel::right("preview")
            .resizable(true)
            .default_size((ctx.content_rect().width() * 0.44).max(520.0))
            .show(ui, widgets::reserve)
            .inner;
        egui::CentralPanel::default().show(ui, |ui| {
            let before = self.doc.value_revision();
            composer::ComposerUi {
                doc: &mut self.doc,
                kv: &mut self.kv,
                commands: &mut self.commands,
                plan: composer::PlanView {
                    name: self.plan.name(),
                    error: self.plan.error.as_deref(),
                    violations: self.preview.model().map_or(&[], |m| m.plan.as_slice()),
                },
            }
            .show(ui);
            if self.doc.value_revision() != before {
                self.sync_doc_to_lib();
            }
        });
        widgets::within(ui, "preview-contents", preview_area, |ui| {
            self.preview_contents(ui)
        });
        if let Some(area) = live_area {
            widgets::within(ui, "live-contents", area, |ui| self.live_pane(ui));
        }
        widgets::within(ui, "history-contents", history_area, |ui| {
            let wanted = history_panel::show(ui, &mut self.history, &mut self.commands);
            self.fetch_history_pages(wanted);
        });
        windows::palette::show(&ctx, &mut self.palette, &mut self.commands);
        self.tools_ui(&ctx);
        self.dialogs(&ctx);
        if let Some(s) = &mut self.smoke {
            s.frame_drawn();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.persisted);
    }
}
