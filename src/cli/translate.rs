//! `segment-console translate FILE --destination ID`: one JSON array, an element per event.

use super::common;
use clap::Args;
use segment_console::destinations::{self, Target};
use segment_console::files::event_set;
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
}

pub fn run(a: TranslateArgs) -> ExitCode {
    match translate(&a) {
        Ok(json) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{json}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("segment-console translate: {msg}");
            ExitCode::from(2)
        }
    }
}

fn translate(a: &TranslateArgs) -> Result<String, String> {
    let dest = common::destination(&a.destination)?;
    let loaded = event_set::open(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    let settings = common::settings_for(a.settings.as_deref(), dest.id())?;
    let mode = common::mode(dest, a.mode.as_deref())?;
    let target = Target::parse(&a.target, &a.sandbox_url)?;
    common::check_settings(dest, &settings, mode, &target)?;
    let now = chrono::Utc::now();
    let results: Vec<serde_json::Value> = loaded
        .set
        .events
        .iter()
        .enumerate()
        .map(|(i, ev)| {
            destinations::translate(dest, ev, &settings, mode, &target, now)
                .to_json(i, a.show_secrets)
        })
        .collect();
    serde_json::to_string_pretty(&results).map_err(|e| e.to_string())
}
