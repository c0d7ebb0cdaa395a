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
}

pub struct CommandSpec {
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

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        action: Action::Send,
        name: "Send",
        shortcut: key(CMD, Key::Enter),
    },
    CommandSpec {
        action: Action::SendAll,
        name: "Send all",
        shortcut: key(CMD_SHIFT, Key::Enter),
    },
    CommandSpec {
        action: Action::CancelSend,
        name: "Cancel sending",
        shortcut: None,
    },
    CommandSpec {
        action: Action::Open,
        name: "Open event set…",
        shortcut: key(CMD, Key::O),
    },
    CommandSpec {
        action: Action::Save,
        name: "Save event set",
        shortcut: key(CMD, Key::S),
    },
    CommandSpec {
        action: Action::SaveAs,
        name: "Save event set as…",
        shortcut: key(CMD_SHIFT, Key::S),
    },
    CommandSpec {
        action: Action::NewEvent,
        name: "New event",
        shortcut: key(CMD, Key::N),
    },
    CommandSpec {
        action: Action::Duplicate,
        name: "Duplicate event",
        shortcut: key(CMD, Key::D),
    },
    CommandSpec {
        action: Action::FillIds,
        name: "Fill ids and time",
        shortcut: None,
    },
    CommandSpec {
        action: Action::FilterHistory,
        name: "Filter history",
        shortcut: key(CMD, Key::F),
    },
    CommandSpec {
        action: Action::DestinationSettings,
        name: "Destination settings",
        shortcut: key(CMD, Key::E),
    },
    CommandSpec {
        action: Action::CopyCurl,
        name: "Copy as curl",
        shortcut: None,
    },
    CommandSpec {
        action: Action::ExportPostman,
        name: "Export requests as a Postman collection…",
        shortcut: None,
    },
    CommandSpec {
        action: Action::ToggleLayout,
        name: "Toggle side by side / stacked",
        shortcut: None,
    },
    CommandSpec {
        action: Action::ToggleTheme,
        name: "Switch light / dark theme",
        shortcut: None,
    },
    CommandSpec {
        action: Action::Palette,
        name: "Command palette",
        shortcut: key(CMD, Key::K),
    },
    CommandSpec {
        action: Action::Undo,
        name: "Undo event edit",
        shortcut: None,
    },
    CommandSpec {
        action: Action::Redo,
        name: "Redo event edit",
        shortcut: None,
    },
    CommandSpec {
        action: Action::Compare,
        name: "Compare payloads",
        shortcut: None,
    },
    CommandSpec {
        action: Action::FanOut,
        name: "Fan-out to every destination",
        shortcut: None,
    },
    CommandSpec {
        action: Action::AudienceBuilder,
        name: "Audience sync builder",
        shortcut: None,
    },
];

pub fn spec(action: Action) -> &'static CommandSpec {
    COMMANDS
        .iter()
        .find(|c| c.action == action)
        .unwrap_or(&COMMANDS[0])
}

/// "Send (Ctrl+Enter)" for tooltips.
pub fn with_shortcut(ctx: &egui::Context, action: Action) -> String {
    let s = spec(action);
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
    SelectEvent(usize),
    DeleteEvent(usize),
    MoveEvent {
        from: usize,
        to: usize,
    },
    RenameSet(String),
    LoadSample(crate::spec::CallType),
    SetCallType(crate::spec::CallType),
    SelectDestination(&'static str),
    SelectHistory(i64),
    Replay(i64),
    OpenHistoryInComposer(i64),
    DeleteHistory(i64),
    ClearHistory,
    ExportHistory(ExportKind),
    /// Events to add to the set after the selected one (the audience builder's).
    AddEvents(Vec<serde_json::Value>),
    Compare(super::compare::CompareCmd),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Har,
    Postman,
    Curl,
}
