//! The history: a SQLite store (bundled SQLite, WAL) of every send, one API in front of it.
//! Columns hold what the filters need; the entry itself is one JSON document; a trigram FTS5
//! index makes substring search fast over the event and the bodies.

pub mod entry;

pub use entry::Entry;

use crate::transport::StatusClass;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most text of one entry that goes into the search index.
pub const SEARCH_TEXT_LIMIT: usize = 64 * 1024;
/// Entries kept when nobody says otherwise; the oldest go first.
pub const DEFAULT_CAP: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot open the history at {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the history could not {action}: {source}")]
    Sql {
        action: &'static str,
        source: rusqlite::Error,
    },
    #[error("history entry {id} is damaged: {source}")]
    Damaged { id: i64, source: serde_json::Error },
    #[error("the entry could not be stored: {0}")]
    Encode(serde_json::Error),
    #[error("cannot make the history at {path} private (owner-only): {source}")]
    Permissions {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn sql(action: &'static str) -> impl FnOnce(rusqlite::Error) -> HistoryError {
    move |source| HistoryError::Sql { action, source }
}

/// What to show: every field set narrows the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub destination: Option<String>,
    pub call_type: Option<String>,
    /// Exact event name (a track's `event`, a page's `name`).
    pub event_name: Option<String>,
    /// Any of these classes (empty: all).
    pub status: Vec<StatusClass>,
    /// Text anywhere in the event or the bodies, case-insensitive. Three characters or more
    /// search the index; one or two look only at the event name (an index of trigrams cannot
    /// find less than three characters, and a scan of every body would be slow).
    pub text: Option<String>,
}

/// One row of the list: the columns, without the (possibly large) document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub id: i64,
    pub time: String,
    pub destination: String,
    pub mode: String,
    pub target: String,
    pub call_type: String,
    pub event_name: String,
    pub outcome: String,
    pub status_class: Option<StatusClass>,
    pub status_text: String,
    pub duration_ms: u64,
}

pub struct History {
    conn: Connection,
    cap: usize,
    /// Rows in the store, counted at open and kept up to date, so the cap costs nothing
    /// until it is reached.
    rows: usize,
}

const SCHEMA: &str = "
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

const SUMMARY_COLUMNS: &str = "entries.id, time, destination, mode, target, call_type, \
    event_name, outcome, status_class, status_text, duration_ms";

impl History {
    /// Opens (creating when missing) the store at `path`.
    pub fn open(path: &Path) -> Result<History, HistoryError> {
        let open_err = |source| HistoryError::Open {
            path: path.to_path_buf(),
            source,
        };
        // The history holds people's emails and traits: owner-only, like the settings. SQLite
        // gives its -wal and -shm files the database's mode, so the database is made private
        // before they exist; files left by an older console are put right here as well.
        make_private(path).map_err(|source| HistoryError::Permissions {
            path: path.to_path_buf(),
            source,
        })?;
        let conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL lets the window read while a batch run writes. synchronous=FULL makes every
        // commit reach the disk before `append` returns: an entry the user has seen survives
        // a crash of the console and also a power cut or an OS crash (NORMAL would be safe
        // only against the first). One fsync per send is cheap next to an HTTP round trip.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.execute_batch(SCHEMA).map_err(open_err)?;
        History::counted(conn).map_err(open_err)
    }

    /// Opens an existing store for reading only, as the command line does beside a running
    /// window or batch: nothing is created, migrated or written.
    pub fn open_read_only(path: &Path) -> Result<History, HistoryError> {
        let open_err = |source| HistoryError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags =
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        History::counted(conn).map_err(open_err)
    }

