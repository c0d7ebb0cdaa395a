//! `segment-console run FILE --destination ID`: sends every event of a file, by default to the
//! embedded sandbox started for the run, records every send in the history, prints a table and
//! exits 0 when every event was delivered or deliberately skipped, 1 when any was not, 2 when
//! nothing could be run (usage errors, unreadable files, bad settings).

use super::common;
use clap::Args;
use segment_console::batch::{
    self, BatchJob, BatchRun, BatchSummary, EventResult, MAX_CONCURRENCY, Progress, Verdict,
};
use segment_console::destinations::{Destination, Mode, Settings, Target};
use segment_console::files::event_set;
use segment_console::files::paths::DataDirs;
use segment_console::files::settings_store;
use segment_console::history::History;
use segment_console::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use segment_console::transport::{Transport, TransportOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const NAME: &str = "segment-console run";
/// A terminal's progress line is redrawn at most this often; a log gets a line at most this
/// often too, so a CI log stays readable.
const TTY_EVERY: Duration = Duration::from_millis(100);
const LOG_EVERY: Duration = Duration::from_millis(250);
/// The longest status text in the table (a multi-request event lists each status).
const STATUS_WIDTH: usize = 32;

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 when every event was delivered or deliberately skipped \
    (skipped, unsupported); 1 when any failed, was rejected or was cancelled; 2 when nothing was \
    run (a usage error, an unreadable file, invalid settings). Every event is recorded in the \
    history of the data folder (SEGMENT_CONSOLE_HOME overrides it)."
)]
pub struct RunArgs {
    /// An event-set file: a JSON array, a Segment batch, NDJSON, one event, or a saved set.
    pub file: PathBuf,
    /// salesmachine, startdeliver, freshmarketer, skalin or webhook.
    #[arg(long, short = 'd')]
    pub destination: String,
    /// A JSON file keyed by destination id: {"salesmachine": {"apiKey": "..."}}. With
    /// --target sandbox, every setting it leaves out takes the sandbox's value.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// sandbox (the embedded sandbox, started for this run on a free port), live (the
    /// partner's real API), or a URL.
    #[arg(long, default_value = "sandbox")]
    pub target: String,
    /// Events in flight at once. One user's events (same userId, else anonymousId) are
    /// always sent one after another, in the file's order.
    #[arg(long, value_name = "N", default_value_t = batch::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// Retries per request after a 429 or 5xx (not 501) reply, so at most N+1 attempts (Retry-After
    /// honoured, else exponential backoff). Timeouts and dropped connections are not retried:
    /// the partner may have applied the request.
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub retries: u32,
    /// Also write the results as JUnit XML to this file.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// partner-api or segment-webhook (default: the destination's own default).
    #[arg(long)]
    pub mode: Option<String>,
}

/// Everything checked before anything is sent.
struct Plan {
    dest: &'static dyn Destination,
    events: Vec<serde_json::Value>,
    settings: Settings,
    mode: Mode,
    /// `None` for the sandbox, whose base is known once it runs.
    target: Option<Target>,
    history: History,
    history_path: PathBuf,
}

