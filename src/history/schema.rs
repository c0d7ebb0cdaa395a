//! The store's layout, its version (`PRAGMA user_version`), and the upgrade of a store an
//! older console made, in place and in one transaction: stopped half-way (a crash, a full
//! disk), nothing of it is kept and the store is as it was, to be upgraded at the next open.

use super::{Entry, SEARCH_TEXT_LIMIT, codec};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, params};

/// The layout this console writes.
pub const VERSION: i64 = 5;

// Version 5: the tables of version 4 (read as `Layout::V4`); new records are packed with zstd
// and the history's dictionary (see `codec`). A console that knows only up to 4 could not read
// them: the version makes it refuse the store as newer, rather than fail entry by entry.
// Records of a version 4 store read as before, so its upgrade only sets the version.

/// Version 4: version 3 and `pending_text`, the search text of entries recorded but not yet in
/// the search index. Recording at the rate capture and `run` deliver leaves no time to index
/// each entry as it comes (the index is most of an entry's cost): the writer keeps the text
/// here, in the same transaction as the entry, and moves it into the index when it has time
/// (see `History::index_pending`). A search looks in both, so it never misses an entry.
pub fn schema() -> String {
    format!("{SCHEMA_V3}{PENDING}")
}

const PENDING: &str = "
CREATE TABLE IF NOT EXISTS pending_text (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS entries_pending_delete AFTER DELETE ON entries BEGIN
    DELETE FROM pending_text WHERE id = old.id;
END;
";

/// Version 3: version 2 and each entry's tracking-plan verdict as a column (`plan`: "" when no
/// plan was loaded, else "ok" or the violations counted, as the list shows it).
pub const SCHEMA_V3: &str = "
CREATE TABLE IF NOT EXISTS entries (
    -- AUTOINCREMENT: ids are never reused, so 'newest first' is 'highest id first' even
    -- after deletions, and an id in an export or a log always means the same entry.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    destination TEXT NOT NULL,
    mode TEXT NOT NULL,
    target TEXT NOT NULL,
    call_type TEXT NOT NULL,
    event_name TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status_class TEXT NOT NULL,
    status_text TEXT NOT NULL,
    duration_us INTEGER NOT NULL,
    -- The entry's JSON, zstd-compressed.
    record BLOB NOT NULL,
    plan TEXT NOT NULL DEFAULT ''
);
-- Each filter's index, newest first within its value, also holds the other filters' columns:
-- a search narrowed by several of them walks one index and checks the others there, instead
-- of reading a row (and its record) for every entry it passes over.
CREATE INDEX IF NOT EXISTS entries_destination_v2
    ON entries(destination, id, status_class, call_type);
CREATE INDEX IF NOT EXISTS entries_call_type_v2
    ON entries(call_type, id, status_class, destination);
CREATE INDEX IF NOT EXISTS entries_status_class_v2
    ON entries(status_class, id, destination, call_type);
CREATE INDEX IF NOT EXISTS entries_event_name ON entries(event_name, id);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_text USING fts5(
    body, tokenize = 'trigram', content = '', contentless_delete = 1, detail = none
);
CREATE TRIGGER IF NOT EXISTS entries_text_delete AFTER DELETE ON entries BEGIN
    DELETE FROM entries_text WHERE rowid = old.id;
END;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
";

/// Version 2: each record compressed (see `codec`), durations in microseconds, a search index
/// without positions over a bounded text (see `index`), and `meta` for the store's settings.
/// Kept for the tests of the upgrade.
pub fn schema_v2() -> String {
    SCHEMA_V3.replace(",\n    plan TEXT NOT NULL DEFAULT ''\n", "\n")
}

/// Version 1 (the console before this layout; it left `user_version` at 0): the record as JSON
/// text, whole milliseconds, and a trigram index with positions over up to 64 KB of each entry.
/// Kept for the tests of the upgrade and the bench's baseline.
pub const SCHEMA_V1: &str = "
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,
    destination TEXT NOT NULL,
    mode TEXT NOT NULL,
    target TEXT NOT NULL,
    call_type TEXT NOT NULL,
    event_name TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status_class TEXT NOT NULL,
    status_text TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_destination ON entries(destination, id);
CREATE INDEX IF NOT EXISTS entries_call_type ON entries(call_type, id);
CREATE INDEX IF NOT EXISTS entries_event_name ON entries(event_name, id);
CREATE INDEX IF NOT EXISTS entries_status_class ON entries(status_class, id);
CREATE VIRTUAL TABLE IF NOT EXISTS entries_text USING fts5(
    body, tokenize = 'trigram', content = '', contentless_delete = 1
);
CREATE TRIGGER IF NOT EXISTS entries_text_delete AFTER DELETE ON entries BEGIN
    DELETE FROM entries_text WHERE rowid = old.id;
END;
";

/// What a store holds, by its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Made by an older console: read as it is (read-only) or upgraded (read-write).
    V1,
    /// Made by an older console, without the plan column: read as it is or upgraded.
    V2,
    /// Made by an older console, every entry indexed as it was stored: read as it is or
    /// upgraded.
    V3,
    V4,
}

impl Layout {
    /// The entry's duration in microseconds, as an SQL expression.
    pub fn duration_us(self) -> &'static str {
        match self {
            Layout::V1 => "duration_ms * 1000",
            Layout::V2 | Layout::V3 | Layout::V4 => "duration_us",
        }
    }

    /// The entry's plan verdict, as an SQL expression ("" in layouts without it).
    pub fn plan(self) -> &'static str {
        match self {
            Layout::V1 | Layout::V2 => "''",
            Layout::V3 | Layout::V4 => "plan",
        }
    }

    /// Whether entries may wait for the search index in `pending_text`.
    pub fn has_pending(self) -> bool {
        self == Layout::V4
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error(transparent)]
    Sql(#[from] rusqlite::Error),
    #[error(
        "it was made by a newer version of the console (layout {0}; this one knows up to {VERSION})"
    )]
    Newer(i64),
}

