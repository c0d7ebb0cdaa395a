//! The windowed editor alone in a harness, editing a document as the composer does: the text
//! and its revision in, the new text out.

use super::{EditorOutput, WindowedEditor};
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{Queryable, by};

struct Doc {
    text: String,
    revision: u64,
    undos: Vec<bool>,
}

fn harness(text: String) -> Harness<'static, Doc> {
    let mut h = Harness::builder().with_size([700.0, 400.0]).build_ui_state(
        |ui, doc: &mut Doc| {
            let label = ui.label("Event JSON");
            let (r, out) =
                WindowedEditor::new("event-json", &doc.text, doc.revision).show(ui, "scroll");
            r.labelled_by(label.id);
            let EditorOutput { text, undo } = out;
            if let Some(t) = text {
                doc.text = t;
                doc.revision += 1;
            }
            if let Some(u) = undo {
                doc.undos.push(u);
            }
        },
        Doc {
            text,
            revision: 1,
            undos: Vec::new(),
        },
    );
    h.run();
    h
}

/// A pretty event of `lines` property lines.
fn big(lines: usize) -> String {
    let props: serde_json::Map<_, _> = (0..lines)
        .map(|i| (format!("k{i:06}"), serde_json::json!(i)))
        .collect();
    crate::app::model::document::pretty(&serde_json::json!({"type": "track", "properties": props}))
}

/// The text a screen reader is given as text runs.
fn described(h: &Harness<'static, Doc>) -> String {
    h.query_all(by().role(egui::accesskit::Role::TextRun))
        .filter_map(|n| n.value())
        .collect()
}

fn focus(h: &mut Harness<'static, Doc>) {
    h.get_by_label("Event JSON").focus();
    h.run();
}

fn key(h: &mut Harness<'static, Doc>, m: Modifiers, k: Key) {
    h.key_press_modifiers(m, k);
    h.run();
}

fn type_text(h: &mut Harness<'static, Doc>, t: &str) {
    h.get_by_label("Event JSON").type_text(t);
    h.run();
}

#[test]
fn typing_edits_the_whole_text_and_accesskit_sees_it() {
    let mut h = harness(big(20_000));
    let before = h.state().text.clone();
    focus(&mut h);
    type_text(&mut h, " ");
    assert_eq!(h.state().text, format!(" {before}"));
    // Enter keeps the indentation, after an opening bracket two spaces more.
    key(&mut h, Modifiers::NONE, Key::ArrowRight);
    key(&mut h, Modifiers::NONE, Key::Enter);
    assert!(
        h.state().text.starts_with(" {\n   \n  \""),
        "{:?}",
        &h.state().text[..20]
    );
    assert_eq!(
        h.get_by_label("Event JSON").value(),
        Some(h.state().text.clone())
    );
}

#[test]
fn only_rows_in_view_are_described_and_the_end_is_reached_by_keyboard() {
    let mut h = harness(big(20_000));
    focus(&mut h);
    // The first rows are described as text; the last are not until scrolled to.
    assert!(described(&h).contains("\"k000001\": 1"));
    assert!(!described(&h).contains("\"k019999\""));
    key(&mut h, Modifiers::COMMAND, Key::End);
    for _ in 0..3 {
        h.run();
    }
    assert!(described(&h).contains("\"k019999\": 19999"));
    assert!(!described(&h).contains("\"k000001\": 1"));
    assert!(described(&h).lines().count() < 100, "only the rows in view");
    // Typing lands at the end.
    type_text(&mut h, "x");
    assert!(h.state().text.ends_with("}x"));
}

