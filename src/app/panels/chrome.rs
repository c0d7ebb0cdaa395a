//! The window's frame around the panes: the menu bar, the status bar, and the send bar with
//! the last response.

use crate::app::command::{self, Action, Command, with_shortcut};
use crate::app::panels::exchange as exchange_view;
use crate::app::{SandboxState, Status, theme};
use crate::transport::SendReport;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The menus (every command with its shortcut, and the recent files) and the sandbox's address.
pub fn menu_bar(
    ui: &mut egui::Ui,
    recent_files: &[PathBuf],
    sandbox: &SandboxState,
    commands: &mut Vec<Command>,
) {
    egui::MenuBar::new().ui(ui, |ui| {
        let menus: [(&str, &[Action]); 5] = [
            (
                "File",
                &[
                    Action::NewSet,
                    Action::Open,
                    Action::Save,
                    Action::SaveAs,
                    Action::LoadPlan,
                    Action::UnloadPlan,
                    Action::DraftPlan,
                ],
            ),
            (
                "Event",
                &[
                    Action::NewEvent,
                    Action::Duplicate,
                    Action::FillIds,
                    Action::Undo,
                    Action::Redo,
                ],
            ),
            (
                "Request",
                &[
                    Action::Send,
                    Action::SendAll,
                    Action::CancelSend,
                    Action::CopyCurl,
                    Action::ExportPostman,
                ],
            ),
            (
                "View",
                &[
                    Action::ToggleLayout,
                    Action::ToggleTheme,
                    Action::DestinationSettings,
                    Action::FilterHistory,
                    Action::Palette,
                ],
            ),
            (
                "Tools",
                &[Action::Compare, Action::FanOut, Action::AudienceBuilder],
            ),
        ];
        for (title, actions) in menus {
            ui.menu_button(title, |ui| {
                if title == "File" && !recent_files.is_empty() {
                    ui.menu_button("Open recent", |ui| {
                        for p in recent_files {
                            if ui.button(p.display().to_string()).clicked() {
                                commands.push(Command::OpenPath(p.clone()));
                                ui.close();
                            }
                        }
                    });
                }
                for a in actions {
                    let spec = command::entry(*a);
                    let mut b = egui::Button::new(spec.name);
                    if let Some(k) = &spec.shortcut {
                        b = b.shortcut_text(ui.ctx().format_shortcut(k));
                    }
                    if ui.add(b).clicked() {
                        commands.push(Command::Run(*a));
                        ui.close();
                    }
                }
            });
        }
        ui.with_layout(
            egui::Layout::right_to_left(egui::Align::Center),
            |ui| match sandbox {
                SandboxState::Ready(h) => {
                    ui.weak(format!("sandbox {}", h.control().base_url()));
                }
                SandboxState::Starting => {
                    ui.weak("sandbox starting…");
                }
                SandboxState::Failed(e) => {
                    ui.colored_label(theme::palette(ui).error, "sandbox off")
                        .on_hover_text(e.clone());
                }
            },
        );
    });
}

/// The last status message, in the error colour when it is one.
pub fn status_bar(ui: &mut egui::Ui, status: Option<&Status>) {
    ui.horizontal(|ui| {
        if let Some(s) = status {
            let p = theme::palette(ui);
            let color = if s.error {
                p.error
            } else {
                ui.visuals().text_color()
            };
            ui.colored_label(color, &s.text);
        } else {
            ui.weak("Ready. Ctrl+K opens the command palette.");
        }
    });
}

/// *Send*, enabled when the event can be sent, and while a send runs (`started`) its time and
/// *Cancel*.
pub fn send_bar(
    ui: &mut egui::Ui,
    rejected: bool,
    json_ok: bool,
    started: Option<Instant>,
    commands: &mut Vec<Command>,
) {
    let busy = started.is_some();
    ui.horizontal(|ui| {
        let send = ui
            .add_enabled(!rejected && !busy && json_ok, egui::Button::new("Send"))
            .on_hover_text(with_shortcut(ui.ctx(), Action::Send))
            .on_disabled_hover_text(if rejected {
                "Fix the errors listed in the preview to send"
            } else {
                "Sending… or the JSON has an error"
            });
        if send.clicked() {
            commands.push(Command::Run(Action::Send));
        }
        if let Some(started) = started {
            ui.spinner();
            ui.label(format!("{:.1} s", started.elapsed().as_secs_f32()));
            if ui
                .button("Cancel")
                .on_hover_text("Cancel the send")
                .clicked()
            {
                commands.push(Command::Run(Action::CancelSend));
            }
            ui.ctx().request_repaint_after(Duration::from_millis(100));
        }
    });
}

/// The last finished send's report, request by request.
pub fn response_section(ui: &mut egui::Ui, report: Option<&SendReport>) {
    let Some(report) = report else {
        return;
    };
    egui::CollapsingHeader::new("Response")
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("last-response")
                .max_height(260.0)
                .show(ui, |ui| exchange_view::show_report(ui, report, "last"));
        });
}
