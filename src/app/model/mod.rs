//! The window's state without egui: documents, the event set, previews, comparisons, the
//! fan-out, the history pane's pages, autosave and the tools' inputs. Everything here can be
//! tested without a frame.

pub(crate) mod audience;
pub mod body_text;
pub mod capture;
pub(crate) mod charts;
pub(crate) mod compare;
pub(crate) mod compare_source;
pub mod destination;
pub mod document;
pub(crate) mod fanout;
pub mod history;
pub mod json_lines;
pub(crate) mod library;
pub(crate) mod persisted;
pub(crate) mod plan;
pub(crate) mod preview;
pub(crate) mod send;
pub(crate) mod tools;
pub(crate) mod workflow;
