//! The layout at the sizes people use, from a laptop's 1280x720 to 2560x1440: no interactive
//! widget drawn over another (what egui hit-tests, clipped to what is visible), the partner
//! request's URL whole on screen, a history entry's details beside the table rather than over
//! it, and image snapshots at three of the sizes. Also what a screen reader and a keyboard user
//! need of the history: rows they can find by what they read, select, and leave with Tab for
//! the entry's actions.

use crate::support::bench::history_entries;
use crate::support::ui::{Ui, open_sized};
use egui::accesskit::Role;
use egui_kittest::kittest::{By, NodeT, Queryable};
use segment_console::history::History;

const SIZES: [(f32, f32); 4] = [
    (1280.0, 720.0),
    (1400.0, 900.0),
    (1920.0, 1080.0),
    (2560.0, 1440.0),
];

/// A window of `size` on a data folder whose history holds a dozen entries (fixed times, every
/// destination) and whose Salesmachine targets `live`, so that the request URL is stable.
fn window(size: (f32, f32), target: &str) -> Ui {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        home.path().join("settings.json"),
        format!(
            r#"{{"destinations": {{"salesmachine": {{"settings": {{"apiKey": "sandbox-api-key", "apiSecret": "sandbox-api-secret"}}, "target": "{target}"}}}}}}"#
        ),
    )
    .expect("settings");
    let mut h = History::open(&home.path().join("history.sqlite3")).expect("history");
    h.append_all(&history_entries(12)).expect("entries");
    drop(h);
    let mut ui = open_sized(home, None, [size.0, size.1]);
    ui.wait_sandbox();
    ui.wait_for("the history's rows", |h| {
        h.query_all(By::new().role(Role::Row)).count() >= 3
    });
    ui.steps(3);
    ui
}

/// Every widget that takes clicks or typing in the last frame, where it can be hit: egui's own
/// record of the frame, with each rectangle already clipped to what is visible. Popups and
/// tooltips (which float above on purpose) are left out.
fn interactive(ui: &Ui) -> Vec<(String, egui::Rect)> {
    let screen = ui.harness.ctx.content_rect();
    ui.harness.ctx.viewport(|vp| {
        let mut out = Vec::new();
        for (layer, widgets) in vp.this_pass.widgets.layers() {
            if !matches!(layer.order, egui::Order::Background | egui::Order::Middle) {
                continue;
            }
            for w in widgets {
                let r = w.interact_rect.intersect(screen);
                if w.sense.senses_click() && r.width() > 1.0 && r.height() > 1.0 {
                    out.push((format!("{:?} in {:?}", w.id, layer.id), r));
                }
            }
        }
        out
    })
}

/// The pairs of interactive widgets that overlap by more than a pixel each way.
fn overlaps(widgets: &[(String, egui::Rect)]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, (a, ra)) in widgets.iter().enumerate() {
        for (b, rb) in &widgets[i + 1..] {
            let both = ra.shrink(1.0).intersect(rb.shrink(1.0));
            if both.is_positive() {
                out.push(format!("{a} at {ra:?} and {b} at {rb:?}"));
            }
        }
    }
    out
}

