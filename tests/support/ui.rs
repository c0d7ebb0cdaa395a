//! Shared setup for the window tests: the real `App` in an egui_kittest harness, with its data
//! folder in a temporary directory and a file picker that answers with a chosen path.

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use segment_console::app::background::services::{FilePicker, PickPurpose, runtime};
use segment_console::app::{App, AppOptions};
use segment_console::files::paths::DataDirs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Stands in for the file dialog: answers every request with the path set last.
#[derive(Default)]
pub struct ChosenPath(pub Mutex<Option<PathBuf>>);

impl ChosenPath {
    pub fn set(&self, p: &Path) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(p.to_path_buf());
        }
    }
}

impl FilePicker for ChosenPath {
    fn pick(&self, _purpose: PickPurpose, _suggested: &str) -> Option<PathBuf> {
        self.0.lock().ok().and_then(|g| g.clone())
    }
}

pub struct Ui {
    pub harness: Harness<'static, App>,
    pub picker: Arc<ChosenPath>,
    pub home: tempfile::TempDir,
}

/// The window's default size, as a new user first sees it.
pub const DEFAULT_SIZE: [f32; 2] = [1400.0, 900.0];

fn build(
    dirs: DataDirs,
    theme: Option<egui::Theme>,
    size: [f32; 2],
) -> (Harness<'static, App>, Arc<ChosenPath>) {
    let picker = Arc::new(ChosenPath::default());
    let rt = runtime().expect("runtime");
    let p2: Arc<dyn FilePicker> = picker.clone();
    let mut b = Harness::builder().with_size(size);
    if let Some(t) = theme {
        b = b.with_theme(t);
    }
    let harness = b.build_eframe(move |cc| {
        App::new(
            cc,
            AppOptions {
                dirs,
                runtime: rt,
                picker: p2,
                smoke: None,
            },
        )
    });
    (harness, picker)
}

/// A window whose data folder is `home`, removed with the `Ui`.
pub fn open_in(home: tempfile::TempDir, theme: Option<egui::Theme>) -> Ui {
    open_sized(home, theme, DEFAULT_SIZE)
}

/// A window of `size` logical pixels whose data folder is `home`.
pub fn open_sized(home: tempfile::TempDir, theme: Option<egui::Theme>, size: [f32; 2]) -> Ui {
    let (harness, picker) = build(DataDirs::in_folder(home.path()), theme, size);
    Ui {
        harness,
        picker,
        home,
    }
}

/// A window on a data folder the caller owns (to reopen it after a simulated crash).
pub fn open_at(path: &Path) -> Ui {
    let (harness, picker) = build(DataDirs::in_folder(path), None, DEFAULT_SIZE);
    Ui {
        harness,
        picker,
        home: tempfile::tempdir().expect("tempdir"),
    }
}

pub fn open() -> Ui {
    open_in(tempfile::tempdir().expect("tempdir"), None)
}

impl Ui {
    /// Steps frames until `cond` holds (background work needs real time), or fails.
    pub fn wait_for(&mut self, what: &str, cond: impl Fn(&Harness<'static, App>) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            self.harness.step();
            if cond(&self.harness) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    pub fn steps(&mut self, n: usize) {
        for _ in 0..n {
            self.harness.step();
        }
    }

    pub fn wait_sandbox(&mut self) {
        self.wait_for("the sandbox", |h| h.state().sandbox_base().is_some());
    }

    pub fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.steps(3);
    }

    /// Types into the text field named `label` after selecting all its text.
    pub fn replace_text(&mut self, label: &str, text: &str) {
        self.harness.get_by_label(label).focus();
        self.steps(2);
        self.harness
            .key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        self.steps(1);
        // Typing replaces a selection; an empty text would not, so delete it.
        self.harness.key_press(egui::Key::Backspace);
        self.steps(1);
        self.harness.get_by_label(label).type_text(text);
        self.steps(3);
    }

    pub fn value(&self, label: &str) -> String {
        self.harness.get_by_label(label).value().unwrap_or_default()
    }

    pub fn has_label_containing(&self, part: &str) -> bool {
        self.harness
            .query_all_by_label_contains(part)
            .next()
            .is_some()
    }
}
