//! The composer: call type, the form fields of the call, a key-value editor for traits or
//! properties, and the raw JSON editor, all editing one `Document`.

use crate::app::command::{Action, Command};
use crate::app::model::document::{Document, container, form_fields};
use crate::app::widgets;
use crate::app::windowed_editor::WindowedEditor;
use crate::event::{CallType, Finding, Severity};

/// A value longer than this (as text) is not edited in its row but in the JSON editor: a
/// one-line text field holding a huge value (an order's thousands of line items) would cost
/// every frame what laying out, painting and describing the whole value to AccessKit costs,
/// and could not be read on one line anyway.
const ROW_VALUE_MAX: usize = 4_096;

/// Rows of the key-value editor while the user edits them (so a half-typed key survives frames).
#[derive(Default)]
pub struct KvEditor {
    rows: Vec<(String, String)>,
    /// The document revision these rows were read from.
    revision: Option<u64>,
    container: &'static str,
}

pub struct ComposerUi<'a> {
    pub doc: &'a mut Document,
    pub kv: &'a mut KvEditor,
    pub commands: &'a mut Vec<Command>,
    pub plan: PlanView<'a>,
}

/// The tracking plan as the composer shows it: its name, why it could not be read, and the
/// event's violations (they never block a send).
pub struct PlanView<'a> {
    pub name: Option<String>,
    pub error: Option<&'a str>,
    pub violations: &'a [Finding],
}

