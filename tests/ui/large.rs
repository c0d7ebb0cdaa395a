//! The window with large events: a long request body is drawn a screenful at a time, and a
//! huge property value is not put in a one-line field (both cost every frame otherwise).

use crate::support::ui::open;
use egui_kittest::kittest::{Queryable, by};
use serde_json::{Value, json};

/// A track Salesmachine accepts whose properties (all forwarded in the request body) are
/// `extra` plus the account the destination needs.
fn track_with(extra: serde_json::Map<String, Value>) -> Value {
    let mut props = extra;
    props.insert("account_uid".into(), json!("acc_acme"));
    json!({"type": "track", "userId": "u_1", "event": "Big Order", "properties": props})
}

#[test]
fn a_long_request_body_shows_the_lines_in_view_and_the_rest_when_scrolled_to() {
    let mut ui = open();
    ui.wait_sandbox();
    let props = (0..400).map(|i| (format!("k{i:03}"), json!(i))).collect();
    ui.harness.state_mut().doc.replace(&track_with(props));
    ui.steps(4);
    let lines: usize = match ui.harness.state().preview() {
        Some(p) => p.requests.iter().map(|r| r.lines.len()).sum(),
        None => 0,
    };
    assert!(lines > 400, "the request has {lines} lines");
    assert!(ui.has_label_containing("\"k000\": 0"));
    // Far below the fold: not drawn (the source pane shows only its first lines too).
    assert!(!ui.has_label_containing("\"k399\": 399"));

    let below_title = ui
        .harness
        .get_by_label("Copy as curl")
        .rect()
        .center_bottom();
    ui.harness.hover_at(below_title + egui::vec2(0.0, 120.0));
    ui.steps(1);
    for _ in 0..20 {
        ui.harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Page,
            delta: egui::vec2(0.0, -1.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
            modifiers: egui::Modifiers::NONE,
        });
        ui.steps(1);
    }
    ui.steps(2);
    assert!(ui.has_label_containing("\"k399\": 399"));
}

#[test]
fn a_huge_property_value_is_summarised_and_kept_when_other_rows_change() {
    let mut ui = open();
    ui.wait_sandbox();
    let items: Vec<Value> = (0..300)
        .map(|i| json!({"sku": format!("SKU-{i:04}"), "qty": i % 5}))
        .collect();
    let mut props = serde_json::Map::new();
    props.insert("products".into(), Value::Array(items.clone()));
    props.insert("coupon".into(), json!("SPRING"));
    ui.harness.state_mut().doc.replace(&track_with(props));
    ui.steps(3);
    assert!(ui.has_label_containing("KB of JSON: edit it in Event JSON"));
    // The small value is still edited in its row.
    assert!(ui.harness.query_all(by().value("SPRING")).next().is_some());

    ui.click("+ Add property");
    let doc = ui.harness.state().doc.value().cloned().unwrap_or_default();
    assert_eq!(doc["properties"]["products"], Value::Array(items));
    assert_eq!(doc["properties"]["coupon"], json!("SPRING"));
    assert_eq!(doc["properties"]["key4"], json!(""));
}
