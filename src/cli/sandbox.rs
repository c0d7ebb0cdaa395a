//! `segment-console sandbox [--port P] [--fault DEST:KIND[:ARG]]...`: serves the sandbox alone.
//! The first line of stdout is its base URL (so scripts can read it); a line per request goes to
//! stderr. Ctrl+C (or SIGTERM) stops it cleanly with exit code 0.

use super::common;
use clap::Args;
use segment_console::destinations::kit::sandbox_credentials;
use segment_console::sandbox::{self, Credentials, Fault, Sandbox, SandboxConfig};
use std::io::Write;
use std::process::ExitCode;

#[derive(Args)]
pub struct SandboxArgs {
    /// Port on 127.0.0.1; 0 picks any free port.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A fault in force from the start, repeatable: salesmachine:status:503:3,
    /// salesmachine:status:429:2:30 (Retry-After 30), skalin:latency:200, webhook:drop:1,
    /// freshmarketer:failrate:0.2[:503], webhook:bigbody:104857600[:COUNT] (a 100 MiB reply),
    /// salesmachine:ratelimit.
    #[arg(long = "fault", value_name = "DEST:KIND[:ARG]", value_parser = sandbox::parse_fault_flag)]
    pub faults: Vec<(String, Fault)>,
    /// The API key every destination accepts.
    #[arg(long, default_value = sandbox_credentials::API_KEY)]
    pub api_key: String,
    /// Salesmachine's API secret.
    #[arg(long, default_value = sandbox_credentials::API_SECRET)]
    pub api_secret: String,
    /// Skalin's client id.
    #[arg(long, default_value = sandbox_credentials::CLIENT_ID)]
    pub client_id: String,
    /// The Webhooks shared secret; when given, X-Signature is checked.
    #[arg(long)]
    pub webhook_secret: Option<String>,
    /// Do not print a line per request on stderr.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: SandboxArgs) -> ExitCode {
    let runtime = match common::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("segment-console sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(serve(a))
}

async fn serve(a: SandboxArgs) -> ExitCode {
    let config = SandboxConfig {
        port: a.port,
        credentials: Credentials {
            api_key: a.api_key,
            api_secret: a.api_secret,
            client_id: a.client_id,
            webhook_secret: a.webhook_secret,
        },
        faults: a.faults,
        ..SandboxConfig::default()
    };
    let mut signals = match StopSignals::listen() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("segment-console sandbox: cannot listen for Ctrl+C: {e}");
            return ExitCode::from(1);
        }
    };
    let handle = match Sandbox::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("segment-console sandbox: {e}");
            return ExitCode::from(1);
        }
    };
    // Subscribed before the URL is out, so the very first request is logged too.
    let log = (!a.quiet).then(|| {
        let mut exchanges = handle.subscribe();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match exchanges.recv().await {
                    Ok(x) => eprintln!("{x}"),
                    Err(RecvError::Lagged(n)) => eprintln!("({n} requests not shown)"),
                    Err(RecvError::Closed) => break,
                }
            }
        })
    });
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{}", handle.base_url());
        let _ = out.flush();
    }
    eprintln!(
        "segment-console sandbox: serving {} (state at /_sandbox/state); Ctrl+C stops it",
        handle.base_url()
    );
    signals.wait().await;
    handle.shutdown().await;
    if let Some(log) = log {
        // The log ends once the server is gone; wait briefly so the last lines are printed.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(500), log).await;
    }
    eprintln!("segment-console sandbox: stopped");
    ExitCode::SUCCESS
}

/// Ctrl+C, and on Unix also SIGTERM (what process managers send). Listening starts when this
/// is made, so a signal that comes before the wait begins is not lost.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(windows)]
    ctrl_c: tokio::signal::windows::CtrlC,
}

impl StopSignals {
    pub fn listen() -> std::io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(windows)]
        {
            Ok(StopSignals {
                ctrl_c: tokio::signal::windows::ctrl_c()?,
            })
        }
    }

    pub async fn wait(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(windows)]
        self.ctrl_c.recv().await;
    }
}
