//! The work the window does off its UI thread: the tokio runtime, the embedded sandbox, the
//! transport, one thread that owns the history database, and the channel results come back on.
//! Every result wakes the UI with `request_repaint`.

use crate::destinations::PartnerRequest;
use crate::files::paths::DataDirs;
use crate::files::settings_store::SettingsStore;
use crate::history::{Entry, Filter, History, Summary};
use crate::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use crate::transport::{Cancel, SendReport, Transport, TransportOptions};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

/// The runtime the window's work runs on: two workers, like the machine it targets.
pub fn runtime() -> std::io::Result<Arc<tokio::runtime::Runtime>> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("segment-console-worker")
        .enable_all()
        .build()
        .map(Arc::new)
}

/// What comes back from background work.
pub enum Msg {
    SandboxReady(Result<SandboxHandle, String>),
    /// A single send finished (or failed, or was cancelled) and its entry is in history.
    Sent {
        ticket: u64,
        report: SendReport,
        entry: Result<Entry, String>,
    },
    HistoryPage {
        generation: u64,
        offset: usize,
        rows: Result<Vec<Summary>, String>,
    },
    HistoryCount {
        generation: u64,
        total: Result<usize, String>,
        /// False for a first, partial count ("at least"): the exact one follows.
        exact: bool,
    },
    /// The history's size cap and how many entries it has removed.
    HistorySize(crate::history::SizeCap),
    /// A full history entry, fetched for a purpose (show, replay, open, export).
    HistoryEntry {
        purpose: EntryPurpose,
        entry: Result<Option<Entry>, String>,
    },
    /// History changed (append, delete, clear): the pane reloads.
    HistoryChanged,
    /// A capture the user switched off has finished: its port is closed and every event it
    /// acknowledged is in the history.
    CaptureStopped,
    Status {
        text: String,
        error: bool,
    },
    SettingsSaved(Result<(), String>),
    /// A file dialog answered (None: the user cancelled).
    Picked {
        purpose: PickPurpose,
        path: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryPurpose {
    Show,
    Replay,
    OpenInComposer,
    Export(crate::app::command::ExportKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickPurpose {
    Open,
    SaveAs,
    ExportHar,
    ExportPostman,
    LoadPlan,
    DraftPlan,
}

/// File dialogs behind a seam: the real one uses rfd's portal dialogs off the UI thread; tests
/// answer with a path they chose.
pub trait FilePicker: Send + Sync {
    fn pick(&self, purpose: PickPurpose, suggested: &str) -> Option<PathBuf>;
}

pub struct RfdPicker;

impl FilePicker for RfdPicker {
    fn pick(&self, purpose: PickPurpose, suggested: &str) -> Option<PathBuf> {
        let dialog = rfd::AsyncFileDialog::new();
        let fut = match purpose {
            PickPurpose::Open => {
                let d = dialog
                    .add_filter("Event sets", &["json", "ndjson", "jsonl"])
                    .add_filter("All files", &["*"]);
                return pollster_block(d.pick_file()).map(|f| f.path().to_path_buf());
            }
            PickPurpose::LoadPlan => {
                let d = dialog
                    .add_filter("Tracking plans", &["json"])
                    .add_filter("All files", &["*"]);
                return pollster_block(d.pick_file()).map(|f| f.path().to_path_buf());
            }
            PickPurpose::SaveAs => dialog.add_filter("Event set", &["json"]),
            PickPurpose::DraftPlan => dialog.add_filter("Tracking plan", &["json"]),
            PickPurpose::ExportHar => dialog.add_filter("HAR", &["har"]),
            PickPurpose::ExportPostman => dialog.add_filter("Postman collection", &["json"]),
        };
        pollster_block(fut.set_file_name(suggested).save_file()).map(|f| f.path().to_path_buf())
    }
}

/// rfd's futures are runtime-agnostic; the picker's own thread waits on them.
fn pollster_block<T>(f: impl std::future::Future<Output = Option<T>>) -> Option<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()?
        .block_on(f)
}

type HistoryJob = Box<dyn FnOnce(&mut History) -> Option<Msg> + Send>;

pub struct Services {
    pub runtime: Arc<tokio::runtime::Runtime>,
    pub transport: Option<Arc<Transport>>,
    pub dirs: DataDirs,
    tx: Sender<Msg>,
    pub rx: Receiver<Msg>,
    history: Option<Sender<HistoryJob>>,
    pub picker: Arc<dyn FilePicker>,
    ctx: egui::Context,
}

impl Services {
    /// Starts the runtime, the history thread and the sandbox. Failures become status
    /// messages: the window opens whatever happens.
    pub fn start(
        ctx: &egui::Context,
        runtime: Arc<tokio::runtime::Runtime>,
        dirs: DataDirs,
        picker: Arc<dyn FilePicker>,
    ) -> (Services, Vec<String>) {
        let mut problems = Vec::new();
        let (tx, rx) = channel();
        if let Err(e) = dirs.create() {
            problems.push(format!("The data folder cannot be created: {e}"));
        }
        let history = match History::open(&dirs.history_file()) {
            Ok(h) => Some(spawn_history(h, tx.clone(), ctx.clone())),
            Err(e) => {
                problems.push(format!("History is off: {e}"));
                None
            }
        };
        let transport = match Transport::new() {
            Ok(t) => Some(Arc::new(t)),
            Err(e) => {
                problems.push(format!("Sending is off: {e}"));
                None
            }
        };
        let s = Services {
            runtime,
            transport,
            dirs,
            tx,
            rx,
            history,
            picker,
            ctx: ctx.clone(),
        };
        s.start_sandbox(SandboxConfig::default());
        (s, problems)
    }

    pub fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    fn post(tx: &Sender<Msg>, ctx: &egui::Context, m: Msg) {
        let _ = tx.send(m);
        ctx.request_repaint();
    }

    /// Runs `work` on the runtime, off the UI thread; `then` comes back once it is done.
    pub fn spawn_then(
        &self,
        work: impl std::future::Future<Output = ()> + Send + 'static,
        then: Msg,
    ) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn(async move {
            work.await;
            Services::post(&tx, &ctx, then);
        });
    }

    pub fn start_sandbox(&self, cfg: SandboxConfig) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn(async move {
            let r = Sandbox::start(cfg).await.map_err(|e| e.to_string());
            Services::post(&tx, &ctx, Msg::SandboxReady(r));
        });
    }

    /// Runs a job on the history thread; its message (if any) comes back on the channel.
    pub fn history(&self, job: impl FnOnce(&mut History) -> Option<Msg> + Send + 'static) {
        match &self.history {
            Some(h) => {
                let _ = h.send(Box::new(job));
            }
            None => Services::post(
                &self.tx,
                &self.ctx,
                Msg::Status {
                    text: "History is off (see the first message of this session).".into(),
                    error: true,
                },
            ),
        }
    }

    /// Sends one event's requests; the entry is built by `record` from the report and written
    /// to history before the result is reported, so what the user sees is already durable.
    pub fn send(
        &self,
        ticket: u64,
        requests: Vec<PartnerRequest>,
        opts: TransportOptions,
        cancel: Cancel,
        record: impl FnOnce(&SendReport) -> Entry + Send + 'static,
    ) {
        let Some(transport) = self.transport.clone() else {
            Services::post(
                &self.tx,
                &self.ctx,
                Msg::Status {
                    text: "Sending is off: the HTTP client could not start.".into(),
                    error: true,
                },
            );
            return;
        };
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        let history = self.history.clone();
        self.runtime.spawn(async move {
            let report = transport.send_event(&requests, &opts, &cancel).await;
            let mut entry = record(&report);
            let (etx, erx) = channel();
            let appended = match &history {
                Some(h) => {
                    let e = entry.clone();
                    let job: HistoryJob = Box::new(move |hist: &mut History| {
                        let _ = etx.send(hist.append(&e).map_err(|e| e.to_string()));
                        None
                    });
                    h.send(job).is_ok()
                }
                None => false,
            };
            let entry = if appended {
                match tokio::task::spawn_blocking(move || erx.recv()).await {
                    Ok(Ok(Ok(id))) => {
                        entry.id = id;
                        Ok(entry)
                    }
                    Ok(Ok(Err(e))) => Err(e),
                    _ => Err("the history thread stopped".into()),
                }
            } else {
                Err("history is off".into())
            };
            Services::post(
                &tx,
                &ctx,
                Msg::Sent {
                    ticket,
                    report,
                    entry,
                },
            );
            Services::post(&tx, &ctx, Msg::HistoryChanged);
        });
    }

    /// Asks the picker on its own thread (a dialog blocks until answered).
    pub fn pick(&self, purpose: PickPurpose, suggested: String) {
        let picker = self.picker.clone();
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        std::thread::spawn(move || {
            let path = picker.pick(purpose, &suggested);
            Services::post(&tx, &ctx, Msg::Picked { purpose, path });
        });
    }

    /// Writes the settings file off the UI thread.
    pub fn save_settings(&self, store: SettingsStore) {
        let tx = self.tx.clone();
        let ctx = self.ctx.clone();
        self.runtime.spawn_blocking(move || {
            let r = store.save().map(|_| ()).map_err(|e| e.to_string());
            Services::post(&tx, &ctx, Msg::SettingsSaved(r));
        });
    }

    pub fn query_history(&self, generation: u64, filter: Filter, offset: usize, limit: usize) {
        self.history(move |h| {
            let page = offset / limit.max(1);
            Some(Msg::HistoryPage {
                generation,
                offset,
                rows: h.query(&filter, page, limit).map_err(|e| e.to_string()),
            })
        });
    }

    pub fn fetch_entry(&self, id: i64, purpose: EntryPurpose) {
        self.history(move |h| {
            Some(Msg::HistoryEntry {
                purpose,
                entry: h.get(id).map_err(|e| e.to_string()),
            })
        });
    }

    /// Counts in two steps: up to [`QUICK_COUNT`] at once, so that the list has its rows
    /// (a count of a million matches takes a while), then, when there are more, exactly.
    pub fn count_history(&self, generation: u64, filter: Filter) {
        let more = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let quick_more = more.clone();
        let exact_filter = filter.clone();
        self.history(move |h| {
            let total = h
                .count_at_most(&filter, QUICK_COUNT)
                .map_err(|e| e.to_string());
            let exact = !matches!(total, Ok(n) if n >= QUICK_COUNT);
            quick_more.store(!exact, std::sync::atomic::Ordering::Relaxed);
            Some(Msg::HistoryCount {
                generation,
                total,
                exact,
            })
        });
        self.history(move |h| {
            if !more.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            Some(Msg::HistoryCount {
                generation,
                total: h.count(&exact_filter).map_err(|e| e.to_string()),
                exact: true,
            })
        });
        self.history(|h| h.size_cap().ok().map(Msg::HistorySize));
    }
}

/// Matches counted before the list shows its rows; more are counted exactly afterwards.
pub const QUICK_COUNT: usize = 1_000;

/// How often the history thread, when idle, looks for entries other processes wrote.
const WATCH_EVERY: std::time::Duration = std::time::Duration::from_millis(400);
/// How often the history thread, when idle, indexes a few entries left waiting for the index:
/// often enough to index 100,000 in under a minute, seldom enough that a page asked for
/// meanwhile waits at most one step.
const INDEX_EVERY: std::time::Duration = std::time::Duration::from_millis(20);
/// How long no other connection must have committed before the history thread indexes: while a
/// capture or a `run` is writing, indexing is theirs to do once they idle, and the window's
/// thread would only contend with them for the store's write lock.
const QUIET_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// Whether the history thread indexes now: entries wait, and no other writer has committed
/// for [`QUIET_FOR`].
fn index_now(h: &History, changed_at: std::time::Instant) -> bool {
    h.index_due() && changed_at.elapsed() >= QUIET_FOR
}

fn spawn_history(mut h: History, tx: Sender<Msg>, ctx: egui::Context) -> Sender<HistoryJob> {
    let (jtx, jrx) = channel::<HistoryJob>();
    let spawned = std::thread::Builder::new()
        .name("segment-console-history".into())
        .spawn(move || {
            // A `run` or `capture` in a terminal writes to the same store: when another
            // connection has committed, the pane reloads (keeping the selection), so the window
            // shows their entries within a second without a restart.
            let mut seen = h.data_version().ok();
            let mut changed_at = std::time::Instant::now();
            loop {
                // Entries a writer left waiting for the search index (a `run` that ended, a
                // capture stopped) are indexed a little at a time while the window idles.
                let wait = if index_now(&h, changed_at) {
                    INDEX_EVERY
                } else {
                    WATCH_EVERY
                };
                match jrx.recv_timeout(wait) {
                    Ok(job) => {
                        if let Some(m) = job(&mut h) {
                            let _ = tx.send(m);
                            ctx.request_repaint();
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        if index_now(&h, changed_at) {
                            h.index_step();
                        }
                        let now = h.data_version().ok();
                        if now != seen {
                            seen = now;
                            changed_at = std::time::Instant::now();
                            let _ = h.notice_pending();
                            let _ = tx.send(Msg::HistoryChanged);
                            ctx.request_repaint();
                        }
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        });
    if spawned.is_err() {
        // Without its thread the jobs are dropped; callers see no reply and report it.
    }
    jtx
}