    /// The store over an open connection, with the number of entries the cap is kept against.
    fn counted(conn: Connection) -> Result<History, rusqlite::Error> {
        let rows: i64 = conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0))?;
        Ok(History {
            conn,
            cap: DEFAULT_CAP,
            rows: usize::try_from(rows).unwrap_or(0),
        })
    }

    /// A number that changes when another connection (another process: a `run` in a terminal,
    /// or a batch's writer) commits to the store; this connection's own writes leave it as is.
    pub fn data_version(&self) -> Result<i64, HistoryError> {
        self.conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))
            .map_err(sql("read the data version"))
    }

    /// Keeps at most `max_entries` (at least 1), dropping the oldest now and on later appends.
    pub fn set_cap(&mut self, max_entries: usize) -> Result<usize, HistoryError> {
        self.cap = max_entries.max(1);
        self.enforce_cap(self.cap)
    }

    /// Stores the entry and returns its id once it is committed to disk.
    pub fn append(&mut self, entry: &Entry) -> Result<i64, HistoryError> {
        match self.append_all(std::slice::from_ref(entry))?.as_slice() {
            [id] => Ok(*id),
            _ => unreachable!("append_all returns one id per entry"),
        }
    }

    /// Stores several entries in one transaction (an import, a batch's last results).
    pub fn append_all(&mut self, entries: &[Entry]) -> Result<Vec<i64>, HistoryError> {
        let tx = self.conn.transaction().map_err(sql("start a write"))?;
        let mut ids = Vec::with_capacity(entries.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO entries (time, destination, mode, target, call_type, event_name, \
                     outcome, status_class, status_text, duration_ms, record) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )
                .map_err(sql("prepare a write"))?;
            let mut index = tx
                .prepare_cached("INSERT INTO entries_text (rowid, body) VALUES (?1, ?2)")
                .map_err(sql("prepare a write"))?;
            for e in entries {
                let record = serde_json::to_string(e).map_err(HistoryError::Encode)?;
                insert
                    .execute(params![
                        e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        e.destination,
                        e.mode,
                        e.target,
                        e.call_type,
                        e.event_name,
                        e.outcome,
                        e.status_class.as_str(),
                        e.status_text(),
                        i64::try_from(e.duration_ms).unwrap_or(i64::MAX),
                        record,
                    ])
                    .map_err(sql("store an entry"))?;
                let id = tx.last_insert_rowid();
                index
                    .execute(params![id, e.search_text(SEARCH_TEXT_LIMIT)])
                    .map_err(sql("index an entry"))?;
                ids.push(id);
            }
        }
        tx.commit().map_err(sql("commit an entry"))?;
        self.rows += ids.len();
        if self.rows > self.cap {
            self.enforce_cap(self.cap)?;
        }
        Ok(ids)
    }

    /// The entries that match, newest first: page `page` (from 0) of `page_size`.
    pub fn query(
        &self,
        filter: &Filter,
        page: usize,
        page_size: usize,
    ) -> Result<Vec<Summary>, HistoryError> {
        let (from, order, mut args) = from_where(filter);
        let sql_text =
            format!("SELECT {SUMMARY_COLUMNS} {from} ORDER BY {order} DESC LIMIT ? OFFSET ?");
        args.push(SqlValue::Integer(to_i64(page_size)));
        args.push(SqlValue::Integer(to_i64(page.saturating_mul(page_size))));
        let mut stmt = self
            .conn
            .prepare_cached(&sql_text)
            .map_err(sql("prepare a search"))?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                let class: String = r.get(8)?;
                Ok(Summary {
                    id: r.get(0)?,
                    time: r.get(1)?,
                    destination: r.get(2)?,
                    mode: r.get(3)?,
                    target: r.get(4)?,
                    call_type: r.get(5)?,
                    event_name: r.get(6)?,
                    outcome: r.get(7)?,
                    status_class: StatusClass::parse(&class),
                    status_text: r.get(9)?,
                    duration_ms: u64::try_from(r.get::<_, i64>(10)?).unwrap_or(0),
                })
            })
            .map_err(sql("search"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql("search"))
    }

    pub fn count(&self, filter: &Filter) -> Result<usize, HistoryError> {
        let (from, _, args) = from_where(filter);
        let n: i64 = self
            .conn
            .query_row(
                &format!("SELECT count(*) {from}"),
                params_from_iter(args),
                |r| r.get(0),
            )
            .map_err(sql("count entries"))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Like [`History::count`], but stops at `limit`: a search matching most of a large
    /// history costs a full pass to count exactly, while "1,000+" is what a list needs.
    pub fn count_at_most(&self, filter: &Filter, limit: usize) -> Result<usize, HistoryError> {
        let (from, _, mut args) = from_where(filter);
        args.push(SqlValue::Integer(to_i64(limit)));
        let n: i64 = self
            .conn
            .query_row(
                &format!("SELECT count(*) FROM (SELECT 1 {from} LIMIT ?)"),
                params_from_iter(args),
                |r| r.get(0),
            )
            .map_err(sql("count entries"))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    pub fn get(&self, id: i64) -> Result<Option<Entry>, HistoryError> {
        let record: Option<String> = self
            .conn
            .query_row("SELECT record FROM entries WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql("read an entry"))?;
        let Some(record) = record else {
            return Ok(None);
        };
        let mut entry: Entry =
            serde_json::from_str(&record).map_err(|source| HistoryError::Damaged { id, source })?;
        entry.id = id;
        Ok(Some(entry))
    }

    /// Deletes these entries; returns how many existed.
    pub fn delete(&mut self, ids: &[i64]) -> Result<usize, HistoryError> {
        let tx = self.conn.transaction().map_err(sql("start a delete"))?;
        let mut n = 0;
        {
            let mut stmt = tx
                .prepare_cached("DELETE FROM entries WHERE id = ?1")
                .map_err(sql("prepare a delete"))?;
            for id in ids {
                n += stmt.execute([id]).map_err(sql("delete an entry"))?;
            }
        }
        tx.commit().map_err(sql("commit a delete"))?;
        self.rows = self.rows.saturating_sub(n);
        Ok(n)
    }

    pub fn clear(&mut self) -> Result<usize, HistoryError> {
        let tx = self.conn.transaction().map_err(sql("start clearing"))?;
        let n = tx
            .execute("DELETE FROM entries", [])
            .map_err(sql("clear the history"))?;
        tx.commit().map_err(sql("clear the history"))?;
        self.rows = 0;
        Ok(n)
    }

    /// Drops the oldest entries beyond `max_entries`; returns how many went.
    pub fn enforce_cap(&mut self, max_entries: usize) -> Result<usize, HistoryError> {
        let n = self
            .conn
            .execute(
                "DELETE FROM entries WHERE id <= \
                 (SELECT id FROM entries ORDER BY id DESC LIMIT 1 OFFSET ?1)",
                [to_i64(max_entries)],
            )
            .map_err(sql("drop the oldest entries"))?;
        self.rows = self.rows.saturating_sub(n);
        Ok(n)
    }

    /// Distinct values of a filter column, for the filter pickers.
    pub fn event_names(&self) -> Result<Vec<String>, HistoryError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT event_name FROM entries WHERE event_name != '' ORDER BY event_name",
            )
            .map_err(sql("list event names"))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(sql("list event names"))?;
        rows.collect::<Result<Vec<String>, _>>()
            .map_err(sql("list event names"))
    }
}

