//! The console window (eframe/egui). Widgets push `Command`s; `logic` executes them and takes
//! in the results of background work; nothing expensive happens per frame (the translation is
//! recomputed only when the event, destination or settings change; history rows come a page
//! at a time from the history thread).

pub mod background;
pub mod command;
mod control;
pub mod model;
mod panels;
pub mod theme;
mod windows;

use background::services::{FilePicker, Services};
use command::{COMMANDS, Command};
use model::destination::{DestConfig, SaveDue, SettingsEdit, TargetChoice};
use model::document::Document;
use model::library::Library;
use model::persisted::Persisted;
use model::preview::PreviewModel;
use panels::destination_bar::DestinationPane;
use panels::{composer, history as history_panel, library as library_panel, preview};

use crate::destinations::{self, Destination, Target};
use crate::event::CallType;
use crate::files::event_set::{self, EventSet};
use crate::files::paths::DataDirs;
use crate::files::settings_store::SettingsStore;
use crate::history::Entry;
use crate::sandbox::SandboxHandle;
use serde_json::Value;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOUR: &str = include_str!("../../assets/tour.json");
/// Events larger than this (as JSON text) are previewed once typing pauses.
const LARGE_EVENT: usize = 256 * 1024;
const TYPING_PAUSE: Duration = Duration::from_millis(300);

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
    pub persisted: Persisted,
    pub lib: Library,
    pub doc: Document,
    kv: composer::KvEditor,
    pub settings: SettingsEdit,
    preview: Option<PreviewModel>,
    preview_key: u64,
    /// The document revision the preview logic last saw, and since when.
    doc_seen: (u64, Instant),
    preview_ui: preview::PreviewUi,
    pub commands: Vec<Command>,
    pub status: Option<Status>,
    pub services: Services,
    pub sandbox: SandboxState,
    pub send: model::send::Send,
    /// How one send goes (timeout, reply cap); tests shorten the timeout.
    pub send_options: crate::transport::TransportOptions,
    /// The history entry of the last finished send, shown as the response.
    pub last_sent: Option<Entry>,
    pub history: model::history::HistoryPane,
    palette_open: bool,
    palette_query: String,
    /// An export's text while the user picks where to write it.
    pending_export: Option<String>,
    smoke: Option<background::smoke::Smoke>,
    frames: u64,
    pub work: model::workflow::Workflow,
    pub tools: model::tools::Tools,
}

/// The tour set: the samples per call, and what a new window opens with.
pub fn tour() -> EventSet {
    event_set::parse(TOUR).map(|l| l.set).unwrap_or_default()
}

fn sample(call: CallType) -> Value {
    tour()
        .events
        .into_iter()
        .find(|e| e.get("type").and_then(Value::as_str) == Some(call.as_str()))
        .unwrap_or_else(|| serde_json::json!({"type": call.as_str(), "userId": "u_4f8a2c"}))
}

