//! Fan-out: the composer's event through every destination at once, one column each, with
//! each destination's own settings, mode and target. Computed once per change of the event or
//! the settings (never per frame); the compare view reads its requests too.

use super::command::Command;
use super::compare::{CompareCmd, SideName};
use super::theme::palette;
use crate::destinations::{self, Body, OutcomeKind, PartnerRequest};
use crate::files::settings_store::SettingsStore;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// One request as the fan-out shows it (already masked unless secrets are revealed).
#[derive(Clone, Debug, PartialEq)]
pub struct RequestCell {
    pub description: String,
    /// `POST https://...`
    pub line: String,
    /// Pretty body text (JSON pretty-printed, a form as it is).
    pub body: String,
    /// The request as one JSON value (method, URL, headers, body), for the compare view.
    pub json: Value,
}

/// What one destination makes of the event.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub dest: &'static str,
    pub name: &'static str,
    pub mode: &'static str,
    pub target: String,
    pub kind: OutcomeKind,
    pub reason: Option<String>,
    pub findings: Vec<String>,
    pub notes: Vec<String>,
    pub requests: Vec<RequestCell>,
}

pub struct FanOut {
    /// What the columns were computed from (event text, settings, secrets shown, sandbox).
    pub key: u64,
    pub columns: Vec<Column>,
}

#[derive(Default)]
pub struct FanOutState {
    pub open: bool,
    pub model: Option<FanOut>,
}

/// The request as one JSON value: what the partner receives, without the console's own notes.
pub fn request_json(r: &PartnerRequest) -> Value {
    let mut headers = serde_json::Map::new();
    for h in &r.headers {
        headers.insert(h.name.clone(), Value::String(h.value.clone()));
    }
    let body = match &r.body {
        Body::Json(v) => v.clone(),
        Body::Form(s) => Value::String(s.clone()),
        Body::None => Value::Null,
    };
    serde_json::json!({"method": r.method, "url": r.url, "headers": headers, "body": body})
}

