//! Everything the console keeps on disk apart from the history: where the data folder is,
//! atomic writes, event-set files, the settings store, tracking plans and golden files.

pub mod atomic;
pub mod event_set;
pub mod golden;
pub mod paths;
pub mod plan_file;
pub mod settings_store;
