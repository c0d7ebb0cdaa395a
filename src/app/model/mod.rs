//! The window's state without egui: documents, the event set, previews, comparisons, the
//! fan-out, the history pane's pages, autosave and the tools' inputs. Everything here can be
//! tested without a frame.

pub mod audience;
pub mod body_text;
pub mod charts;
pub mod compare;
pub mod compare_source;
pub mod destination;
pub mod document;
pub mod fanout;
pub mod history;
pub mod json_lines;
pub mod library;
pub mod persisted;
pub mod preview;
pub mod send;
pub mod tools;
pub mod workflow;