pub fn run(a: RunArgs) -> ExitCode {
    let plan = match prepare(&a) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{NAME}: {msg}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{NAME}: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let history_path = plan.history_path.clone();
    let summary = match runtime.block_on(execute(&a, plan)) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{NAME}: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut failed = !summary.all_ok();
    print_table(&summary, &history_path);
    if let Some(path) = &a.junit {
        let suite = format!("{} -> {}", file_label(&a.file), a.destination);
        let class = format!("segment-console.{}", a.destination);
        let xml = batch::junit::render(&suite, &class, &summary, chrono::Utc::now());
        if let Err(e) = segment_console::files::atomic::write_atomic(path, xml.as_bytes()) {
            eprintln!(
                "{NAME}: cannot write the JUnit report {}: {e}",
                path.display()
            );
            failed = true;
        }
    }
    if let Some(e) = &summary.history_error {
        eprintln!("{NAME}: the run stopped because the history could not store a result: {e}");
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn prepare(a: &RunArgs) -> Result<Plan, String> {
    let dest = common::destination(&a.destination)?;
    if !(1..=MAX_CONCURRENCY).contains(&a.concurrency) {
        return Err(format!(
            "--concurrency must be between 1 and {MAX_CONCURRENCY}, not {}",
            a.concurrency
        ));
    }
    let loaded = event_set::open(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    let given = common::settings_for(a.settings.as_deref(), dest.id())?;
    let mode = common::mode(dest, a.mode.as_deref())?;
    let (target, settings) = if a.target == "sandbox" {
        // The sandbox accepts only its own credentials (docs/destinations.md §7): every
        // setting the user did not give takes the value a new user of the window starts with.
        let mut settings = settings_store::default_config(dest.id()).settings;
        settings.extend(given);
        (None, settings)
    } else {
        // Never the sandbox's values towards a real partner or the user's own server.
        let target = Target::parse(&a.target, "")?;
        (Some(target), given)
    };
    let check_target = target.clone().unwrap_or(Target::Sandbox {
        base: "http://127.0.0.1".into(),
    });
    common::check_settings(dest, &settings, mode, &check_target)?;
    if let Some(junit) = &a.junit {
        let dir = junit.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) {
            return Err(format!(
                "--junit {}: the folder it would go in does not exist",
                junit.display()
            ));
        }
    }
    let dirs = DataDirs::locate().map_err(|e| e.to_string())?;
    dirs.create().map_err(|e| e.to_string())?;
    let history_path = dirs.history_file();
    let history = History::open(&history_path).map_err(|e| e.to_string())?;
    Ok(Plan {
        dest,
        events: loaded.set.events,
        settings,
        mode,
        target,
        history,
        history_path,
    })
}

async fn execute(a: &RunArgs, plan: Plan) -> Result<BatchSummary, String> {
    let mut sandbox: Option<SandboxHandle> = None;
    let target = match plan.target {
        Some(t) => t,
        None => {
            let handle = Sandbox::start(SandboxConfig::default())
                .await
                .map_err(|e| format!("cannot start the sandbox: {e}"))?;
            let base = handle.base_url();
            sandbox = Some(handle);
            Target::Sandbox { base }
        }
    };
    let transport = Transport::new().map_err(|e| e.to_string())?;
    let mut job = BatchJob::new(plan.dest, plan.settings, plan.mode, target, plan.events);
    job.concurrency = a.concurrency;
    job.options = TransportOptions {
        max_attempts: a.retries.saturating_add(1),
        ..TransportOptions::batch()
    };
    let run = BatchRun::spawn(
        &tokio::runtime::Handle::current(),
        job,
        transport,
        plan.history,
    );
    let summary = follow(run).await;
    if let Some(s) = sandbox {
        s.shutdown().await;
    }
    summary
}

/// Shows progress on stderr until the run ends; Ctrl+C cancels it (what was sent stays
/// recorded).
async fn follow(run: BatchRun) -> Result<BatchSummary, String> {
    let tty = std::io::stderr().is_terminal();
    let every = if tty { TTY_EVERY } else { LOG_EVERY };
    let mut changes = run.watch_progress();
    let mut interrupted = false;
    let mut shown: Option<(Instant, Progress)> = None;
    // One listener for the whole run, so a Ctrl+C between two turns of the loop is not lost.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        let progress = changes.borrow_and_update().clone();
        let due = shown
            .as_ref()
            .is_none_or(|(at, last)| *last != progress && at.elapsed() >= every);
        if progress.finished {
            show_progress(&progress, tty, true);
            break;
        }
        if due {
            show_progress(&progress, tty, false);
            shown = Some((Instant::now(), progress));
        }
        tokio::select! {
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
            }
            _ = tokio::time::sleep(every) => {}
            _ = &mut ctrl_c, if !interrupted => {
                interrupted = true;
                let nl = if tty { "\n" } else { "" };
                eprintln!("{nl}{NAME}: cancelling (Ctrl+C); requests in flight are recorded");
                run.cancel();
            }
        }
    }
    run.finish().await.map_err(|e| e.to_string())
}

