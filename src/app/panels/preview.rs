//! The preview: the source event beside the translated request(s), findings in words, and
//! provenance highlighting both ways (point at an output field to see its source, and back).

use crate::app::command::{Action, Command};
use crate::app::model::json_lines::Line;
use crate::app::model::preview::{Focus, Highlight, PreviewModel, highlight};
use crate::app::theme::palette;
use crate::destinations::{OutcomeKind, Provenance};
use crate::event::Severity;
use std::ops::Range;

/// Transient view state of the preview (what is pointed at, what to scroll to).
#[derive(Default)]
pub struct PreviewUi {
    /// Clicked: stays until another click.
    pub selected: Focus,
    /// Hovered this frame (wins over the selection while it lasts).
    pub hovered: Focus,
    /// A source line to scroll into view (set by a finding's "jump").
    pub scroll_to_source: Option<String>,
}

/// The source column's share of the preview's width when it stands beside the requests.
const SOURCE_SHARE: f32 = 0.36;

pub fn show(
    ui: &mut egui::Ui,
    model: &PreviewModel,
    view: &mut PreviewUi,
    stacked: bool,
    commands: &mut Vec<Command>,
) {
    let focus = if view.hovered != Focus::None {
        view.hovered.clone()
    } else {
        view.selected.clone()
    };
    view.hovered = Focus::None;
    let provenance: Vec<&[Provenance]> = model
        .outcome
        .requests
        .iter()
        .map(|r| r.provenance.as_slice())
        .collect();
    let hl = highlight(&focus, &provenance);

    findings(ui, model, view);
    let avail = ui.available_size();
    if stacked {
        let h = (avail.y / 2.0 - 8.0).max(80.0);
        ui.allocate_ui(egui::vec2(avail.x, h), |ui| {
            source_pane(ui, model, view, &hl)
        });
        ui.separator();
        translation_pane(ui, model, view, &hl, commands);
    } else {
        // The composer already shows the event in full: the source here is a narrower column,
        // there for provenance (point at a field on either side to see its match), and the
        // width goes to what the destination receives.
        let area = ui.available_rect_before_wrap();
        let gap = ui.spacing().item_spacing.x * 2.0;
        let source_w = ((area.width() - gap) * SOURCE_SHARE).round();
        let source = egui::Rect::from_min_size(area.min, egui::vec2(source_w, area.height()));
        let requests =
            egui::Rect::from_min_max(egui::pos2(source.right() + gap, area.top()), area.max);
        ui.scope_builder(egui::UiBuilder::new().max_rect(source), |ui| {
            ui.shrink_clip_rect(source);
            source_pane(ui, model, view, &hl)
        });
        ui.scope_builder(egui::UiBuilder::new().max_rect(requests), |ui| {
            ui.shrink_clip_rect(requests);
            translation_pane(ui, model, view, &hl, commands)
        });
        ui.advance_cursor_after_rect(area);
    }
}

fn findings(ui: &mut egui::Ui, model: &PreviewModel, view: &mut PreviewUi) {
    let p = palette(ui);
    // The tracking plan's violations follow the Segment Spec's, each with its kind.
    let findings: Vec<&crate::event::Finding> =
        model.outcome.findings.iter().chain(&model.plan).collect();
    if findings.is_empty() {
        return;
    }
    egui::CollapsingHeader::new(format!("Findings ({})", findings.len()))
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("findings")
                .max_height(110.0)
                .show(ui, |ui| {
                    for f in findings {
                        ui.horizontal_wrapped(|ui| {
                            let (icon, color) = match f.severity {
                                Severity::Error => ("error", p.error),
                                Severity::Warning => ("warning", p.warning),
                            };
                            ui.colored_label(color, icon);
                            if let Some(kind) = &f.kind {
                                ui.strong(kind).on_hover_text(
                                    "A violation of the tracking plan; it does not block sending",
                                );
                            }
                            if ui
                                .link(&f.path)
                                .on_hover_text(format!("Show {} in the source", f.path))
                                .clicked()
                            {
                                view.selected = Focus::Source(f.path.clone());
                                view.scroll_to_source = Some(f.path.clone());
                            }
                            ui.label(&f.message);
                        });
                    }
                });
        });
}

