//! The Live pane (docs/capture.md): captured events as they arrive, in a virtualised table over
//! the model's bounded rows (only the rows on screen are laid out, so thousands of events a
//! second cost a frame the same as ten), with pause, clear, a filter, the counts by outcome
//! and the rate. What the user asks of an event is returned, not done: the caller previews it,
//! adds it to the event set or opens it in the composer.

use crate::app::model::capture::{CaptureForm, LiveModel, plan_verdict, snippets};
use crate::app::theme::palette;
use crate::capture::CapturedEvent;
use serde_json::Value;
use std::time::Instant;

/// What the user asked of the pane's events.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveAction {
    /// A row was selected: show this event in the preview (source beside the requests).
    Preview(Value),
    AddToSet(Value),
    OpenInComposer(Value),
}

/// What the user asked of the Capture switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchAction {
    Start,
    Stop,
}

/// The Capture switch in the top bar: off, the form (port, write keys, destinations,
/// forwarding); on, the base URL and the snippets that point each SDK at it.
pub fn switch_bar(
    ui: &mut egui::Ui,
    form: &mut CaptureForm,
    base_url: Option<&str>,
    stopping: bool,
) -> Option<SwitchAction> {
    let mut action = None;
    let p = palette(ui);
    ui.horizontal_wrapped(|ui| {
        if stopping {
            // What was in flight is being committed and answered; the port closes after.
            ui.add_enabled(false, egui::Button::new("Capture"));
            ui.spinner();
            ui.label("Stopping capture…");
            return;
        }
        let mut on = base_url.is_some();
        if ui
            .toggle_value(&mut on, "Capture")
            .on_hover_text("Receive events from your app's own Segment SDK on 127.0.0.1")
            .changed()
        {
            action = Some(if on {
                SwitchAction::Start
            } else {
                SwitchAction::Stop
            });
        }
        match base_url {
            Some(url) => {
                ui.label("Point your SDK at");
                ui.monospace(url);
                if ui.button("Copy").clicked() {
                    ui.ctx().copy_text(url.to_string());
                }
                let key = form
                    .keys()
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| "YOUR_WRITE_KEY".into());
                ui.menu_button("Snippets", |ui| {
                    for (lang, text) in snippets(url, &key) {
                        ui.horizontal(|ui| {
                            ui.strong(lang);
                            if ui.button("Copy").clicked() {
                                ui.ctx().copy_text(text.clone());
                            }
                        });
                        ui.monospace(text);
                        ui.separator();
                    }
                });
            }
            None => {
                let label = ui.label("Port");
                ui.add(egui::TextEdit::singleline(&mut form.port).desired_width(50.0))
                    .labelled_by(label.id);
                let label = ui.label("Write keys");
                ui.add(
                    egui::TextEdit::singleline(&mut form.write_keys)
                        .hint_text("any key")
                        .desired_width(140.0),
                )
                .labelled_by(label.id);
                ui.menu_button(
                    format!("Destinations ({})", form.destinations.len()),
                    |ui| {
                        for d in crate::destinations::registry() {
                            let mut on = form.destinations.contains(&d.id());
                            if ui.checkbox(&mut on, d.id()).changed() {
                                form.toggle(d.id());
                            }
                        }
                    },
                );
                ui.checkbox(&mut form.forward, "Forward to the sandbox");
            }
        }
        if let Some(e) = &form.error {
            ui.colored_label(p.error, e);
        }
    });
    action
}

pub fn show(ui: &mut egui::Ui, model: &mut LiveModel, now: Instant) -> Option<LiveAction> {
    let mut action = None;
    let p = palette(ui);
    ui.horizontal_wrapped(|ui| {
        ui.heading("Live");
        let pause = if model.paused { "Resume" } else { "Pause" };
        if ui
            .button(pause)
            .on_hover_text("New events are still counted while paused")
            .clicked()
        {
            model.paused = !model.paused;
        }
        if ui.button("Clear").clicked() {
            model.clear();
        }
        let label = ui.label("Filter");
        ui.add(
            egui::TextEdit::singleline(&mut model.filter)
                .hint_text("type, name or user")
                .desired_width(160.0),
        )
        .labelled_by(label.id);
        let c = model.counts();
        ui.label(format!("{:.0} events/s", model.rate(now)));
        ui.label(format!("{} events", c.events));
        ui.colored_label(p.ok, format!("{} valid", c.valid));
        if c.invalid > 0 {
            ui.colored_label(p.error, format!("{} invalid", c.invalid));
        }
        if c.dropped > 0 {
            ui.colored_label(p.error, format!("{} dropped", c.dropped));
        }
        if c.duplicates > 0 {
            ui.colored_label(p.warning, format!("{} duplicates", c.duplicates));
        }
        if c.delivered + c.failed > 0 {
            ui.label(format!("{} delivered, {} failed", c.delivered, c.failed));
        }
    });
    if let Some(e) = model.selected_event().cloned() {
        ui.horizontal(|ui| {
            ui.label(format!("#{} {} {}", e.seq, e.call_type, e.name));
            if ui.button("Add to event set").clicked() {
                action = Some(LiveAction::AddToSet(e.event.clone()));
            }
            if ui.button("Open in composer").clicked() {
                action = Some(LiveAction::OpenInComposer(e.event.clone()));
            }
        });
        details(ui, &e);
    }
    if let Some(seq) = table(ui, model) {
        model.selected = Some(seq);
        if let Some(e) = model.selected_event() {
            action = Some(LiveAction::Preview(e.event.clone()));
        }
    }
    action
}

