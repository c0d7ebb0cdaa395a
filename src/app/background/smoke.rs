//! Smoke mode (`SEGMENT_CONSOLE_SMOKE=1`): the real window opens, sends the tour set to the
//! embedded sandbox for Salesmachine one event after another, prints what it saw, and closes.
//! CI runs it under Xvfb.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the smoke run found; `main` reads it after the window closes to pick the exit code.
#[derive(Clone, Debug, Default)]
pub struct SmokeResult {
    pub first_frame_ms: Option<u128>,
    pub sent: usize,
    pub ok: usize,
    pub expected: usize,
    pub finished: bool,
    pub error: Option<String>,
}

impl SmokeResult {
    pub fn passed(&self) -> bool {
        self.finished && self.error.is_none() && self.expected > 0 && self.ok == self.expected
    }
}

pub struct Smoke {
    pub(crate) started: Instant,
    pub result: Arc<Mutex<SmokeResult>>,
    pub(crate) queue: Option<Vec<serde_json::Value>>,
    pub(crate) waiting: bool,
    pub(crate) deadline: Duration,
    /// The first frame has been reported.
    drawn: bool,
}

impl Smoke {
    pub fn new(process_start: Instant, result: Arc<Mutex<SmokeResult>>) -> Smoke {
        Smoke {
            started: process_start,
            result,
            queue: None,
            waiting: false,
            deadline: Duration::from_secs(60),
            drawn: false,
        }
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut SmokeResult)) {
        if let Ok(mut r) = self.result.lock() {
            f(&mut r);
        }
    }

    /// A frame was drawn: the first one is reported, with the time since the process started.
    pub fn frame_drawn(&mut self) {
        if std::mem::replace(&mut self.drawn, true) {
            return;
        }
        let ms = self.started.elapsed().as_millis();
        println!("SMOKE first_frame_ms={ms}");
        self.update(|r| r.first_frame_ms = Some(ms));
    }

    pub fn sent(&mut self, ok: bool) {
        self.waiting = false;
        self.update(|r| {
            r.sent += 1;
            if ok {
                r.ok += 1;
            }
        });
    }
}
