//! The command line: no subcommand opens the window; `translate`, `run` and `sandbox` run headless.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

/// See `segment_console::allocator` for why.
#[global_allocator]
static ALLOCATOR: segment_console::allocator::MiMalloc = segment_console::allocator::MiMalloc;

#[derive(Parser)]
#[command(
    name = "segment-console",
    version,
    about = "Compose Segment events, see what each destination receives, send them."
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print, as JSON, the request(s) a destination receives for each event of a file.
    Translate(cli::translate::TranslateArgs),
    /// Send every event of a file to a destination (the embedded sandbox by default).
    Run(cli::run::RunArgs),
    /// Serve the sandbox that imitates every partner on 127.0.0.1 until Ctrl+C.
    Sandbox(cli::sandbox::SandboxArgs),
    /// List, show and export the history the window and `run` keep (read-only).
    History(cli::history::HistoryArgs),
    /// Tracking plans: draft one from an event set.
    Plan(cli::plan::PlanArgs),
    /// Stand in for Segment: receive events from an app's own SDK on 127.0.0.1, validate,
    /// translate, record (and forward) each one.
    Capture(cli::capture::CaptureArgs),
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let args = Args::parse();
    match args.command {
        Some(Command::Translate(a)) => cli::translate::run(a),
        Some(Command::Sandbox(a)) => cli::sandbox::run(a),
        Some(Command::Run(a)) => cli::run::run(a),
        Some(Command::History(a)) => cli::history::run(a),
        Some(Command::Plan(a)) => cli::plan::run(a),
        Some(Command::Capture(a)) => cli::capture::run(a),
        None => cli::window::run(started),
    }
}
