//! Light and dark themes, following the system by default.

use super::model::persisted::ThemePref;

pub fn apply(ctx: &egui::Context, pref: ThemePref) {
    let wanted = match pref {
        ThemePref::System => egui::ThemePreference::System,
        ThemePref::Light => egui::ThemePreference::Light,
        ThemePref::Dark => egui::ThemePreference::Dark,
    };
    ctx.options_mut(|o| o.theme_preference = wanted);
    // Scroll bars with room of their own, always shown: egui's floating bars lie over the
    // content's edge (a table row's last pixels, a request's end), and a bar that appears
    // only on hover hides that there is more to see.
    ctx.all_styles_mut(|s| s.spacing.scroll = egui::style::ScrollStyle::solid());
}

/// System -> the opposite of what is shown now -> ... (a toggle that always changes something).
pub fn next(ctx: &egui::Context, pref: ThemePref) -> ThemePref {
    match pref {
        ThemePref::Light => ThemePref::Dark,
        ThemePref::Dark => ThemePref::Light,
        ThemePref::System => {
            if ctx.global_style().visuals.dark_mode {
                ThemePref::Light
            } else {
                ThemePref::Dark
            }
        }
    }
}

/// Colours that keep their meaning in both themes.
pub struct Palette {
    pub error: egui::Color32,
    pub warning: egui::Color32,
    pub ok: egui::Color32,
    pub highlight: egui::Color32,
    pub inferred: egui::Color32,
}

impl Palette {
    /// A tracking-plan verdict's colour (the Live pane's and the history's plan column);
    /// `weak` when no plan was checked.
    pub fn verdict(
        &self,
        verdict: Option<crate::plan::verdict::Verdict>,
        weak: egui::Color32,
    ) -> egui::Color32 {
        use crate::plan::verdict::Verdict;
        match verdict {
            None => weak,
            Some(Verdict::Ok) => self.ok,
            Some(Verdict::Warnings) => self.warning,
            Some(Verdict::Errors) => self.error,
        }
    }
}

pub fn palette(ui: &egui::Ui) -> Palette {
    if ui.visuals().dark_mode {
        Palette {
            error: egui::Color32::from_rgb(255, 110, 100),
            warning: egui::Color32::from_rgb(240, 190, 80),
            ok: egui::Color32::from_rgb(110, 210, 120),
            highlight: egui::Color32::from_rgba_unmultiplied(80, 140, 255, 70),
            inferred: egui::Color32::from_rgb(240, 170, 60),
        }
    } else {
        Palette {
            error: egui::Color32::from_rgb(190, 30, 30),
            warning: egui::Color32::from_rgb(160, 100, 0),
            ok: egui::Color32::from_rgb(20, 130, 40),
            highlight: egui::Color32::from_rgba_unmultiplied(60, 120, 255, 60),
            inferred: egui::Color32::from_rgb(170, 90, 0),
        }
    }
}
