//! The app's controller: executing commands, taking in background messages, sending, batches,
//! autosave and the tools. Each file adds methods to `App`; the window calls them from
//! `logic` and `ui`.

pub(crate) mod actions;
pub(crate) mod capture;
pub(crate) mod context;
pub(crate) mod frame;
pub(crate) mod messages;
pub(crate) mod plan;
pub(crate) mod smoke;
pub(crate) mod tools;
pub(crate) mod workflow;
