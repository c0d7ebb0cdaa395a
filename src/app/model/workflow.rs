//! Keeping work safe and sending whole sets: "Send all" as a batch with progress, autosave of
//! unsaved changes (offered back after a crash), and the question before unsaved work is dropped.

use crate::batch::{BatchRun, Progress};
use crate::files::event_set::{self, EventSet};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// What the autosave remembers besides the events.
/// The autosave folder's files: the events, and what the autosave remembers besides them.
pub const AUTOSAVE_SET: &str = "unsaved.json";
pub const AUTOSAVE_META: &str = "unsaved.meta.json";

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AutosaveMeta {
    pub path: Option<PathBuf>,
    pub saved_at: String,
}

/// Work that waits for an answer about unsaved changes.
#[derive(Clone, Debug, PartialEq)]
pub enum Pending {
    Open(Option<PathBuf>),
    New,
    Close,
}

pub struct Workflow {
    pub batch: Option<BatchRun>,
    pub batch_progress: Progress,
    pub batch_started: Option<Instant>,
    pub last_autosave: Option<Instant>,
    /// The library revision the last autosave wrote.
    pub(crate) autosaved: Option<u64>,
    /// The set found in the autosave folder at start, offered back.
    pub recovered: Option<(EventSet, AutosaveMeta)>,
    pub pending: Option<Pending>,
    pub allow_close: bool,
    /// An export's text while the user picks where to write it.
    pub pending_export: Option<String>,
}

impl Workflow {
    pub fn new(autosave_dir: &std::path::Path) -> Workflow {
        let set = event_set::open(&autosave_dir.join(AUTOSAVE_SET)).ok();
        let meta = std::fs::read_to_string(autosave_dir.join(AUTOSAVE_META))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        Workflow {
            batch: None,
            batch_progress: Progress::default(),
            batch_started: None,
            last_autosave: None,
            autosaved: None,
            recovered: set.map(|l| (l.set, meta)),
            pending: None,
            allow_close: false,
            pending_export: None,
        }
    }
}
