//! `segment-console plan draft EVENTSET [--output FILE]`: a tracking plan in Segment's Public
//! API rules format that every event of the set satisfies, for the user to edit
//! (docs/tracking-plans.md, *Drafting a plan*).

use clap::{Args, Subcommand};
use segment_console::files::{atomic, event_set};
use segment_console::plan::draft;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

const NAME: &str = "segment-console plan";

#[derive(Args)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub command: PlanCommand,
}

#[derive(Subcommand)]
pub enum PlanCommand {
    /// Draft a plan from an event set: a rule per event name, page and screen name, identify
    /// and group; types inferred from the values, required = present in every occurrence.
    Draft(DraftArgs),
}

#[derive(Args)]
pub struct DraftArgs {
    /// An event-set file: a JSON array, a Segment batch, NDJSON, one event, or a saved set.
    pub file: PathBuf,
    /// Write the plan here (atomically) instead of printing it.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(a: PlanArgs) -> ExitCode {
    let PlanCommand::Draft(d) = a.command;
    match draft_plan(&d) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{NAME} draft: {msg}");
            ExitCode::from(2)
        }
    }
}

fn draft_plan(a: &DraftArgs) -> Result<(), String> {
    let loaded = event_set::open(&a.file).map_err(|e| format!("{}: {e}", a.file.display()))?;
    let drafted = draft::draft(&loaded.set.events);
    if drafted.rules == 0 {
        return Err(format!(
            "{}: no event the plan could describe (alias calls and events without a type or name are left out)",
            a.file.display()
        ));
    }
    let mut text = serde_json::to_string_pretty(&drafted.plan).map_err(|e| e.to_string())?;
    text.push('\n');
    match &a.output {
        Some(path) => {
            atomic::write_atomic(path, text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!(
                "{NAME} draft: {} rules from {} events written to {}{}",
                drafted.rules,
                loaded.set.events.len(),
                path.display(),
                skipped(drafted.skipped)
            );
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            if drafted.skipped > 0 {
                eprintln!("{NAME} draft:{}", skipped(drafted.skipped));
            }
        }
    }
    Ok(())
}

fn skipped(n: usize) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} events left out: alias calls, or no type or name)")
    }
}
