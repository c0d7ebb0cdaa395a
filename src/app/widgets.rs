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
