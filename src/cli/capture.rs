//! `segment-console capture`: the console as a local Segment source (docs/capture.md). An app's
//! own SDK posts here instead of to Segment; every event is validated, translated for the
//! destinations picked, committed to the history and, with `--forward`, sent on. The first line
//! of stdout is the base URL (as `sandbox` prints it), then one line per event, then a summary
//! when Ctrl+C, SIGTERM or `--idle-exit` ends it. Exit 0 when every event was valid and every
//! forwarded request succeeded, 1 otherwise, 2 when it could not start.

use super::common;
use super::sandbox::StopSignals;
use clap::Args;
use segment_console::batch::{self, BatchSummary, EventResult, Progress, Verdict};
use segment_console::capture::{
    self, Capture, CaptureConfig, CapturedEvent, DestinationSetup, Forward, SourceFault, Summary,
};
use segment_console::destinations::Target;
use segment_console::event::Severity;
use segment_console::files::paths::DataDirs;
use segment_console::files::settings_store;
use segment_console::history::History;
use segment_console::plan::arrival::{Tally, Unmet};
use segment_console::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const NAME: &str = "segment-console capture";

#[derive(Args)]
#[command(
    after_help = "Point an SDK at the printed URL (docs/capture.md has the snippets): \
    Python `Client(KEY, host=URL)`, Node `new Analytics({writeKey, host: URL, path: '/v1/batch'})`, \
    analytics.js `cdnURL: URL`. Tests read /_capture/events and /_capture/summary. Exit status: 0 \
    when every captured event was valid and every forwarded request succeeded; 1 otherwise (an \
    invalid or dropped event, a refused request, a failed forward); 2 when capture could not \
    start. Every event is recorded in the history of the data folder (SEGMENT_CONSOLE_HOME \
    overrides it)."
)]
pub struct CaptureArgs {
    /// Port on 127.0.0.1; 0 picks any free port.
    #[arg(long, default_value_t = capture::DEFAULT_PORT)]
    pub port: u16,
    /// A write key to accept, repeatable; any other gets 401. With none, every key is accepted.
    #[arg(long = "write-key", value_name = "KEY")]
    pub write_keys: Vec<String>,
    /// A destination to translate every event for, repeatable: salesmachine, startdeliver,
    /// freshmarketer, skalin or webhook.
    #[arg(long = "destination", short = 'd', value_name = "ID")]
    pub destinations: Vec<String>,
    /// Send the translated requests: none (the default), sandbox (the embedded sandbox, started
    /// on a free port; `--forward` alone means this), live (the partners' real APIs) or a URL.
    #[arg(long, value_name = "none|sandbox|live|URL", default_value = "none",
          num_args = 0..=1, default_missing_value = "sandbox")]
    pub forward: String,
    /// A JSON file keyed by destination id: {"salesmachine": {"apiKey": "..."}}. Towards the
    /// sandbox (or with nothing forwarded), every setting it leaves out takes the sandbox's value.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// Also write one JUnit testcase per captured event to this file when capture ends.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// End after this many seconds without a request (for CI).
    #[arg(long = "idle-exit", value_name = "SECONDS")]
    pub idle_exit: Option<u64>,
    /// A source-side fault, repeatable: status:503[:COUNT], status:429:COUNT:RETRY_AFTER,
    /// latency:MS, drop[:COUNT].
    #[arg(long = "fault", value_name = "KIND[:ARG]", value_parser = capture::parse_fault)]
    pub faults: Vec<SourceFault>,
    /// A tracking plan every event is checked against (docs/tracking-plans.md): an error
    /// violation makes the event invalid, capture exit 1 and its testcase a JUnit failure.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// With --plan: a violation kind's severity, KIND=error|warning|off (repeatable).
    #[arg(long, value_name = "KIND=LEVEL", requires = "plan")]
    pub severity: Vec<String>,
    /// Events that must arrive (by type and name, optionally with properties that must
    /// match; docs/tracking-plans.md): one that never did makes capture exit 1.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
}

