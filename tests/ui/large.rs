//! The window with large events: a long request body is drawn a screenful at a time, and a
//! huge property value is not put in a one-line field (both cost every frame otherwise).

use crate::support::ui::open;
use egui::accesskit::Role;
use egui_kittest::kittest::{Queryable, by};
use segment_console::app::model::document::{LARGE_TEXT, pretty};
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

#[test]
fn a_large_event_is_edited_a_screenful_at_a_time_and_saved_as_typed_without_a_pause() {
    let mut ui = open();
    ui.wait_sandbox();
    let items: Vec<Value> = (0..4_000)
        .map(|i| json!({"sku": format!("SKU-{i:05}"), "qty": i % 5}))
        .collect();
    let mut props = serde_json::Map::new();
    props.insert("products".into(), Value::Array(items));
    let mut event = track_with(props);
    ui.harness.state_mut().doc.replace(&event);
    ui.steps(3);
    let len = ui.harness.state().doc.text().len();
    assert!(len >= LARGE_TEXT, "{len} bytes");
    // The editor describes the rows in view to a screen reader, not all 30,000.
    let editor = ui.harness.get_by_label("Event JSON");
    assert_eq!(editor.value().map(|v| v.len()), Some(len));
    let described: String = editor
        .query_all(by().role(Role::TextRun))
        .filter_map(|n| n.value())
        .collect();
    assert!(described.contains("\"SKU-00000\""), "{described:.200}");
    assert!(!described.contains("\"SKU-03999\""));

    // Replace the whole text with the event under another name and save in the next frame:
    // the typed text is parsed first, though typing has not paused.
    event["event"] = json!("Bigger Order");
    let typed = pretty(&event);
    ui.harness.get_by_label("Event JSON").focus();
    ui.steps(2);
    ui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    ui.harness.step();
    ui.harness.get_by_label("Event JSON").type_text(&typed);
    ui.harness.step();
    assert_eq!(ui.harness.state().doc.text(), typed);
    let file = ui.home.path().join("big.json");
    ui.picker.set(&file);
    ui.harness.get_by_label("Save event set").click();
    ui.wait_for("the saved set", |_| file.exists());
    let saved = segment_console::files::event_set::open(&file).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&Value> = saved.set.events.iter().map(|e| &e["event"]).collect();
    assert!(names.contains(&&json!("Bigger Order")), "{names:?}");
    assert!(!names.contains(&&json!("Big Order")), "{names:?}");
}
