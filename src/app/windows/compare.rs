//! The compare window: a picker per side, then the two payloads side by side with added,
//! removed and changed lines coloured, the changed words marked, unchanged runs folded, and
//! buttons that step through the changes. Rows are virtualised (only visible rows are laid out).

use crate::app::model::compare::{CompareState, Part, Side, SideName, Source};
use crate::app::model::fanout::FanOut;
use crate::app::theme::palette;
use crate::app::widgets;
use crate::destinations;
use crate::json::diff::{DiffLine, Kind, Row};
use egui::accesskit::Role;
use egui::text::LayoutJob;
use egui::{Color32, FontId, Rect, Sense, TextFormat, pos2, vec2};
use std::ops::Range;

/// Characters of a line drawn (a longer line ends in an ellipsis; its row keeps it all).
const SHOWN_BYTES: usize = 600;
const NUMBER_WIDTH: f32 = 44.0;

struct Colors {
    added: Color32,
    removed: Color32,
    changed: Color32,
    added_word: Color32,
    removed_word: Color32,
    absent: Color32,
    current: Color32,
    text: Color32,
    weak: Color32,
}

fn colors(ui: &egui::Ui) -> Colors {
    let text = ui.visuals().text_color();
    let weak = ui.visuals().weak_text_color();
    let current = ui.visuals().selection.stroke.color;
    if ui.visuals().dark_mode {
        Colors {
            added: Color32::from_rgba_unmultiplied(60, 150, 80, 70),
            removed: Color32::from_rgba_unmultiplied(190, 70, 70, 70),
            changed: Color32::from_rgba_unmultiplied(170, 140, 40, 55),
            added_word: Color32::from_rgba_unmultiplied(60, 190, 90, 150),
            removed_word: Color32::from_rgba_unmultiplied(230, 80, 80, 150),
            absent: Color32::from_rgba_unmultiplied(128, 128, 128, 20),
            current,
            text,
            weak,
        }
    } else {
        Colors {
            added: Color32::from_rgb(218, 245, 222),
            removed: Color32::from_rgb(252, 225, 225),
            changed: Color32::from_rgb(252, 244, 210),
            added_word: Color32::from_rgb(150, 225, 160),
            removed_word: Color32::from_rgb(245, 170, 170),
            absent: Color32::from_rgb(240, 240, 240),
            current,
            text,
            weak,
        }
    }
}

pub fn show(ctx: &egui::Context, st: &mut CompareState, fanout: Option<&FanOut>) {
    let mut open = st.open;
    egui::Window::new("Compare")
        .open(&mut open)
        .default_size([1150.0, 680.0])
        .show(ctx, |ui| {
            ui.columns(2, |cols| {
                side_picker(&mut cols[0], &mut st.left, SideName::Left, fanout);
                side_picker(&mut cols[1], &mut st.right, SideName::Right, fanout);
            });
            ui.columns(2, |cols| {
                side_status(&mut cols[0], &st.left_view);
                side_status(&mut cols[1], &st.right_view);
            });
            ui.separator();
            toolbar(ui, st);
            diff_rows(ui, st);
        });
    st.open = open;
}

