//! The open event set: its events, which one the composer edits, and whether it has unsaved
//! changes. The list on the left draws it.

use crate::app::command::{Action, Command, with_shortcut};
use crate::app::model::library::Library;

pub fn show(
    ui: &mut egui::Ui,
    lib: &mut Library,
    batch: Option<&crate::batch::Progress>,
    commands: &mut Vec<Command>,
) {
    let label = ui
        .horizontal(|ui| {
            let label = ui.label("Set");
            if lib.dirty {
                ui.label("•").on_hover_text("Unsaved changes");
            }
            label
        })
        .inner;
    // The name wraps onto more lines rather than scrolling out of sight in a narrow panel; it
    // stays one line of text (Enter inserts nothing, and pasted line breaks become spaces).
    let mut name = lib.set.name.clone();
    let r = ui
        .add(
            egui::TextEdit::multiline(&mut name)
                .hint_text("Untitled set")
                .desired_rows(1)
                .desired_width(f32::INFINITY)
                .return_key(None)
                .font(egui::TextStyle::Heading),
        )
        .labelled_by(label.id)
        .on_hover_text(match &lib.path {
            Some(p) => format!("Rename the set. File: {}", p.display()),
            None => "Rename the set. Not saved to a file yet".into(),
        });
    if r.changed() {
        commands.push(Command::RenameSet(name.replace(['\n', '\r'], " ")));
    }
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Open event set…")
            .on_hover_text(with_shortcut(ui.ctx(), Action::Open))
            .clicked()
        {
            commands.push(Command::Run(Action::Open));
        }
        if ui
            .button("Save event set")
            .on_hover_text(with_shortcut(ui.ctx(), Action::Save))
            .clicked()
        {
            commands.push(Command::Run(Action::Save));
        }
    });
    ui.horizontal(|ui| {
        if ui
            .button("+ New")
            .on_hover_text(with_shortcut(ui.ctx(), Action::NewEvent))
            .clicked()
        {
            commands.push(Command::Run(Action::NewEvent));
        }
        if ui
            .add_enabled(lib.selected.is_some(), egui::Button::new("Duplicate"))
            .on_hover_text(with_shortcut(ui.ctx(), Action::Duplicate))
            .clicked()
        {
            commands.push(Command::Run(Action::Duplicate));
        }
        if ui
            .add_enabled(
                batch.is_none() && !lib.set.events.is_empty(),
                egui::Button::new("Send all"),
            )
            .on_hover_text(with_shortcut(ui.ctx(), Action::SendAll))
            .clicked()
        {
            commands.push(Command::Run(Action::SendAll));
        }
    });
    if let Some(p) = batch {
        ui.horizontal(|ui| {
            let frac = if p.total == 0 {
                1.0
            } else {
                p.done as f32 / p.total as f32
            };
            ui.add(
                egui::ProgressBar::new(frac)
                    .desired_width(ui.available_width() - 70.0)
                    .text(format!(
                        "{}/{} done, {} failed",
                        p.done,
                        p.total,
                        p.problems()
                    )),
            )
            .on_hover_text(p.to_string());
            if ui
                .button("Cancel")
                .on_hover_text("Cancel the batch")
                .clicked()
            {
                commands.push(Command::Run(Action::CancelSend));
            }
        });
    }
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        ui.add(
            egui::TextEdit::singleline(&mut lib.filter)
                .hint_text("events of the set")
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id)
        .on_hover_text("Filter the events of the set by text");
    });
    ui.separator();
    let scratch = lib.selected.is_none();
    if ui
        .selectable_label(scratch, "Scratch event")
        .on_hover_text("An event that belongs to no file")
        .clicked()
    {
        commands.push(Command::SelectEvent(None));
    }
    let filter = lib.filter.to_lowercase();
    let n = lib.set.events.len();
    egui::ScrollArea::vertical()
        .id_salt("library-list")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for i in 0..n {
                let label = lib.label(i).to_string();
                if !filter.is_empty() && !label.to_lowercase().contains(&filter) {
                    continue;
                }
                let selected = lib.selected == Some(i);
                // A row is clicked to select it, or dragged onto another to move the event there.
                let r = ui.add(
                    egui::Button::selectable(selected, format!("{}. {label}", i + 1))
                        .sense(egui::Sense::click_and_drag()),
                );
                if r.drag_started() {
                    egui::DragAndDrop::set_payload(ui.ctx(), i);
                }
                if r.clicked() {
                    commands.push(Command::SelectEvent(Some(i)));
                }
                if let Some(from) = r.dnd_release_payload::<usize>()
                    && *from != i
                {
                    commands.push(Command::MoveEvent { from: *from, to: i });
                }
                r.context_menu(|ui| {
                    if ui.button("Move up").clicked() && i > 0 {
                        commands.push(Command::MoveEvent { from: i, to: i - 1 });
                        ui.close();
                    }
                    if ui.button("Move down").clicked() && i + 1 < n {
                        commands.push(Command::MoveEvent { from: i, to: i + 1 });
                        ui.close();
                    }
                    if ui.button("Delete").clicked() {
                        commands.push(Command::DeleteEvent(i));
                        ui.close();
                    }
                });
            }
        });
}
