//! The command palette (Ctrl+K): every command by name, filtered as you type.

use crate::app::command::{Action, COMMANDS, Command};

/// The palette's own state: whether it is open, and what is typed into it.
#[derive(Default)]
pub(crate) struct PaletteState {
    pub open: bool,
    pub query: String,
}

/// The palette, when open; the command chosen goes to `commands`.
pub(crate) fn show(ctx: &egui::Context, palette: &mut PaletteState, commands: &mut Vec<Command>) {
    if !palette.open {
        return;
    }
    let mut open = true;
    let mut chosen = None;
    egui::Window::new("Command palette")
        .open(&mut open)
        .collapsible(false)
        .anchor(egui::Align2::CENTER_TOP, [0.0, 60.0])
        .show(ctx, |ui| {
            let r = ui
                .add(egui::TextEdit::singleline(&mut palette.query).hint_text("Type a command"))
                .on_hover_text("Command palette search");
            r.request_focus();
            let q = palette.query.to_lowercase();
            let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
            let matches = COMMANDS
                .iter()
                .filter(|c| c.action != Action::Palette && c.name.to_lowercase().contains(&q));
            for (i, c) in matches.enumerate() {
                let shortcut = c
                    .shortcut
                    .as_ref()
                    .map(|k| ui.ctx().format_shortcut(k))
                    .unwrap_or_default();
                let b = egui::Button::new(c.name).shortcut_text(shortcut);
                if ui.add(b).clicked() || (enter && i == 0) {
                    chosen = Some(c.action);
                }
            }
        });
    if let Some(a) = chosen {
        commands.push(Command::Run(a));
        palette.open = false;
    }
    if !open || ctx.input(|i| i.key_pressed(egui::Key::Escape)) {
        palette.open = false;
    }
}
