//! `segment-console history [list|show ID|export]`: the history the window and `run` keep, read
//! from the command line. The store is opened read-only, so this runs beside a window or a
//! batch that is writing to it.

use clap::{Args, Subcommand, ValueEnum};
use segment_console::export;
use segment_console::files::atomic::write_atomic;
use segment_console::files::paths::DataDirs;
use segment_console::history::{Entry, Filter, History, Summary, duration_text, local_time};
use segment_console::transport::StatusClass;
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const NAME: &str = "segment-console history";

#[derive(Args)]
#[command(
    after_help = "Exit status: 0 when done, 1 when `show` finds no such entry, 2 when \
    the history cannot be read or an option is wrong. Times are in the local time zone."
)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: Option<HistoryCommand>,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// JSON instead of a table (list) or text (show).
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum HistoryCommand {
    /// The entries that match, newest first (the default).
    List,
    /// One entry in full: its event, findings, requests and every attempt's reply.
    Show {
        /// The entry's id (the first column of `list`).
        id: i64,
    },
    /// The entries that match as HAR, a Postman collection or curl commands (secrets stay
    /// masked, as stored).
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Write to this file (atomically) instead of standard output.
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Har,
    Postman,
    Curl,
}

#[derive(Args)]
pub struct FilterArgs {
    /// Text in the event or the bodies (three characters or more search everything; one or
    /// two, the event name).
    #[arg(long, global = true)]
    pub search: Option<String>,
    /// salesmachine, startdeliver, freshmarketer, skalin or webhook.
    #[arg(long, short = 'd', global = true)]
    pub destination: Option<String>,
    /// 2xx, 3xx, 4xx, 5xx, error, cancelled, skipped, rejected or unsupported.
    #[arg(long, global = true)]
    pub status: Option<String>,
    /// identify, track, page, screen, group or alias.
    #[arg(long, global = true)]
    pub call: Option<String>,
    /// The most entries (default 50 for list, 1000 for export).
    #[arg(long, global = true)]
    pub limit: Option<usize>,
}

pub fn run(a: HistoryArgs) -> ExitCode {
    match history(a) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("{NAME}: {msg}");
            ExitCode::from(2)
        }
    }
}

