//! The Tools menu's windows (compare, fan-out, audience sync) and the history charts, joined
//! to the app: their state, when their models are brought up to date (in `logic`, only when
//! their inputs changed), and the commands they send.

use crate::app::App;
use crate::app::command::Action;
use crate::app::model::compare::{CompareCmd, Inputs};
use crate::app::model::fanout as fanout_model;
use crate::app::model::fanout::FanOut;
use crate::app::windows::{audience, compare as compare_view, fanout};
use serde_json::Value;
use std::hash::{DefaultHasher, Hash, Hasher};

impl App {
    /// Opens or closes a tool's window.
    pub(crate) fn tool_action(&mut self, a: Action) {
        let t = &mut self.tools;
        match a {
            Action::Compare => t.compare.open = !t.compare.open,
            Action::FanOut => t.fanout.open = !t.fanout.open,
            Action::AudienceBuilder => t.audience.open = !t.audience.open,
            _ => {}
        }
    }

    /// Adds events after the selected one (the audience builder's), and selects the last.
    pub(crate) fn add_events(&mut self, events: Vec<Value>) {
        if self.doc.error().is_some() {
            self.set_status(
                "Fix or undo the JSON error before adding events; nothing was added.",
                true,
            );
            return;
        }
        let n = events.len();
        for e in events {
            self.lib.add(e);
        }
        self.load_into_doc();
        self.set_status(format!("Added {n} event(s) to the set."), false);
    }

    pub(crate) fn compare_command(&mut self, c: CompareCmd) {
        self.tools.compare.apply(c);
    }

    fn fanout_key(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.doc.text().hash(&mut h);
        self.settings.revision().hash(&mut h);
        self.persisted.show_secrets.hash(&mut h);
        self.sandbox_base().hash(&mut h);
        h.finish()
    }

    /// Brings the tools' models up to date. Cheap when nothing they read has changed.
    pub(crate) fn refresh_tools(&mut self, ctx: &egui::Context) {
        let needs_fanout = self.tools.fanout.open || self.tools.compare.needs_fanout();
        if needs_fanout && let Some(event) = self.doc.value() {
            let key = self.fanout_key();
            if self.tools.fanout.model.as_ref().map(|m| m.key) != Some(key) {
                let base = self
                    .sandbox_base()
                    .unwrap_or_else(|| "http://127.0.0.1:0".into());
                let columns = fanout_model::compute(
                    event,
                    self.settings.store(),
                    &base,
                    self.persisted.show_secrets,
                    chrono::Utc::now(),
                );
                self.tools.fanout.model = Some(FanOut { key, columns });
            }
        }
        if self.tools.compare.open {
            let inputs = Inputs {
                doc_text: self.doc.text(),
                baseline: self.doc.baseline(),
                fanout: self.tools.fanout.model.as_ref(),
            };
            self.tools.compare.refresh(&inputs);
        }
        let generation = self.history.generation;
        let filter = self.history.filter();
        let charts = &mut self.history.charts;
        charts.poll();
        if charts.stale(generation) {
            let services = &self.services;
            let ctx = ctx.clone();
            charts.request(
                generation,
                filter,
                move || ctx.request_repaint(),
                |job| {
                    services.history(move |h| {
                        job(h);
                        None
                    })
                },
            );
        }
    }

    /// Draws the tools' windows.
    pub(crate) fn tools_ui(&mut self, ctx: &egui::Context) {
        let t = &mut self.tools;
        if t.compare.open {
            compare_view::show(ctx, &mut t.compare, t.fanout.model.as_ref());
        }
        if t.fanout.open {
            let error = self.doc.error().is_some();
            fanout::show(ctx, &mut t.fanout, error, &mut self.commands);
        }
        if t.audience.open {
            audience::show(ctx, &mut t.audience, &mut self.commands);
        }
    }
}