fn source_pane(ui: &mut egui::Ui, model: &PreviewModel, view: &mut PreviewUi, hl: &Highlight) {
    ui.vertical(|ui| {
        ui.strong("Source event");
        let scroll_to = view.scroll_to_source.take();
        let row = ui.text_style_height(&egui::TextStyle::Monospace) + 2.0;
        let mut area = egui::ScrollArea::both()
            .id_salt("preview-source")
            .auto_shrink([false, false]);
        if let Some(target) = &scroll_to
            && let Some(i) = model.source.iter().position(|l| &l.path == target)
        {
            area = area.vertical_scroll_offset((i as f32 - 3.0).max(0.0) * row);
        }
        area.show_rows(ui, row, model.source.len(), |ui, range| {
            for line in &model.source[range] {
                let lit = hl.source_line(&line.path);
                let mark = model.plan_mark(&line.path);
                let pointed = match mark {
                    None => line_widget(ui, line, lit, Wrap::No, |p| Focus::Source(p.to_string())),
                    Some(f) => {
                        ui.horizontal(|ui| {
                            let p = palette(ui);
                            let color = match f.severity {
                                Severity::Error => p.error,
                                Severity::Warning => p.warning,
                            };
                            // A mark beside the line, named for screen readers by the violation.
                            ui.colored_label(color, "!").on_hover_text(format!(
                                "{}: {}",
                                f.kind.as_deref().unwrap_or("plan"),
                                f.message
                            ));
                            line_widget(ui, line, lit, Wrap::No, |p| Focus::Source(p.to_string()))
                        })
                        .inner
                    }
                };
                if let Some(f) = pointed {
                    apply(view, f);
                }
            }
        });
    });
}

/// What a click or hover on a line means.
enum Pointed {
    Hover(Focus),
    Click(Focus),
}

fn apply(view: &mut PreviewUi, p: Pointed) {
    match p {
        Pointed::Hover(f) => view.hovered = f,
        Pointed::Click(f) => {
            view.selected = if view.selected == f { Focus::None } else { f };
        }
    }
}

/// Whether a line wraps at the pane's edge or runs on (for the sideways scroll).
#[derive(Clone, Copy, PartialEq)]
enum Wrap {
    Yes,
    No,
}

fn line_widget(
    ui: &mut egui::Ui,
    line: &Line,
    lit: bool,
    wrap: Wrap,
    focus: impl Fn(&str) -> Focus,
) -> Option<Pointed> {
    let text = egui::RichText::new(&line.text).monospace();
    let text = if lit {
        text.background_color(palette(ui).highlight)
    } else {
        text
    };
    // Clicked (or hovered) to trace a field, but not a stop for Tab: a body has hundreds of
    // lines, and Tab should reach the next control, not walk the JSON line by line.
    let label = egui::Label::new(text).sense(egui::Sense::CLICK);
    let r = ui.add(match wrap {
        Wrap::Yes => label.wrap(),
        Wrap::No => label.extend(),
    });
    if line.path.is_empty() {
        return None;
    }
    if r.clicked() {
        Some(Pointed::Click(focus(&line.path)))
    } else if r.hovered() {
        Some(Pointed::Hover(focus(&line.path)))
    } else {
        None
    }
}

