//! Image snapshots of the main screen in both themes (rendered headlessly with wgpu).
//! The sandbox's port changes from run to run, so its label is masked; the destination
//! targets `live` so that request URLs are stable.

use crate::support::ui::open_in;
use egui_kittest::kittest::Queryable;

fn main_screen(theme: egui::Theme, name: &str) {
    let home = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        home.path().join("settings.json"),
        r#"{"destinations": {"salesmachine": {"settings": {"apiKey": "sandbox-api-key", "apiSecret": "sandbox-api-secret"}, "target": "live"}}}"#,
    )
    .expect("settings");
    let mut ui = open_in(home, Some(theme));
    ui.wait_sandbox();
    ui.steps(5);
    let rect = ui
        .harness
        .get_by_label_contains("sandbox http://127.0.0.1:")
        .rect();
    ui.harness.mask(rect.expand(4.0));
    ui.harness.snapshot(name);
}

#[test]
fn main_screen_dark() {
    main_screen(egui::Theme::Dark, "main_screen_dark");
}

#[test]
fn main_screen_light() {
    main_screen(egui::Theme::Light, "main_screen_light");
}