fn assert_no_overlap(ui: &Ui, when: &str) {
    let widgets = interactive(ui);
    assert!(
        widgets.len() > 40,
        "{when}: only {} interactive widgets found; the check would prove nothing",
        widgets.len()
    );
    // egui's panel resize edges meet at the panels' corners by construction; they are drag
    // strips on a border, not widgets over one another.
    let found: Vec<String> = overlaps(&widgets)
        .into_iter()
        .filter(|pair| pair.matches("__resize").count() < 2)
        .collect();
    assert!(
        found.is_empty(),
        "{when}: {} overlapping widget(s):\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The partner request's first line (method and URL) is whole and inside the window.
fn assert_url_whole(ui: &Ui, when: &str) {
    let screen = ui.harness.ctx.content_rect();
    let url = ui
        .harness
        .query_all_by_label_contains("POST https://")
        .next()
        .unwrap_or_else(|| panic!("{when}: no request URL in the preview"));
    let text = url
        .accesskit_node()
        .label()
        .filter(|l| !l.is_empty())
        .or_else(|| url.accesskit_node().value())
        .unwrap_or_default();
    assert!(
        text.contains("salesmachine.io/v1/contact"),
        "{when}: the URL's line is cut: {text}"
    );
    let r = url.rect();
    assert!(
        screen.contains_rect(r),
        "{when}: the URL ({r:?}) runs outside the window ({screen:?})"
    );
}

#[test]
fn nothing_overlaps_and_the_url_is_whole_at_every_size() {
    for size in SIZES {
        let when = format!("{}x{}", size.0, size.1);
        let mut ui = window(size, "live");
        assert_no_overlap(&ui, &when);
        assert_url_whole(&ui, &when);
        // An entry's details open beside the table, not over it.
        ui.harness
            .get_all(By::new().role(Role::Row))
            .next()
            .expect("a row")
            .click();
        ui.wait_for("an entry's details", |h| h.state().history.detail.is_some());
        ui.steps(2);
        assert_no_overlap(&ui, &format!("{when} with an entry's details open"));
        let replay = ui.harness.get_by_label("Replay").rect();
        let rows = ui.harness.get_all(By::new().role(Role::Row));
        for row in rows {
            let r = row.rect();
            assert!(
                r.max.x <= replay.min.x,
                "{when}: a row ({r:?}) reaches under the details' Replay ({replay:?})"
            );
        }
    }
}

#[test]
fn with_capture_on_the_live_pane_leaves_the_composer_room_at_every_size() {
    for size in SIZES {
        let when = format!("{}x{} with capture on", size.0, size.1);
        let mut ui = window(size, "live");
        ui.replace_text("Port", "0");
        ui.click("Capture");
        ui.wait_for("the capture to listen", |h| {
            h.state().live.base_url().is_some()
        });
        ui.steps(3);
        assert!(ui.has_label_containing("0 events"), "{when}: no Live pane");
        assert_no_overlap(&ui, &when);
        // The library, composer and preview keep a usable height above the two panes.
        let editor = ui.harness.get_by_label("Open event set…").rect();
        let live = ui.harness.get_by_label("Pause").rect();
        assert!(
            editor.max.y <= live.min.y,
            "{when}: the library's buttons ({editor:?}) reach under the Live pane ({live:?})"
        );
        ui.click("Capture");
    }
}

/// One image per size (a test each: a harness keeps its own snapshot results).
fn snapshot_at(w: f32, h: f32) {
    let mut ui = window((w, h), "live");
    let sandbox = ui
        .harness
        .get_by_label_contains("sandbox http://127.0.0.1:")
        .rect();
    ui.harness.mask(sandbox.expand(4.0));
    ui.harness.snapshot(format!("layout_{w}x{h}"));
}

#[test]
fn snapshot_1280x720() {
    snapshot_at(1280.0, 720.0);
}

#[test]
fn snapshot_1400x900() {
    snapshot_at(1400.0, 900.0);
}

#[test]
fn snapshot_1920x1080() {
    snapshot_at(1920.0, 1080.0);
}

#[test]
fn a_screen_reader_selects_a_history_row_by_name_and_replays_it() {
    let mut ui = window((1400.0, 900.0), "sandbox");
    let before = ui.harness.state().history.total.expect("counted");
    // A row reads its cells: time, call and event, destination and target, status, duration.
    let row = ui
        .harness
        .get_all(By::new().role(Role::Row))
        .find(|r| {
            r.accesskit_node()
                .label()
                .is_some_and(|l| l.contains("track Order Completed to salesmachine (sandbox)"))
        })
        .expect("the Salesmachine track's row, found by what it reads");
    let name = row.accesskit_node().label().unwrap_or_default();
    assert!(name.contains(", 200, "), "status read out: {name}");
    row.click_accesskit();
    ui.wait_for("the entry selected", |h| h.state().history.detail.is_some());
    let selected = ui
        .harness
        .get_all(By::new().role(Role::Row))
        .find(|r| r.accesskit_node().is_selected() == Some(true));
    assert_eq!(
        selected.and_then(|r| r.accesskit_node().label()),
        Some(name),
        "the row reads as selected"
    );
    ui.harness.get_by_label("Replay").click_accesskit();
    ui.wait_for("the replay in the history", |h| {
        h.state().history.total == Some(before + 1)
    });
}

#[test]
fn tab_goes_from_the_rows_to_the_entry_actions() {
    let mut ui = window((1400.0, 900.0), "sandbox");
    ui.harness
        .get_all(By::new().role(Role::Row))
        .next()
        .expect("a row")
        .click_accesskit();
    ui.wait_for("the entry selected", |h| h.state().history.detail.is_some());
    // Keyboard only from here: focus the last row shown, then Tab.
    let last = ui
        .harness
        .get_all(By::new().role(Role::Row))
        .last()
        .expect("rows");
    last.focus();
    ui.steps(2);
    let focused = |ui: &Ui| {
        ui.harness
            .query(By::new().predicate(|n| n.is_focused()))
            .and_then(|n| n.accesskit_node().label())
            .unwrap_or_default()
    };
    assert!(
        ui.harness
            .query(By::new().predicate(|n| n.is_focused()))
            .is_some_and(|n| n.accesskit_node().role() == Role::Row),
        "a row holds the focus"
    );
    ui.harness.key_press(egui::Key::Tab);
    ui.steps(2);
    assert_eq!(
        focused(&ui),
        "Replay",
        "Tab leaves the table for the details"
    );
    // Enter on a focused row selects it, as a click does.
    ui.harness
        .key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Tab);
    ui.steps(2);
    let row_name = focused(&ui);
    ui.harness.key_press(egui::Key::Enter);
    ui.wait_for("the focused row selected", |h| {
        h.query_all(By::new().role(Role::Row)).any(|r| {
            r.accesskit_node().is_selected() == Some(true)
                && r.accesskit_node().label().as_deref() == Some(row_name.as_str())
        })
    });
}

#[test]
fn tab_follows_the_layout_library_composer_preview_history() {
    let mut ui = window((1400.0, 900.0), "sandbox");
    // Where each part of the window begins, from a control known to be in it.
    let composer_left = ui.harness.get_by_label("Set").rect().max.x + 2.0;
    let preview_left = ui.harness.get_by_label("Send").rect().min.x - 2.0;
    let history_top = ui.harness.get_by_label("Search").rect().min.y - 8.0;
    let part = |r: egui::Rect| {
        // A widget's top-left corner: a tall editor's rectangle runs on under what clips it.
        let c = r.min + egui::vec2(4.0, 4.0);
        if c.y >= history_top {
            3
        } else if c.x >= preview_left {
            2
        } else if c.x >= composer_left {
            1
        } else {
            0
        }
    };
    ui.harness.get_by_label("Filter").focus();
    ui.steps(2);
    let mut seen = vec![(0, "Filter".to_string())];
    for _ in 0..150 {
        ui.harness.key_press(egui::Key::Tab);
        ui.steps(2);
        let Some(node) = ui.harness.query(By::new().predicate(|n| n.is_focused())) else {
            continue;
        };
        let r = node.rect();
        if r.min.y < 60.0 {
            // Back round to the menu and the top bar: the walk is complete.
            break;
        }
        let name = node.accesskit_node().label().unwrap_or_default();
        // egui's panel edges take the focus in the order the panels are declared, which is
        // the layout's and not the reading order; they are left out.
        if name != "Resize panel" {
            seen.push((part(r), name));
        }
    }
    let parts: Vec<usize> = seen.iter().map(|(p, _)| *p).collect();
    assert!(
        parts.windows(2).all(|w| w[0] <= w[1]),
        "Tab went back to an earlier part of the window: {seen:?}"
    );
    for (p, what) in [(1, "composer"), (2, "preview"), (3, "history")] {
        assert!(parts.contains(&p), "Tab never reached the {what}: {seen:?}");
    }
}