fn show_progress(p: &Progress, tty: bool, last: bool) {
    let mut err = std::io::stderr().lock();
    if tty {
        // Back to the line's start, then clear what a longer earlier line left.
        let _ = write!(err, "\r{NAME}: {p}\x1b[K");
        if last {
            let _ = writeln!(err);
        }
    } else {
        let _ = writeln!(err, "{NAME}: {p}");
    }
    let _ = err.flush();
}

fn file_label(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The table on stdout: one row per event, then the problems in words, then the totals.
fn print_table(s: &BatchSummary, history: &Path) {
    let mut out = std::io::stdout().lock();
    let index_w = s
        .results
        .last()
        .map_or(1, |r| r.index.to_string().len())
        .max(1);
    let label_w = s
        .results
        .iter()
        .map(|r| r.label.chars().count())
        .max()
        .unwrap_or(0)
        .max("event".len());
    let outcome_w = "unsupported".len();
    let status_w = s
        .results
        .iter()
        .map(|r| status_cell(r).chars().count())
        .max()
        .unwrap_or(0)
        .max("status".len());
    let _ = writeln!(
        out,
        "{:>index_w$}  {:label_w$}  {:outcome_w$}  {:status_w$}  {:>8}",
        "#", "event", "outcome", "status", "time"
    );
    for r in &s.results {
        let _ = writeln!(
            out,
            "{:>index_w$}  {}  {:outcome_w$}  {}  {:>8}",
            r.index,
            pad(&r.label, label_w),
            r.verdict.as_str(),
            pad(&status_cell(r), status_w),
            format!("{} ms", r.duration_ms),
        );
    }
    // Events never started share one reason: one line for all of them.
    let not_run: Vec<&EventResult> = s
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::NotRun)
        .collect();
    let problems: Vec<&EventResult> = s
        .results
        .iter()
        .filter(|r| !r.verdict.is_ok() && r.verdict != Verdict::NotRun)
        .collect();
    if !problems.is_empty() || !not_run.is_empty() {
        let _ = writeln!(out, "\nNot delivered:");
        for r in problems {
            let why = r.error.as_deref().unwrap_or(r.verdict.as_str());
            let _ = writeln!(
                out,
                "  #{} {}: {}",
                r.index,
                r.verdict.as_str(),
                batch::result::clip(why, 300)
            );
        }
        if let Some(first) = not_run.first() {
            let why = first.error.as_deref().unwrap_or("not started");
            let _ = writeln!(out, "  {} events not run: {why}", not_run.len());
        }
    }
    let p = &s.progress;
    let mut totals = format!(
        "\n{} events in {}.{:01} s: {} delivered, {} skipped, {} failed, {} rejected",
        s.results.len(),
        s.elapsed_ms / 1000,
        (s.elapsed_ms % 1000) / 100,
        p.delivered,
        p.skipped,
        p.failed,
        p.rejected
    );
    if p.cancelled > 0 {
        totals.push_str(&format!(", {} cancelled", p.cancelled));
    }
    if !not_run.is_empty() {
        totals.push_str(&format!(", {} not run", not_run.len()));
    }
    let _ = writeln!(out, "{totals}. History: {}", history.display());
    let _ = out.flush();
}

fn status_cell(r: &EventResult) -> String {
    batch::result::clip(&r.status_text, STATUS_WIDTH)
}

fn pad(text: &str, width: usize) -> String {
    let n = text.chars().count();
    let mut s = text.to_string();
    s.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
    s
}