fn side_picker(ui: &mut egui::Ui, side: &mut Side, name: SideName, fanout: Option<&FanOut>) {
    let t = name.title();
    ui.horizontal_wrapped(|ui| {
        widgets::combo(ui, &format!("{t} source"))
            .selected_text(side.source.label())
            .show_ui(ui, |ui| {
                for s in Source::ALL {
                    ui.selectable_value(&mut side.source, s, s.label());
                }
            });
        match side.source {
            Source::Destination => {
                let current = destinations::find(side.dest).map_or("?", |d| d.integration_name());
                widgets::combo(ui, &format!("{t} destination"))
                    .selected_text(current)
                    .show_ui(ui, |ui| {
                        for d in destinations::registry() {
                            ui.selectable_value(&mut side.dest, d.id(), d.integration_name());
                        }
                    });
                let requests = fanout
                    .and_then(|f| f.columns.iter().find(|c| c.dest == side.dest))
                    .map(|c| c.requests.as_slice())
                    .unwrap_or_default();
                let shown = requests
                    .get(side.request)
                    .map_or(format!("{}", side.request + 1), |r| {
                        format!("{}. {}", side.request + 1, r.description)
                    });
                widgets::combo(ui, &format!("{t} request"))
                    .selected_text(shown)
                    .show_ui(ui, |ui| {
                        for (i, r) in requests.iter().enumerate() {
                            ui.selectable_value(
                                &mut side.request,
                                i,
                                format!("{}. {}", i + 1, r.description),
                            );
                        }
                    });
            }
            Source::History => {
                if let Some(e) = &side.entry {
                    let parts = Part::all_of(e);
                    widgets::combo(ui, &format!("{t} part"))
                        .selected_text(side.part.label())
                        .show_ui(ui, |ui| {
                            for p in parts {
                                ui.selectable_value(&mut side.part, p, p.label());
                            }
                        });
                }
            }
            _ => {}
        }
    });
    if side.source == Source::Pasted {
        let label = ui.label(format!("{t} pasted JSON"));
        egui::ScrollArea::vertical()
            .id_salt(("compare-paste", t))
            .max_height(110.0)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut side.pasted)
                        .code_editor()
                        .desired_rows(4)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id)
                .on_hover_text(format!("JSON for the {} side", name.word()));
            });
    }
}

fn side_status(ui: &mut egui::Ui, view: &crate::app::model::compare::Resolved) {
    let p = palette(ui);
    if view.title != Source::Pasted.label() {
        ui.strong(&view.title);
    }
    if let Err(e) = &view.text {
        ui.colored_label(p.warning, e);
    }
    if let Some(n) = &view.note {
        ui.weak(n);
    }
}

fn toolbar(ui: &mut egui::Ui, st: &mut CompareState) {
    ui.horizontal_wrapped(|ui| {
        if ui
            .button("Swap sides")
            .on_hover_text("Put the left payload on the right and the right on the left")
            .clicked()
        {
            st.swap();
        }
        let any = !st.starts.is_empty();
        if ui
            .add_enabled(any, egui::Button::new("Previous change"))
            .on_hover_text("Scroll to the previous change")
            .clicked()
        {
            st.previous_change();
        }
        if ui
            .add_enabled(any, egui::Button::new("Next change"))
            .on_hover_text("Scroll to the next change")
            .clicked()
        {
            st.next_change();
        }
        let both = st.left_view.text.is_ok() && st.right_view.text.is_ok();
        let position = match (st.current, st.starts.len()) {
            _ if !both => "Nothing to compare yet".to_string(),
            (_, 0) => "The two sides are the same".to_string(),
            (Some(c), n) => format!("Change {} of {n}", c + 1),
            (None, n) => format!("{n} change{}", if n == 1 { "" } else { "s" }),
        };
        ui.label(position);
        if both {
            let s = st.stats;
            ui.weak(format!(
                "{} changed, {} added, {} removed line(s)",
                s.changed, s.added, s.removed
            ));
        }
        let mut fold = st.fold;
        if ui
            .checkbox(&mut fold, "Fold unchanged lines")
            .on_hover_text("Hide long runs of unchanged lines")
            .changed()
        {
            st.set_fold(fold);
        }
    });
}

fn diff_rows(ui: &mut egui::Ui, st: &mut CompareState) {
    let c = colors(ui);
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let row_h = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
    let current = st.current_range();
    let mut expand = None;
    let region = egui::UiBuilder::new()
        .accessibility_role(Role::Region)
        .accessibility_label("Diff");
    ui.scope_builder(region, |ui| {
        ui.spacing_mut().item_spacing.y = 0.0;
        let mut area = egui::ScrollArea::vertical()
            .id_salt("compare-diff")
            .auto_shrink([false, false]);
        if let Some(r) = st.scroll_to_row.take() {
            area = area.vertical_scroll_offset((r as f32 - 3.0).max(0.0) * row_h);
        }
        area.show_rows(ui, row_h, st.rows.len(), |ui, range| {
            for row in st.rows.get(range).unwrap_or_default() {
                match *row {
                    Row::Fold { start, count } => {
                        let b = egui::Button::new(format!("{count} unchanged lines")).small();
                        if ui
                            .add_sized([ui.available_width(), row_h], b)
                            .on_hover_text("Show these unchanged lines")
                            .clicked()
                        {
                            expand = Some(start);
                        }
                    }
                    Row::Line(i) => {
                        if let Some(line) = st.lines.get(i) {
                            let lit = current.as_ref().is_some_and(|r| r.contains(&i));
                            line_row(ui, line, lit, &c, &font, row_h);
                        }
                    }
                }
            }
        });
    });
    if let Some(s) = expand {
        st.expand(s);
    }
}

