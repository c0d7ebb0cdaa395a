//! The history pane's charts: latency over time and a count by status class, for the entries
//! the filters select. The summaries are read and summed up on the history thread, once per
//! change of the filters or of the history (its generation), never per frame.

use super::theme::palette;
use crate::history::{Filter, History, Summary};
use crate::transport::StatusClass;
use egui_plot::{Bar, BarChart, Line, Plot, Points};
use std::sync::mpsc::{Receiver, channel};

/// The most entries charted (the newest of the filtered ones).
pub const LIMIT: usize = 5_000;

/// What the charts draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// (unix seconds, duration in ms) of the entries that sent requests, oldest first.
    pub points: Vec<[f64; 2]>,
    /// Entries per status class, in the classes' order, only classes that occur.
    pub counts: Vec<(StatusClass, usize)>,
    /// Entries read (at most `LIMIT`).
    pub read: usize,
    pub median_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
}

/// Sums up summaries (any order).
pub fn summarize(rows: &[Summary]) -> ChartData {
    let mut points: Vec<[f64; 2]> = rows
        .iter()
        .filter(|s| s.outcome == "requests")
        .filter_map(|s| {
            let t = chrono::DateTime::parse_from_rfc3339(&s.time).ok()?;
            let secs = t.timestamp() as f64 + f64::from(t.timestamp_subsec_millis()) / 1000.0;
            Some([secs, s.duration_ms as f64])
        })
        .collect();
    points.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let mut ms: Vec<u64> = rows
        .iter()
        .filter(|s| s.outcome == "requests")
        .map(|s| s.duration_ms)
        .collect();
    ms.sort_unstable();
    // Nearest-rank percentile: the smallest value with at least p% of values at or below it.
    let rank = |p: usize| -> u64 {
        if ms.is_empty() {
            return 0;
        }
        let k = (p * ms.len()).div_ceil(100).clamp(1, ms.len());
        ms.get(k - 1).copied().unwrap_or(0)
    };
    let counts = StatusClass::ALL
        .iter()
        .map(|c| {
            (
                *c,
                rows.iter().filter(|s| s.status_class == Some(*c)).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    ChartData {
        points,
        counts,
        read: rows.len(),
        median_ms: rank(50),
        p95_ms: rank(95),
        max_ms: ms.last().copied().unwrap_or(0),
    }
}

type Reply = (u64, Result<ChartData, String>);

#[derive(Default)]
pub struct Charts {
    /// The strip was drawn open this frame (only then is anything read).
    pub open: bool,
    /// The history generation the data is for, or is being read for.
    pub generation: Option<u64>,
    pub data: Option<Result<ChartData, String>>,
    rx: Option<Receiver<Reply>>,
}

impl Charts {
    /// Whether the data must be read again for `generation`.
    pub fn stale(&self, generation: u64) -> bool {
        self.open && self.generation != Some(generation)
    }

    /// Reads and sums up the filtered entries on the history thread. The answer comes on the
    /// charts' own channel, and wakes the window.
    pub fn request(
        &mut self,
        generation: u64,
        filter: Filter,
        ctx: &egui::Context,
        run: impl FnOnce(Box<dyn FnOnce(&mut History) + Send>),
    ) {
        let (tx, rx) = channel();
        self.rx = Some(rx);
        self.generation = Some(generation);
        let ctx = ctx.clone();
        run(Box::new(move |h: &mut History| {
            let r = h
                .query(&filter, 0, LIMIT)
                .map(|rows| summarize(&rows))
                .map_err(|e| e.to_string());
            let _ = tx.send((generation, r));
            ctx.request_repaint();
        }));
    }

    /// Takes in a finished read, if any.
    pub fn poll(&mut self) {
        let Some(rx) = &self.rx else { return };
        if let Ok((generation, r)) = rx.try_recv() {
            if Some(generation) == self.generation {
                self.data = Some(r);
            }
            self.rx = None;
        }
    }
}

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

    fn row(id: i64, time: &str, ms: u64, class: StatusClass, outcome: &str) -> Summary {
        Summary {
            id,
            time: time.into(),
            destination: "salesmachine".into(),
            mode: "partner-api".into(),
            target: "sandbox".into(),
            call_type: "track".into(),
            event_name: "A".into(),
            outcome: outcome.into(),
            status_class: Some(class),
            status_text: String::new(),
            duration_ms: ms,
        }
    }

    #[test]
    fn latency_points_in_time_order_and_counts_by_class() {
        let rows = vec![
            row(
                3,
                "2026-01-02T03:04:07.500Z",
                40,
                StatusClass::ClientError,
                "requests",
            ),
            row(
                2,
                "2026-01-02T03:04:06.000Z",
                10,
                StatusClass::Success,
                "requests",
            ),
            row(
                1,
                "2026-01-02T03:04:05.000Z",
                20,
                StatusClass::Success,
                "requests",
            ),
            row(
                0,
                "2026-01-02T03:04:04.000Z",
                0,
                StatusClass::Skipped,
                "skipped",
            ),
        ];
        let d = summarize(&rows);
        let t0 = 1_767_323_045.0;
        assert_eq!(
            d.points,
            vec![[t0, 20.0], [t0 + 1.0, 10.0], [t0 + 2.5, 40.0]]
        );
        assert_eq!(
            d.counts,
            vec![
                (StatusClass::Success, 2),
                (StatusClass::ClientError, 1),
                (StatusClass::Skipped, 1)
            ]
        );
        assert_eq!((d.median_ms, d.p95_ms, d.max_ms), (20, 40, 40));
        assert_eq!(d.read, 4);
        assert_eq!(summarize(&[]), ChartData::default());
    }

    #[test]
    fn time_labels_follow_the_span() {
        assert_eq!(time_label(1_767_323_045.0, 60.0), "03:04:05");
        assert_eq!(time_label(1_767_323_045.0, 200_000.0), "01-02 03:04");
    }
}
