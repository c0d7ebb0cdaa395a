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
    /// The table's share of the pane's width while an entry's details are open (0 until the
    /// user drags the divider: then the default).
    pub split: f32,
}

/// The table's share of the width beside an entry's details, and the least either side keeps.
pub const DEFAULT_SPLIT: f32 = 0.55;
pub const SPLIT_RANGE: std::ops::RangeInclusive<f32> = 0.25..=0.8;

impl HistoryPane {
    /// The table's share of the width beside the details, within [`SPLIT_RANGE`].
    pub fn table_share(&self) -> f32 {
        if self.split == 0.0 {
            DEFAULT_SPLIT
        } else {
            self.split.clamp(*SPLIT_RANGE.start(), *SPLIT_RANGE.end())
        }
    }

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
