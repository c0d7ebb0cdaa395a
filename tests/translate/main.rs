//! The event model, validation, translation and event-set files: every rule of the spec on
//! Segment's example shapes, the golden fixtures of each destination (and the sandbox accepting
//! what they send), translation never panicking on any event or settings, and event-set files
//! read, written and round-tripped.

#[path = "../support/mod.rs"]
mod support;

mod event_set_files;
mod fixtures_agree;
mod golden;
mod never_panics;
mod plans;
mod validate;