fn history(a: HistoryArgs) -> Result<ExitCode, String> {
    let filter = filter(&a.filter)?;
    let dirs = DataDirs::locate().map_err(|e| e.to_string())?;
    let path = dirs.history_file();
    if !path.exists() {
        return Err(format!(
            "no history at {} yet: nothing has been sent with this data folder",
            path.display()
        ));
    }
    let h = History::open_read_only(&path).map_err(|e| e.to_string())?;
    let mut out = std::io::stdout().lock();
    let printed = match a.command.unwrap_or(HistoryCommand::List) {
        HistoryCommand::List => {
            let rows = h
                .query(&filter, 0, a.filter.limit.unwrap_or(50))
                .map_err(|e| e.to_string())?;
            let total = h.count(&filter).map_err(|e| e.to_string())?;
            if a.json {
                let rows: Vec<Value> = rows.iter().map(summary_json).collect();
                writeln!(out, "{}", pretty(&Value::Array(rows)))
            } else {
                writeln!(out, "{}", table(&rows, total))
            }
        }
        HistoryCommand::Show { id } => {
            let Some(entry) = h.get(id).map_err(|e| e.to_string())? else {
                eprintln!("{NAME}: there is no entry {id} in {}", path.display());
                return Ok(ExitCode::from(1));
            };
            if a.json {
                writeln!(out, "{}", pretty(&json!(entry)))
            } else {
                writeln!(out, "{}", show(&entry))
            }
        }
        HistoryCommand::Export { format, output } => {
            let entries = entries(&h, &filter, a.filter.limit.unwrap_or(1000))?;
            let text = match format {
                ExportFormat::Har => pretty(&export::har::to_har(&entries)),
                ExportFormat::Postman => pretty(&export::postman::to_postman(
                    "segment-console history",
                    &export::requests_of(&entries),
                    false,
                )),
                ExportFormat::Curl => export::requests_of(&entries)
                    .iter()
                    .map(|r| export::curl::to_curl(r, false))
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            };
            match output {
                Some(file) => {
                    write_atomic(&file, format!("{text}\n").as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                    eprintln!(
                        "{NAME}: {} entries written to {}",
                        entries.len(),
                        file.display()
                    );
                    Ok(())
                }
                None => writeln!(out, "{text}"),
            }
        }
    };
    // A closed pipe (`| head`) is not an error of the history.
    let _ = printed;
    Ok(ExitCode::SUCCESS)
}

fn filter(f: &FilterArgs) -> Result<Filter, String> {
    let status = match &f.status {
        None => Vec::new(),
        Some(s) => vec![StatusClass::parse(s).ok_or_else(|| {
            let all: Vec<&str> = StatusClass::ALL.iter().map(|c| c.as_str()).collect();
            format!("--status {s}: choose one of {}", all.join(", "))
        })?],
    };
    if let Some(d) = &f.destination {
        super::common::destination(d).map_err(|e| format!("--destination {d}: {e}"))?;
    }
    if let Some(c) = &f.call
        && segment_console::event::CallType::parse(c).is_none()
    {
        return Err(format!(
            "--call {c}: choose one of identify, track, page, screen, group, alias"
        ));
    }
    if f.limit == Some(0) {
        return Err("--limit must be at least 1".into());
    }
    Ok(Filter {
        destination: f.destination.clone(),
        call_type: f.call.clone(),
        event_name: None,
        status,
        text: f.search.clone().filter(|t| !t.trim().is_empty()),
    })
}

/// The matching entries in full, newest first.
fn entries(h: &History, filter: &Filter, limit: usize) -> Result<Vec<Entry>, String> {
    let rows = h.query(filter, 0, limit).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        // An entry deleted since the list was read is simply left out.
        if let Some(e) = h.get(r.id).map_err(|e| e.to_string())? {
            out.push(e);
        }
    }
    Ok(out)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

fn summary_json(s: &Summary) -> Value {
    json!({
        "id": s.id,
        "time": s.time,
        "destination": s.destination,
        "mode": s.mode,
        "target": s.target,
        "call": s.call_type,
        "event": s.event_name,
        "outcome": s.outcome,
        "status": s.status_class.map(|c| c.as_str()),
        "statusText": s.status_text,
        "durationMs": s.duration_ms,
        "durationUs": s.duration_us,
        // The tracking plan's verdict at the send: null when no plan was loaded.
        "plan": (!s.plan.is_empty()).then_some(s.plan.as_str()),
    })
}

fn table(rows: &[Summary], total: usize) -> String {
    let mut lines = vec![format!(
        "{:>6}  {:<19}  {:<8}  {:<24}  {:<13}  {:<8}  {:<12}  {:<18}  {:>8}",
        "id", "time", "call", "event", "destination", "target", "status", "plan", "duration"
    )];
    for r in rows {
        let plan = if r.plan.is_empty() { "-" } else { &r.plan };
        lines.push(format!(
            "{:>6}  {:<19}  {:<8}  {:<24}  {:<13}  {:<8}  {:<12}  {:<18}  {:>8}",
            r.id,
            local_time(&r.time),
            r.call_type,
            clip(&r.event_name, 24),
            r.destination,
            clip(&r.target, 8),
            clip(&r.status_text, 12),
            clip(plan, 18),
            duration_text(r.duration_us),
        ));
    }
    let shown = rows.len();
    lines.push(if shown < total {
        format!("{shown} of {total} entries (--limit shows more)")
    } else {
        format!("{total} {}", if total == 1 { "entry" } else { "entries" })
    });
    lines.join("\n")
}

/// At most `n` characters, the cut marked with `…`.
fn clip(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        return text.to_string();
    }
    let mut s: String = text.chars().take(n - 1).collect();
    s.push('…');
    s
}

fn show(e: &Entry) -> String {
    let mut out = vec![
        format!(
            "#{}  {}  {} {} -> {} ({}, {})",
            e.id,
            local_time(&e.time.to_rfc3339()),
            e.call_type,
            e.event_name,
            e.destination,
            e.mode,
            e.target
        ),
        format!(
            "outcome: {}  status: {}  {}",
            e.outcome,
            e.status_text(),
            duration_text(e.micros())
        ),
    ];
    if let Some(r) = &e.reason {
        out.push(format!("reason: {r}"));
    }
    if let Some(check) = &e.plan {
        out.push(format!("tracking plan {}: {}", check.plan, check.text()));
    }
    for f in &e.findings {
        out.push(format!("{:?} {}: {}", f.severity, f.path, f.message).to_lowercase());
    }
    out.push(String::new());
    out.push("event:".into());
    out.push(pretty(&e.event));
    for (i, ex) in e.exchanges.iter().enumerate() {
        out.push(String::new());
        out.push(format!(
            "request {}: {} {}  ({})",
            i + 1,
            ex.request.method,
            ex.request.url,
            ex.request.description
        ));
        for h in &ex.request.headers {
            out.push(format!("  {}: {}", h.name, h.value));
        }
        if let Some(b) = &ex.request.body {
            out.push(format!("  {b}"));
        }
        for (k, a) in ex.attempts.iter().enumerate() {
            let what = match (&a.status, &a.error) {
                (Some(s), _) => format!("{s} {}", a.status_text),
                (None, Some(err)) => err.to_string(),
                (None, None) => "no reply".into(),
            };
            out.push(format!(
                "  attempt {}: {what} in {} ms",
                k + 1,
                a.elapsed_ms
            ));
            if let Some(b) = &a.body {
                out.push(format!("    {}", b.text));
            }
        }
    }
    out.join("\n")
}
