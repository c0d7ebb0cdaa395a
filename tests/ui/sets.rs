//! Working with event sets in the window: open through the dialog seam, edit, the dirty marker,
//! save and reopen, the question before unsaved work is dropped, autosave restore after a crash,
//! send all, and the keyboard.

use crate::support::ui::open;
use egui_kittest::kittest::Queryable;
use segment_console::files::event_set;

const TWO: &str = "{\"type\":\"track\",\"userId\":\"u_1\",\"event\":\"Report Exported\"}\n{\"type\":\"identify\",\"userId\":\"u_1\",\"traits\":{\"plan\":\"pro\"}}\n";

#[test]
fn open_edit_save_and_reopen() {
    let mut ui = open();
    let file = ui.home.path().join("two.ndjson");
    std::fs::write(&file, TWO).unwrap();
    ui.picker.set(&file);
    ui.click("Open event set…");
    ui.wait_for("the opened set", |h| {
        h.query_by_label("1. track Report Exported").is_some()
    });
    assert!(!ui.harness.state().lib.dirty);
    ui.click("1. track Report Exported");
    ui.replace_text("Event name", "Report Shared");
    assert!(ui.harness.state().lib.dirty, "an edit marks the set dirty");
    assert!(
        ui.harness.query_by_label("•").is_some(),
        "the dirty marker shows"
    );
    // Saving an opened NDJSON file writes the console's own format to the same path.
    ui.click("Save event set");
    assert!(!ui.harness.state().lib.dirty);
    assert!(ui.harness.query_by_label("•").is_none());
    let back = event_set::open(&file).unwrap();
    assert_eq!(back.format, event_set::Format::Own);
    assert_eq!(back.set.events, ui.harness.state().lib.set.events);
    assert_eq!(back.set.events[0]["event"], "Report Shared");
    assert_eq!(back.set.events[1]["traits"]["plan"], "pro");
}

#[test]
fn unsaved_changes_are_asked_about_before_they_are_dropped() {
    let mut ui = open();
    let file = ui.home.path().join("two.ndjson");
    std::fs::write(&file, TWO).unwrap();
    ui.click("1. identify u_4f8a2c");
    ui.replace_text("User id", "u_changed");
    assert!(ui.harness.state().lib.dirty);
    ui.picker.set(&file);
    ui.click("Open event set…");
    assert!(ui.harness.query_by_label("Unsaved changes").is_some());
    ui.click("Keep editing");
    assert_eq!(ui.value("User id"), "u_changed");
    ui.click("Open event set…");
    ui.click("Discard changes");
    ui.wait_for("the other set", |h| {
        h.query_by_label("1. track Report Exported").is_some()
    });
}

#[test]
fn autosave_is_offered_back_after_a_crash() {
    let home = tempfile::tempdir().unwrap();
    {
        let mut ui = crate::support::ui::open_at(home.path());
        ui.click("1. identify u_4f8a2c");
        ui.replace_text("User id", "u_survivor");
        let autosave = home.path().join("autosave").join("unsaved.json");
        ui.wait_for("the autosave of the last edit", |_| {
            std::fs::read_to_string(&autosave).is_ok_and(|t| t.contains("u_survivor"))
        });
        // Dropped without saving or closing: a crash, as far as the files know.
    }
    let mut ui = crate::support::ui::open_at(home.path());
    ui.steps(3);
    assert!(ui.harness.query_by_label("Restore unsaved work?").is_some());
    ui.click("Restore");
    let events = &ui.harness.state().lib.set.events;
    assert_eq!(events[0]["userId"], "u_survivor");
    assert!(
        ui.harness.state().lib.dirty,
        "restored work is still unsaved"
    );
    // A fresh data folder has nothing to offer.
    let mut other = open();
    other.steps(3);
    assert!(
        other
            .harness
            .query_by_label("Restore unsaved work?")
            .is_none()
    );
}

#[test]
fn send_all_shows_progress_and_fills_history() {
    let mut ui = open();
    ui.wait_sandbox();
    ui.click("Send all");
    assert!(
        ui.harness.state().work.batch.is_some() || ui.has_label_containing("Send all finished"),
        "the batch started"
    );
    ui.wait_for("the batch to finish", |h| h.state().work.batch.is_none());
    assert!(
        ui.has_label_containing("Send all finished: 6/6 done (5 delivered, 1 skipped, 0 failed")
    );
    ui.wait_for("six history entries", |h| {
        h.state().history.total == Some(6)
    });
}

#[test]
fn shortcuts_and_the_palette() {
    let mut ui = open();
    ui.steps(3);
    let n = ui.harness.state().lib.set.events.len();
    ui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::N);
    ui.steps(3);
    assert_eq!(
        ui.harness.state().lib.set.events.len(),
        n + 1,
        "Ctrl+N adds an event"
    );
    ui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::D);
    ui.steps(3);
    assert_eq!(
        ui.harness.state().lib.set.events.len(),
        n + 2,
        "Ctrl+D duplicates it"
    );
    ui.harness
        .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    ui.steps(3);
    assert!(
        ui.harness
            .query_by_label("Command palette search")
            .is_some()
    );
    ui.harness
        .get_by_label("Command palette search")
        .type_text("duplicate");
    ui.steps(2);
    ui.harness.key_press(egui::Key::Enter);
    ui.steps(4);
    assert_eq!(
        ui.harness.state().lib.set.events.len(),
        n + 3,
        "the palette ran Duplicate"
    );
    assert!(
        ui.harness
            .query_by_label("Command palette search")
            .is_none()
    );
}

#[test]
fn events_are_reordered_by_dragging() {
    let mut ui = open();
    ui.steps(3);
    let from = ui
        .harness
        .get_by_label("6. alias anon_7d1e90b2 -> …")
        .rect()
        .center();
    let to = ui.harness.get_by_label("2. group acc_acme").rect().center();
    ui.harness.drag_at(from);
    ui.steps(2);
    ui.harness.hover_at(from + egui::vec2(0.0, -10.0));
    ui.steps(2);
    ui.harness.hover_at(to);
    ui.steps(2);
    ui.harness.drop_at(to);
    ui.steps(3);
    let types: Vec<String> = ui
        .harness
        .state()
        .lib
        .set
        .events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        types,
        ["identify", "alias", "group", "page", "screen", "track"]
    );
    assert!(ui.harness.state().lib.dirty);
}
