//! Smoke mode (`SEGMENT_CONSOLE_SMOKE=1`): the real window opens, sends the tour set to the
//! embedded sandbox for Salesmachine one event after another, prints what it saw, and closes.
//! CI runs it under Xvfb.

use super::App;
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
    started: Instant,
    pub result: Arc<Mutex<SmokeResult>>,
    queue: Option<Vec<serde_json::Value>>,
    waiting: bool,
    deadline: Duration,
}

impl Smoke {
    pub fn new(process_start: Instant, result: Arc<Mutex<SmokeResult>>) -> Smoke {
        Smoke {
            started: process_start,
            result,
            queue: None,
            waiting: false,
            deadline: Duration::from_secs(60),
        }
    }

    fn update(&self, f: impl FnOnce(&mut SmokeResult)) {
        if let Ok(mut r) = self.result.lock() {
            f(&mut r);
        }
    }

    pub fn first_frame(&mut self) {
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

impl App {
    pub(super) fn smoke_step(&mut self, ctx: &egui::Context) {
        let Some(smoke) = &mut self.smoke else { return };
        ctx.request_repaint_after(Duration::from_millis(50));
        if smoke.started.elapsed() > smoke.deadline {
            smoke.update(|r| r.error = Some("timed out".into()));
            return self.smoke_finish(ctx);
        }
        if smoke.waiting {
            return;
        }
        let has_queue = smoke.queue.is_some();
        if let super::SandboxState::Failed(e) = &self.sandbox {
            let e = e.clone();
            if let Some(s) = &self.smoke {
                s.update(|r| r.error = Some(format!("sandbox: {e}")));
            }
            return self.smoke_finish(ctx);
        }
        if self.sandbox_base().is_none() {
            return;
        }
        if !has_queue {
            self.persisted.destination = "salesmachine".into();
            // Only the calls Salesmachine accepts are sent; the others would send nothing.
            let dest = self.destination();
            let events: Vec<_> = super::tour()
                .events
                .into_iter()
                .filter(|e| {
                    e.get("type")
                        .and_then(|t| t.as_str())
                        .and_then(crate::event::CallType::parse)
                        .is_some_and(|c| dest.accepts(c))
                })
                .collect();
            let n = events.len();
            if let Some(smoke) = self.smoke.as_mut() {
                smoke.update(|r| r.expected = n);
                smoke.queue = Some(events.into_iter().rev().collect());
            }
            return;
        }
        let next = self.smoke.as_mut().and_then(|s| s.queue.as_mut()?.pop());
        match next {
            Some(e) => {
                if let Some(s) = &mut self.smoke {
                    s.waiting = true;
                }
                self.send_event(e);
            }
            None => self.smoke_finish(ctx),
        }
    }

    fn smoke_finish(&mut self, ctx: &egui::Context) {
        if let Some(s) = &self.smoke {
            s.update(|r| {
                r.finished = true;
                println!("SMOKE sent={} ok={}", r.sent, r.ok);
                if let Some(e) = &r.error {
                    println!("SMOKE error={e}");
                }
            });
        }
        self.smoke = None;
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}
