//! A multiline code editor that lays out only the rows in view. egui's `TextEdit` lays out,
//! paints and describes to AccessKit every row of its text on each change: for a 1 MB event
//! (36,000 lines) that is tens of milliseconds per keystroke, over a hundred with a screen
//! reader. This editor wraps at a column count (the font is monospaced), keeps the geometry of
//! the whole text in `Rows` (one scan per edit) and lays out, highlights and describes just the
//! window of rows the scroll area shows.
//!
//! It edits as a code editor does: typing, paste, cut and copy, Backspace and Delete (Ctrl for
//! a word), arrows, Home/End, Page Up/Down, Ctrl+Home/End, Shift to select, Ctrl+A, Enter keeps
//! the indentation, mouse click, drag, Shift+click and double click. Undo and redo are the
//! document's. Tab is left to focus navigation, as in the small editor, so the field never traps
//! a keyboard user. An input method's committed text is typed; its preedit is not drawn inline.

pub mod rows;

use egui::text::{CCursor, CCursorRange, LayoutJob};
use egui::{Event, Id, Key, Rect, Sense, pos2, vec2};
use rows::Rows;
use std::ops::Range;
use std::sync::Arc;

/// What the user did to the text this frame.
#[derive(Default)]
pub struct EditorOutput {
    /// The whole new text, when it changed.
    pub text: Option<String>,
    /// Ctrl+Z (false) or Ctrl+Shift+Z / Ctrl+Y (true): the document's undo and redo.
    pub undo: Option<bool>,
}

#[derive(Clone, Default)]
struct State {
    cursor: usize,
    anchor: usize,
    /// The column Up and Down aim for, kept across short rows.
    want_col: Option<usize>,
    rows: Option<Arc<Rows>>,
    /// What `rows` was built for: the document revision and the column count.
    key: (u64, usize),
    /// Rows a page holds, from the last frame's viewport.
    page_rows: usize,
}

impl State {
    fn selection(&self) -> Range<usize> {
        self.cursor.min(self.anchor)..self.cursor.max(self.anchor)
    }

    fn place(&mut self, offset: usize, extend: bool) {
        self.cursor = offset;
        if !extend {
            self.anchor = offset;
        }
    }
}

pub struct WindowedEditor<'a> {
    id_salt: &'a str,
    text: &'a str,
    revision: u64,
    highlight: bool,
    desired_rows: usize,
}

/// The text being edited this frame: the caller's until the first edit, then an owned copy
/// (a megabyte is copied once per frame that edits, never per frame).
struct Buffer<'a> {
    original: &'a str,
    edited: Option<String>,
    /// Edits so far this frame (what rows built mid-frame are valid for).
    edits: usize,
}

impl Buffer<'_> {
    fn text(&self) -> &str {
        self.edited.as_deref().unwrap_or(self.original)
    }

    fn replace(&mut self, range: Range<usize>, with: &str) {
        let s = self.edited.get_or_insert_with(|| self.original.to_string());
        s.replace_range(range, with);
        self.edits += 1;
    }
}

impl<'a> WindowedEditor<'a> {
    /// `revision` changes whenever `text` does (the document's revision): the row geometry is
    /// cached on it.
    pub fn new(id_salt: &'a str, text: &'a str, revision: u64) -> Self {
        WindowedEditor {
            id_salt,
            text,
            revision,
            highlight: true,
            desired_rows: 16,
        }
    }

    /// Shows the editor inside a vertical scroll area of its own (`scroll_salt`), filling the
    /// width. The response is the editor's, to label it.
    pub fn show(self, ui: &mut egui::Ui, scroll_salt: &str) -> (egui::Response, EditorOutput) {
        egui::ScrollArea::vertical()
            .id_salt(scroll_salt)
            .auto_shrink([false, false])
            .show_viewport(ui, |ui, viewport| self.show_inside(ui, viewport))
            .inner
    }