impl App {
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
        let lib = Library::new(tour(), None);
        let doc = Document::from_value(lib.current());
        let mut app = App {
            persisted,
            lib,
            doc,
            kv: Default::default(),
            settings: SettingsEdit::new(store),
            preview: None,
            preview_key: 0,
            doc_seen: (0, Instant::now()),
            preview_ui: Default::default(),
            commands: Vec::new(),
            status: None,
            services,
            sandbox: SandboxState::Starting,
            send: Default::default(),
            send_options: crate::transport::TransportOptions::single(),
            last_sent: None,
            history: Default::default(),
            palette_open: false,
            palette_query: String::new(),
            pending_export: None,
            smoke: opts.smoke,
            frames: 0,
            work: model::workflow::Workflow::new(&opts.dirs.autosave_dir()),
            tools: Default::default(),
        };
        if let Some(p) = problems.into_iter().chain(store_problem).next() {
            app.set_status(p, true);
        }
        app.reload_history();
        app
    }

    pub fn destination(&self) -> &'static dyn Destination {
        destinations::find(&self.persisted.destination).unwrap_or(destinations::registry()[0])
    }

    pub fn sandbox_base(&self) -> Option<String> {
        match &self.sandbox {
            SandboxState::Ready(h) => Some(h.control().base_url()),
            _ => None,
        }
    }

    /// The current destination's configuration, from the settings store.
    fn config(&self) -> DestConfig {
        self.settings.config(self.destination())
    }

    fn target(&self, cfg: &DestConfig) -> Target {
        // Before the sandbox answers, previews use a placeholder base that says so.
        let base = self
            .sandbox_base()
            .unwrap_or_else(|| "http://127.0.0.1:0".into());
        cfg.target.resolve(&base)
    }

    pub fn set_status(&mut self, text: impl Into<String>, error: bool) {
        self.status = Some(Status {
            text: text.into(),
            error,
            at: Instant::now(),
        });
    }

    /// The preview's outcome, once computed.
    pub fn preview(&self) -> Option<&PreviewModel> {
        self.preview.as_ref()
    }

    fn secrets(&self) -> Vec<String> {
        destinations::registry()
            .iter()
            .flat_map(|d| {
                destinations::kit::settings::secrets(
                    d.settings_schema(),
                    &self.settings.store().settings(d.id()),
                )
            })
            .collect()
    }

    fn refresh_preview(&mut self, ctx: &egui::Context) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.doc.revision().hash(&mut h);
        self.lib.selected.hash(&mut h);
        self.lib.revision.hash(&mut h);
        self.persisted.destination.hash(&mut h);
        self.persisted.show_secrets.hash(&mut h);
        self.settings.revision().hash(&mut h);
        self.sandbox_base().hash(&mut h);
        let key = h.finish();
        if self.preview.is_some() && key == self.preview_key {
            return;
        }
        let revision = self.doc.revision();
        if revision != self.doc_seen.0 {
            self.doc_seen = (revision, Instant::now());
        }
        // A large event costs tens of milliseconds to translate and to turn into preview
        // lines: while it is being typed in, that waits for a pause, so that every keystroke
        // stays cheap. The last preview stays meanwhile, as it does while the JSON is broken.
        if self.preview.is_some()
            && self.doc.text().len() > LARGE_EVENT
            && self.doc_seen.1.elapsed() < TYPING_PAUSE
        {
            ctx.request_repaint_after(TYPING_PAUSE);
            return;
        }
        self.preview_key = key;
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
        self.preview = Some(PreviewModel::new(
            event,
            outcome,
            self.persisted.show_secrets,
        ));
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
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

    fn run_commands(&mut self, ctx: &egui::Context) {
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

    fn sync_doc_to_lib(&mut self) {
        if let Some(v) = self.doc.value() {
            self.lib.update_current(v);
        }
    }

    fn load_into_doc(&mut self) {
        self.doc = Document::from_value(self.lib.current());
    }

    /// Typing a key writes the file once it pauses, one save at a time, off the UI thread.
    fn flush_settings(&mut self, ctx: &egui::Context) {
        match self.settings.due(Instant::now()) {
            SaveDue::Nothing => {}
            SaveDue::Later(wait) => ctx.request_repaint_after(wait),
            SaveDue::Now(store) => self.services.save_settings(store),
        }
    }
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.take_messages(ctx);
        self.shortcuts(ctx);
        self.run_commands(ctx);
        self.flush_settings(ctx);
        self.poll_batch(ctx);
        self.autosave_tick(ctx);
        self.refresh_preview(ctx);
        self.refresh_tools(ctx);
        self.smoke_step(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar(ui));
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
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar(ui));
        egui::Panel::bottom("history")
            .resizable(true)
            .default_size(250.0)
            .min_size(120.0)
            .show(ui, |ui| {
                let wanted = history_panel::show(ui, &mut self.history, &mut self.commands);
                self.fetch_history_pages(wanted);
            });
        egui::Panel::left("library")
            .resizable(true)
            .default_size(230.0)
            .show(ui, |ui| {
                let progress = self.work.batch.as_ref().map(|_| &self.work.batch_progress);
                library_panel::show(ui, &mut self.lib, progress, &mut self.commands)
            });
        egui::Panel::right("preview")
            .resizable(true)
            .default_size(580.0)
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.heading("Preview");
                    ui.checkbox(&mut self.persisted.stacked, "Stacked")
                        .on_hover_text(
                            "Show the source above the translation instead of side by side",
                        );
                    ui.checkbox(&mut self.persisted.show_secrets, "Reveal secrets")
                        .on_hover_text("Show API keys in the preview and in copied curl commands");
                });
                self.send_bar(ui);
                self.response_section(ui);
                match &self.preview {
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
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let before = self.doc.revision();
            composer::ComposerUi {
                doc: &mut self.doc,
                kv: &mut self.kv,
                commands: &mut self.commands,
            }
            .show(ui);
            if self.doc.revision() != before {
                self.sync_doc_to_lib();
            }
        });
        self.palette(&ctx);
        self.tools_ui(&ctx);
        self.dialogs(&ctx);
        self.frames += 1;
        if self.frames == 1
            && let Some(s) = &mut self.smoke
        {
            s.first_frame();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.persisted);
    }
}