fn cell(r: &PartnerRequest) -> RequestCell {
    let body = match &r.body {
        Body::Json(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        Body::Form(s) => s.clone(),
        Body::None => String::new(),
    };
    RequestCell {
        description: r.description.clone(),
        line: format!("{} {}", r.method, r.url),
        body,
        json: request_json(r),
    }
}

/// The event through every destination of the registry, each with its stored configuration.
pub fn compute(
    event: &Value,
    store: &SettingsStore,
    sandbox_base: &str,
    show_secrets: bool,
    now: DateTime<Utc>,
) -> Vec<Column> {
    destinations::registry()
        .iter()
        .map(|d| {
            let settings = store.settings(d.id());
            let mode = store.mode(*d);
            let target = store.target(d.id(), sandbox_base);
            let outcome = destinations::translate(*d, event, &settings, mode, &target, now);
            Column {
                dest: d.id(),
                name: d.integration_name(),
                mode: mode.as_str(),
                target: target.label(),
                kind: outcome.kind,
                reason: outcome.reason.clone(),
                findings: outcome
                    .findings
                    .iter()
                    .map(|f| format!("{} at {}: {}", f.severity.as_str(), f.path, f.message))
                    .collect(),
                notes: outcome.notes.clone(),
                requests: outcome
                    .requests
                    .iter()
                    .map(|r| cell(&r.shown(show_secrets)))
                    .collect(),
            }
        })
        .collect()
}

pub fn show(
    ctx: &egui::Context,
    state: &mut FanOutState,
    json_error: bool,
    commands: &mut Vec<Command>,
) {
    let mut open = state.open;
    egui::Window::new("Fan-out")
        .open(&mut open)
        .default_size([1280.0, 620.0])
        .show(ctx, |ui| {
            ui.label(
                "The composer's event through every destination at once, each with its own \
                 settings, mode and target.",
            );
            if json_error {
                ui.colored_label(
                    palette(ui).warning,
                    "The composer's JSON has an error: these columns show the last good event.",
                );
            }
            let Some(model) = &state.model else {
                ui.spinner();
                return;
            };
            let n = model.columns.len().max(1);
            ui.columns(n, |cols| {
                for (col, c) in cols.iter_mut().zip(&model.columns) {
                    column(col, c, commands);
                }
            });
        });
    state.open = open;
}

fn column(ui: &mut egui::Ui, c: &Column, commands: &mut Vec<Command>) {
    let p = palette(ui);
    let region = egui::UiBuilder::new()
        .accessibility_role(egui::accesskit::Role::Region)
        .accessibility_label(format!("Fan-out {}", c.name))
        // Columns justify their children; wrapped text would be justified too (spaced out).
        .layout(egui::Layout::top_down(egui::Align::Min));
    ui.scope_builder(region, |ui| {
        ui.heading(c.name);
        ui.weak(format!("{} mode, {} target", c.mode, c.target));
        match c.kind {
            OutcomeKind::Requests => {
                ui.colored_label(
                    p.ok,
                    format!(
                        "{} request{}",
                        c.requests.len(),
                        if c.requests.len() == 1 { "" } else { "s" }
                    ),
                );
            }
            kind => {
                let (title, color) = match kind {
                    OutcomeKind::Skipped => ("Skipped", p.warning),
                    OutcomeKind::Unsupported => ("Unsupported", p.warning),
                    _ => ("Rejected", p.error),
                };
                ui.colored_label(color, egui::RichText::new(title).strong());
                if let Some(r) = &c.reason {
                    ui.label(r);
                }
            }
        }
        egui::ScrollArea::both()
            .id_salt(("fanout", c.dest))
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for f in &c.findings {
                    ui.colored_label(p.warning, f);
                }
                for note in &c.notes {
                    ui.label(egui::RichText::new(format!("Note: {note}")).italics());
                }
                for (i, r) in c.requests.iter().enumerate() {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.strong(format!("{}. {}", i + 1, r.description));
                        ui.add(egui::Label::new(egui::RichText::new(&r.line).monospace()).wrap());
                        ui.horizontal(|ui| {
                            for side in [SideName::Left, SideName::Right] {
                                if ui
                                    .small_button(format!("Compare as {}", side.word()))
                                    .on_hover_text(format!(
                                        "Show {} request {} on the {} of the compare view",
                                        c.name,
                                        i + 1,
                                        side.word()
                                    ))
                                    .clicked()
                                {
                                    commands.push(Command::Compare(CompareCmd::Destination {
                                        side,
                                        dest: c.dest,
                                        index: i,
                                    }));
                                }
                            }
                        });
                        if !r.body.is_empty() {
                            ui.add(
                                egui::Label::new(egui::RichText::new(&r.body).monospace()).extend(),
                            );
                        }
                    });
                    ui.add_space(4.0);
                }
            });
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_destination_gets_a_column_with_its_outcome() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SettingsStore::defaults(&dir.path().join("settings.json"));
        let event = json!({"type": "track", "userId": "u_1", "event": "Order Completed",
            "messageId": "m-1", "timestamp": "2026-01-02T03:04:05Z"});
        let now = DateTime::parse_from_rfc3339("2026-01-02T03:04:06Z")
            .expect("time")
            .with_timezone(&Utc);
        let cols = compute(&event, &store, "http://127.0.0.1:9", false, now);
        let ids: Vec<&str> = cols.iter().map(|c| c.dest).collect();
        let expected: Vec<&str> = destinations::registry().iter().map(|d| d.id()).collect();
        assert_eq!(ids, expected);
        for c in &cols {
            match c.kind {
                OutcomeKind::Requests => {
                    assert!(!c.requests.is_empty(), "{}", c.dest);
                    let r = &c.requests[0];
                    assert_eq!(r.json["method"], r.line.split(' ').next().unwrap_or(""));
                    assert!(r.line.contains("http://127.0.0.1:9/"), "{}", r.line);
                }
                _ => assert!(c.reason.is_some(), "{}", c.dest),
            }
        }
    }

    #[test]
    fn request_json_holds_what_the_partner_receives() {
        let r = PartnerRequest::post("https://x.example/a", "A")
            .header("Content-Type", "application/json")
            .json(json!({"k": 1}));
        assert_eq!(
            request_json(&r),
            json!({"method": "POST", "url": "https://x.example/a",
                "headers": {"Content-Type": "application/json"}, "body": {"k": 1}})
        );
    }
}
