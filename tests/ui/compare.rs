//! The Tools windows driven as a person would, by accessible names: fan-out, the compare view
//! (diff rows, next/previous change, history entries side by side), the audience sync builder,
//! and the history charts. Plus an image snapshot of the compare view.

use crate::support::ui::{Ui, open, open_in};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use segment_console::event::audience::Audience;
use serde_json::json;

const LEFT: &str = r#"{"event":"Signed Up","userId":"u1","properties":{"plan":"pro","seats":3}}"#;
const RIGHT: &str =
    r#"{"userId":"u2","properties":{"seats":3,"plan":"team","trial":true},"event":"Signed Up"}"#;

fn menu(ui: &mut Ui, item: &str) {
    ui.click("Tools");
    ui.click(item);
}

/// Picks an entry of the combo box named `combo` (its entries are buttons in a popup).
fn choose(ui: &mut Ui, combo: &str, entry: &str) {
    ui.harness
        .get_by_role_and_label(Role::ComboBox, combo)
        .click();
    ui.steps(2);
    ui.harness
        .get_by_role_and_label(Role::Button, entry)
        .click();
    ui.steps(3);
}

/// Types into the text field named `label` (focused first, as a click would).
fn type_into(ui: &mut Ui, label: &str, text: &str) {
    ui.harness.get_by_label(label).focus();
    ui.steps(2);
    ui.harness.get_by_label(label).type_text(text);
    ui.steps(3);
}

/// The rows of the diff, as their accessible names say them.
fn rows(ui: &Ui) -> Vec<String> {
    ui.harness
        .get_by_role_and_label(Role::Region, "Diff")
        .query_all_by_role(Role::Row)
        .map(|n| n.accesskit_node().label().unwrap_or_default())
        .collect()
}

fn changed_rows(ui: &Ui) -> Vec<String> {
    rows(ui)
        .into_iter()
        .filter(|r| !r.starts_with("same "))
        .collect()
}

fn pasted_sides(ui: &mut Ui, left: &str, right: &str) {
    menu(ui, "Compare payloads");
    choose(ui, "Left source", "Pasted JSON");
    choose(ui, "Right source", "Pasted JSON");
    type_into(ui, "Left pasted JSON", left);
    type_into(ui, "Right pasted JSON", right);
}

#[test]
fn fan_out_shows_a_column_per_destination() {
    let mut ui = open();
    ui.wait_sandbox();
    ui.click("5. track Order Completed");
    menu(&mut ui, "Fan-out to every destination");
    let expect = [
        ("Salesmachine", "/salesmachine/v1/track/event"),
        ("Startdeliver", "/startdeliver/segment"),
        ("Freshmarketer", "/freshmarketer/segment"),
        ("Skalin", "/skalin/hit?rec=1&action=ev"),
        ("Webhooks", "/webhook/in"),
    ];
    for (name, url) in expect {
        let region = format!("Fan-out {name}");
        let column = ui.harness.get_by_role_and_label(Role::Region, &region);
        assert!(
            column.query_all_by_label_contains(url).next().is_some(),
            "{name}: no request to {url}"
        );
    }
    assert_eq!(
        ui.harness
            .state()
            .tools
            .fanout
            .model
            .as_ref()
            .map(|m| m.columns.len()),
        Some(5)
    );
    // A column's request goes to a side of the compare view.
    ui.harness
        .get_by_role_and_label(Role::Region, "Fan-out Webhooks")
        .get_by_label("Compare as right")
        .click();
    ui.steps(3);
    assert!(ui.harness.state().tools.compare.open);
    assert!(ui.has_label_containing("Webhooks request 1: POST track event to webhook"));
    // Only rows in view are drawn (and named), so the text is read from the model here.
    let right = ui.harness.state().tools.compare.right_view.text.clone();
    assert!(
        right.as_deref().is_ok_and(
            |t| t.contains("\"url\": \"http://127.0.0.1:") && t.contains("/webhook/in\"")
        ),
        "{right:?}"
    );
}

