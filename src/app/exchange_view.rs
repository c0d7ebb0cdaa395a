//! A sent event, request by request: what was sent, and each attempt's reply (status, time,
//! size, headers, the body pretty-printed when it is JSON).

use super::theme::palette;
use crate::transport::{Attempt, Exchange, SendReport};

/// The most of a body drawn in the window: laying out a megabyte every frame would freeze it.
pub const SHOWN_BODY_BYTES: usize = 32 * 1024;

/// What the window draws of a body: pretty JSON when it is JSON and short enough, else its
/// first [`SHOWN_BODY_BYTES`] with a note of what is left out.
pub fn shown_body(text: &str) -> String {
    if text.len() <= SHOWN_BODY_BYTES {
        return pretty_body(text);
    }
    let mut cut = SHOWN_BODY_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!(
        "{}\n… {} more bytes not shown here (the history entry and its exports keep them)",
        text.get(..cut).unwrap_or_default(),
        text.len() - cut
    )
}

/// Pretty JSON when the text is JSON, else the text itself.
pub fn pretty_body(text: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string()),
        Err(_) => text.to_string(),
    }
}

pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_body_is_drawn_cut_with_a_note() {
        assert_eq!(shown_body("{\"a\":1}"), "{\n  \"a\": 1\n}");
        let long = "é".repeat(SHOWN_BODY_BYTES);
        let shown = shown_body(&long);
        let (head, note) = shown.split_once('\n').unwrap();
        assert_eq!(head, "é".repeat(SHOWN_BODY_BYTES / 2));
        assert_eq!(
            note,
            format!(
                "… {} more bytes not shown here (the history entry and its exports keep them)",
                SHOWN_BODY_BYTES
            )
        );
    }
}