    fn show_inside(self, ui: &mut egui::Ui, viewport: Rect) -> (egui::Response, EditorOutput) {
        let id = ui.make_persistent_id(self.id_salt);
        let font = egui::TextStyle::Monospace.resolve(ui.style());
        let (row_h, char_w) =
            ui.fonts_mut(|f| (f.row_height(&font), f.glyph_width(&font, '0').max(1.0)));
        let margin = vec2(4.0, 2.0);
        // The panel may be narrower than its widest row (its content is clipped, not squeezed):
        // wrap at what is visible, or the ends of rows would be hidden.
        let width = ui
            .available_width()
            .min(ui.clip_rect().right() - ui.cursor().left())
            .max(10.0 * char_w);
        let cols = (((width - 2.0 * margin.x) / char_w).floor() as usize).max(8);

        let mut state = ui
            .data(|d| d.get_temp::<State>(id))
            .unwrap_or_else(|| from_text_edit(ui.ctx(), id, self.text));
        state.cursor = rows::clamp(self.text, state.cursor);
        state.anchor = rows::clamp(self.text, state.anchor);
        if state.rows.is_none() || state.key != (self.revision, cols) {
            state.rows = Some(Arc::new(Rows::new(self.text, cols)));
            state.key = (self.revision, cols);
        }
        state.page_rows = ((viewport.height() / row_h) as usize)
            .saturating_sub(1)
            .max(1);

        let mut buf = Buffer {
            original: self.text,
            edited: None,
            edits: 0,
        };
        let mut out = EditorOutput::default();
        let mut reveal = false;
        let focused = ui.memory(|m| m.has_focus(id));
        set_value_requests(ui, id, &mut buf, &mut state);
        if focused {
            ui.memory_mut(|m| {
                m.set_focus_lock_filter(
                    id,
                    egui::EventFilter {
                        horizontal_arrows: true,
                        vertical_arrows: true,
                        tab: false,
                        escape: false,
                    },
                )
            });
            reveal = keyboard(ui, id, cols, &mut buf, &mut state, &mut out);
        }
        if buf.edited.is_some() {
            // Built now so this frame draws the new text; the next revision rebuilds once more.
            state.rows = Some(Arc::new(Rows::new(buf.text(), cols)));
            state.key = (u64::MAX, cols);
        }
        let rows = state
            .rows
            .clone()
            .unwrap_or_else(|| Arc::new(Rows::new(buf.text(), cols)));
        let text = buf.text();

        let height = (rows.count().max(self.desired_rows) as f32) * row_h + 2.0 * margin.y;
        let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), height), Sense::hover());
        // Under the editor's own id: focus, AccessKit and the stored state all key on it.
        let response = ui.interact(rect, id, Sense::click_and_drag());
        let top = rect.top() + margin.y;
        let first =
            (((viewport.min.y - margin.y) / row_h).floor().max(0.0) as usize).min(rows.count() - 1);
        let last = ((((viewport.max.y - margin.y) / row_h).ceil().max(0.0) as usize) + 1)
            .min(rows.count());
        let window = Window::new(text, &rows, first..last.max(first + 1));
        let galley = window.galley(ui, &font, self.highlight);
        let galley_pos = pos2(rect.left() + margin.x, top + first as f32 * row_h);

        // The pointer: place, extend, select a word, drag a selection.
        let to_offset = |pos: egui::Pos2| -> usize {
            let row = (((pos.y - top) / row_h).floor().max(0.0) as usize).min(rows.count() - 1);
            let col = match window.char_start(row) {
                Some(start) => {
                    let c = galley.cursor_from_pos(vec2(
                        pos.x - galley_pos.x,
                        (row - first) as f32 * row_h + row_h / 2.0,
                    ));
                    c.index.0.saturating_sub(start)
                }
                None => ((pos.x - galley_pos.x) / char_w).round().max(0.0) as usize,
            };
            rows.offset_at(text, row, col)
        };
        if response.hovered() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::Text);
        }
        if let Some(pos) = response.interact_pointer_pos() {
            let pressed = ui.input(|i| i.pointer.primary_pressed());
            if response.double_clicked() {
                let word = rows::word_at(text, to_offset(pos));
                state.anchor = word.start;
                state.cursor = word.end;
            } else if pressed {
                response.request_focus();
                let shift = ui.input(|i| i.modifiers.shift);
                state.place(to_offset(pos), shift);
                state.want_col = None;
            } else if response.dragged() {
                state.cursor = to_offset(pos);
                state.want_col = None;
            }
        }

        // Drawing: the frame, the selection, the rows in view and the caret.
        let visuals = ui.visuals().clone();
        let has_focus = response.has_focus() || focused;
        let painter = ui.painter_at(rect);
        painter.rect(
            rect,
            visuals.widgets.inactive.corner_radius,
            visuals.extreme_bg_color,
            if has_focus {
                visuals.selection.stroke
            } else {
                visuals.widgets.inactive.bg_stroke
            },
            egui::StrokeKind::Inside,
        );
        let sel = state.selection();
        if !sel.is_empty() {
            for (i, row) in window.rows.iter().enumerate() {
                let (s, e) = (sel.start.max(row.bytes.start), sel.end.min(row.bytes.end));
                let through_newline = sel.end > row.bytes.end && sel.start <= row.bytes.end;
                if s > e || (s == e && !through_newline) {
                    continue;
                }
                let x = |offset: usize| {
                    let col = text[row.bytes.start..offset].chars().count();
                    galley
                        .pos_from_cursor(CCursor::new(row.char_start + col))
                        .min
                        .x
                };
                let x1 = x(e) + if through_newline { char_w / 2.0 } else { 0.0 };
                let y = galley_pos.y + i as f32 * row_h;
                painter.rect_filled(
                    Rect::from_min_max(
                        pos2(galley_pos.x + x(s), y),
                        pos2(galley_pos.x + x1, y + row_h),
                    ),
                    0.0,
                    visuals.selection.bg_fill,
                );
            }
        }
        painter.galley(galley_pos, galley.clone(), visuals.text_color());
        let (c_row, c_col) = rows.row_col(text, state.cursor);
        let caret_x = match window.char_start(c_row) {
            Some(start) => galley.pos_from_cursor(CCursor::new(start + c_col)).min.x,
            None => c_col as f32 * char_w,
        };
        let caret = Rect::from_min_size(
            pos2(galley_pos.x + caret_x, top + c_row as f32 * row_h),
            vec2(visuals.text_cursor.stroke.width.max(1.0), row_h),
        );
        if has_focus {
            painter.rect_filled(caret, 0.0, visuals.text_cursor.stroke.color);
            let to_global = ui
                .ctx()
                .layer_transform_to_global(ui.layer_id())
                .unwrap_or_default();
            ui.output_mut(|o| {
                o.ime = Some(egui::output::IMEOutput {
                    purpose: egui::IMEPurpose::Normal,
                    rect: to_global * rect.intersect(viewport.translate(rect.min.to_vec2())),
                    cursor_rect: to_global * caret,
                    should_interrupt_composition: false,
                });
            });
        }
        if reveal {
            ui.scroll_to_rect(caret.expand2(vec2(char_w, row_h)), None);
        }

        // AccessKit: the whole text as the value, the rows in view as text runs with the caret.
        if out.text.is_none() && buf.edited.is_some() {
            out.text = buf.edited.clone();
        }
        let mut response = response;
        if out.text.is_some() {
            response.mark_changed();
        }
        let enabled = ui.is_enabled();
        response.widget_info(|| egui::WidgetInfo::text_edit(enabled, text, text, ""));
        ui.ctx().accesskit_node_builder(id, |b| {
            b.set_role(egui::accesskit::Role::MultilineTextInput);
            b.add_action(egui::accesskit::Action::SetValue);
            b.add_action(egui::accesskit::Action::ReplaceSelectedText);
        });
        let in_window = |offset: usize| {
            let (r, c) = rows.row_col(text, offset);
            window.char_start(r).map(|s| CCursor::new(s + c))
        };
        let range = match (in_window(state.cursor), in_window(state.anchor)) {
            (Some(primary), Some(secondary)) if has_focus => Some(CCursorRange {
                primary,
                secondary,
                h_pos: None,
            }),
            _ => None,
        };
        egui::text_selection::accesskit_text::update_accesskit_for_text_widget(
            ui.ctx(),
            id,
            range,
            egui::emath::TSTransform::from_translation(galley_pos.to_vec2()),
            &galley,
        );

        ui.data_mut(|d| d.insert_temp(id, state));
        (response, out)
    }
}

