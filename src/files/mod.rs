//! Everything the console keeps on disk apart from the history: where the data folder is,
//! atomic writes, event-set files and the settings store.

pub mod atomic;
pub mod event_set;
pub mod paths;
pub mod settings_store;
