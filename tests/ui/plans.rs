//! Tracking plans in the window: File > Load tracking plan… through the dialog seam, the
//! violations in the composer and the preview, a send that goes out all the same, and File >
//! Draft a plan from this event set….

use crate::support::ui::open;
use egui_kittest::kittest::{NodeT, Queryable};
use segment_console::files::{event_set, plan_file};
use std::path::Path;

const BROKEN: &str = r#"{"type": "track", "userId": "u_1", "event": "Order Completed",
  "properties": {"order_id": "o_1", "revenue": "12.00"}, "context": {"ip": "203.0.113.24"}}"#;

#[test]
fn a_loaded_plan_shows_violations_without_blocking_the_send() {
    let mut ui = open();
    ui.wait_sandbox();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans/public-api.json");
    ui.picker.set(&plan);
    ui.click("File");
    ui.click("Load tracking plan…");
    ui.wait_for("the plan", |h| h.state().plan.loaded());
    assert!(ui.has_label_containing("Tracking plan"));
    ui.click("5. track Order Completed");
    ui.steps(3);
    assert!(
        ui.has_label_containing("Tracking plan public-api.json: no violation"),
        "the tour meets the plan"
    );
    ui.replace_text("Event JSON", BROKEN);
    ui.steps(3);
    assert!(ui.has_label_containing("Tracking plan public-api.json: 1 violation"));
    // In the composer and in the preview's findings.
    assert!(ui.harness.query_all_by_label("Datatype-Mismatch").count() >= 2);
    assert!(ui.has_label_containing("properties.revenue must be number"));
    let send = ui.harness.get_by_label("Send");
    assert!(
        !send.accesskit_node().is_disabled(),
        "a plan violation never blocks a send"
    );
    ui.click("Send");
    ui.wait_for("the send in the history", |h| {
        h.state().history.total == Some(1)
    });
    // The history's plan column keeps the verdict of the plan loaded at the send.
    ui.wait_for("the entry's plan verdict in the history", |h| {
        h.state().history.rows.values().any(|r| r.plan == "1 error")
    });
    ui.steps(2);
    assert!(
        ui.has_label_containing("plan 1 error"),
        "the history row reads its plan verdict"
    );

    // Unloading stops the checks.
    ui.click("File");
    ui.click("Unload tracking plan");
    ui.steps(3);
    assert!(!ui.has_label_containing("Datatype-Mismatch"));
}

#[test]
fn a_plan_that_cannot_be_read_says_why_in_the_composer() {
    let mut ui = open();
    let bad = ui.home.path().join("plan.json");
    std::fs::write(&bad, "{\"rules\": [\n  {\"key\": 1,,}\n]}").unwrap();
    ui.picker.set(&bad);
    ui.click("File");
    ui.click("Load tracking plan…");
    ui.wait_for("the error", |h| h.state().plan.error.is_some());
    assert!(ui.has_label_containing("Tracking plan plan.json not loaded"));
    assert!(ui.has_label_containing("line 2, column 13"));
}

#[test]
fn a_plan_drafted_from_the_open_set_is_one_it_meets() {
    let mut ui = open();
    ui.steps(3);
    let out = ui.home.path().join("drafted.json");
    ui.picker.set(&out);
    ui.click("File");
    ui.click("Draft a plan from this event set…");
    ui.wait_for("the drafted plan", |_| out.exists());
    let plan = plan_file::load(&out).expect("the draft reads as a plan");
    let tour = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tour.json");
    for ev in event_set::open(&tour).unwrap().set.events {
        assert!(plan.check(&ev).is_empty(), "{ev}");
    }
    assert!(ui.has_label_containing("Drafted a plan of 5 rules from 6 events"));
}
