//! The main screen, driven as a person would, by accessible names (egui_kittest on the real App):
//! form and JSON edits kept in step, invalid JSON shown where it breaks, each destination's
//! translated request, a rejected event's findings, and a send to the sandbox then filtered and
//! replayed from the history.

use crate::support::ui::open;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use segment_console::history::{Encoded, Filter, History};

#[test]
fn form_edits_change_the_json_and_json_edits_change_the_form() {
    let mut ui = open();
    ui.steps(3);
    ui.click("Scratch event");
    ui.replace_text("Event name", "Signed Up");
    assert!(
        ui.value("Event JSON").contains("\"event\": \"Signed Up\""),
        "{}",
        ui.value("Event JSON")
    );
    ui.replace_text(
        "Event JSON",
        r#"{"type": "track", "userId": "u_9", "event": "Trial Started"}"#,
    );
    assert_eq!(ui.value("Event name"), "Trial Started");
    assert_eq!(ui.value("User id"), "u_9");
}

#[test]
fn the_key_value_rows_are_those_of_the_selected_event() {
    let mut ui = open();
    ui.steps(3);
    ui.click("1. identify u_4f8a2c");
    let cells = |ui: &crate::support::ui::Ui, v: &str| ui.harness.query_all_by_value(v).count();
    assert!(cells(&ui, "firstName") > 0);
    // The group's traits, not the identify's rows kept from the event shown before.
    ui.click("2. group acc_acme");
    assert!(cells(&ui, "industry") > 0);
    assert_eq!(cells(&ui, "firstName"), 0);
}

#[test]
fn invalid_json_keeps_the_text_and_shows_where() {
    let mut ui = open();
    ui.steps(3);
    ui.click("Scratch event");
    let broken = "{\"type\": \"track\",\n  \"event\": }";
    ui.replace_text("Event JSON", broken);
    assert_eq!(ui.value("Event JSON"), broken);
    assert!(ui.has_label_containing("JSON error at line 2, column 12"));
    // Switching events would lose the text: refused, in words.
    ui.click("1. identify u_4f8a2c");
    assert_eq!(ui.value("Event JSON"), broken);
    assert!(ui.has_label_containing("Fix or undo the JSON error"));
}

#[test]
fn each_destination_shows_its_translated_request() {
    let mut ui = open();
    ui.wait_sandbox();
    ui.click("5. track Order Completed");
    let expect = [
        ("Salesmachine", "/salesmachine/v1/track/event"),
        ("Startdeliver", "/startdeliver/segment"),
        ("Freshmarketer", "/freshmarketer/segment"),
        ("Skalin", "/skalin/hit?rec=1&action=ev"),
        ("Webhooks", "/webhook/in"),
    ];
    for (name, url) in expect {
        ui.harness
            .get_by_role_and_label(Role::ComboBox, "Destination")
            .click();
        ui.steps(2);
        ui.harness
            .get_by_label_contains(&format!("{name}  ("))
            .click();
        ui.steps(3);
        assert!(ui.has_label_containing(url), "{name}: no request to {url}");
    }
}