/// The rows in view, joined into one text laid out as one galley (row i of the galley is
/// visual row `first + i`).
struct Window {
    first: usize,
    rows: Vec<WindowRow>,
    joined: String,
}

struct WindowRow {
    bytes: Range<usize>,
    /// Where the row starts in the galley, in characters.
    char_start: usize,
}

impl Window {
    fn new(text: &str, rows: &Rows, range: Range<usize>) -> Window {
        let mut joined = String::new();
        let mut out = Vec::with_capacity(range.len());
        let mut chars = 0;
        for r in range.clone() {
            let bytes = rows.row_range(text, r);
            if r != range.start {
                joined.push('\n');
                chars += 1;
            }
            let s = &text[bytes.clone()];
            joined.push_str(s);
            out.push(WindowRow {
                bytes,
                char_start: chars,
            });
            chars += s.chars().count();
        }
        Window {
            first: range.start,
            rows: out,
            joined,
        }
    }

    fn char_start(&self, row: usize) -> Option<usize> {
        row.checked_sub(self.first)
            .and_then(|i| self.rows.get(i))
            .map(|r| r.char_start)
    }

    fn galley(&self, ui: &egui::Ui, font: &egui::FontId, highlight: bool) -> Arc<egui::Galley> {
        let mut job = if highlight {
            let theme =
                egui_extras::syntax_highlighting::CodeTheme::from_memory(ui.ctx(), ui.style());
            egui_extras::syntax_highlighting::highlight(
                ui.ctx(),
                ui.style(),
                &theme,
                &self.joined,
                "json",
            )
        } else {
            LayoutJob::simple(
                self.joined.clone(),
                font.clone(),
                ui.visuals().text_color(),
                f32::INFINITY,
            )
        };
        // Rows are already cut to the width: the galley must not wrap them again.
        job.wrap.max_width = f32::INFINITY;
        ui.fonts_mut(|f| f.layout_job(job))
    }
}

