//! The history pane: a virtualised table over the SQLite history (rows fetched a page at a
//! time from the history thread, so 100,000 entries cost nothing per frame), filters and text
//! search, and the selected entry in full.

use crate::app::command::{Command, ExportKind};
use crate::app::model::compare::{CompareCmd, SideName};
use crate::app::model::history::{HistoryPane, SPLIT_RANGE};
use crate::app::panels::exchange as exchange_view;
use crate::app::theme::palette;
use crate::destinations;
use crate::history::{duration_text, local_time, size_text};
use crate::transport::StatusClass;

/// Draws the pane; returns the offsets of pages to fetch.
pub fn show(ui: &mut egui::Ui, pane: &mut HistoryPane, commands: &mut Vec<Command>) -> Vec<usize> {
    let mut wanted = Vec::new();
    let mut changed = false;
    ui.horizontal_wrapped(|ui| {
        ui.heading("History");
        let label = ui.label("Search");
        let r = ui
            .add(
                egui::TextEdit::singleline(&mut pane.text)
                    .hint_text("events and bodies")
                    .desired_width(220.0),
            )
            .labelled_by(label.id)
            .on_hover_text("Filter history by text (Ctrl+F)");
        if pane.focus_filter {
            r.request_focus();
            pane.focus_filter = false;
        }
        changed |= r.changed();
        let dest_text = pane
            .destination
            .clone()
            .unwrap_or_else(|| "all destinations".into());
        let dests: Vec<(String, &str)> = destinations::registry()
            .iter()
            .map(|d| (d.id().to_string(), d.id()))
            .collect();
        changed |= filter_box(
            ui,
            ("in", "History destination"),
            &dest_text,
            &mut pane.destination,
            "all destinations",
            &dests,
        );
        let class_text = pane.class.map_or("any status", |c| c.as_str());
        let classes: Vec<(StatusClass, &str)> =
            StatusClass::ALL.iter().map(|c| (*c, c.as_str())).collect();
        changed |= filter_box(
            ui,
            ("status", "History status"),
            class_text,
            &mut pane.class,
            "any status",
            &classes,
        );
        let call_text = pane.call.clone().unwrap_or_else(|| "any call".into());
        let calls: Vec<(String, &str)> = crate::event::CallType::ALL
            .iter()
            .map(|c| (c.as_str().to_string(), c.as_str()))
            .collect();
        changed |= filter_box(
            ui,
            ("call", "History call"),
            &call_text,
            &mut pane.call,
            "any call",
            &calls,
        );
        count_label(ui, pane, commands);
        if pane.confirm_clear {
            ui.colored_label(palette(ui).warning, "Delete every history entry?");
            if ui.button("Yes, clear history").clicked() {
                commands.push(Command::ClearHistory);
                pane.confirm_clear = false;
            }
            if ui.button("Keep it").clicked() {
                pane.confirm_clear = false;
            }
        } else if ui
            .button("Clear…")
            .on_hover_text("Delete every history entry")
            .clicked()
        {
            pane.confirm_clear = true;
        }
    });
    if changed {
        // Counted and read again from the first page, in the next frame's logic.
        pane.invalidate();
        commands.push(Command::ReloadHistory);
        ui.ctx().request_repaint();
    }
    if let Some(e) = &pane.error {
        ui.colored_label(palette(ui).error, e);
    }
    if let Some(max) = pane.size.max_bytes
        && pane.size.trimmed > 0
    {
        ui.colored_label(
            palette(ui).warning,
            format!(
                "Oldest entries removed to keep the history under {}",
                size_text(max)
            ),
        )
        .on_hover_text(format!(
            "{} entries removed so far; right-click the entry count to change the cap",
            pane.size.trimmed
        ));
    }
    crate::app::panels::charts::show(ui, &mut pane.charts, pane.total);
    let area = ui.available_rect_before_wrap();
    if pane.detail.is_some() {
        // The table and the entry's details side by side, the table first: it is drawn (and
        // reached with Tab) before the details it selects, and neither runs under the other.
        let divider = 8.0;
        let table_w = ((area.width() - divider) * pane.table_share()).round();
        let table_rect = egui::Rect::from_min_size(area.min, egui::vec2(table_w, area.height()));
        let handle = egui::Rect::from_min_max(
            egui::pos2(table_rect.right(), area.top()),
            egui::pos2(table_rect.right() + divider, area.bottom()),
        );
        let detail_rect =
            egui::Rect::from_min_max(egui::pos2(handle.right(), area.top()), area.max);
        table_region(ui, table_rect, pane, commands, &mut wanted);
        split_handle(ui, handle, area, pane);
        ui.scope_builder(egui::UiBuilder::new().max_rect(detail_rect), |ui| {
            ui.shrink_clip_rect(detail_rect);
            detail(ui, pane, commands)
        });
        ui.advance_cursor_after_rect(area);
    } else {
        table_region(ui, area, pane, commands, &mut wanted);
    }
    if changed {
        // The reload reads the first page itself.
        wanted.clear();
    }
    wanted
}