/// Everything checked before the port is opened.
struct Plan {
    destinations: Vec<DestinationSetup>,
    tracking_plan: Option<Arc<segment_console::plan::Plan>>,
    expectations: Option<Tally>,
    /// `None` with `--forward sandbox`: its base is known once it runs.
    forward: Option<Forward>,
    history: History,
    history_path: PathBuf,
}

pub fn run(a: CaptureArgs) -> ExitCode {
    let plan = match prepare(&a) {
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
    runtime.block_on(serve(a, plan))
}

fn prepare(a: &CaptureArgs) -> Result<Plan, String> {
    let forward = match a.forward.as_str() {
        "none" => Some(Forward::None),
        "sandbox" => None,
        other => Some(Forward::To(Target::parse(other, "").map_err(|_| {
            format!("--forward \"{other}\" is not none, sandbox, live or an http(s):// URL")
        })?)),
    };
    let towards_sandbox = !matches!(forward, Some(Forward::To(_)));
    let check_target = forward.as_ref().map_or(
        Target::Sandbox {
            base: "http://127.0.0.1".into(),
        },
        Forward::target,
    );
    let mut destinations = Vec::new();
    for id in &a.destinations {
        let dest = common::destination(id)?;
        if destinations
            .iter()
            .any(|d: &DestinationSetup| d.destination.id() == dest.id())
        {
            return Err(format!("--destination {id} is given twice"));
        }
        let given = common::settings_for(a.settings.as_deref(), dest.id())?;
        let settings = if towards_sandbox {
            // The sandbox accepts only its own credentials (docs/destinations.md §7).
            let mut s = settings_store::default_config(dest.id()).settings;
            s.extend(given);
            s
        } else {
            // Never the sandbox's values towards a real partner or the user's own server.
            given
        };
        let mode = dest.default_mode();
        common::check_settings(dest, &settings, mode, &check_target)?;
        destinations.push(DestinationSetup {
            destination: dest,
            settings,
            mode,
        });
    }
    if forward.as_ref().is_none_or(|f| *f != Forward::None) && destinations.is_empty() {
        return Err(format!(
            "--forward {} needs at least one --destination to translate for",
            a.forward
        ));
    }
    if let Some(junit) = &a.junit {
        let dir = junit.parent().filter(|d| !d.as_os_str().is_empty());
        if dir.is_some_and(|d| !d.is_dir()) {
            return Err(format!(
                "--junit {}: the folder it would go in does not exist",
                junit.display()
            ));
        }
    }
    if a.write_keys.iter().any(String::is_empty) {
        return Err("--write-key cannot be empty".into());
    }
    // Read before the port opens: a plan or an expectation file that cannot be read is a
    // start-up error (exit 2), not something found after an hour of traffic.
    let tracking_plan = match &a.plan {
        Some(p) => Some(Arc::new(common::plan(p, &a.severity)?)),
        None => None,
    };
    let expectations = match &a.expect {
        Some(p) => Some(Tally::new(
            segment_console::files::plan_file::load_expectations(p)?,
        )),
        None => None,
    };
    let dirs = DataDirs::locate().map_err(|e| e.to_string())?;
    dirs.create().map_err(|e| e.to_string())?;
    let history_path = dirs.history_file();
    let history = History::open(&history_path).map_err(|e| e.to_string())?;
    Ok(Plan {
        destinations,
        tracking_plan,
        expectations,
        forward,
        history,
        history_path,
    })
}

async fn serve(a: CaptureArgs, plan: Plan) -> ExitCode {
    let mut signals = match StopSignals::listen() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{NAME}: cannot listen for Ctrl+C: {e}");
            return ExitCode::from(2);
        }
    };
    let mut sandbox: Option<SandboxHandle> = None;
    let forward = match plan.forward {
        Some(f) => f,
        None => match Sandbox::start(SandboxConfig::default()).await {
            Ok(h) => {
                let base = h.base_url();
                sandbox = Some(h);
                Forward::To(Target::Sandbox { base })
            }
            Err(e) => {
                eprintln!("{NAME}: cannot start the sandbox to forward to: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let (tap, mut taken) = tokio::sync::mpsc::channel::<Arc<CapturedEvent>>(1024);
    let forward_label = forward.label();
    let config = CaptureConfig {
        port: a.port,
        write_keys: a.write_keys.clone(),
        destinations: plan.destinations,
        plan: plan.tracking_plan,
        forward,
        faults: a.faults.clone(),
        tap: Some(tap),
        ..CaptureConfig::new(plan.history)
    };
    let handle = match Capture::start(config).await {
        Ok(h) => h,
        Err(e) if e.port_in_use() => {
            eprintln!(
                "{NAME}: port {} on 127.0.0.1 is already in use (another capture or program is \
                 listening there); pick another with --port N, or --port 0 for any free port",
                a.port
            );
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("{NAME}: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", handle.base_url());
        let _ = out.flush();
    }
    let dests = handle.destinations();
    eprintln!(
        "{NAME}: listening at {} for {} (forward: {forward_label}; history: {}); {}",
        handle.base_url(),
        if dests.is_empty() {
            "no destination".to_string()
        } else {
            dests.join(", ")
        },
        plan.history_path.display(),
        match a.idle_exit {
            Some(n) => format!("ends after {n} s without traffic or on Ctrl+C"),
            None => "Ctrl+C stops it".into(),
        }
    );
    let mut results: Vec<EventResult> = Vec::new();
    let keep_results = a.junit.is_some();
    let mut expectations = plan.expectations;
    let mut on_event = |e: &CapturedEvent| {
        print_event(e);
        if keep_results {
            results.push(junit_result(e));
        }
        // A dropped event never reached Segment's destinations: it does not count as arrived.
        if let Some(t) = expectations.as_mut()
            && e.dropped.is_none()
        {
            t.observe(&e.event);
        }
    };
    let idle_limit = a.idle_exit.map(Duration::from_secs);
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let why = loop {
        tokio::select! {
            got = taken.recv() => match got {
                Some(e) => on_event(&e),
                None => break "the server stopped",
            },
            _ = signals.wait() => break "stopped by Ctrl+C or SIGTERM",
            _ = tick.tick() => {
                if let Some(limit) = idle_limit && handle.idle_for() >= limit {
                    break "idle";
                }
            }
        }
    };
    // Requests in flight finish (committed and answered) while their events are still read,
    // so a handler waiting for room in the tap never holds the shutdown up.
    let control = handle.control();
    let mut stopping = tokio::spawn(handle.shutdown());
    loop {
        tokio::select! {
            Some(e) = taken.recv() => on_event(&e),
            _ = &mut stopping => break,
        }
    }
    while let Ok(e) = taken.try_recv() {
        on_event(&e);
    }
    let summary = control.summary();
    drop(control);
    if let Some(s) = sandbox {
        s.shutdown().await;
    }
    print_summary(&summary, why, started.elapsed(), &plan.history_path);
    let mut ok = summary.all_ok();
    if let Some(t) = &expectations {
        let unmet = t.unmet();
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "Expected events: {} of {} arrived",
            t.len() - unmet.len(),
            t.len()
        );
        for u in &unmet {
            let _ = writeln!(out, "  MISSING {u}");
            results.push(missing_result(results.len(), u));
        }
        ok &= unmet.is_empty();
    }
    if let Some(path) = &a.junit {
        let report = BatchSummary {
            progress: Progress::default(),
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            cancelled: false,
            history_error: None,
            results,
        };
        let xml = batch::junit::render(
            "segment-console capture",
            "segment-console.capture",
            &report,
            chrono::Utc::now(),
        );
        if let Err(e) = segment_console::files::atomic::write_atomic(path, xml.as_bytes()) {
            eprintln!(
                "{NAME}: cannot write the JUnit report {}: {e}",
                path.display()
            );
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// One line per event on stdout: time, type, name, user, then per destination its outcome.
fn print_event(e: &CapturedEvent) {
    let time = e
        .received_at
        .with_timezone(&chrono::Local)
        .format("%H:%M:%S");
    let mut line = format!("{time}  {:<8}", e.call_type);
    if !e.name.is_empty() {
        line.push_str(&format!("  \"{}\"", batch::result::clip(&e.name, 48)));
    }
    match (&e.user_id, &e.anonymous_id) {
        (Some(u), _) => line.push_str(&format!("  user {}", batch::result::clip(u, 40))),
        (None, Some(a)) => line.push_str(&format!("  anonymous {}", batch::result::clip(a, 40))),
        (None, None) => line.push_str("  (no user)"),
    }
    if let Some(why) = &e.dropped {
        line.push_str(&format!("  DROPPED: {why}"));
    } else if !e.valid {
        let errors: Vec<String> = e
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(finding_text)
            .collect();
        line.push_str(&format!("  INVALID: {}", errors.join("; ")));
    }
    if e.duplicate {
        line.push_str("  DUPLICATE (Segment would drop this duplicate)");
    }
    for d in &e.destinations {
        line.push_str(&format!("  {}: {}", d.id, d.short()));
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn print_summary(s: &Summary, why: &str, elapsed: Duration, history: &std::path::Path) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "\n{} in {} over {:.1} s ({why}): {} valid, {} invalid, {} dropped, {}; {} refused, {} answered by a fault",
        count(s.received, "event"),
        count(s.requests, "request"),
        elapsed.as_secs_f64(),
        s.valid,
        s.invalid,
        s.dropped,
        count(s.duplicates, "duplicate"),
        count(s.refused, "request"),
        s.faulted,
    );
    if let Some(r) = &s.last_refusal {
        let _ = writeln!(out, "  last refusal: {r}");
    }
    for (id, c) in &s.destinations {
        let _ = writeln!(
            out,
            "  {id}: {} translated, {} skipped, {} unsupported, {} rejected; {} delivered, {} failed",
            c.requests, c.skipped, c.unsupported, c.rejected, c.delivered, c.failed
        );
    }
    let _ = writeln!(out, "History: {}", history.display());
    let _ = out.flush();
}

/// `1 event`, `2 events`.
fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// A finding in one line; a tracking plan's violation leads with its kind.
fn finding_text(f: &segment_console::event::Finding) -> String {
    match &f.kind {
        Some(kind) => format!("{kind} at {}: {}", f.path, f.message),
        None => format!("{}: {}", f.path, f.message),
    }
}

/// An expected event that never arrived, as a failed JUnit testcase named for it.
fn missing_result(index: usize, u: &Unmet) -> EventResult {
    let e = &u.expectation;
    let mut event = serde_json::json!({ "type": e.event_type });
    if let Some(name) = &e.name {
        let key = if e.event_type == "track" {
            "event"
        } else {
            "name"
        };
        event[key] = serde_json::Value::String(name.clone());
    }
    let mut r = EventResult::not_run(index, &event, "");
    r.verdict = Verdict::Failed;
    r.status_text = "never arrived".into();
    r.error = Some(format!("expected, never arrived: {u}"));
    r
}

/// An event as a JUnit testcase: dropped and invalid events are rejected, a failed forward is
/// a failure, everything else passes.
fn junit_result(e: &CapturedEvent) -> EventResult {
    let mut r = EventResult::not_run(
        usize::try_from(e.seq.saturating_sub(1)).unwrap_or(usize::MAX),
        &e.event,
        "",
    );
    r.error = None;
    r.verdict = Verdict::Delivered;
    r.status_text = if e.destinations.is_empty() {
        "-".into()
    } else {
        e.destinations
            .iter()
            .map(|d| format!("{}: {}", d.id, d.short()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    r.history_id = e.destinations.first().and_then(|d| d.history_id);
    r.attempts = e
        .destinations
        .iter()
        .filter(|d| d.forwarded.is_some())
        .count();
    if let Some(why) = &e.dropped {
        r.verdict = Verdict::Rejected;
        r.error = Some(format!("dropped: {why}"));
    } else if !e.valid {
        r.verdict = Verdict::Rejected;
        let errors: Vec<String> = e
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(finding_text)
            .collect();
        r.error = Some(errors.join("; "));
    } else if let Some(d) = e
        .destinations
        .iter()
        .find(|d| d.forwarded.as_ref().is_some_and(|f| !f.ok))
    {
        r.verdict = Verdict::Failed;
        r.error = Some(format!("{}: {}", d.id, d.short()));
    }
    r
}
