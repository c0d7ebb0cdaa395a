//! The history pane: a virtualised table over the SQLite history (rows fetched a page at a
//! time from the history thread, so 100,000 entries cost nothing per frame), filters and text
//! search, and the selected entry in full.

use crate::history::{Entry, Filter, Summary};
use crate::transport::StatusClass;
use std::collections::{BTreeMap, BTreeSet};

pub const PAGE: usize = 200;

#[derive(Default)]
pub struct HistoryPane {
    pub text: String,
    pub destination: Option<String>,
    pub class: Option<StatusClass>,
    pub call: Option<String>,
    /// Bumped whenever the rows shown are stale (filters changed, history changed).
    pub generation: u64,
    pub total: Option<usize>,
    /// `total` is a first, partial count; the exact one is on its way.
    pub counting: bool,
    /// The size cap the store keeps, and how many entries it removed.
    pub size: crate::history::SizeCap,
    pub rows: BTreeMap<usize, Summary>,
    requested: BTreeSet<usize>,
    pub selected: Option<i64>,
    pub detail: Option<Entry>,
    pub focus_filter: bool,
    pub confirm_clear: bool,
    pub error: Option<String>,
    pub charts: crate::app::model::charts::Charts,
}

impl HistoryPane {
    pub fn filter(&self) -> Filter {
        Filter {
            destination: self.destination.clone(),
            call_type: self.call.clone(),
            event_name: None,
            status: self.class.into_iter().collect(),
            text: Some(self.text.trim().to_string()).filter(|t| !t.is_empty()),
        }
    }

    /// Forget the rows; the caller asks for the count and the first page again.
    pub fn invalidate(&mut self) {
        self.generation += 1;
        self.rows.clear();
        self.requested.clear();
        self.total = None;
        self.counting = false;
    }

    pub fn accept_page(&mut self, generation: u64, offset: usize, rows: Vec<Summary>) {
        if generation != self.generation {
            return;
        }
        for (i, r) in rows.into_iter().enumerate() {
            self.rows.insert(offset + i, r);
        }
    }

    /// Pages of rows the table needs and has not asked for yet.
    pub(crate) fn want(&mut self, index: usize, out: &mut Vec<usize>) {
        let page = index / PAGE;
        if self.requested.insert(page) {
            out.push(page * PAGE);
        }
    }
}
