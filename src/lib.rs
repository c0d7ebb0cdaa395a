//! segment-console: compose Segment events, see what each destination receives, send them.
//!
//! Every layer below the window is plain Rust with no UI in it, reused by the command line.
//! docs/ARCHITECTURE.md maps the layers and the rules between them.

pub mod allocator;
pub mod app;
pub mod batch;
pub mod capture;
pub mod destinations;
pub mod event;
pub mod export;
pub mod files;
pub mod history;
pub mod json;
pub mod plan;
pub mod sandbox;
pub mod transport;
