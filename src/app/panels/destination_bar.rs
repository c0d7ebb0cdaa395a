//! The destination bar: picker (with each one's accepted calls), mode, target, and the settings
//! form built from the destination's schema (secrets masked with reveal, checked as you type).

use crate::app::command::Command;
use crate::app::model::destination::{DestConfig, TargetChoice, map_value};
use crate::app::theme::palette;
use crate::app::widgets;
use crate::destinations::{self, Destination, SettingField, SettingKind, list_calls};
use serde_json::Value;
use std::collections::BTreeSet;

pub struct DestinationPane<'a> {
    pub dest: &'static dyn Destination,
    pub config: &'a mut DestConfig,
    pub revealed: &'a mut BTreeSet<String>,
    pub settings_open: &'a mut bool,
    pub commands: &'a mut Vec<Command>,
}

impl DestinationPane<'_> {
    pub fn show(self, ui: &mut egui::Ui) {
        let DestinationPane {
            dest,
            config,
            revealed,
            settings_open,
            commands,
        } = self;
        ui.horizontal_wrapped(|ui| {
            widgets::combo(ui, "Destination")
                .selected_text(dest.integration_name())
                .width(150.0)
                .show_ui(ui, |ui| {
                    for d in destinations::registry() {
                        let text = format!("{}  ({})", d.integration_name(), list_calls(d.calls()));
                        if ui.selectable_label(d.id() == dest.id(), text).clicked() {
                            commands.push(Command::SelectDestination(d.id()));
                        }
                    }
                });
            if dest.modes().len() > 1 {
                widgets::combo(ui, "Mode")
                    .selected_text(config.mode.as_str())
                    .show_ui(ui, |ui| {
                        for m in dest.modes() {
                            ui.selectable_value(&mut config.mode, *m, m.as_str());
                        }
                    });
            } else {
                ui.label(format!("mode: {}", config.mode.as_str()));
            }
            widgets::combo(ui, "Target")
                .selected_text(config.target.label())
                .show_ui(ui, |ui| {
                    let choices = [
                        TargetChoice::Sandbox,
                        TargetChoice::Live,
                        TargetChoice::Custom {
                            url: match &config.target {
                                TargetChoice::Custom { url } => url.clone(),
                                _ => "http://127.0.0.1:9000".into(),
                            },
                        },
                    ];
                    for c in choices {
                        let selected = c.label() == config.target.label();
                        if ui.selectable_label(selected, c.label()).clicked() && !selected {
                            config.target = c;
                        }
                    }
                });
            if let TargetChoice::Custom { url } = &mut config.target {
                ui.add(egui::TextEdit::singleline(url).desired_width(220.0))
                    .on_hover_text("Custom target URL");
            }
            if matches!(config.target, TargetChoice::Live) {
                ui.colored_label(palette(ui).warning, "Live: sends to the real partner API")
                    .on_hover_text(format!(
                        "Live base: {}",
                        dest.live_base(&config.settings)
                            .unwrap_or_else(|| "the webhookEndpoint setting".into())
                    ));
            }
            let label = if *settings_open {
                "Hide settings"
            } else {
                "Settings…"
            };
            if ui
                .button(label)
                .on_hover_text(crate::app::command::with_shortcut(
                    ui.ctx(),
                    crate::app::command::Action::DestinationSettings,
                ))
                .clicked()
            {
                *settings_open = !*settings_open;
            }
        });
        ui.label(egui::RichText::new(format!("Accepts {}", list_calls(dest.calls()))).weak());
        if *settings_open {
            settings_form(ui, dest, config, revealed);
        }
    }
}

fn settings_form(
    ui: &mut egui::Ui,
    dest: &'static dyn Destination,
    config: &mut DestConfig,
    revealed: &mut BTreeSet<String>,
) {
    let findings = destinations::kit::settings::check(
        dest.settings_schema(),
        &config.settings,
        config.mode,
        &config.target.resolve("http://127.0.0.1"),
    );
    let p = palette(ui);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong(format!("{} settings", dest.integration_name()));
        egui::Grid::new(("settings-form", dest.id()))
            .num_columns(2)
            .spacing([8.0, 4.0])
            .show(ui, |ui| {
                for spec in dest.settings_schema() {
                    let label = ui.label(spec.label).on_hover_text(spec.help);
                    ui.vertical(|ui| {
                        field(ui, spec, config, revealed, label.id);
                        let path = format!("settings.{}", spec.key);
                        for f in findings.iter().filter(|f| f.path == path) {
                            ui.colored_label(p.error, &f.message);
                        }
                    });
                    ui.end_row();
                }
            });
        ui.label(
            egui::RichText::new(
                "Settings are stored in your settings file (mode 0600), never in event sets.",
            )
            .weak(),
        );
    });
}

fn field(
    ui: &mut egui::Ui,
    spec: &SettingField,
    config: &mut DestConfig,
    revealed: &mut BTreeSet<String>,
    label: egui::Id,
) -> bool {
    let settings = &mut config.settings;
    match spec.kind {
        SettingKind::Bool => {
            let mut on = destinations::kit::settings::flag(&[*spec], settings, spec.key);
            let r = ui.checkbox(&mut on, "").labelled_by(label);
            if r.changed() {
                settings.insert(spec.key.into(), Value::Bool(on));
                return true;
            }
            false
        }
        SettingKind::Map => {
            let mut text = settings
                .get(spec.key)
                .map(|v| v.to_string())
                .unwrap_or_default();
            let r = ui
                .add(egui::TextEdit::singleline(&mut text).hint_text("{\"X-Header\": \"value\"}"))
                .labelled_by(label);
            if r.changed() {
                match map_value(&text) {
                    Some(v) => settings.insert(spec.key.into(), v),
                    None => settings.shift_remove(spec.key),
                };
                return true;
            }
            false
        }
        SettingKind::Text | SettingKind::Url => {
            let mut text = destinations::kit::settings::text(settings, spec.key);
            let key = format!("{}.{}", config.mode.as_str(), spec.key);
            let shown = !spec.secret || revealed.contains(&key);
            let mut changed = false;
            ui.horizontal(|ui| {
                let hint = spec.default.unwrap_or("").trim_matches('"');
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut text)
                            .password(!shown)
                            .hint_text(hint)
                            .desired_width(260.0),
                    )
                    .labelled_by(label);
                if r.changed() {
                    if text.is_empty() {
                        settings.shift_remove(spec.key);
                    } else {
                        settings.insert(spec.key.into(), Value::String(text.clone()));
                    }
                    changed = true;
                }
                if spec.secret {
                    let (icon, tip) = if shown {
                        ("Hide", format!("Hide {}", spec.label))
                    } else {
                        ("Show", format!("Reveal {}", spec.label))
                    };
                    if ui.small_button(icon).on_hover_text(tip).clicked() {
                        if shown {
                            revealed.remove(&key);
                        } else {
                            revealed.insert(key.clone());
                        }
                    }
                }
            });
            changed
        }
    }
}