#[test]
fn selection_backspace_cut_paste_and_undo_requests() {
    let mut h = harness("{\n  \"event\": \"Signed Up\"\n}".into());
    focus(&mut h);
    key(&mut h, Modifiers::NONE, Key::ArrowDown);
    key(&mut h, Modifiers::NONE, Key::End);
    // Ctrl+Shift+Left twice selects `Up"` then `Signed Up"`... one word: `Up"`.
    key(
        &mut h,
        Modifiers::COMMAND | Modifiers::SHIFT,
        Key::ArrowLeft,
    );
    key(&mut h, Modifiers::NONE, Key::Backspace);
    assert_eq!(h.state().text, "{\n  \"event\": \"Signed \n}");
    type_text(&mut h, "In\"");
    assert_eq!(h.state().text, "{\n  \"event\": \"Signed In\"\n}");
    // Select all and cut: the text goes to the clipboard and the field empties.
    key(&mut h, Modifiers::COMMAND, Key::A);
    h.event(egui::Event::Cut);
    // One frame: its output carries the copy.
    h.step();
    assert_eq!(h.state().text, "");
    let copied = h.output().platform_output.commands.iter().any(|c| {
        matches!(c, egui::OutputCommand::CopyText(t) if t == "{\n  \"event\": \"Signed In\"\n}")
    });
    assert!(copied, "the cut text was copied");
    h.event(egui::Event::Paste("{\r\n}".into()));
    h.run();
    assert_eq!(h.state().text, "{\n}");
    key(&mut h, Modifiers::COMMAND, Key::Z);
    key(&mut h, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    key(&mut h, Modifiers::COMMAND, Key::Y);
    assert_eq!(h.state().undos, vec![false, true, true]);
}

#[test]
fn arrows_move_by_visual_row_and_keep_the_column() {
    // A line longer than the width wraps; Down from row 0 column 3 goes to row 1 column 3.
    let long = "a".repeat(300);
    let mut h = harness(format!("{long}\nbb\ncccccc"));
    focus(&mut h);
    for _ in 0..3 {
        key(&mut h, Modifiers::NONE, Key::ArrowRight);
    }
    key(&mut h, Modifiers::NONE, Key::ArrowDown);
    type_text(&mut h, "|");
    let first_break = h.state().text.find('|').unwrap_or(0);
    assert!(
        first_break > 3 && first_break < 300,
        "Down stayed in the wrapped line: {first_break}"
    );
    // Ctrl+End, then Up keeps aiming at the column through a short line.
    key(&mut h, Modifiers::COMMAND, Key::End);
    key(&mut h, Modifiers::NONE, Key::ArrowLeft);
    key(&mut h, Modifiers::NONE, Key::ArrowUp);
    key(&mut h, Modifiers::NONE, Key::ArrowDown);
    type_text(&mut h, "#");
    assert!(h.state().text.ends_with("ccccc#c"), "{:?}", h.state().text);
}

fn pointer(h: &mut Harness<'static, Doc>, pos: egui::Pos2, pressed: Option<bool>) {
    h.event(egui::Event::PointerMoved(pos));
    if let Some(pressed) = pressed {
        h.event(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: Modifiers::NONE,
        });
    }
    h.run();
}

#[test]
fn a_click_places_the_caret_and_a_drag_selects() {
    let mut h = harness("{\n  \"userId\": \"u_1\"\n}\n".into());
    let field = h.get_by_label("Event JSON").rect();
    let font = egui::TextStyle::Monospace.resolve(&h.ctx.global_style());
    let row_h = h.ctx.fonts_mut(|f| f.row_height(&font));
    let row = |r: f32| field.left_top() + egui::vec2(2.0, 2.0 + (r + 0.5) * row_h);
    // A click at the start of the second row, then typing.
    pointer(&mut h, row(1.0), Some(true));
    pointer(&mut h, row(1.0), Some(false));
    type_text(&mut h, "!");
    assert_eq!(h.state().text, "{\n!  \"userId\": \"u_1\"\n}\n");
    // A drag from the second row's start to the fourth's selects two lines; typing replaces them.
    pointer(&mut h, row(1.0), Some(true));
    pointer(&mut h, row(2.0), None);
    pointer(&mut h, row(3.0), None);
    pointer(&mut h, row(3.0), Some(false));
    type_text(&mut h, "?");
    assert_eq!(h.state().text, "{\n?");
}

#[test]
fn wrapped_rows_fit_inside_the_field() {
    let long = format!("{{\"k\": \"{}\"}}", "abcdefghij".repeat(200));
    let h = harness(long);
    let field = h.get_by_label("Event JSON").rect();
    let runs: Vec<egui::Rect> = h
        .query_all(by().role(egui::accesskit::Role::TextRun))
        .map(|n| n.rect())
        .collect();
    assert!(
        runs.len() > 10,
        "the long line wraps into rows: {}",
        runs.len()
    );
    for r in runs {
        assert!(
            r.max.x <= field.max.x,
            "a row ends at {} past the field's {}",
            r.max.x,
            field.max.x
        );
    }
}
