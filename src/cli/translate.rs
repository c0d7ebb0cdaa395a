//! `segment-console translate FILE --destination ID`: one JSON array, an element per event; or
//! the requests alone as curl commands, a Postman collection or HAR. With `--plan`, each
//! event's tracking-plan violations join its findings (each with a `kind`), and an error among
//! them makes the exit code 1.

use super::common;
use clap::{Args, ValueEnum};
use segment_console::destinations::{self, Outcome, PartnerRequest, Target};
use segment_console::event::Finding;
use segment_console::export;
use segment_console::files::event_set;
use segment_console::transport::RequestRecord;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct TranslateArgs {
    /// An event-set file: a JSON array, a Segment batch, NDJSON, one event, or a saved set.
    pub file: PathBuf,
    /// salesmachine, startdeliver, freshmarketer, skalin or webhook.
    #[arg(long, short = 'd')]
    pub destination: String,
    /// A JSON file keyed by destination id: {"salesmachine": {"apiKey": "..."}}.
    #[arg(long)]
    pub settings: Option<PathBuf>,
    /// partner-api or segment-webhook (default: the destination's own default).
    #[arg(long)]
    pub mode: Option<String>,
    /// live, sandbox or a URL.
    #[arg(long, default_value = "live")]
    pub target: String,
    /// The sandbox base used in URLs with --target sandbox.
    #[arg(long, default_value = "http://127.0.0.1:7311")]
    pub sandbox_url: String,
    /// Print API keys in clear instead of masked.
    #[arg(long)]
    pub show_secrets: bool,
    /// json: every outcome with findings and provenance; curl, postman, har: the requests alone
    /// (a Postman collection that newman runs as it is, with --show-secrets for real keys).
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// A tracking plan (Segment's Public API rules, typewriter's plan.json or the Config API
    /// v1 shape): its violations join each event's findings; any error exits 1.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// With --plan: a violation kind's severity, KIND=error|warning|off (repeatable), over
    /// the plan's own .severity.json.
    #[arg(long, value_name = "KIND=LEVEL", requires = "plan")]
    pub severity: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Curl,
    Postman,
    Har,
}

pub fn run(a: TranslateArgs) -> ExitCode {
    match translate(&a) {
        Ok((json, plan_errors)) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{json}");
            if plan_errors > 0 {
                eprintln!(
                    "segment-console translate: {plan_errors} tracking-plan error{} (see the findings with a \"kind\")",
                    if plan_errors == 1 { "" } else { "s" }
                );
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("segment-console translate: {msg}");
            ExitCode::from(2)
        }
    }
}

/// The output, and how many tracking-plan violations are errors.
fn translate(a: &TranslateArgs) -> Result<(String, usize), String> {
    let dest = common::destination(&a.destination)?;
    let plan = match &a.plan {
        Some(p) => Some(common::plan(p, &a.severity)?),
        None => None,
    };
    let loaded = event_set::open(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    let settings = common::settings_for(a.settings.as_deref(), dest.id())?;
    let mode = common::mode(dest, a.mode.as_deref())?;
    let target = Target::parse(&a.target, &a.sandbox_url)?;
    common::check_settings(dest, &settings, mode, &target)?;
    let now = chrono::Utc::now();
    let outcomes: Vec<Outcome> = loaded
        .set
        .events
        .iter()
        .map(|ev| destinations::translate(dest, ev, &settings, mode, &target, now))
        .collect();
    let violations: Vec<Vec<Finding>> = match &plan {
        Some(p) => loaded.set.events.iter().map(|ev| p.check(ev)).collect(),
        None => vec![Vec::new(); outcomes.len()],
    };
    let plan_errors = violations.iter().flatten().filter(|f| f.is_error()).count();
    if a.format != Format::Json {
        // The other formats are the requests alone: the violations go to stderr.
        for (i, vs) in violations.iter().enumerate() {
            for f in vs {
                eprintln!("{}", common::violation_line(i, f));
            }
        }
    }
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).map_err(|e| e.to_string());
    let text = match a.format {
        Format::Json => {
            let results: Vec<serde_json::Value> = outcomes
                .iter()
                .zip(&violations)
                .enumerate()
                .map(|(i, (o, vs))| {
                    let mut v = o.to_json(i, a.show_secrets);
                    if let Some(list) = v.get_mut("findings").and_then(|f| f.as_array_mut()) {
                        list.extend(vs.iter().filter_map(|f| serde_json::to_value(f).ok()));
                    }
                    v
                })
                .collect();
            pretty(&serde_json::Value::Array(results))
        }
        Format::Curl => Ok(curl(&outcomes, a.show_secrets)),
        Format::Postman => {
            let requests: Vec<PartnerRequest> =
                outcomes.iter().flat_map(|o| o.requests.clone()).collect();
            let name = format!("{} for {}", a.file.display(), dest.integration_name());
            pretty(&export::postman::to_postman(
                &name,
                &requests,
                a.show_secrets,
            ))
        }
        Format::Har => {
            let requests: Vec<(String, RequestRecord)> = outcomes
                .iter()
                .enumerate()
                .flat_map(|(i, o)| {
                    o.requests.iter().map(move |r| {
                        let comment = format!("event {i}: {}", r.description);
                        (comment, RequestRecord::shown(r, a.show_secrets))
                    })
                })
                .collect();
            pretty(&export::har::of_translated(&requests, now))
        }
    }?;
    Ok((text, plan_errors))
}

/// Every event's requests as curl commands, each under a comment naming the event; an event
/// with none says why.
fn curl(outcomes: &[Outcome], show_secrets: bool) -> String {
    let mut blocks = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        if o.requests.is_empty() {
            blocks.push(format!(
                "# event {i}: {} ({})",
                o.kind.as_str(),
                o.reason.as_deref().unwrap_or("nothing to send")
            ));
        }
        for r in &o.requests {
            blocks.push(format!(
                "# event {i}: {}\n{}",
                r.description,
                export::curl::to_curl(r, show_secrets)
            ));
        }
    }
    blocks.join("\n\n")
}