fn line_row(
    ui: &mut egui::Ui,
    line: &DiffLine,
    current: bool,
    c: &Colors,
    font: &FontId,
    row_h: f32,
) {
    let w = ui.available_width();
    let (rect, resp) = ui.allocate_exact_size(vec2(w, row_h), Sense::hover());
    resp.widget_info(|| egui::WidgetInfo::labeled(Role::Row, true, line.describe()));
    if !ui.is_rect_visible(rect) {
        return;
    }
    let gap = 6.0;
    let half = ((w - gap) / 2.0).max(1.0);
    let left = Rect::from_min_size(rect.min, vec2(half, row_h));
    let right = Rect::from_min_size(pos2(rect.min.x + half + gap, rect.min.y), vec2(half, row_h));
    let (lbg, rbg) = match line.kind {
        Kind::Same => (None, None),
        Kind::Removed => (Some(c.removed), None),
        Kind::Added => (None, Some(c.added)),
        Kind::Changed => (Some(c.changed), Some(c.changed)),
    };
    let left_half = Half {
        no: line.left_no,
        text: &line.left_text,
        spans: &line.left_spans,
        bg: lbg,
        word: c.removed_word,
    };
    let right_half = Half {
        no: line.right_no,
        text: &line.right_text,
        spans: &line.right_spans,
        bg: rbg,
        word: c.added_word,
    };
    paint_half(ui, left, &left_half, c, font);
    paint_half(ui, right, &right_half, c, font);
    if current {
        ui.painter().rect_filled(
            Rect::from_min_size(rect.min, vec2(3.0, row_h)),
            0.0,
            c.current,
        );
    }
}

struct Half<'a> {
    no: Option<usize>,
    text: &'a str,
    spans: &'a [Range<usize>],
    bg: Option<Color32>,
    word: Color32,
}

fn paint_half(ui: &egui::Ui, rect: Rect, h: &Half, c: &Colors, font: &FontId) {
    let painter = ui.painter_at(rect);
    let Some(no) = h.no else {
        painter.rect_filled(rect, 0.0, c.absent);
        return;
    };
    if let Some(bg) = h.bg {
        painter.rect_filled(rect, 0.0, bg);
    }
    painter.text(
        pos2(rect.min.x + NUMBER_WIDTH - 8.0, rect.center().y),
        egui::Align2::RIGHT_CENTER,
        no.to_string(),
        font.clone(),
        c.weak,
    );
    let galley = painter.layout_job(job(h.text, h.spans, font, c.text, h.word));
    let y = rect.center().y - galley.size().y / 2.0;
    painter.galley(pos2(rect.min.x + NUMBER_WIDTH, y), galley, c.text);
}

/// The largest char boundary at or below `at`.
fn boundary(text: &str, at: usize) -> usize {
    let mut i = at.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The line's text with its changed words on a stronger background.
fn job(
    text: &str,
    spans: &[Range<usize>],
    font: &FontId,
    color: Color32,
    word: Color32,
) -> LayoutJob {
    let end = boundary(text, SHOWN_BYTES);
    let plain = TextFormat {
        font_id: font.clone(),
        color,
        ..Default::default()
    };
    let marked = TextFormat {
        background: word,
        ..plain.clone()
    };
    let mut job = LayoutJob::default();
    let mut at = 0;
    for s in spans {
        let a = boundary(text, s.start.min(end)).max(at);
        let b = boundary(text, s.end.min(end)).max(a);
        if let Some(t) = text.get(at..a).filter(|t| !t.is_empty()) {
            job.append(t, 0.0, plain.clone());
        }
        if let Some(t) = text.get(a..b).filter(|t| !t.is_empty()) {
            job.append(t, 0.0, marked.clone());
        }
        at = b;
    }
    if let Some(t) = text.get(at..end).filter(|t| !t.is_empty()) {
        job.append(t, 0.0, plain.clone());
    }
    if end < text.len() {
        job.append("…", 0.0, plain);
    }
    job
}