fn translation_pane(
    ui: &mut egui::Ui,
    model: &PreviewModel,
    view: &mut PreviewUi,
    hl: &Highlight,
    commands: &mut Vec<Command>,
) {
    let p = palette(ui);
    ui.vertical(|ui| {
        let outcome = &model.outcome;
        match outcome.kind {
            OutcomeKind::Requests => {
                ui.horizontal(|ui| {
                    ui.strong(format!(
                        "{} request{}",
                        outcome.requests.len(),
                        if outcome.requests.len() == 1 { "" } else { "s" }
                    ));
                    if ui
                        .button("Copy as curl")
                        .on_hover_text(
                            "Copy every request as a curl command (secrets masked unless revealed)",
                        )
                        .clicked()
                    {
                        commands.push(Command::Run(Action::CopyCurl));
                    }
                });
            }
            kind => {
                let (title, color) = match kind {
                    OutcomeKind::Skipped => ("Skipped: nothing is sent", p.warning),
                    OutcomeKind::Unsupported => ("Unsupported call: nothing is sent", p.warning),
                    _ => ("Rejected: fix the errors to send", p.error),
                };
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.colored_label(color, egui::RichText::new(title).strong());
                    if let Some(r) = &outcome.reason {
                        ui.label(r);
                    }
                });
                return;
            }
        }
        for note in &outcome.notes {
            ui.label(egui::RichText::new(format!("Note: {note}")).italics());
        }
        egui::ScrollArea::both()
            .id_salt("preview-requests")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (i, rv) in model.requests.iter().enumerate() {
                    egui::Frame::group(ui.style()).show(ui, |ui| {
                        ui.horizontal_wrapped(|ui| {
                            ui.strong(format!("{}. {}", i + 1, rv.request.description));
                            match rv.request.basis.reason() {
                                None => {
                                    ui.label("documented").on_hover_text(
                                        "The partner or Segment documents this request",
                                    );
                                }
                                Some(reason) => {
                                    ui.colored_label(p.inferred, "inferred")
                                        .on_hover_text(reason);
                                }
                            }
                        });
                        if let Some(reason) = rv.request.basis.reason() {
                            ui.colored_label(p.inferred, format!("Inferred: {reason}"));
                        }
                        // The method and URL wrap, so the whole URL is always in sight; the
                        // other lines keep one row each (long ones scroll sideways).
                        let (url, rest) = match rv.lines.split_first() {
                            Some((first, rest)) if first.path == "url" => (Some(first), rest),
                            _ => (None, rv.lines.as_slice()),
                        };
                        if let Some(line) = url {
                            let lit = hl.output_line(i, &line.path);
                            if let Some(f) = line_widget(ui, line, lit, Wrap::Yes, |path| {
                                Focus::Output(i, path.to_string())
                            }) {
                                apply(view, f);
                            }
                        }
                        visible_rows(ui, rest.len(), |ui, range| {
                            for line in rest.get(range).unwrap_or_default() {
                                let lit = hl.output_line(i, &line.path);
                                if let Some(f) = line_widget(ui, line, lit, Wrap::No, |path| {
                                    Focus::Output(i, path.to_string())
                                }) {
                                    apply(view, f);
                                }
                            }
                        });
                    });
                    ui.add_space(6.0);
                }
            });
    });
}

/// Lists of at most this many lines are drawn whole.
const ALWAYS_DRAWN: usize = 200;

/// Draws only those of `n` one-line monospace rows that lie in the visible part of the
/// enclosing scroll area, and takes the height of all of them, as `ScrollArea::show_rows`
/// does for a whole area: a request body of a megabyte (tens of thousands of lines) then costs
/// a frame what its visible lines cost. Rows are placed from their index, so the layout does
/// not drift however far down they are.
fn visible_rows(ui: &mut egui::Ui, n: usize, draw: impl FnOnce(&mut egui::Ui, Range<usize>)) {
    // A short list is laid out as it is: no saving to have, and its rows keep their own
    // rounding to the pixel.
    if n <= ALWAYS_DRAWN {
        draw(ui, 0..n);
        return;
    }
    let spacing = ui.spacing().item_spacing.y;
    let pitch = ui.text_style_height(&egui::TextStyle::Monospace) + spacing;
    let top_left = ui.cursor().min;
    let visible = ui.clip_rect().y_range();
    let rows_to = |y: f32| ((y - top_left.y) / pitch).max(0.0) as usize;
    let first = rows_to(visible.min).min(n);
    let end = (rows_to(visible.max) + 2).clamp(first, n);
    let width = ui.available_width();
    let shown = egui::Rect::from_min_size(
        top_left + egui::vec2(0.0, first as f32 * pitch),
        egui::vec2(width, (end - first) as f32 * pitch),
    );
    let mut rows = ui.new_child(egui::UiBuilder::new().max_rect(shown));
    rows.skip_ahead_auto_ids(first);
    draw(&mut rows, first..end);
    let all = egui::Rect::from_min_size(
        top_left,
        egui::vec2(
            width.max(rows.min_rect().width()),
            (n as f32 * pitch - spacing).max(0.0),
        ),
    );
    ui.advance_cursor_after_rect(all);
}
