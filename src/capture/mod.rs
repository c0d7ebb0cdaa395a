//! Capture (docs/capture.md): the console as a local stand-in for Segment. An app's own Segment
//! SDK posts to this server on 127.0.0.1 exactly as it would to Segment's Tracking API; every
//! event is validated, translated for the destinations picked, committed to the history (marked
//! captured) and, when forwarding is on, sent to each destination's target, before the SDK gets
//! its 200. Tests read what arrived through `/_capture` (in the style of Snowplow Micro).
//!
//! - `wire`: what the SDKs post (paths, gzip, limits, batch merging, write keys): pure;
//! - `pipeline`: what happens to one event (the one place findings are computed), forwarding;
//! - `record`: the API's view of a captured event, the counters, duplicates, the bounded ring;
//! - `writer`: the history's one writer, committing each request's entries in one transaction;
//! - `faults`: source-side faults (status, latency, dropped connection) for watching SDK retries;
//! - `server`: the axum server, CORS, the settings path; `api`: `/_capture/...`.

mod api;
pub mod faults;
mod pipeline;
pub mod record;
mod server;
pub mod wire;
mod writer;

pub use faults::{SourceFault, parse_fault};
pub use pipeline::{findings, mask_key};
pub use record::{
    CapturedEvent, DestinationCounts, DestinationResult, Filter, Forwarded, Summary, Translation,
};
pub use server::{Capture, CaptureControl, CaptureHandle};

use crate::destinations::{Destination, Mode, Settings, Target};
use crate::history::History;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The port `segment-console capture` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7312;
/// Captured events the API and the window can list; older ones stay in the history only.
pub const DEFAULT_KEEP: usize = 10_000;

/// One destination every captured event is translated for.
#[derive(Clone)]
pub struct DestinationSetup {
    pub destination: &'static dyn Destination,
    pub settings: Settings,
    pub mode: Mode,
}

impl std::fmt::Debug for DestinationSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Settings hold secrets: only the id and the mode are shown.
        f.debug_struct("DestinationSetup")
            .field("destination", &self.destination.id())
            .field("mode", &self.mode)
            .finish()
    }
}

/// Where translated requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Forward {
    /// Translated and shown, never sent.
    None,
    /// Sent to this target (the sandbox, the partners' live APIs or a URL).
    To(Target),
}

/// The base translations are made for when nothing is forwarded: the sandbox's paths on a port
/// nothing listens on, so a preview shows the sandbox's URLs and nothing can reach them.
pub const NOT_FORWARDED_BASE: &str = "http://127.0.0.1:0";

impl Forward {
    /// The target requests are built for.
    pub fn target(&self) -> Target {
        match self {
            Forward::None => Target::Sandbox {
                base: NOT_FORWARDED_BASE.into(),
            },
            Forward::To(t) => t.clone(),
        }
    }

    pub fn label(&self) -> String {
        match self {
            Forward::None => "none".into(),
            Forward::To(t) => t.label(),
        }
    }
}

/// Called with each captured event once it is committed, in the order of commits: the command
/// line prints a line per event from it. Sending waits for room, so nothing is lost and a slow
/// reader slows the SDK's replies rather than filling memory.
pub type Tap = tokio::sync::mpsc::Sender<Arc<CapturedEvent>>;

pub struct CaptureConfig {
    /// Must be a loopback address: capture is never reachable from other machines.
    pub address: IpAddr,
    /// 0 picks any free port.
    pub port: u16,
    /// The write keys accepted; empty accepts every key (and none).
    pub write_keys: Vec<String>,
    pub destinations: Vec<DestinationSetup>,
    /// A tracking plan each event is checked against; its error violations make the event
    /// invalid, as the Segment spec's errors do.
    pub plan: Option<std::sync::Arc<crate::plan::Plan>>,
    pub forward: Forward,
    /// Source-side faults in force from the first request.
    pub faults: Vec<SourceFault>,
    /// Where every captured event is committed before the SDK gets its reply.
    pub history: History,
    /// Events kept in memory for `/_capture/events` and the window (the oldest go first).
    pub keep: usize,
    pub tap: Option<Tap>,
}

impl CaptureConfig {
    /// Loopback, any free port, every key accepted, no destination, nothing forwarded.
    pub fn new(history: History) -> CaptureConfig {
        CaptureConfig {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            write_keys: Vec::new(),
            destinations: Vec::new(),
            plan: None,
            forward: Forward::None,
            faults: Vec::new(),
            history,
            keep: DEFAULT_KEEP,
            tap: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("capture listens on loopback only, not on {0}")]
    NotLoopback(IpAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the HTTP client that forwards events: {0}")]
    Transport(String),
    #[error("cannot start the history's writer thread: {0}")]
    Thread(std::io::Error),
}

impl CaptureError {
    /// True when the port is taken by another program.
    pub fn port_in_use(&self) -> bool {
        matches!(self, CaptureError::Bind { source, .. }
            if source.kind() == std::io::ErrorKind::AddrInUse)
    }
}
