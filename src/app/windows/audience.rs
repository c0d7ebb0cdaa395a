//! The audience sync builder: an audience, a list of user ids and entered or exited become the
//! identify events Engage sends (and the track variant when asked), added to the open set.

use crate::app::command::Command;
use crate::app::model::audience::AudienceForm;
use crate::app::theme::palette;

/// A labelled text field, one row of the form's grid.
fn field(ui: &mut egui::Ui, label: &str, value: &mut String, hover: &str) {
    let l = ui.label(label);
    ui.add(egui::TextEdit::singleline(value).desired_width(260.0))
        .labelled_by(l.id)
        .on_hover_text(hover);
    ui.end_row();
}

pub fn show(ctx: &egui::Context, form: &mut AudienceForm, commands: &mut Vec<Command>) {
    let mut open = form.open;
    egui::Window::new("Audience sync")
        .open(&mut open)
        .default_width(420.0)
        .show(ctx, |ui| {
            ui.label(
                "The events Engage sends when users enter or leave an audience, added to the \
                 open set after the selected event.",
            );
            egui::Grid::new("audience-fields")
                .num_columns(2)
                .show(ui, |ui| {
                    field(ui, "Audience name", &mut form.name, "As named in Engage");
                    field(
                        ui,
                        "Space id",
                        &mut form.space_id,
                        "The Engage space (namespace spa_<space id>)",
                    );
                    field(
                        ui,
                        "Computation id",
                        &mut form.computation_id,
                        "The audience's computation id",
                    );
                });
            ui.weak(format!("Trait key: {}", form.audience().key()));
            let l = ui.label("User ids, one a line");
            ui.add(
                egui::TextEdit::multiline(&mut form.users)
                    .desired_rows(5)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(l.id)
            .on_hover_text("User ids, one a line or separated by commas");
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.entered, true, "Entered")
                    .on_hover_text("The users entered the audience (trait true)");
                ui.radio_value(&mut form.entered, false, "Exited")
                    .on_hover_text("The users left the audience (trait false)");
            });
            ui.checkbox(&mut form.with_track, "Also the track variant")
                .on_hover_text(
                    "Add an Audience Entered or Audience Exited track after each identify",
                );
            let problem = form.problem();
            let n = form.user_ids().len() * if form.with_track { 2 } else { 1 };
            ui.horizontal(|ui| {
                let add = ui
                    .add_enabled(problem.is_none(), egui::Button::new("Add to set"))
                    .on_hover_text(format!("Add {n} event(s) to the open set"))
                    .on_disabled_hover_text(problem.unwrap_or_default());
                if add.clicked() {
                    commands.push(Command::AddEvents(form.events()));
                }
                match problem {
                    Some(p) => {
                        ui.colored_label(palette(ui).warning, p);
                    }
                    None => {
                        ui.label(format!("{n} event(s)"));
                    }
                }
            });
        });
    form.open = open;
}