impl ComposerUi<'_> {
    pub fn show(self, ui: &mut egui::Ui) {
        let ComposerUi {
            doc,
            kv,
            commands,
            plan,
        } = self;
        // Wrapped: a narrow composer (a wide preview beside it) keeps Undo and Redo in view.
        ui.horizontal_wrapped(|ui| {
            let current = doc.call_type();
            let label = current.map_or("(unknown)", |c| c.as_str());
            widgets::combo(ui, "Call type")
                .selected_text(label)
                .show_ui(ui, |ui| {
                    for c in CallType::ALL {
                        if ui
                            .selectable_label(current == Some(c), c.as_str())
                            .clicked()
                        {
                            commands.push(Command::SetCallType(c));
                        }
                    }
                });
            ui.menu_button("Samples", |ui| {
                for c in CallType::ALL {
                    if ui.button(format!("{c} sample")).clicked() {
                        commands.push(Command::LoadSample(c));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text("Replace the event with a realistic sample of a call");
            if ui
                .button("Fill ids and time")
                .on_hover_text("Set a missing messageId, timestamp and anonymousId")
                .clicked()
            {
                commands.push(Command::Run(Action::FillIds));
            }
            if ui
                .add_enabled(doc.can_undo(), egui::Button::new("Undo"))
                .on_hover_text("Undo event edit")
                .clicked()
            {
                commands.push(Command::Run(Action::Undo));
            }
            if ui
                .add_enabled(doc.can_redo(), egui::Button::new("Redo"))
                .on_hover_text("Redo event edit")
                .clicked()
            {
                commands.push(Command::Run(Action::Redo));
            }
        });
        plan_section(ui, &plan);
        ui.separator();
        // The form scrolls within a bit over half the height, so that a long list of traits
        // in a short window neither pushes the JSON editor out of sight nor runs under the
        // history's edge.
        let form_max = (ui.available_height() * 0.55).max(120.0);
        egui::ScrollArea::vertical()
            .id_salt("composer-form-scroll")
            .max_height(form_max)
            .auto_shrink([false, true])
            .show(ui, |ui| form(ui, doc, kv));
        ui.separator();
        raw_editor(ui, doc, commands);
    }
}

/// One line per violation under a heading naming the plan; nothing without a plan.
fn plan_section(ui: &mut egui::Ui, plan: &PlanView) {
    let Some(name) = &plan.name else {
        return;
    };
    let p = crate::app::theme::palette(ui);
    if let Some(e) = plan.error {
        ui.colored_label(p.error, format!("Tracking plan {name} not loaded: {e}"));
        return;
    }
    if plan.violations.is_empty() {
        ui.weak(format!("Tracking plan {name}: no violation"));
        return;
    }
    egui::CollapsingHeader::new(format!(
        "Tracking plan {name}: {} violation{}",
        plan.violations.len(),
        if plan.violations.len() == 1 { "" } else { "s" }
    ))
    .id_salt("composer-plan")
    .default_open(true)
    .show(ui, |ui| {
        for f in plan.violations {
            ui.horizontal_wrapped(|ui| {
                let color = match f.severity {
                    Severity::Error => p.error,
                    Severity::Warning => p.warning,
                };
                ui.colored_label(color, f.severity.as_str());
                ui.strong(f.kind.as_deref().unwrap_or(""));
                ui.monospace(&f.path);
                ui.label(&f.message);
            });
        }
    });
}

fn form(ui: &mut egui::Ui, doc: &mut Document, kv: &mut KvEditor) {
    let Some(call) = doc.call_type() else {
        ui.label("The form needs a valid JSON object with a known type; edit the JSON below.");
        return;
    };
    egui::Grid::new("composer-form")
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for (key, label) in form_fields(call) {
                let l = ui.label(*label);
                let mut text = doc.field(key);
                let r = ui.add(
                    egui::TextEdit::singleline(&mut text)
                        .id_salt(("form-field", *key))
                        .desired_width(f32::INFINITY)
                        .hint_text(*key),
                );
                let r = r.labelled_by(l.id);
                if r.changed() {
                    doc.set_field(key, &text);
                }
                ui.end_row();
            }
        });
    if let Some(name) = container(call) {
        kv_editor(ui, doc, kv, name);
    }
}

fn kv_editor(ui: &mut egui::Ui, doc: &mut Document, kv: &mut KvEditor, name: &'static str) {
    if kv.revision != Some(doc.value_revision()) || kv.container != name {
        kv.rows = doc.pairs(name);
        kv.revision = Some(doc.value_revision());
        kv.container = name;
    }
    let mut changed = false;
    let mut remove = None;
    ui.label(format!(
        "{name} (values as JSON: 42, true, {{…}}, [...]; other text is a string)"
    ));
    let key_w = (ui.available_width() * 0.35).clamp(80.0, 220.0);
    let value_w = (ui.available_width() - key_w - 50.0).max(80.0);
    egui::Grid::new("composer-kv")
        .num_columns(3)
        .spacing([6.0, 3.0])
        .show(ui, |ui| {
            for (i, (k, v)) in kv.rows.iter_mut().enumerate() {
                changed |= ui
                    .add_sized(
                        [key_w, 20.0],
                        egui::TextEdit::singleline(k)
                            .id_salt(("kv-key", i))
                            .hint_text("key"),
                    )
                    .on_hover_text(format!("{name} key {}", i + 1))
                    .changed();
                if v.len() > ROW_VALUE_MAX {
                    // The row keeps the value's text, so editing other rows writes it back
                    // unchanged.
                    ui.add_sized(
                        [value_w, 20.0],
                        egui::Label::new(
                            egui::RichText::new(format!(
                                "{} KB of JSON: edit it in Event JSON",
                                v.len().div_ceil(1024)
                            ))
                            .weak(),
                        )
                        .truncate(),
                    )
                    .on_hover_text(format!("{name} value {}", i + 1));
                } else {
                    changed |= ui
                        .add_sized(
                            [value_w, 20.0],
                            egui::TextEdit::singleline(v)
                                .id_salt(("kv-value", i))
                                .hint_text("value"),
                        )
                        .on_hover_text(format!("{name} value {}", i + 1))
                        .changed();
                }
                if ui
                    .small_button("x")
                    .on_hover_text(format!("Remove {k}"))
                    .clicked()
                {
                    remove = Some(i);
                }
                ui.end_row();
            }
        });
    if let Some(i) = remove {
        kv.rows.remove(i);
        changed = true;
    }
    if ui
        .small_button(format!(
            "+ Add {}",
            if name == "traits" {
                "trait"
            } else {
                "property"
            }
        ))
        .clicked()
    {
        let n = kv.rows.len() + 1;
        kv.rows.push((format!("key{n}"), String::new()));
        changed = true;
    }
    if changed && doc.set_pairs(name, &kv.rows) {
        // The rows stay the user's own until the document changes from elsewhere.
        kv.revision = Some(doc.value_revision());
    }
}

/// From this size the composer edits the event in the windowed editor, which lays out only the
/// rows in view; below it, egui's own editor (all rows, word wrap, its own undo per field).
const WINDOWED_FROM: usize = crate::app::model::document::LARGE_TEXT;

fn raw_editor(ui: &mut egui::Ui, doc: &mut Document, commands: &mut Vec<Command>) {
    let label = ui.label("Event JSON");
    if let Some(err) = doc.error() {
        ui.colored_label(
            crate::app::theme::palette(ui).error,
            format!(
                "JSON error at line {}, column {}: {}",
                err.line, err.column, err.message
            ),
        );
    }
    if doc.text().len() >= WINDOWED_FROM {
        let (r, out) = WindowedEditor::new("event-json", doc.text(), doc.revision())
            .show(ui, "event-json-scroll");
        r.labelled_by(label.id);
        if let Some(text) = out.text {
            doc.set_text(text);
        }
        match out.undo {
            Some(false) => commands.push(Command::Run(Action::Undo)),
            Some(true) => commands.push(Command::Run(Action::Redo)),
            None => {}
        }
        return;
    }
    let mut text = doc.text().to_string();
    let theme = egui_extras::syntax_highlighting::CodeTheme::from_memory(ui.ctx(), ui.style());
    let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, wrap_width: f32| {
        let mut job = egui_extras::syntax_highlighting::highlight(
            ui.ctx(),
            ui.style(),
            &theme,
            buf.as_str(),
            "json",
        );
        job.wrap.max_width = wrap_width;
        ui.fonts_mut(|f| f.layout_job(job))
    };
    egui::ScrollArea::vertical()
        .id_salt("event-json-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            // Back from the windowed editor (the event shrank): keep its caret.
            crate::app::windowed_editor::hand_back_cursor(
                ui.ctx(),
                ui.make_persistent_id("event-json"),
                &text,
            );
            let r = ui
                .add(
                    egui::TextEdit::multiline(&mut text)
                        // A stable id keeps the focus when an error line appears above.
                        .id_salt("event-json")
                        .code_editor()
                        // Tab moves on to the next control rather than indenting: the
                        // editor must not trap a keyboard user (indent with spaces).
                        .lock_focus(false)
                        .desired_width(f32::INFINITY)
                        .desired_rows(16)
                        .layouter(&mut layouter),
                )
                .labelled_by(label.id);
            if r.changed() {
                doc.set_text(text);
            }
        });
}
