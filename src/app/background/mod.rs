//! Work off the UI thread: the tokio runtime, the history thread, sends, the file picker, and
//! the messages they post back; also the smoke run's report.

pub mod services;
pub mod smoke;
