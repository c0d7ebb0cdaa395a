//! One list of commands drives the menus, the keyboard shortcuts and the command palette.

use egui::{Key, KeyboardShortcut, Modifiers};
use std::path::PathBuf;

/// What the user can ask for by name, from a menu, a shortcut or the palette.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Send,
    SendAll,
    CancelSend,
    Save,
    SaveAs,
    Open,
    NewSet,
    NewEvent,
    Duplicate,
    FillIds,
    FilterHistory,
    DestinationSettings,
    ToggleLayout,
    ToggleTheme,
    Palette,
    CopyCurl,
    ExportPostman,
    Undo,
    Redo,
    Compare,
    FanOut,
    AudienceBuilder,
    LoadPlan,
    UnloadPlan,
    DraftPlan,
}

pub struct CommandEntry {
    pub action: Action,
    pub name: &'static str,
    pub shortcut: Option<KeyboardShortcut>,
}

const fn key(modifiers: Modifiers, key: Key) -> Option<KeyboardShortcut> {
    Some(KeyboardShortcut::new(modifiers, key))
}

const CMD: Modifiers = Modifiers::COMMAND;
const CMD_SHIFT: Modifiers = Modifiers {
    alt: false,
    ctrl: false,
    shift: true,
    mac_cmd: false,
    command: true,
};

pub const COMMANDS: &[CommandEntry] = &[
    CommandEntry {
        action: Action::Send,
        name: "Send",
        shortcut: key(CMD, Key::Enter),
    },
    CommandEntry {
        action: Action::SendAll,
        name: "Send all",
        shortcut: key(CMD_SHIFT, Key::Enter),
    },
    CommandEntry {
        action: Action::CancelSend,
        name: "Cancel sending",
        shortcut: None,
    },
    CommandEntry {
        action: Action::Open,
        name: "Open event set…",
        shortcut: key(CMD, Key::O),
    },
    CommandEntry {
        action: Action::Save,
        name: "Save event set",
        shortcut: key(CMD, Key::S),
    },
    CommandEntry {
        action: Action::SaveAs,
        name: "Save event set as…",
        shortcut: key(CMD_SHIFT, Key::S),
    },
    CommandEntry {
        action: Action::NewEvent,
        name: "New event",
        shortcut: key(CMD, Key::N),
    },
    CommandEntry {
        action: Action::Duplicate,
        name: "Duplicate event",
        shortcut: key(CMD, Key::D),
    },
    CommandEntry {
        action: Action::FillIds,
        name: "Fill ids and time",
        shortcut: None,
    },
    CommandEntry {
        action: Action::FilterHistory,
        name: "Filter history",
        shortcut: key(CMD, Key::F),
    },
    CommandEntry {
        action: Action::DestinationSettings,
        name: "Destination settings",
        shortcut: key(CMD, Key::E),
    },
    CommandEntry {
        action: Action::CopyCurl,
        name: "Copy as curl",
        shortcut: None,
    },
    CommandEntry {
        action: Action::ExportPostman,
        name: "Export requests as a Postman collection…",
        shortcut: None,
    },
    CommandEntry {
        action: Action::ToggleLayout,
        name: "Toggle side by side / stacked",
        shortcut: None,
    },
    CommandEntry {
        action: Action::ToggleTheme,
        name: "Switch light / dark theme",
        shortcut: None,
    },
    CommandEntry {
        action: Action::Palette,
        name: "Command palette",
        shortcut: key(CMD, Key::K),
    },
    CommandEntry {
        action: Action::Undo,
        name: "Undo event edit",
        shortcut: None,
    },
    CommandEntry {
        action: Action::Redo,
        name: "Redo event edit",
        shortcut: None,
    },
    CommandEntry {
        action: Action::Compare,
        name: "Compare payloads",
        shortcut: None,
    },
    CommandEntry {
        action: Action::FanOut,
        name: "Fan-out to every destination",
        shortcut: None,
    },
    CommandEntry {
        action: Action::AudienceBuilder,
        name: "Audience sync builder",
        shortcut: None,
    },
    CommandEntry {
        action: Action::LoadPlan,
        name: "Load tracking plan…",
        shortcut: None,
    },
    CommandEntry {
        action: Action::UnloadPlan,
        name: "Unload tracking plan",
        shortcut: None,
    },
    CommandEntry {
        action: Action::DraftPlan,
        name: "Draft a plan from this event set…",
        shortcut: None,
    },
];

pub fn entry(action: Action) -> &'static CommandEntry {
    COMMANDS
        .iter()
        .find(|c| c.action == action)
        .unwrap_or(&COMMANDS[0])
}

/// "Send (Ctrl+Enter)" for tooltips.
pub fn with_shortcut(ctx: &egui::Context, action: Action) -> String {
    let s = entry(action);
    match &s.shortcut {
        Some(k) => format!("{} ({})", s.name, ctx.format_shortcut(k)),
        None => s.name.to_string(),
    }
}

/// Everything widgets ask the app to do; executed in one place, in `logic`.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Run(Action),
    OpenPath(PathBuf),
    SaveTo(PathBuf),
    /// Selects an event of the set, or the scratch event (which belongs to no file) with None.
    SelectEvent(Option<usize>),
    DeleteEvent(usize),
    MoveEvent {
        from: usize,
        to: usize,
    },
    RenameSet(String),
    LoadSample(crate::event::CallType),
    SetCallType(crate::event::CallType),
    SelectDestination(&'static str),
    /// A destination's configuration as edited in the destination bar.
    SetConfig {
        destination: &'static str,
        config: Box<crate::app::model::destination::DestConfig>,
    },
    SelectHistory(i64),
    Replay(i64),
    OpenHistoryInComposer(i64),
    DeleteHistory(i64),
    ClearHistory,
    /// Keep the history under this many bytes (None: no size cap).
    SetHistorySizeCap(Option<u64>),
    /// The filters changed: count again and read from the first page.
    ReloadHistory,
    ExportHistory(ExportKind),
    /// Events to add to the set after the selected one (the audience builder's).
    AddEvents(Vec<serde_json::Value>),
    Compare(crate::app::model::compare::CompareCmd),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Har,
    Postman,
    Curl,
}
