//! Smoke mode (`SEGMENT_CONSOLE_SMOKE=1`): the real window opens, sends the tour set to the
//! embedded sandbox for Salesmachine one event after another, prints what it saw, and closes.
//! CI runs it under Xvfb.

use crate::app::App;
use std::time::Duration;

impl App {
    pub(crate) fn smoke_step(&mut self, ctx: &egui::Context) {
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
        if let crate::app::SandboxState::Failed(e) = &self.sandbox {
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
            let events: Vec<_> = crate::app::model::library::tour()
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