/// The selected event's source beside what each destination receives for it.
fn details(ui: &mut egui::Ui, e: &CapturedEvent) {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    // At most 40% of the pane, so that the rows stay in sight when the window is short.
    let height = (ui.available_height() * 0.4).clamp(60.0, 160.0);
    ui.columns(2, |cols| {
        egui::ScrollArea::vertical()
            .id_salt("live-source")
            .max_height(height)
            .show(&mut cols[0], |ui| {
                ui.strong("Source");
                ui.monospace(pretty(&e.event));
            });
        egui::ScrollArea::vertical()
            .id_salt("live-requests")
            .max_height(height)
            .show(&mut cols[1], |ui| {
                for f in &e.findings {
                    ui.label(f.to_string());
                }
                for d in &e.destinations {
                    ui.strong(format!("{}: {}", d.id, d.short()));
                    if let Some(r) = &d.reason {
                        ui.label(r);
                    }
                    if let Some(reqs) = d.translation.to_json().get("requests") {
                        ui.monospace(pretty(reqs));
                    }
                }
            });
    });
}

/// The Spec column's text: dropped, its errors counted, duplicate or valid.
fn spec_text(e: &CapturedEvent) -> String {
    if e.dropped.is_some() {
        "dropped".into()
    } else if !e.valid {
        let n = e.findings.iter().filter(|f| f.is_error()).count();
        format!("{n} error{}", if n == 1 { "" } else { "s" })
    } else if e.duplicate {
        "duplicate".into()
    } else {
        "valid".into()
    }
}

/// What a screen reader reads for a row: every cell, in the table's order.
fn row_name(e: &CapturedEvent, plan: Option<&str>) -> String {
    let what = [e.call_type.as_str(), e.name.as_str()]
        .iter()
        .filter(|t| !t.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let who = e
        .user_id
        .as_ref()
        .or(e.anonymous_id.as_ref())
        .map_or("no user", String::as_str);
    let plan = match plan {
        Some(_) => format!(", plan {}", plan_verdict(e, plan).1),
        None => String::new(),
    };
    let dests: Vec<String> = e
        .destinations
        .iter()
        .map(|d| format!("{} {}", d.id, d.short()))
        .collect();
    let dests = if dests.is_empty() {
        String::new()
    } else {
        format!(", {}", dests.join(", "))
    };
    format!(
        "{}, {what} from {who}, {}{plan}{dests}",
        e.received_at
            .with_timezone(&chrono::Local)
            .format("%H:%M:%S"),
        spec_text(e)
    )
}

/// The rows; returns the `seq` of a row clicked.
fn table(ui: &mut egui::Ui, model: &LiveModel) -> Option<u64> {
    use egui_extras::{Column, TableBuilder};
    let rows: Vec<&std::sync::Arc<CapturedEvent>> = model.visible();
    let p = palette(ui);
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let mut clicked = None;
    ui.style_mut().interaction.selectable_labels = false;
    TableBuilder::new(ui)
        .id_salt("live-table")
        .striped(true)
        .stick_to_bottom(true)
        .column(Column::initial(70.0))
        .column(Column::initial(70.0))
        .column(Column::initial(170.0).clip(true))
        .column(Column::initial(120.0).clip(true))
        .column(Column::initial(110.0))
        .column(Column::initial(110.0).clip(true))
        .column(Column::remainder().at_least(80.0).clip(true))
        .header(row_h, |mut h| {
            for title in [
                "Time",
                "Call",
                "Name",
                "User",
                "Spec",
                "Plan",
                "Destinations",
            ] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_h, rows.len(), |mut row| {
                let Some(e) = rows.get(row.index()) else {
                    return;
                };
                row.set_selected(model.selected == Some(e.seq));
                row.col(|ui| {
                    ui.label(
                        e.received_at
                            .with_timezone(&chrono::Local)
                            .format("%H:%M:%S")
                            .to_string(),
                    );
                });
                row.col(|ui| {
                    ui.label(&e.call_type);
                });
                row.col(|ui| {
                    ui.label(&e.name);
                });
                row.col(|ui| {
                    let who = e.user_id.as_ref().or(e.anonymous_id.as_ref());
                    ui.label(who.map_or("-", String::as_str));
                });
                row.col(|ui| {
                    let color = if e.dropped.is_some() || !e.valid {
                        p.error
                    } else if e.duplicate {
                        p.warning
                    } else {
                        p.ok
                    };
                    let r = ui.colored_label(color, spec_text(e));
                    if let Some(why) = &e.dropped {
                        r.on_hover_text(why);
                    }
                });
                row.col(|ui| {
                    let (verdict, text) = plan_verdict(e, model.plan.as_deref());
                    let color = p.verdict(verdict, ui.visuals().weak_text_color());
                    let kinds: Vec<String> = e
                        .findings
                        .iter()
                        .filter_map(|f| f.kind.as_ref().map(|k| format!("{k} at {}", f.path)))
                        .collect();
                    let r = ui.colored_label(color, text);
                    if !kinds.is_empty() {
                        r.on_hover_text(kinds.join("\n"));
                    }
                });
                // One widget per row, over its cells, as in the history: a screen reader finds
                // a row by what it reads and selects it, and Tab stops once per row.
                let cells = row.response().rect;
                let selected = model.selected == Some(e.seq);
                let name = row_name(e, model.plan.as_deref());
                row.col(|ui| {
                    let text: Vec<String> = e
                        .destinations
                        .iter()
                        .map(|d| format!("{}: {}", d.id, d.short()))
                        .collect();
                    ui.label(text.join(", "));
                    let r = crate::app::widgets::table_row(
                        ui,
                        cells.left(),
                        egui::Id::unique(("live-row", e.seq)),
                        &name,
                        selected,
                    );
                    if r.clicked() {
                        clicked = Some(e.seq);
                    }
                });
            });
        });
    clicked
}
