//! The history pane's charts: latency over time and a count by status class, for the entries
//! the filters select. The summaries are read and summed up on the history thread, once per
//! change of the filters or of the history (its generation), never per frame.

use crate::app::model::charts::{ChartData, Charts};
use crate::app::theme::palette;
use crate::transport::StatusClass;
use egui_plot::{Bar, BarChart, Line, Plot, Points};

fn time_label(secs: f64, span: f64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp(secs.floor() as i64, 0) else {
        return String::new();
    };
    if span > 86_400.0 {
        t.format("%m-%d %H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
}

/// A chart's accessible name (the plot widget has none of its own).
fn labeled(name: &str) -> egui::WidgetInfo {
    egui::WidgetInfo::labeled(egui::accesskit::Role::Figure, true, name)
}

fn class_color(ui: &egui::Ui, c: StatusClass) -> egui::Color32 {
    let p = palette(ui);
    match c {
        StatusClass::Success => p.ok,
        StatusClass::Redirect | StatusClass::Skipped | StatusClass::Unsupported => p.warning,
        StatusClass::Cancelled => ui.visuals().weak_text_color(),
        _ => p.error,
    }
}

/// The collapsible strip at the top of the history pane.
pub fn show(ui: &mut egui::Ui, charts: &mut Charts, total: Option<usize>) {
    let r = egui::CollapsingHeader::new("Charts")
        .id_salt("history-charts")
        .show(ui, |ui| match &charts.data {
            None => {
                ui.spinner();
            }
            Some(Err(e)) => {
                ui.colored_label(palette(ui).error, format!("Charts: {e}"));
            }
            Some(Ok(d)) => draw(ui, d, total),
        });
    charts.open = r.body_returned.is_some();
}

fn draw(ui: &mut egui::Ui, d: &ChartData, total: Option<usize>) {
    let of = match total {
        Some(t) if t > d.read => format!(" (the newest {} of {t})", d.read),
        _ => String::new(),
    };
    ui.horizontal_wrapped(|ui| {
        if d.points.is_empty() {
            ui.label(format!("No sent entries to chart{of}."));
        } else {
            ui.label(format!(
                "Latency of {} sent entries{of}: median {} ms, 95th percentile {} ms, slowest {} ms.",
                d.points.len(),
                d.median_ms,
                d.p95_ms,
                d.max_ms
            ));
        }
        let counts: Vec<String> = d
            .counts
            .iter()
            .map(|(c, n)| format!("{} {n}", c.as_str()))
            .collect();
        ui.label(format!("By status: {}.", counts.join(", ")));
    });
    let h = 130.0;
    let w = ui.available_width();
    let color = ui.visuals().selection.stroke.color;
    ui.horizontal(|ui| {
        let span = match (d.points.first(), d.points.last()) {
            (Some(a), Some(b)) => b[0] - a[0],
            _ => 0.0,
        };
        Plot::new("history-latency")
            .height(h)
            .width((w * 0.62).max(200.0))
            .y_axis_label("ms")
            .x_axis_formatter(move |m, _| time_label(m.value, span))
            .label_formatter(move |hover| {
                let p = match hover {
                    egui_plot::HoverPosition::NearDataPoint { position, .. } => position,
                    egui_plot::HoverPosition::Elsewhere { position } => position,
                };
                Some(format!("{}\n{:.0} ms", time_label(p.x, span), p.y))
            })
            .include_y(0.0)
            .allow_scroll(false)
            .show(ui, |plot| {
                plot.line(Line::new("latency", d.points.clone()).color(color));
                plot.points(
                    Points::new("entries", d.points.clone())
                        .radius(2.5)
                        .color(color),
                );
            })
            .response
            .widget_info(|| labeled("Latency over time"));
        let names: Vec<&'static str> = d.counts.iter().map(|(c, _)| c.as_str()).collect();
        let names_len = names.len();
        let bars: Vec<Bar> = d
            .counts
            .iter()
            .enumerate()
            .map(|(i, (c, n))| {
                Bar::new(i as f64, *n as f64)
                    .name(c.as_str())
                    .fill(class_color(ui, *c))
                    .width(0.6)
            })
            .collect();
        Plot::new("history-status")
            .height(h)
            .width((ui.available_width() - 8.0).max(120.0))
            .y_axis_label("entries")
            .x_axis_formatter(move |m, _| {
                let i = m.value.round();
                if (m.value - i).abs() < 1e-6 && i >= 0.0 {
                    names
                        .get(i as usize)
                        .copied()
                        .unwrap_or_default()
                        .to_string()
                } else {
                    String::new()
                }
            })
            .include_y(0.0)
            // A few bars stay bar-shaped instead of filling the whole width.
            .include_x(-0.8)
            .include_x(names_len.max(4) as f64 - 0.2)
            .allow_zoom(false)
            .allow_drag(false)
            .allow_scroll(false)
            .show(ui, |plot| plot.bar_chart(BarChart::new("by status", bars)))
            .response
            .widget_info(|| labeled("Entries by status class"));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_labels_follow_the_span() {
        assert_eq!(time_label(1_767_323_045.0, 60.0), "03:04:05");
        assert_eq!(time_label(1_767_323_045.0, 200_000.0), "01-02 03:04");
    }
}
