//! `segment-console run FILE --destination ID`: sends every event of a file, by default to the
//! embedded sandbox started for the run, records every send in the history, prints a table and
//! exits 0 when every event was delivered or deliberately skipped, 1 when any was not, 2 when
//! nothing could be run (usage errors, unreadable files, bad settings). With `--plan`, an
//! event's tracking-plan errors fail the run too; with `--expect DIR`, so does a partner request
//! that differs from its golden file (docs/tracking-plans.md).

use super::common;
use clap::Args;
use segment_console::batch::junit::{CheckFailure, CheckFailures};
use segment_console::batch::{
    self, BatchJob, BatchRun, BatchSummary, EventResult, MAX_CONCURRENCY, Progress, Verdict,
};
use segment_console::destinations::{self, Destination, Mode, Settings, Target};
use segment_console::event::Finding;
use segment_console::files::golden::{Check, FileCheck};
use segment_console::files::paths::DataDirs;
use segment_console::files::settings_store;
use segment_console::files::{self, event_set};
use segment_console::history::History;
use segment_console::plan;
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
    (skipped, unsupported); 1 when any failed, was rejected or was cancelled, broke an error rule \
    of --plan, or differs from its --expect golden file; 2 when nothing was run (a usage error, \
    an unreadable file or plan, invalid settings). Every event is recorded in the history of the \
    data folder (SEGMENT_CONSOLE_HOME overrides it)."
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
    /// A tracking plan: each event is checked against it; a violation that is an error fails
    /// the run and is a failure in the JUnit report (events are still sent).
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// With --plan: a violation kind's severity, KIND=error|warning|off (repeatable).
    #[arg(long, value_name = "KIND=LEVEL", requires = "plan")]
    pub severity: Vec<String>,
    /// A folder of golden files, one per event (003-order-completed.json): each event's
    /// partner requests must equal its file's, or the run fails with a diff.
    #[arg(long, value_name = "DIR")]
    pub expect: Option<PathBuf>,
    /// With --expect: write the golden files from this run instead of comparing.
    #[arg(long, requires = "expect")]
    pub update: bool,
}

/// Golden files are made with a fixed clock and sandbox address, so they do not change from
/// one run to the next (the sandbox's port is new each run).
const GOLDEN_NOW: &str = "2026-01-01T00:00:00Z";
const GOLDEN_SANDBOX: &str = "http://127.0.0.1:7311";

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
    /// Each event's tracking-plan violations (empty without --plan).
    violations: Vec<Vec<Finding>>,
    /// The plan itself, whose verdict each history entry keeps (its plan column).
    tracking_plan: Option<std::sync::Arc<plan::Plan>>,
    /// Each event's verdict, counted from `violations`, for its history entry.
    plan_checks: Vec<plan::verdict::PlanCheck>,
    /// Each event's golden file name and content (empty without --expect).
    golden: Vec<(usize, String, serde_json::Value)>,
}

pub fn run(a: RunArgs) -> ExitCode {
    let mut plan = match prepare(&a) {
        Ok(p) => p,
        Err(msg) => {
            eprintln!("{NAME}: {msg}");
            return ExitCode::from(2);
        }
    };
    let runtime = match common::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{NAME}: {e}");
            return ExitCode::from(2);
        }
    };
    let history_path = plan.history_path.clone();
    let violations = std::mem::take(&mut plan.violations);
    let golden = std::mem::take(&mut plan.golden);
    let summary = match runtime.block_on(execute(&a, plan)) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("{NAME}: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut failed = !summary.all_ok();
    print_table(&summary, &history_path);
    let mut checks = CheckFailures::new();
    if a.plan.is_some() {
        failed |= report_violations(&violations, &mut checks);
    }
    if let Some(dir) = &a.expect {
        match files::golden::check_dir(dir, &golden, a.update) {
            Ok(results) => failed |= report_golden(dir, &results, &mut checks),
            Err(msg) => {
                eprintln!("{NAME}: --expect: {msg}");
                failed = true;
            }
        }
    }
    if let Some(path) = &a.junit {
        let suite = format!("{} -> {}", file_label(&a.file), a.destination);
        let class = format!("segment-console.{}", a.destination);
        let xml = batch::junit::render_with(&suite, &class, &summary, &checks, chrono::Utc::now());
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
    let tracking_plan = match &a.plan {
        Some(p) => Some(std::sync::Arc::new(common::plan(p, &a.severity)?)),
        None => None,
    };
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
    let violations: Vec<Vec<Finding>> = match &tracking_plan {
        Some(p) => loaded.set.events.iter().map(|ev| p.check(ev)).collect(),
        None => Vec::new(),
    };
    // The batch keeps these in the history entries instead of checking each event again.
    let plan_checks = match &tracking_plan {
        Some(p) => violations
            .iter()
            .map(|v| plan::verdict::PlanCheck::of(&p.name, v))
            .collect(),
        None => Vec::new(),
    };
    let golden = if a.expect.is_some() {
        golden_values(dest, &loaded.set.events, &settings, mode, target.as_ref())?
    } else {
        Vec::new()
    };
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
        violations,
        tracking_plan,
        plan_checks,
        golden,
    })
}