/// Where egui's own editor left its cursor under the same id (the document just grew past
/// the size the composer switches editors at): keep it.
fn from_text_edit(ctx: &egui::Context, id: Id, text: &str) -> State {
    let range = egui::text_edit::TextEditState::load(ctx, id).and_then(|s| s.cursor.char_range());
    let byte = |c: CCursor| {
        text.char_indices()
            .nth(c.index.0)
            .map_or(text.len(), |(i, _)| i)
    };
    match range {
        Some(r) => State {
            cursor: byte(r.primary),
            anchor: byte(r.secondary),
            ..State::default()
        },
        None => State::default(),
    }
}

/// Gives egui's own editor this editor's cursor, for when the document shrinks back below the
/// size the composer switches at.
pub fn hand_back_cursor(ctx: &egui::Context, id: Id, text: &str) {
    let Some(state) = ctx.data(|d| d.get_temp::<State>(id)) else {
        return;
    };
    let chars = |offset: usize| CCursor::new(text[..rows::clamp(text, offset)].chars().count());
    let mut te = egui::text_edit::TextEditState::load(ctx, id).unwrap_or_default();
    te.cursor.set_char_range(Some(CCursorRange {
        primary: chars(state.cursor),
        secondary: chars(state.anchor),
        h_pos: None,
    }));
    te.store(ctx, id);
    ctx.data_mut(|d| d.remove::<State>(id));
}

/// Assistive technologies set the whole value, or replace the selection, without typing.
fn set_value_requests(ui: &egui::Ui, id: Id, buf: &mut Buffer<'_>, state: &mut State) {
    use egui::accesskit::{Action, ActionData};
    let requests: Vec<(Action, String)> = ui.input(|i| {
        [Action::SetValue, Action::ReplaceSelectedText]
            .into_iter()
            .flat_map(|a| {
                i.accesskit_action_requests(id, a)
                    .filter_map(move |r| match &r.data {
                        Some(ActionData::Value(v)) => Some((a, v.to_string())),
                        _ => None,
                    })
            })
            .collect()
    });
    for (action, value) in requests {
        let range = if action == Action::SetValue {
            0..buf.text().len()
        } else {
            state.selection()
        };
        let at = range.start;
        buf.replace(range, &value);
        state.place(at + value.len(), false);
    }
}

/// Applies this frame's keyboard events. Returns whether the caret should be scrolled into
/// view.
fn keyboard(
    ui: &egui::Ui,
    id: Id,
    cols: usize,
    buf: &mut Buffer<'_>,
    state: &mut State,
    out: &mut EditorOutput,
) -> bool {
    let events = ui.input(|i| i.events.clone());
    let mut reveal = false;
    let mut rows_for: Option<(usize, Arc<Rows>)> = None;
    for event in events {
        match event {
            Event::Text(t) if !t.chars().all(char::is_control) => insert(buf, state, &t),
            Event::Paste(t) => insert(buf, state, &t.replace("\r\n", "\n")),
            Event::Ime(egui::ImeEvent::Commit(t)) if !t.is_empty() => insert(buf, state, &t),
            Event::Copy | Event::Cut => {
                let sel = state.selection();
                if !sel.is_empty() {
                    ui.ctx().copy_text(buf.text()[sel.clone()].to_string());
                    if matches!(event, Event::Cut) {
                        insert(buf, state, "");
                    }
                }
            }
            Event::Key {
                key,
                pressed: true,
                modifiers: m,
                ..
            } => {
                // Moves that need the rows see the text as edited so far this frame.
                let needs_rows = matches!(
                    key,
                    Key::ArrowUp
                        | Key::ArrowDown
                        | Key::PageUp
                        | Key::PageDown
                        | Key::Home
                        | Key::End
                );
                let rows = if !needs_rows {
                    None
                } else if buf.edited.is_none() {
                    state.rows.clone()
                } else {
                    let r = match &rows_for {
                        Some((g, r)) if *g == buf.edits => r.clone(),
                        _ => Arc::new(Rows::new(buf.text(), cols)),
                    };
                    rows_for = Some((buf.edits, r.clone()));
                    Some(r)
                };
                let rows = rows.unwrap_or_else(|| Arc::new(Rows::new("", cols)));
                match key_press(ui, id, key, m, buf, state, &rows) {
                    KeyResult::Ignored => continue,
                    KeyResult::Undo(redo) => {
                        out.undo = Some(redo);
                        break;
                    }
                    KeyResult::Done => {}
                }
            }
            _ => continue,
        }
        reveal = true;
    }
    reveal
}

