//! segment-console: compose Segment events, see what each destination receives, send them.
//!
//! Every layer below the window is plain Rust with no UI in it, reused by the command line.

pub mod allocator;
pub mod app;
pub mod batch;
pub mod destinations;
pub mod diff;
pub mod event_set;
pub mod export;
pub mod history;
pub mod json_text;
pub mod paths;
pub mod sandbox;
pub mod settings_store;
pub mod spec;
pub mod transport;