#[test]
fn a_rejected_event_lists_its_findings_and_cannot_be_sent() {
    let mut ui = open();
    ui.steps(3);
    ui.click("Scratch event");
    ui.replace_text("Event JSON", r#"{"type": "track", "userId": "u_1"}"#);
    assert!(ui.has_label_containing("Rejected: fix the errors to send"));
    assert!(ui.has_label_containing("A track call needs event"));
    assert!(ui.has_label_containing("$.event"));
    let send = ui.harness.get_by_label("Send");
    assert!(
        send.accesskit_node().is_disabled(),
        "Send must be disabled for a rejected event"
    );
}

#[test]
fn send_to_the_sandbox_then_filter_and_replay_history() {
    let mut ui = open();
    ui.wait_sandbox();
    ui.click("1. identify u_4f8a2c");
    ui.click("Send");
    ui.wait_for("a 201 row in History", |h| {
        h.get_by_role_and_label(Role::Region, "History")
            .query_by_label("201")
            .is_some()
    });
    assert!(ui.has_label_containing("Upsert contact"));
    ui.click("5. track Order Completed");
    ui.click("Send");
    ui.wait_for("two history entries", |h| {
        h.state().history.total == Some(2)
    });
    // Filter by text: only the track remains.
    ui.replace_text("Search", "Order Completed");
    ui.wait_for("the filtered history", |h| {
        h.state().history.total == Some(1)
    });
    ui.harness.run();
    assert!(
        ui.has_label_containing("1 entry"),
        "the count, in the singular"
    );
    assert!(
        ui.harness
            .get_by_role_and_label(Role::Region, "History")
            .query_by_label("identify")
            .is_none()
    );
    // Replay the entry: a new entry appears.
    ui.replace_text("Search", "");
    // The count and the first page come back as separate replies: wait for the row itself.
    ui.wait_for("both entries again, the track's row shown", |h| {
        h.state().history.total == Some(2)
            && h.get_by_role_and_label(Role::Region, "History")
                .query_by_label("Order Completed")
                .is_some()
    });
    ui.harness
        .get_by_role_and_label(Role::Region, "History")
        .get_by_label("Order Completed")
        .click();
    ui.wait_for("the entry's details", |h| {
        h.query_by_label("Replay").is_some()
    });
    ui.click("Replay");
    ui.wait_for("the replayed entry", |h| h.state().history.total == Some(3));
}

#[test]
fn entries_another_process_writes_appear_and_the_selection_stays() {
    let mut ui = open();
    ui.wait_sandbox();
    ui.click("5. track Order Completed");
    ui.click("Send");
    ui.wait_for("the track's row", |h| {
        h.get_by_role_and_label(Role::Region, "History")
            .query_by_label("Order Completed")
            .is_some()
    });
    ui.harness
        .get_by_role_and_label(Role::Region, "History")
        .get_by_label("Order Completed")
        .click();
    ui.wait_for("the entry selected", |h| h.state().history.detail.is_some());
    let selected = ui.harness.state().history.selected;
    // Another connection on the same file, as a `run` in a terminal would be, adds an entry.
    let path = ui.home.path().join("history.sqlite3");
    let mut other = History::open(&path).expect("a second connection opens");
    let mut copy = other
        .get(selected.expect("an id"))
        .expect("read")
        .expect("the entry");
    copy.id = 0;
    other.append(&copy).expect("the other writer appends");
    ui.wait_for("the other writer's entry in the pane", |h| {
        h.state().history.total == Some(2)
    });
    assert_eq!(
        ui.harness.state().history.selected,
        selected,
        "selection kept"
    );
}

#[test]
fn entries_another_writer_left_waiting_for_the_index_are_indexed_while_the_window_idles() {
    let mut ui = open();
    ui.wait_sandbox();
    // A `run` in a terminal that ended before its writer indexed: its entries wait in the
    // store with their search text beside them.
    let path = ui.home.path().join("history.sqlite3");
    let mut other = History::open(&path).expect("a second connection opens");
    let encoded: Vec<Encoded> = crate::support::bench::history_entries(30)
        .iter()
        .map(|e| Encoded::new(e).expect("encoded"))
        .collect();
    other.record_encoded(&encoded).expect("recorded");
    assert_eq!(other.pending(), 30);
    drop(other);
    let waiting = || -> i64 {
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.query_row("SELECT count(*) FROM pending_text", [], |r| r.get(0))
            .expect("count")
    };
    assert_eq!(waiting(), 30);
    // The window notices the other writer's commit, waits for the store to be quiet, then
    // indexes them on its history thread.
    ui.wait_for("the waiting entries indexed", |_| waiting() == 0);
    let reader = History::open_read_only(&path).expect("read");
    assert_eq!(reader.count(&Filter::default()).expect("count"), 30);
}
