//! Widgets the panels and windows share. One label convention everywhere: a label comes before
//! its widget (egui's `ComboBox::from_label` puts it after, where it reads as the next widget's),
//! and names that widget for screen readers.

use egui::{ComboBox, Id, InnerResponse, Ui};

/// A combo box after its label.
pub struct LabelledCombo<'a> {
    label: Id,
    combo: ComboBox<'a>,
}

/// Draws `label`, then returns the combo box it names (show it with `show_ui`).
pub fn combo<'a>(ui: &mut Ui, label: &str) -> LabelledCombo<'a> {
    let label_id = ui.label(label).id;
    LabelledCombo {
        label: label_id,
        combo: ComboBox::from_id_salt(label),
    }
}

impl<'a> LabelledCombo<'a> {
    pub fn selected_text(mut self, text: impl egui::IntoAtoms<'a>) -> Self {
        self.combo = self.combo.selected_text(text);
        self
    }

    pub fn width(mut self, width: f32) -> Self {
        self.combo = self.combo.width(width);
        self
    }

    pub fn show_ui<R>(
        self,
        ui: &mut Ui,
        add: impl FnOnce(&mut Ui) -> R,
    ) -> InnerResponse<Option<R>> {
        let mut shown = self.combo.show_ui(ui, add);
        shown.response = shown.response.labelled_by(self.label);
        shown
    }
}

/// Takes the whole of a panel's area and returns it, for contents drawn later with [`within`]
/// (a panel is as large as what is drawn in it, so an empty one would shrink).
pub fn reserve(ui: &mut egui::Ui) -> egui::Rect {
    let area = ui.max_rect();
    ui.allocate_rect(area, egui::Sense::hover());
    area
}

/// Draws `add` inside `area` (reserved earlier with [`reserve`]), clipped to it. `name` keeps
/// the ids of what is inside (and so their state: scroll, open sections) the same each frame.
pub fn within<R>(
    ui: &mut egui::Ui,
    name: &str,
    area: egui::Rect,
    add: impl FnOnce(&mut egui::Ui) -> R,
) -> R {
    let mut child = ui.new_child(egui::UiBuilder::new().id_salt(name).max_rect(area));
    child.shrink_clip_rect(area);
    add(&mut child)
}

/// One widget over a whole table row, made in the row's last cell: a screen reader finds the
/// row by `name` (every cell's text, in order) and can select it, and Tab stops once per row,
/// not once per cell. `left` is where the row's first cell starts; `id` must be unique.
pub fn table_row(ui: &mut Ui, left: f32, id: Id, name: &str, selected: bool) -> egui::Response {
    // The cell's own bounds give the row's height (the cells' responses reach into the
    // spacing below).
    let cell = ui.max_rect();
    let rect = egui::Rect::from_x_y_ranges(left..=cell.right(), cell.y_range());
    // The cell's clip also clips the widget's hit area: widen it leftwards over the row's
    // other cells while the row's widget is made. Its right edge (the table's scroll area,
    // or this cell when the column clips) and its vertical extent stay.
    let clip = ui.clip_rect();
    ui.set_clip_rect(egui::Rect::from_x_y_ranges(
        left.min(clip.left())..=clip.right(),
        clip.y_range(),
    ));
    let r = ui.interact(rect, id, egui::Sense::click());
    r.widget_info(|| egui::WidgetInfo::selected(egui::Role::Row, true, selected, name));
    // A row is "selected", which screen readers announce, rather than toggled.
    ui.ctx().accesskit_node_builder(r.id, |node| {
        node.set_selected(selected);
    });
    if r.has_focus() {
        ui.painter().rect_stroke(
            rect.shrink(1.0),
            2.0,
            ui.visuals().selection.stroke,
            egui::StrokeKind::Inside,
        );
    }
    ui.set_clip_rect(clip);
    r
}
