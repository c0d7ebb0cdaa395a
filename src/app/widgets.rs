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
