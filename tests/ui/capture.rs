//! Capture in the window (docs/capture.md): the Capture switch in the top bar starts a capture
//! on a free port forwarding to the window's sandbox; events posted over real HTTP appear in the
//! Live pane with their counts; a selected event opens in the composer; the switch stops it.

use crate::support::sandbox::raw_http;
use crate::support::ui::open;
use egui_kittest::kittest::{NodeT, Queryable};
use serde_json::json;

#[test]
fn the_capture_switch_starts_a_live_pane_that_shows_posted_events() {
    let mut ui = open();
    ui.wait_sandbox();
    ui.replace_text("Port", "0");
    ui.click("Forward to the sandbox");
    ui.click("Capture");
    ui.wait_for("the capture to start", |h| {
        h.state().live.base_url().is_some()
    });
    let url = ui.harness.state().live.base_url().unwrap_or_default();
    let addr = url
        .trim_start_matches("http://")
        .parse()
        .expect("host:port");
    let batch = json!({"batch": [
        {"type": "identify", "userId": "ada", "messageId": "w1",
         "traits": {"email": "ada@example.com", "name": "Ada Lovelace"}},
        {"type": "track", "userId": "ada", "event": "Report Exported", "messageId": "w2"},
        {"type": "track", "userId": "ada", "messageId": "w3"},
    ]});
    let (status, body) = raw_http(addr, "POST", "/v1/batch", &batch.to_string());
    assert_eq!(status, 200, "{body}");
    ui.wait_for("the events in the Live pane", |h| {
        h.state().live.pane.counts().events == 3
    });
    ui.steps(3);
    assert!(ui.has_label_containing("3 events"));
    assert!(ui.has_label_containing("2 valid"));
    assert!(ui.has_label_containing("1 invalid"));
    assert!(ui.has_label_containing("Report Exported"));
    // Forwarded to the sandbox: the identify and the track were delivered.
    assert!(ui.has_label_containing("2 delivered, 0 failed"));
    // Each row is one widget that a screen reader reads whole; a click on it selects the
    // event, then it opens in the composer.
    let row = ui
        .harness
        .get_by_label_contains("track Report Exported from ada, valid");
    assert_eq!(row.accesskit_node().role(), egui::accesskit::Role::Row);
    row.click();
    ui.steps(3);
    assert_eq!(ui.harness.state().live.pane.selected, Some(2));
    ui.click("Open in composer");
    assert_eq!(ui.value("Event name"), "Report Exported");
    // Into the scratch event: the set's events are not overwritten by a click on a row.
    let lib = &ui.harness.state().lib;
    assert_eq!(lib.selected, None, "the scratch event is selected");
    let set = serde_json::to_string(&lib.set.events).expect("the set as JSON");
    assert!(
        !set.contains("Report Exported"),
        "the set is unchanged: {set}"
    );
    // The history pane lists what was captured.
    ui.wait_for("the history to show the captured events", |h| {
        h.state().history.total.unwrap_or(0) >= 3
    });
    ui.click("Capture");
    // The switch answers at once; the server finishes off the UI thread.
    assert!(ui.harness.state().live.base_url().is_none());
    ui.wait_for("the capture to stop", |h| !h.state().live.stopping);
    assert!(ui.has_label_containing("Capture stopped."));
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the port is closed"
    );
}

#[test]
fn a_loaded_plan_checks_captured_events_in_the_live_panes_plan_column() {
    let mut ui = open();
    ui.wait_sandbox();
    let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans/public-api.json");
    ui.picker.set(&plan);
    ui.click("File");
    ui.click("Load tracking plan…");
    ui.wait_for("the plan", |h| h.state().plan.loaded());
    ui.replace_text("Port", "0");
    ui.click("Capture");
    ui.wait_for("the capture to start", |h| {
        h.state().live.base_url().is_some()
    });
    let url = ui.harness.state().live.base_url().unwrap_or_default();
    let addr = url
        .trim_start_matches("http://")
        .parse()
        .expect("host:port");
    let ip = json!({"ip": "203.0.113.9"});
    let batch = json!({"batch": [
        // Meets the plan: COMMON wants context.ip, identify wants traits.email.
        {"type": "identify", "userId": "ada", "messageId": "p1", "context": ip,
         "traits": {"email": "ada@example.com"}},
        // No rule for this track: an unplanned event, a warning.
        {"type": "track", "userId": "ada", "event": "Report Exported", "messageId": "p2",
         "context": ip},
        // No email: Required-Missing, an error.
        {"type": "identify", "userId": "bob", "messageId": "p3", "context": ip, "traits": {}},
    ]});
    let (status, body) = raw_http(addr, "POST", "/v1/batch", &batch.to_string());
    assert_eq!(status, 200, "{body}");
    ui.wait_for("the events in the Live pane", |h| {
        h.state().live.pane.counts().events == 3
    });
    ui.steps(3);
    assert_eq!(
        ui.harness.state().live.pane.plan.as_deref(),
        Some("public-api.json")
    );
    assert!(ui.has_label_containing("1 warning"), "the unplanned track");
    assert!(
        ui.has_label_containing("1 error"),
        "the identify without email"
    );
    assert!(
        ui.harness.query_all_by_label("ok").next().is_some(),
        "the event that meets the plan"
    );
    ui.click("Capture");
}