#[test]
fn the_diff_of_two_known_payloads_shows_exactly_the_changed_lines() {
    let mut ui = open();
    ui.steps(3);
    pasted_sides(&mut ui, LEFT, RIGHT);
    assert_eq!(
        changed_rows(&ui),
        vec![
            r#"changed 4 4:     "plan": "pro", |     "plan": "team","#,
            r#"changed 5 5:     "seats": 3 |     "seats": 3,"#,
            r#"added 6:     "trial": true"#,
            r#"changed 7 8:   "userId": "u1" |   "userId": "u2""#,
        ]
    );
    // Key order does not count: the event line, sorted first, is the same on both sides.
    assert!(rows(&ui).contains(&r#"same 2 2:   "event": "Signed Up","#.to_string()));
    assert!(ui.has_label_containing("3 changed, 1 added, 0 removed line(s)"));
    assert!(ui.has_label_containing("2 changes"));
    // Frames alone never compute the diff again.
    let computed = ui.harness.state().tools.compare.computed;
    ui.steps(10);
    assert_eq!(ui.harness.state().tools.compare.computed, computed);
}

#[test]
fn next_and_previous_move_the_current_change() {
    let mut ui = open();
    ui.steps(3);
    pasted_sides(&mut ui, LEFT, RIGHT);
    let current = |ui: &Ui| ui.harness.state().tools.compare.current;
    assert_eq!(current(&ui), None);
    ui.click("Next change");
    assert_eq!(current(&ui), Some(0));
    assert!(ui.has_label_containing("Change 1 of 2"));
    ui.click("Next change");
    assert_eq!(current(&ui), Some(1));
    assert!(ui.has_label_containing("Change 2 of 2"));
    ui.click("Next change");
    assert_eq!(current(&ui), Some(1), "the last change stays current");
    ui.click("Previous change");
    assert_eq!(current(&ui), Some(0));
}

#[test]
fn long_unchanged_runs_fold_and_expand() {
    let mut ui = open();
    ui.steps(3);
    let left: serde_json::Map<String, serde_json::Value> =
        (0..20).map(|i| (format!("k{i:02}"), json!(i))).collect();
    let mut right = left.clone();
    right.insert("k10".into(), json!("ten"));
    pasted_sides(
        &mut ui,
        &serde_json::Value::Object(left).to_string(),
        &serde_json::Value::Object(right).to_string(),
    );
    // 22 lines: 8 folded, three of context, the change, three of context, 7 folded.
    assert_eq!(
        changed_rows(&ui),
        vec![r#"changed 12 12:   "k10": 10, |   "k10": "ten","#]
    );
    assert_eq!(rows(&ui).len(), 3 + 1 + 3);
    assert!(ui.has_label_containing("7 unchanged lines"));
    ui.click("8 unchanged lines");
    assert_eq!(rows(&ui).len(), 8 + 3 + 1 + 3);
    assert_eq!(rows(&ui).first().map(String::as_str), Some("same 1 1: {"));
    assert!(ui.harness.query_by_label("8 unchanged lines").is_none());
    ui.click("Fold unchanged lines");
    assert_eq!(rows(&ui).len(), 22);
}

#[test]
fn the_event_before_and_after_an_edit() {
    let mut ui = open();
    ui.steps(3);
    ui.click("1. identify u_4f8a2c");
    ui.replace_text("User id", "u_9");
    menu(&mut ui, "Compare payloads");
    assert_eq!(
        changed_rows(&ui),
        vec![r#"changed 33 33:   "userId": "u_4f8a2c" |   "userId": "u_9""#]
    );
}

#[test]
fn the_audience_builder_adds_exactly_its_events_to_the_set() {
    let mut ui = open();
    ui.steps(3);
    let before = ui.harness.state().lib.set.events.len();
    menu(&mut ui, "Audience sync builder");
    ui.replace_text("Audience name", "Trial Users 2026");
    ui.replace_text("Space id", "w5ZnDF");
    ui.replace_text("Computation id", "aud_42");
    type_into(&mut ui, "User ids, one a line", "u_a\nu_b, u_a");
    ui.click("Exited");
    ui.click("Also the track variant");
    assert!(ui.has_label_containing("Trait key: trial_users_2026"));
    ui.click("Add to set");
    let expected = Audience {
        name: "Trial Users 2026".into(),
        space_id: "w5ZnDF".into(),
        computation_id: "aud_42".into(),
    }
    .sync(&["u_a".into(), "u_b".into()], false, true);
    let app = ui.harness.state();
    assert_eq!(app.lib.set.events.len(), before + 4);
    // Inserted after the selected event (the first), in order; the last one is selected.
    assert_eq!(app.lib.set.events[1..5].to_vec(), expected);
    assert_eq!(app.lib.selected, Some(4));
    assert_eq!(
        expected[0]["traits"],
        json!({"trial_users_2026": false}),
        "the identify of an exit"
    );
    for label in [
        "2. identify u_a",
        "3. track Audience Exited",
        "4. identify u_b",
        "5. track Audience Exited",
    ] {
        assert!(ui.harness.query_by_label(label).is_some(), "no {label}");
    }
}

#[test]
fn two_history_entries_side_by_side_and_the_charts() {
    let mut ui = open();
    ui.wait_sandbox();
    ui.click("1. identify u_4f8a2c");
    ui.click("Send");
    ui.wait_for("one entry", |h| h.state().history.total == Some(1));
    ui.replace_text("User id", "u_9");
    ui.click("Send");
    ui.wait_for("two entries", |h| h.state().history.total == Some(2));
    let history = |ui: &Ui, id: i64| {
        ui.harness
            .state()
            .history
            .rows
            .values()
            .find(|s| s.id == id)
            .map(|s| s.id)
    };
    ui.wait_for("both rows", |h| h.state().history.rows.len() == 2);
    assert_eq!(history(&ui, 1), Some(1));
    for (id, side) in [(1, "Compare as left"), (2, "Compare as right")] {
        ui.harness.state_mut().history.selected = None;
        ui.steps(2);
        // Newest first: entry 2 is the first row.
        ui.harness
            .get_by_role_and_label(Role::Region, "History")
            .get_all_by_label("identify")
            .nth(if id == 1 { 1 } else { 0 })
            .unwrap_or_else(|| panic!("no row {id}"))
            .click();
        ui.wait_for("the entry's details", |h| {
            h.state().history.detail.as_ref().map(|e| e.id) == Some(id)
        });
        ui.click(side);
    }
    let changed = changed_rows(&ui);
    assert!(
        changed
            .iter()
            .any(|r| r.contains("\"u_4f8a2c\"") && r.contains("\"u_9\"")),
        "{changed:?}"
    );
    assert!(ui.has_label_containing("History #1: request 1 of identify"));
    assert!(ui.has_label_containing("History #2: request 1 of identify"));
    // The charts of the two sends.
    // The compare window lies over the history's top: a person would move it or close it.
    ui.harness.state_mut().tools.compare.open = false;
    ui.steps(3);
    ui.click("Charts");
    ui.wait_for("the charts", |h| {
        h.query_by_label_contains("By status: 2xx 2.").is_some()
    });
    assert!(ui.has_label_containing("Latency of 2 sent entries"));
    assert!(
        ui.harness
            .query_by_label("Entries by status class")
            .is_some()
    );
}

#[test]
fn compare_view_snapshot() {
    // The preview behind the window shows request URLs: a live target keeps them stable.
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        home.path().join("settings.json"),
        r#"{"destinations": {"salesmachine": {"settings": {"apiKey": "sandbox-api-key", "apiSecret": "sandbox-api-secret"}, "target": "live"}}}"#,
    )
    .expect("settings");
    let mut ui = open_in(home, Some(egui::Theme::Dark));
    ui.wait_sandbox();
    let left: serde_json::Map<String, serde_json::Value> = (0..14)
        .map(|i| (format!("field_{i:02}"), json!(format!("value {i}"))))
        .collect();
    let mut right = left.clone();
    right.insert("field_03".into(), json!("value three"));
    right.shift_remove("field_08");
    right.insert("field_99".into(), json!({"added": true}));
    pasted_sides(
        &mut ui,
        &serde_json::Value::Object(left).to_string(),
        &serde_json::Value::Object(right).to_string(),
    );
    ui.click("Next change");
    ui.steps(5);
    let rect = ui
        .harness
        .get_by_label_contains("sandbox http://127.0.0.1:")
        .rect();
    ui.harness.mask(rect.expand(4.0));
    ui.harness.snapshot("compare_view");
}
