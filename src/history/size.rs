//! The size cap the user sets ("keep the history under 500 MB"): kept in the store itself, so
//! that the window and `run` in a terminal hold the same one; when a commit takes the store
//! over it, the oldest entries go, and the store remembers how many went so that the window
//! can say so.

use super::{History, HistoryError, sql, to_i64};
use rusqlite::OptionalExtension;

const MAX_BYTES: &str = "max_bytes";
const TRIMMED: &str = "trimmed_for_size";

/// Removal brings the store this far under its cap, so that it is not trimmed again on every
/// next commit.
const HEADROOM: f64 = 0.9;

/// What the size cap has done: the cap, and how many entries went to keep under it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SizeCap {
    pub max_bytes: Option<u64>,
    pub trimmed: u64,
}

impl History {
    pub(super) fn stored_size_cap(&self) -> Result<Option<u64>, rusqlite::Error> {
        let v: Option<i64> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [MAX_BYTES], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(v.and_then(|v| u64::try_from(v).ok()).filter(|v| *v > 0))
    }

    /// Keeps the store under `max_bytes` (None: no size cap), dropping the oldest entries now
    /// and after later commits. Kept in the store: every console that opens it holds the cap.
    /// Returns how many entries went now.
    pub fn set_size_cap(&mut self, max_bytes: Option<u64>) -> Result<usize, HistoryError> {
        match max_bytes {
            Some(b) => self
                .conn
                .execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    rusqlite::params![MAX_BYTES, i64::try_from(b).unwrap_or(i64::MAX)],
                )
                .map_err(sql("keep the size cap"))?,
            None => self
                .conn
                .execute("DELETE FROM meta WHERE key = ?1", [MAX_BYTES])
                .map_err(sql("remove the size cap"))?,
        };
        self.max_bytes = max_bytes.filter(|b| *b > 0);
        self.enforce_size(8)
    }

    /// The size cap and what it has removed so far (another process may have removed some:
    /// this reads the store).
    pub fn size_cap(&self) -> Result<SizeCap, HistoryError> {
        let read = |key: &str| -> Result<Option<i64>, rusqlite::Error> {
            self.conn
                .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
        };
        if self.layout == super::Layout::V1 {
            return Ok(SizeCap::default());
        }
        Ok(SizeCap {
            max_bytes: read(MAX_BYTES)
                .map_err(sql("read the size cap"))?
                .and_then(|v| u64::try_from(v).ok())
                .filter(|v| *v > 0),
            trimmed: read(TRIMMED)
                .map_err(sql("read the size cap"))?
                .and_then(|v| u64::try_from(v).ok())
                .unwrap_or(0),
        })
    }

    /// Bytes the store's pages hold (free pages, which SQLite reuses, are not counted).
    pub fn used_bytes(&self) -> Result<u64, HistoryError> {
        let pragma = |name: &str| -> Result<i64, HistoryError> {
            self.conn
                .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                .map_err(sql("measure the history"))
        };
        let pages = pragma("page_count")? - pragma("freelist_count")?;
        Ok(u64::try_from(pages.max(0) * pragma("page_size")?).unwrap_or(0))
    }

    /// Drops the oldest entries while the store is over its size cap; returns how many went.
    /// At most `rounds` removals, each of what the average entry size says is too much: a
    /// commit does one (pages freed by a removal are not all given back at once, and the next
    /// commit looks again), setting the cap a few.
    pub(super) fn enforce_size(&mut self, rounds: usize) -> Result<usize, HistoryError> {
        let Some(max) = self.max_bytes else {
            return Ok(0);
        };
        let mut removed = 0;
        for _ in 0..rounds {
            let used = self.used_bytes()?;
            if used <= max || self.rows == 0 {
                break;
            }
            let per_entry = (used as f64 / self.rows as f64).max(1.0);
            let excess = used as f64 - max as f64 * HEADROOM;
            let n = ((excess / per_entry).ceil() as usize).clamp(1, self.rows);
            let tx = self.conn.transaction().map_err(sql("start a trim"))?;
            let gone = tx
                .execute(
                    "DELETE FROM entries WHERE id IN \
                     (SELECT id FROM entries ORDER BY id LIMIT ?1)",
                    [to_i64(n)],
                )
                .map_err(sql("drop the oldest entries"))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = value + excluded.value",
                rusqlite::params![TRIMMED, to_i64(gone)],
            )
            .map_err(sql("note the trim"))?;
            tx.commit().map_err(sql("commit a trim"))?;
            self.rows = self.rows.saturating_sub(gone);
            removed += gone;
            if gone == 0 {
                break;
            }
        }
        Ok(removed)
    }
}

/// A byte count as people read it: `500 MB`, `1.5 GB`, `800 KB` (decimal units, as disks).
pub fn size_text(bytes: u64) -> String {
    let b = bytes as f64;
    let (v, unit) = if b >= 1e9 {
        (b / 1e9, "GB")
    } else if b >= 1e6 {
        (b / 1e6, "MB")
    } else if b >= 1e3 {
        (b / 1e3, "KB")
    } else {
        return format!("{bytes} bytes");
    };
    if v >= 100.0 || (v - v.round()).abs() < 0.05 {
        format!("{v:.0} {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}
