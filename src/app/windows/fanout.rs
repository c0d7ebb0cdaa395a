//! Fan-out: the composer's event through every destination at once, one column each, with
//! each destination's own settings, mode and target. Computed once per change of the event or
//! the settings (never per frame); the compare view reads its requests too.

use crate::app::command::Command;
use crate::app::model::compare::{CompareCmd, SideName};
use crate::app::model::fanout::{Column, FanOutState};
use crate::app::theme::palette;
use crate::destinations::OutcomeKind;

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