/// Each event's golden file: name, and what the partner gets (the outcome, its reason, and each
/// request's method, URL, headers and body, secrets masked), translated with the fixed clock and
/// sandbox address. The console's own explanations (basis, description, provenance) are left
/// out: a better explanation is not a change in what the partner receives.
fn golden_values(
    dest: &'static dyn Destination,
    events: &[serde_json::Value],
    settings: &Settings,
    mode: Mode,
    target: Option<&Target>,
) -> Result<Vec<(usize, String, serde_json::Value)>, String> {
    let now = chrono::DateTime::parse_from_rfc3339(GOLDEN_NOW)
        .map_err(|e| e.to_string())?
        .with_timezone(&chrono::Utc);
    let target = target.cloned().unwrap_or(Target::Sandbox {
        base: GOLDEN_SANDBOX.into(),
    });
    Ok(events
        .iter()
        .enumerate()
        .map(|(i, ev)| {
            let o = destinations::translate(dest, ev, settings, mode, &target, now);
            let full = o.to_json(i, false);
            let mut doc = serde_json::Map::new();
            for key in ["outcome", "reason"] {
                if let Some(v) = full.get(key) {
                    doc.insert(key.into(), v.clone());
                }
            }
            let requests: Vec<serde_json::Value> = full["requests"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|r| {
                    let mut kept = serde_json::Map::new();
                    for key in ["method", "url", "headers", "body"] {
                        if let Some(v) = r.get(key) {
                            kept.insert(key.into(), v.clone());
                        }
                    }
                    serde_json::Value::Object(kept)
                })
                .collect();
            doc.insert("requests".into(), serde_json::Value::Array(requests));
            (
                i,
                plan::golden::file_name(i, ev),
                serde_json::Value::Object(doc),
            )
        })
        .collect())
}

/// Prints every violation; each event with an error gets a JUnit failure. True when any is an
/// error.
fn report_violations(violations: &[Vec<Finding>], checks: &mut CheckFailures) -> bool {
    let mut out = std::io::stdout().lock();
    let all: usize = violations.iter().map(Vec::len).sum();
    let errors = violations.iter().flatten().filter(|f| f.is_error()).count();
    if all > 0 {
        let _ = writeln!(out, "\nTracking plan:");
    }
    for (i, vs) in violations.iter().enumerate() {
        for f in vs {
            let _ = writeln!(out, "  {}", common::violation_line(i, f));
        }
        let errs: Vec<&Finding> = vs.iter().filter(|f| f.is_error()).collect();
        if let Some(first) = errs.first() {
            let detail: Vec<String> = errs
                .iter()
                .map(|f| {
                    format!(
                        "{} at {}: {}",
                        f.kind.as_deref().unwrap_or("-"),
                        f.path,
                        f.message
                    )
                })
                .collect();
            let message = if errs.len() == 1 {
                first.message.clone()
            } else {
                format!("{} (and {} more)", first.message, errs.len() - 1)
            };
            checks.entry(i).or_default().push(CheckFailure {
                kind: "tracking-plan".into(),
                message,
                detail: detail.join("\n"),
            });
        }
    }
    let _ = writeln!(
        out,
        "{} tracking-plan violation{} ({errors} error{}).",
        all,
        if all == 1 { "" } else { "s" },
        if errors == 1 { "" } else { "s" }
    );
    errors > 0
}

/// Prints what differs from the golden files, with the diffs; each such event gets a JUnit
/// failure. True when the run must fail.
fn report_golden(dir: &Path, results: &[FileCheck], checks: &mut CheckFailures) -> bool {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\nExpectations in {}:", dir.display());
    let mut failed = 0;
    let mut written = 0;
    for r in results {
        let (line, detail) = match &r.check {
            Check::Same => continue,
            Check::Written => {
                written += 1;
                let _ = writeln!(out, "  wrote {}", r.file);
                continue;
            }
            Check::Removed => {
                let _ = writeln!(out, "  removed {} (no event in the set)", r.file);
                continue;
            }
            Check::Differs(diff) => (format!("{} differs:", r.file), diff.clone()),
            Check::Missing => (
                format!("{} is missing (run with --update to write it)", r.file),
                String::new(),
            ),
            Check::Unreadable(e) => (format!("{} is not JSON: {e}", r.file), String::new()),
            Check::Stale => (
                format!("{} has no event in the set (--update removes it)", r.file),
                String::new(),
            ),
        };
        failed += 1;
        let _ = writeln!(out, "  {line}");
        for l in detail.lines() {
            let _ = writeln!(out, "    {l}");
        }
        if let Some(i) = r.index {
            checks.entry(i).or_default().push(CheckFailure {
                kind: "expectation".into(),
                message: line,
                detail,
            });
        }
    }
    let same = results.iter().filter(|r| r.check == Check::Same).count();
    let _ = writeln!(
        out,
        "{same} as expected, {failed} different or missing{}.",
        if written > 0 {
            format!(", {written} written")
        } else {
            String::new()
        }
    );
    failed > 0
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
    job.plan = plan.tracking_plan;
    job.plan_checks = plan.plan_checks;
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
