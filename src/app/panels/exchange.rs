//! A sent event, request by request: what was sent, and each attempt's reply (status, time,
//! size, headers, the body pretty-printed when it is JSON).

use crate::app::model::body_text::{shown_body, size_text};
use crate::app::theme::palette;
use crate::transport::{Attempt, Exchange, SendReport};

pub fn show_report(ui: &mut egui::Ui, report: &SendReport, id: &str) {
    ui.label(format!(
        "{} request(s), {} ms in all, {}",
        report.exchanges.len(),
        report.elapsed_ms,
        report.class().as_str()
    ));
    for (i, ex) in report.exchanges.iter().enumerate() {
        show_exchange(ui, ex, &format!("{id}-{i}"));
    }
}

pub fn show_exchange(ui: &mut egui::Ui, ex: &Exchange, id: &str) {
    let p = palette(ui);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.strong(format!("{} {}", ex.request.method, ex.request.url));
        ui.weak(&ex.request.description);
        if let Some(why) = &ex.not_sent {
            ui.colored_label(p.warning, format!("Not sent: {why}"));
        }
        egui::CollapsingHeader::new("Request sent")
            .id_salt(format!("{id}-req"))
            .show(ui, |ui| {
                for h in &ex.request.headers {
                    ui.monospace(format!("{}: {}", h.name, h.value));
                }
                if let Some(b) = &ex.request.body {
                    ui.monospace(shown_body(b));
                }
            });
        let n = ex.attempts.len();
        for (k, a) in ex.attempts.iter().enumerate() {
            attempt(ui, a, k + 1, n, &format!("{id}-a{k}"));
        }
    });
}

fn attempt(ui: &mut egui::Ui, a: &Attempt, k: usize, n: usize, id: &str) {
    let p = palette(ui);
    ui.horizontal_wrapped(|ui| {
        if n > 1 {
            ui.label(format!("attempt {k} of {n}:"));
        }
        match (a.status, &a.error) {
            (Some(s), _) => {
                let color = if (200..300).contains(&s) {
                    p.ok
                } else {
                    p.error
                };
                ui.colored_label(color, format!("{s} {}", a.status_text));
            }
            (None, Some(e)) => {
                ui.colored_label(p.error, e.to_string());
            }
            (None, None) => {
                ui.label("no reply");
            }
        }
        ui.label(format!("{} ms", a.elapsed_ms));
        if let Some(b) = &a.body {
            let shown = if b.truncated {
                format!(
                    "{} (kept {})",
                    size_text(b.size),
                    size_text(b.text.len() as u64)
                )
            } else {
                size_text(b.size)
            };
            ui.label(shown);
        }
        if let Some(w) = a.wait_ms {
            ui.weak(format!("waited {w} ms before retrying"));
        }
    });
    if let (Some(_), Some(e)) = (a.status, &a.error) {
        ui.colored_label(p.error, e.to_string());
    }
    egui::CollapsingHeader::new("Response headers and body")
        .id_salt(id)
        .default_open(k == n)
        .show(ui, |ui| {
            for h in &a.headers {
                ui.monospace(format!("{}: {}", h.name, h.value));
            }
            if let Some(b) = &a.body {
                if b.encoding.is_some() {
                    ui.weak("(binary body, kept as base64)");
                }
                ui.monospace(shown_body(&b.text));
            }
        });
}
