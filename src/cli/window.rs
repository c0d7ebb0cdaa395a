//! No subcommand: open the window (and, with SEGMENT_CONSOLE_SMOKE=1, run its smoke check).

use segment_console::app::background::services::{RfdPicker, runtime};
use segment_console::app::background::smoke::{Smoke, SmokeResult};
use segment_console::app::{App, AppOptions};
use segment_console::files::paths::DataDirs;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The window's icon (also installed with the desktop entry, assets/segment-console.desktop).
const ICON: &[u8] = include_bytes!("../../assets/icon.png");

pub fn run(started: Instant) -> ExitCode {
    let smoke = std::env::var("SEGMENT_CONSOLE_SMOKE").is_ok_and(|v| v == "1");
    let dirs = match DataDirs::locate() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("segment-console: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("segment-console: cannot start worker threads: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = Arc::new(Mutex::new(SmokeResult::default()));
    let smoke_state = smoke.then(|| Smoke::new(started, result.clone()));
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("segment-console")
        .with_app_id("segment-console")
        .with_inner_size([1400.0, 880.0])
        .with_min_inner_size([900.0, 560.0])
        .with_drag_and_drop(true);
    // A broken icon would be a build mistake; the window opens without one rather than not at all.
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON) {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let options = eframe::NativeOptions {
        viewport,
        persist_window: !smoke,
        ..Default::default()
    };
    let run = eframe::run_native(
        "segment-console",
        options,
        Box::new(move |cc| {
            Ok(Box::new(App::new(
                cc,
                AppOptions {
                    dirs,
                    runtime,
                    picker: Arc::new(RfdPicker),
                    smoke: smoke_state,
                },
            )))
        }),
    );
    if let Err(e) = run {
        eprintln!("segment-console: the window could not open: {e}");
        return ExitCode::FAILURE;
    }
    if !smoke {
        return ExitCode::SUCCESS;
    }
    let r = result.lock().map(|r| r.clone()).unwrap_or_default();
    if r.passed() {
        ExitCode::SUCCESS
    } else {
        eprintln!("SMOKE failed: {r:?}");
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_icon_is_a_square_png() {
        let icon = eframe::icon_data::from_png_bytes(super::ICON).expect("the icon decodes");
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }
}