fn insert(buf: &mut Buffer<'_>, state: &mut State, with: &str) {
    let sel = state.selection();
    let at = sel.start;
    buf.replace(sel, with);
    state.place(at + with.len(), false);
    state.want_col = None;
}

enum KeyResult {
    Ignored,
    Done,
    Undo(bool),
}

fn key_press(
    ui: &egui::Ui,
    id: Id,
    key: Key,
    m: egui::Modifiers,
    buf: &mut Buffer<'_>,
    state: &mut State,
    rows: &Rows,
) -> KeyResult {
    // Ctrl (Alt on a Mac) moves and deletes by word.
    let word = m.alt || m.ctrl || m.command;
    let extend = m.shift;
    let sel = state.selection();
    let text = buf.text();
    let vertical = matches!(
        key,
        Key::ArrowUp | Key::ArrowDown | Key::PageUp | Key::PageDown
    );
    if !vertical {
        state.want_col = None;
    }
    match key {
        Key::A if m.command => {
            state.anchor = 0;
            state.cursor = text.len();
        }
        Key::Z if m.command => return KeyResult::Undo(m.shift),
        Key::Y if m.command => return KeyResult::Undo(true),
        Key::Escape => {
            ui.memory_mut(|mem| mem.surrender_focus(id));
        }
        Key::ArrowLeft => {
            let to = if !sel.is_empty() && !extend {
                sel.start
            } else if word {
                rows::prev_word(text, state.cursor)
            } else {
                rows::prev_char(text, state.cursor)
            };
            state.place(to, extend);
        }
        Key::ArrowRight => {
            let to = if !sel.is_empty() && !extend {
                sel.end
            } else if word {
                rows::next_word(text, state.cursor)
            } else {
                rows::next_char(text, state.cursor)
            };
            state.place(to, extend);
        }
        Key::ArrowUp | Key::ArrowDown | Key::PageUp | Key::PageDown => {
            let (row, col) = rows.row_col(text, state.cursor);
            let want = *state.want_col.get_or_insert(col);
            let step = if matches!(key, Key::PageUp | Key::PageDown) {
                state.page_rows
            } else {
                1
            };
            let to = if matches!(key, Key::ArrowUp | Key::PageUp) {
                match row.checked_sub(step) {
                    Some(r) => rows.offset_at(text, r, want),
                    None => 0,
                }
            } else if row + step < rows.count() {
                rows.offset_at(text, row + step, want)
            } else {
                text.len()
            };
            state.place(to, extend);
        }
        Key::Home | Key::End if m.command => {
            state.place(if key == Key::Home { 0 } else { text.len() }, extend);
        }
        Key::Home => {
            let line = rows.line_range(rows.line_of(state.cursor));
            // First Home goes to the indentation's end, the next to the line's start.
            let indent = line.start
                + text[line.clone()]
                    .bytes()
                    .take_while(|b| *b == b' ' || *b == b'\t')
                    .count();
            let to = if state.cursor == indent {
                line.start
            } else {
                indent
            };
            state.place(to, extend);
        }
        Key::End => {
            let line = rows.line_range(rows.line_of(state.cursor));
            state.place(line.end, extend);
        }
        Key::Backspace | Key::Delete => {
            let range = if !sel.is_empty() {
                sel
            } else if key == Key::Backspace {
                let from = if word {
                    rows::prev_word(text, state.cursor)
                } else {
                    rows::prev_char(text, state.cursor)
                };
                from..state.cursor
            } else {
                let to = if word {
                    rows::next_word(text, state.cursor)
                } else {
                    rows::next_char(text, state.cursor)
                };
                state.cursor..to
            };
            if range.is_empty() {
                return KeyResult::Done;
            }
            let at = range.start;
            buf.replace(range, "");
            state.place(at, false);
        }
        Key::Enter if !m.command => {
            let nl = rows::newline_at(text, sel.start);
            insert(buf, state, &nl);
        }
        _ => return KeyResult::Ignored,
    }
    KeyResult::Done
}

#[cfg(test)]
mod tests;