/// The table inside `rect`, as one region for screen readers, clipped to it.
fn table_region(
    ui: &mut egui::Ui,
    rect: egui::Rect,
    pane: &mut HistoryPane,
    commands: &mut Vec<Command>,
    wanted: &mut Vec<usize>,
) {
    let region = egui::UiBuilder::new()
        .max_rect(rect)
        .accessibility_role(egui::accesskit::Role::Region)
        .accessibility_label("History");
    ui.scope_builder(region, |ui| {
        ui.shrink_clip_rect(rect);
        table(ui, pane, commands, wanted)
    });
}

/// The divider between the table and the details: drag it to give either more width.
fn split_handle(ui: &mut egui::Ui, handle: egui::Rect, area: egui::Rect, pane: &mut HistoryPane) {
    let r = ui
        // Dragged with the pointer only: a stop for Tab with nothing to read would be noise.
        .interact(
            handle,
            ui.make_persistent_id("history-split"),
            egui::Sense::DRAG,
        )
        .on_hover_cursor(egui::CursorIcon::ResizeHorizontal);
    if r.dragged()
        && let Some(p) = r.interact_pointer_pos()
    {
        pane.split = ((p.x - area.left()) / area.width().max(1.0))
            .clamp(*SPLIT_RANGE.start(), *SPLIT_RANGE.end());
    }
    let stroke = if r.hovered() || r.dragged() {
        ui.visuals().widgets.hovered.fg_stroke
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    ui.painter()
        .vline(handle.center().x, handle.y_range(), stroke);
}

fn table(
    ui: &mut egui::Ui,
    pane: &mut HistoryPane,
    commands: &mut Vec<Command>,
    wanted: &mut Vec<usize>,
) {
    use egui_extras::{Column, TableBuilder};
    let total = pane.total.unwrap_or(0);
    let p = palette(ui);
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    // Cells are read, not selected: a click anywhere on a row selects the entry (each row is
    // one widget over its cells, made below).
    ui.style_mut().interaction.selectable_labels = false;
    // The table scrolls within the pane's height (the user sets it with the pane's edge)
    // rather than growing the pane to show more rows.
    let max_h = (ui.available_height() - row_h).max(row_h * 3.0);
    TableBuilder::new(ui)
        .id_salt("history-table")
        .striped(true)
        .min_scrolled_height(0.0)
        .max_scroll_height(max_h)
        // The event's name takes what the others leave, so that every column, Duration too,
        // stays in view beside an entry's details at 1280 px.
        .column(Column::initial(140.0).at_least(90.0))
        .column(Column::initial(62.0).clip(true))
        .column(Column::remainder().at_least(60.0).clip(true))
        .column(Column::initial(100.0).clip(true))
        .column(Column::initial(70.0).clip(true))
        .column(Column::initial(90.0).clip(true))
        .column(Column::initial(130.0).clip(true))
        .column(Column::initial(70.0).at_least(60.0))
        .header(row_h, |mut h| {
            for title in [
                "Time",
                "Call",
                "Event",
                "Destination",
                "Target",
                "Status",
                "Plan",
                "Duration",
            ] {
                h.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(row_h, total, |mut row| {
                let i = row.index();
                let Some(s) = pane.rows.get(&i).cloned() else {
                    pane.want(i, wanted);
                    row.col(|ui| {
                        ui.weak("…");
                    });
                    return;
                };
                row.set_selected(pane.selected == Some(s.id));
                row.col(|ui| {
                    ui.label(local_time(&s.time))
                        .on_hover_text(format!("{} (UTC, as stored)", s.time));
                });
                row.col(|ui| {
                    ui.label(&s.call_type);
                });
                row.col(|ui| {
                    ui.label(&s.event_name);
                });
                row.col(|ui| {
                    ui.label(&s.destination);
                });
                row.col(|ui| {
                    ui.label(&s.target);
                });
                row.col(|ui| {
                    let good = matches!(s.status_class, Some(StatusClass::Success));
                    let color = if good {
                        p.ok
                    } else if s.status_class.is_some_and(|c| {
                        matches!(c, StatusClass::Skipped | StatusClass::Unsupported)
                    }) {
                        p.warning
                    } else {
                        p.error
                    };
                    ui.colored_label(color, &s.status_text);
                });
                row.col(|ui| {
                    // The verdict of the tracking plan loaded when the event was sent or
                    // captured; "-" when none was.
                    let verdict = crate::plan::verdict::verdict_of_text(&s.plan);
                    let text = if verdict.is_some() {
                        s.plan.as_str()
                    } else {
                        "-"
                    };
                    ui.colored_label(p.verdict(verdict, ui.visuals().weak_text_color()), text);
                });
                // One widget per row, over its cells: a screen reader finds a row by what it
                // reads and can select it, and Tab stops once per row, not once per cell.
                let cells = row.response().rect;
                let selected = pane.selected == Some(s.id);
                let name = row_name(&s);
                row.col(|ui| {
                    ui.label(duration_text(s.duration_us));
                    let r = crate::app::widgets::table_row(
                        ui,
                        cells.left(),
                        egui::Id::unique(("history-row", s.id)),
                        &name,
                        selected,
                    );
                    if r.clicked() {
                        commands.push(Command::SelectHistory(s.id));
                    }
                });
            });
        });
}

/// What a screen reader reads for a row: every cell, in the table's order.
fn row_name(s: &crate::history::Summary) -> String {
    let what = [s.call_type.as_str(), s.event_name.as_str()]
        .iter()
        .filter(|t| !t.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    let plan = if s.plan.is_empty() {
        String::new()
    } else {
        format!(", plan {}", s.plan)
    };
    format!(
        "{}, {what} to {} ({}), {}{plan}, {}",
        local_time(&s.time),
        s.destination,
        s.target,
        s.status_text,
        duration_text(s.duration_us)
    )
}

fn detail(ui: &mut egui::Ui, pane: &mut HistoryPane, commands: &mut Vec<Command>) {
    let Some(e) = &pane.detail else { return };
    let id = e.id;
    ui.vertical(|ui| {
        ui.horizontal_wrapped(|ui| {
            ui.strong(format!(
                "#{id} {} {} to {}",
                e.call_type, e.event_name, e.destination
            ));
            if ui
                .button("Replay")
                .on_hover_text("Send this entry's event again with the current settings")
                .clicked()
            {
                commands.push(Command::Replay(id));
            }
            if ui.button("Open in composer").clicked() {
                commands.push(Command::OpenHistoryInComposer(id));
            }
            for side in [SideName::Left, SideName::Right] {
                let b = ui.button(format!("Compare as {}", side.word()));
                if b.on_hover_text("Show this entry on that side of the compare view")
                    .clicked()
                {
                    let entry = Box::new(e.clone());
                    commands.push(Command::Compare(CompareCmd::History { side, entry }));
                }
            }
            ui.menu_button("Export", |ui| {
                if ui.button("HAR…").clicked() {
                    commands.push(Command::ExportHistory(ExportKind::Har));
                    ui.close();
                }
                if ui.button("Postman collection…").clicked() {
                    commands.push(Command::ExportHistory(ExportKind::Postman));
                    ui.close();
                }
                if ui.button("Copy as curl").clicked() {
                    commands.push(Command::ExportHistory(ExportKind::Curl));
                    ui.close();
                }
            });
            if ui
                .button("Delete")
                .on_hover_text("Delete this history entry")
                .clicked()
            {
                commands.push(Command::DeleteHistory(id));
            }
            if ui
                .small_button("x")
                .on_hover_text("Close the entry")
                .clicked()
            {
                pane.selected = None;
            }
        });
        let stored = e.time.to_rfc3339();
        ui.label(format!(
            "{} · {} · {} · {} · {}",
            local_time(&stored),
            e.mode,
            e.target,
            duration_text(e.micros()),
            e.status_text()
        ))
        .on_hover_text(format!("{stored} (UTC, as stored)"));
        if let Some(check) = &e.plan {
            ui.label(format!("Tracking plan {}: {}", check.plan, check.text()));
        }
        egui::ScrollArea::vertical()
            .id_salt("history-detail")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(r) = &e.reason {
                    ui.label(r);
                }
                for f in &e.findings {
                    ui.label(format!(
                        "{} at {}: {}",
                        f.severity.as_str(),
                        f.path,
                        f.message
                    ));
                }
                egui::CollapsingHeader::new("Source event")
                    .id_salt("hist-src")
                    .show(ui, |ui| {
                        ui.monospace(serde_json::to_string_pretty(&e.event).unwrap_or_default());
                    });
                for (i, ex) in e.exchanges.iter().enumerate() {
                    exchange_view::show_exchange(ui, ex, &format!("hist-{id}-{i}"));
                }
            });
    });
    if pane.selected != Some(id) {
        pane.detail = None;
    }
}

/// One filter box of the history: its label before it (egui's own label goes after the box,
/// where it read as the label of the next one), `any` for no filter, then each choice. The
/// second name, in full, is the hover text and the box's id. True when the choice changed.
fn filter_box<T: Clone + PartialEq>(
    ui: &mut egui::Ui,
    (label, name): (&str, &str),
    shown: &str,
    value: &mut Option<T>,
    any: &str,
    choices: &[(T, &str)],
) -> bool {
    let mut changed = false;
    let label = ui.label(label);
    egui::ComboBox::from_id_salt(name)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            changed |= ui.selectable_value(value, None, any).changed();
            for (v, text) in choices {
                changed |= ui.selectable_value(value, Some(v.clone()), *text).changed();
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(name);
    changed
}

/// Size caps offered (bytes, as disks count them).
const SIZE_CAPS: [(u64, &str); 4] = [
    (100_000_000, "100 MB"),
    (500_000_000, "500 MB"),
    (1_000_000_000, "1 GB"),
    (5_000_000_000, "5 GB"),
];

/// "N entries", "1000+ entries, counting…" while the exact count of a large search is on its
/// way; right-click sets the history's size cap.
fn count_label(ui: &mut egui::Ui, pane: &HistoryPane, commands: &mut Vec<Command>) {
    let r = match (pane.total, pane.counting) {
        (Some(1), false) => ui.label("1 entry"),
        (Some(n), false) => ui.label(format!("{n} entries")),
        (Some(n), true) => ui.label(format!("{n}+ entries, counting…")),
        (None, _) => ui.add(egui::Spinner::new()).on_hover_text("counting…"),
    };
    let cap = pane.size.max_bytes.map_or("no size cap".to_string(), |b| {
        format!("kept under {}", size_text(b))
    });
    r.on_hover_text(format!("History {cap}; right-click to change"))
        .context_menu(|ui| {
            ui.label("Keep the history under");
            for (bytes, text) in SIZE_CAPS {
                if ui
                    .selectable_label(pane.size.max_bytes == Some(bytes), text)
                    .clicked()
                {
                    commands.push(Command::SetHistorySizeCap(Some(bytes)));
                    ui.close();
                }
            }
            if ui
                .selectable_label(pane.size.max_bytes.is_none(), "no size cap")
                .clicked()
            {
                commands.push(Command::SetHistorySizeCap(None));
                ui.close();
            }
        });
}