/// The layout of an open store, without changing it; `None` for an empty file.
pub fn layout(conn: &Connection) -> Result<Option<Layout>, SchemaError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    match version {
        0 => {
            let has_entries: bool = conn.query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'entries'",
                [],
                |r| r.get(0),
            )?;
            Ok(has_entries.then_some(Layout::V1))
        }
        1 => Ok(Some(Layout::V1)),
        2 => Ok(Some(Layout::V2)),
        3 => Ok(Some(Layout::V3)),
        4 | VERSION => Ok(Some(Layout::V4)),
        newer => Err(SchemaError::Newer(newer)),
    }
}

/// Brings the store to [`VERSION`]: creates it when empty, upgrades an older one. Returns how
/// many entries an upgrade carried over (0 when there was none).
pub fn prepare(conn: &mut Connection) -> Result<usize, SchemaError> {
    // IMMEDIATE: two consoles opening an old store at once upgrade it once; the second waits,
    // then finds it current.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let moved = match layout(&tx)? {
        None => {
            tx.execute_batch(&schema())?;
            0
        }
        Some(Layout::V1) => upgrade_v1(&tx)?,
        Some(Layout::V2) => {
            // A column with a constant default: SQLite adds it without rewriting a row, so
            // the upgrade takes no longer for a million entries than for ten. Entries from
            // before it read "" (no plan was checked).
            tx.execute_batch("ALTER TABLE entries ADD COLUMN plan TEXT NOT NULL DEFAULT '';")?;
            tx.execute_batch(&schema())?;
            0
        }
        // Every entry of a version 3 store is indexed: it only gains the (empty) table of
        // entries waiting for the index. Tables added to version 4 after its first cut are
        // created when missing in the same way.
        Some(Layout::V3 | Layout::V4) => {
            tx.execute_batch(&schema())?;
            0
        }
    };
    tx.pragma_update(None, "user_version", VERSION)?;
    tx.commit()?;
    Ok(moved)
}

#[cfg(test)]
thread_local! {
    /// Makes the upgrade fail after this many entries, as a crash or a full disk would.
    pub static FAIL_UPGRADE_AFTER: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Version 1 to 2, inside the caller's transaction: each entry is copied with its id, its
/// record compressed and its duration in microseconds, and indexed anew; then the old tables
/// go and the new ones take their names.
fn upgrade_v1(tx: &rusqlite::Transaction<'_>) -> Result<usize, SchemaError> {
    let next_id: i64 = tx
        .query_row(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'entries'), 0)",
            [],
            |r| r.get(0),
        )
        .unwrap_or(0);
    tx.execute_batch(
        "DROP TRIGGER IF EXISTS entries_text_delete;
         DROP TABLE IF EXISTS entries_text;
         ALTER TABLE entries RENAME TO entries_v1;
         DROP INDEX IF EXISTS entries_destination;
         DROP INDEX IF EXISTS entries_call_type;
         DROP INDEX IF EXISTS entries_event_name;
         DROP INDEX IF EXISTS entries_status_class;",
    )?;
    tx.execute_batch(&schema())?;
    let mut moved = 0;
    {
        let mut read = tx.prepare(
            "SELECT id, time, destination, mode, target, call_type, event_name, outcome, \
             status_class, status_text, duration_ms, record FROM entries_v1 ORDER BY id",
        )?;
        let mut insert = tx.prepare(
            "INSERT INTO entries (id, time, destination, mode, target, call_type, event_name, \
             outcome, status_class, status_text, duration_us, record) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        let mut index = tx.prepare("INSERT INTO entries_text (rowid, body) VALUES (?1, ?2)")?;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            #[cfg(test)]
            if FAIL_UPGRADE_AFTER.get() == Some(moved) {
                return Err(rusqlite::Error::ToSqlConversionFailure(
                    "the upgrade was stopped (test)".into(),
                )
                .into());
            }
            let id: i64 = r.get(0)?;
            // The record as stored: a damaged one is carried over as it is, compressed,
            // and indexed by its text, so nothing is lost and reading it says what is wrong.
            let json: Vec<u8> = match r.get_ref(11)? {
                ValueRef::Text(t) | ValueRef::Blob(t) => t.to_vec(),
                _ => Vec::new(),
            };
            let packed = codec::pack(&json)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
            let search = match serde_json::from_slice::<Entry>(&json) {
                Ok(e) => e.search_text(SEARCH_TEXT_LIMIT),
                Err(_) => super::entry::bounded(&String::from_utf8_lossy(&json), SEARCH_TEXT_LIMIT),
            };
            let ms: i64 = r.get(10)?;
            insert.execute(params![
                id,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                ms.saturating_mul(1000),
                packed,
            ])?;
            index.execute(params![id, search])?;
            moved += 1;
        }
    }
    tx.execute_batch("DROP TABLE entries_v1;")?;
    // Ids are never reused, also across the upgrade: the next id follows the old store's last.
    tx.execute(
        "UPDATE sqlite_sequence SET seq = max(seq, ?1) WHERE name = 'entries'",
        [next_id],
    )?;
    tx.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'entries', ?1 \
         WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'entries')",
        [next_id],
    )?;
    Ok(moved)
}