/// Creates `path` owner-only (0600) when missing, and sets that mode on it and on SQLite's
/// `-wal` and `-shm` files beside it when they exist.
fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for p in [path.to_path_buf(), PathBuf::from(wal), PathBuf::from(shm)] {
            match std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                other => other?,
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// A stored time (RFC 3339, UTC) as people read it: the local time zone, to the second
/// (`2026-12-01 06:23:39`). The stored text itself when it is not a time.
pub fn local_time(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_string())
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `FROM ... WHERE ...` for the filter, and its arguments in order. A text search starts from
/// the index and joins the entries, so that SQLite walks the matches newest first and stops at
/// the page's end instead of collecting every match before sorting.
fn from_where(filter: &Filter) -> (String, &'static str, Vec<SqlValue>) {
    let mut from = "FROM entries".to_string();
    let mut order = "entries.id";
    let mut parts: Vec<String> = Vec::new();
    let mut args: Vec<SqlValue> = Vec::new();
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if text.chars().count() >= 3 {
            from = "FROM entries_text JOIN entries ON entries.id = entries_text.rowid".into();
            order = "entries_text.rowid";
            parts.push("entries_text MATCH ?".into());
            // One quoted phrase: with trigrams, that is "contains this text".
            args.push(SqlValue::Text(format!("\"{}\"", text.replace('"', "\"\""))));
        } else {
            parts.push("event_name LIKE ? ESCAPE '\\'".into());
            let escaped = text
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(SqlValue::Text(format!("%{escaped}%")));
        }
    }
    let mut eq = |column: &str, value: &Option<String>| {
        if let Some(v) = value {
            parts.push(format!("{column} = ?"));
            args.push(SqlValue::Text(v.clone()));
        }
    };
    eq("destination", &filter.destination);
    eq("call_type", &filter.call_type);
    eq("event_name", &filter.event_name);
    if !filter.status.is_empty() {
        let marks = vec!["?"; filter.status.len()].join(", ");
        parts.push(format!("status_class IN ({marks})"));
        args.extend(
            filter
                .status
                .iter()
                .map(|c| SqlValue::Text(c.as_str().to_string())),
        );
    }
    if !parts.is_empty() {
        from.push_str(" WHERE ");
        from.push_str(&parts.join(" AND "));
    }
    (from, order, args)
}

#[cfg(test)]
mod tests;
