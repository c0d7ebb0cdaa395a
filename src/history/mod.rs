//! The history: a SQLite store (bundled SQLite, WAL) of every send, one API in front of it.
//! Columns hold what the filters need; the entry itself is one JSON document, compressed
//! (`codec`); a trigram index over a bounded part of each entry makes substring search fast
//! (`index`). `schema` holds the layout, its version and the upgrade of older stores; `group`
//! commits many senders' entries together.

pub mod codec;
pub mod entry;
pub mod group;
pub mod index;
pub mod schema;
pub mod size;

pub use entry::Entry;
pub use schema::Layout;
pub use size::{SizeCap, size_text};

use crate::transport::StatusClass;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The most text of one entry that goes into the search index (see [`Entry::search_text`]).
pub const SEARCH_TEXT_LIMIT: usize = 1024;
/// Entries from which the planner's statistics are worth gathering.
const ANALYZE_FROM: usize = 1_000;
/// Entries recorded ahead of the search index at most (see [`History::record_encoded`]): a
/// search reads their text one by one, so this bounds what it reads beside the index.
pub const PENDING_MAX: usize = 100_000;
/// Waiting entries indexed in one transaction by a writer with nothing else to do: long enough
/// to index efficiently, short enough (tens of milliseconds) that an entry arriving meanwhile
/// is not kept waiting long.
const INDEX_CHUNK: usize = 256;
/// Entries kept when nobody says otherwise; the oldest go first. A size cap
/// ([`History::set_size_cap`]) may keep fewer.
pub const DEFAULT_CAP: usize = 1_000_000;

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error("cannot open the history at {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot open the history at {path}: {source}")]
    Layout {
        path: PathBuf,
        source: schema::SchemaError,
    },
    #[error("the history could not {action}: {source}")]
    Sql {
        action: &'static str,
        source: rusqlite::Error,
    },
    #[error("history entry {id} is damaged: {source}")]
    Damaged { id: i64, source: serde_json::Error },
    #[error("history entry {id} is damaged: its record cannot be decompressed ({source})")]
    Unreadable { id: i64, source: std::io::Error },
    #[error("the entry could not be stored: {0}")]
    Encode(serde_json::Error),
    #[error("the entry could not be compressed: {0}")]
    Compress(std::io::Error),
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
    /// Text in the event or the bodies, case-insensitive. Three characters or more search the
    /// index (names, ids, statuses, and the start of the event and of each body: see
    /// [`Entry::search_text`]); one or two look only at the event name (an index of trigrams
    /// cannot find less than three characters, and a scan of every body would be slow).
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
    /// Whole milliseconds (`duration_us / 1000`).
    pub duration_ms: u64,
    pub duration_us: u64,
    /// The tracking plan's verdict: "" when no plan was loaded, else "ok" or the violations
    /// counted ("1 error, 2 warnings").
    pub plan: String,
}

pub struct History {
    conn: Connection,
    layout: Layout,
    cap: usize,
    /// The most bytes the store may take, if the user set it (kept in the store's `meta`, so
    /// the window and `run` keep the same cap).
    max_bytes: Option<u64>,
    /// Rows in the store, counted at open and kept up to date, so the cap costs nothing
    /// until it is reached.
    rows: usize,
    /// Rows when the planner's statistics were last gathered (see [`History::analyze`]).
    analyzed_at: usize,
    /// Entries recorded but not yet in the search index (see [`History::record_encoded`]), at
    /// most: entries the cap removes while they wait are found out at the next indexing.
    pending: usize,
    /// Indexing failed (a full disk, say): not tried again by [`History::index_step`] until an
    /// entry has been stored since, so that an idle writer does not spin on the error.
    index_stalled: bool,
    /// [`PENDING_MAX`], lower in tests.
    pending_max: usize,
}

/// An entry made ready to store: its columns, its compressed record and its search text.
/// Making it is most of the cost of storing an entry, and needs no store: senders make their
/// own, so that the one writer only inserts (see `group`).
#[derive(Clone, Debug)]
pub struct Encoded {
    time: String,
    destination: String,
    mode: String,
    target: String,
    call_type: String,
    event_name: String,
    outcome: String,
    status_class: &'static str,
    status_text: String,
    duration_us: i64,
    record: Vec<u8>,
    search: String,
    plan: String,
}

impl Encoded {
    pub fn new(e: &Entry) -> Result<Encoded, HistoryError> {
        let json = serde_json::to_vec(e).map_err(HistoryError::Encode)?;
        Ok(Encoded {
            time: e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            destination: e.destination.clone(),
            mode: e.mode.clone(),
            target: e.target.clone(),
            call_type: e.call_type.clone(),
            event_name: e.event_name.clone(),
            outcome: e.outcome.clone(),
            status_class: e.status_class.as_str(),
            status_text: e.status_text(),
            duration_us: i64::try_from(e.micros()).unwrap_or(i64::MAX),
            record: codec::pack(&json).map_err(HistoryError::Compress)?,
            // Lowercased here, on the sender's thread: the index folds case itself, and a
            // search reading an entry that waits for the index need not.
            search: e.search_text(SEARCH_TEXT_LIMIT).to_lowercase(),
            plan: e.plan.as_ref().map(|p| p.text()).unwrap_or_default(),
        })
    }
}

impl History {
    /// Opens (creating when missing) the store at `path`, upgrading one an older console made.
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
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(open_err)?;
        // WAL lets the window read while a batch run writes. synchronous=FULL makes every
        // commit reach the disk before `append` returns: an entry the user has seen survives
        // a crash of the console and also a power cut or an OS crash (NORMAL would be safe
        // only against the first). Entries arriving together share a commit (see `group`).
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        // 32 MB of page cache (SQLite's default is 2 MB): the search index's merges and the
        // filter indexes' newest pages stay in memory while entries stream in.
        conn.pragma_update(None, "cache_size", -32_768)
            .map_err(open_err)?;
        index::register(&conn).map_err(open_err)?;
        let moved = schema::prepare(&mut conn).map_err(|source| HistoryError::Layout {
            path: path.to_path_buf(),
            source,
        })?;
        if moved > 0 {
            // The old layout's pages are free now: give them back to the disk (the old store
            // was several times the size). Safe to stop: VACUUM is one transaction too.
            let _ = conn.execute_batch("VACUUM");
        }
        let mut h = History::counted(conn, Layout::V4).map_err(open_err)?;
        h.max_bytes = h.stored_size_cap().map_err(open_err)?;
        if h.rows >= ANALYZE_FROM {
            h.analyze()?;
        }
        Ok(h)
    }

    /// Opens an existing store for reading only, as the command line does beside a running
    /// window or batch: nothing is created, upgraded or written. A store of an older layout is
    /// read as it is.
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
        index::register(&conn).map_err(open_err)?;
        let layout = schema::layout(&conn)
            .map_err(|source| HistoryError::Layout {
                path: path.to_path_buf(),
                source,
            })?
            // An empty file: let the count below say there is no history in it.
            .unwrap_or(Layout::V4);
        let mut h = History::counted(conn, layout).map_err(open_err)?;
        if layout != Layout::V1 {
            h.max_bytes = h.stored_size_cap().map_err(open_err)?;
        }
        Ok(h)
    }

    /// The store over an open connection, with the number of entries the cap is kept against.
    fn counted(conn: Connection, layout: Layout) -> Result<History, rusqlite::Error> {
        let rows: i64 = conn.query_row("SELECT count(*) FROM entries", [], |r| r.get(0))?;
        let pending = waiting_at_most(&conn, layout)?;
        Ok(History {
            conn,
            layout,
            cap: DEFAULT_CAP,
            max_bytes: None,
            rows: usize::try_from(rows).unwrap_or(0),
            analyzed_at: 0,
            pending,
            index_stalled: false,
            pending_max: PENDING_MAX,
        })
    }

    /// Gathers the statistics SQLite's planner uses to pick an index: without them it takes a
    /// status filter's index and sorts every match (tens of thousands in a large store) to
    /// show the newest page, where walking the entries newest first stops after a page. Done
    /// at open and whenever the store has doubled since, on a sample (a few milliseconds).
    fn analyze(&mut self) -> Result<(), HistoryError> {
        self.conn
            .execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")
            .map_err(sql("gather search statistics"))?;
        self.analyzed_at = self.rows;
        Ok(())
    }

    /// The store's layout (an older one only when opened read-only).
    pub fn layout(&self) -> Layout {
        self.layout
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
        let encoded = entries
            .iter()
            .map(Encoded::new)
            .collect::<Result<Vec<_>, _>>()?;
        self.append_encoded(&encoded)
    }

    /// Stores entries already encoded, in one transaction, each in the search index: their ids
    /// once it is on disk.
    pub fn append_encoded(&mut self, entries: &[Encoded]) -> Result<Vec<i64>, HistoryError> {
        self.insert(entries, false)
    }

    /// Stores entries already encoded, in one transaction, as [`History::append_encoded`]
    /// does, but leaves their search text for the index to take later
    /// ([`History::index_pending`]): the index is about half of what storing an entry costs,
    /// so a writer that receives faster than it can index records now and indexes once its
    /// queue is quiet (`group::next_job`). A search finds them all the same. Beyond [`PENDING_MAX`] waiting, the
    /// oldest are indexed here, so that a long flood slows down rather than leave searches
    /// reading more and more text.
    pub fn record_encoded(&mut self, entries: &[Encoded]) -> Result<Vec<i64>, HistoryError> {
        let ids = self.insert(entries, true)?;
        if self.pending > self.pending_max
            && self.index_pending(self.pending - self.pending_max).is_err()
        {
            // The entries are on disk, and their senders must hear so: indexing that fails (a
            // full disk, say) only leaves more text waiting, which searches still read.
            self.index_stalled = true;
        }
        Ok(ids)
    }

    /// Entries recorded that wait for the search index (at most).
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Looks again at what waits for the index, after another connection (a `run`, a capture)
    /// has written: it may have left entries for this one to index.
    pub fn notice_pending(&mut self) -> Result<(), HistoryError> {
        self.pending =
            waiting_at_most(&self.conn, self.layout).map_err(sql("count waiting entries"))?;
        Ok(())
    }

    /// Whether a writer with nothing else to do should call [`History::index_step`].
    pub fn index_due(&self) -> bool {
        self.pending > 0 && !self.index_stalled
    }

    /// Indexes a short run of waiting entries, for a writer whose queue is empty. A failure is
    /// not an entry lost (the text waits on disk, and searches read it there): it is tried
    /// again once the writer has stored something.
    pub fn index_step(&mut self) {
        if self.index_pending(INDEX_CHUNK).is_err() {
            self.index_stalled = true;
        }
    }

    /// Indexes everything waiting, a short run at a time, until done or an error (which
    /// leaves the rest waiting on disk, for the next writer). Writers index only while idle;
    /// this is for the bench, which times it, and for tests.
    pub fn index_all(&mut self) {
        while self.index_due() {
            self.index_step();
        }
    }

    /// Moves the search text of up to `max` of the oldest waiting entries into the index, in
    /// one transaction: how many it moved. An entry is in one place or the other at every
    /// moment a search can see.
    pub fn index_pending(&mut self, max: usize) -> Result<usize, HistoryError> {
        if self.pending == 0 || max == 0 || !self.layout.has_pending() {
            return Ok(0);
        }
        // IMMEDIATE: the entries to move are read under the write lock, so that two writers
        // (a window and a `run`) never both take the same ones.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(sql("start indexing"))?;
        let last: Option<i64> = tx
            .query_row(
                "SELECT max(id) FROM (SELECT id FROM pending_text ORDER BY id LIMIT ?1)",
                [to_i64(max)],
                |r| r.get(0),
            )
            .map_err(sql("index waiting entries"))?;
        let Some(last) = last else {
            self.pending = 0;
            return Ok(0);
        };
        tx.execute(
            "INSERT INTO entries_text (rowid, body) SELECT id, body FROM pending_text WHERE id <= ?1",
            [last],
        )
        .map_err(sql("index waiting entries"))?;
        let moved = tx
            .execute("DELETE FROM pending_text WHERE id <= ?1", [last])
            .map_err(sql("index waiting entries"))?;
        tx.commit().map_err(sql("commit the index"))?;
        self.pending = self.pending.saturating_sub(moved);
        Ok(moved)
    }

    fn insert(&mut self, entries: &[Encoded], defer: bool) -> Result<Vec<i64>, HistoryError> {
        let tx = self.conn.transaction().map_err(sql("start a write"))?;
        let mut ids = Vec::with_capacity(entries.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO entries (time, destination, mode, target, call_type, event_name, \
                     outcome, status_class, status_text, duration_us, record, plan) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                )
                .map_err(sql("prepare a write"))?;
            let mut index = tx
                .prepare_cached(if defer {
                    "INSERT INTO pending_text (id, body) VALUES (?1, ?2)"
                } else {
                    "INSERT INTO entries_text (rowid, body) VALUES (?1, ?2)"
                })
                .map_err(sql("prepare a write"))?;
            for e in entries {
                insert
                    .execute(params![
                        e.time,
                        e.destination,
                        e.mode,
                        e.target,
                        e.call_type,
                        e.event_name,
                        e.outcome,
                        e.status_class,
                        e.status_text,
                        e.duration_us,
                        e.record,
                        e.plan,
                    ])
                    .map_err(sql("store an entry"))?;
                let id = tx.last_insert_rowid();
                index
                    .execute(params![id, e.search])
                    .map_err(sql("index an entry"))?;
                ids.push(id);
            }
        }
        tx.commit().map_err(sql("commit an entry"))?;
        self.rows += ids.len();
        if defer {
            self.pending += ids.len();
        }
        self.index_stalled = false;
        if self.rows >= 2 * self.analyzed_at.max(ANALYZE_FROM) {
            self.analyze()?;
        }
        if self.rows > self.cap {
            self.enforce_cap(self.cap)?;
        }
        if self.max_bytes.is_some() {
            self.enforce_size(1)?;
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
        let (sql_text, mut args) = self.query_sql(filter);
        args.push(SqlValue::Integer(to_i64(page_size)));
        args.push(SqlValue::Integer(to_i64(page.saturating_mul(page_size))));
        let mut stmt = self
            .conn
            .prepare_cached(&sql_text)
            .map_err(sql("prepare a search"))?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                let class: String = r.get(8)?;
                let us = u64::try_from(r.get::<_, i64>(10)?).unwrap_or(0);
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
                    duration_ms: us / 1000,
                    duration_us: us,
                    plan: r.get(11)?,
                })
            })
            .map_err(sql("search"))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(sql("search"))
    }

    pub fn count(&self, filter: &Filter) -> Result<usize, HistoryError> {
        let arms = self.arms(filter);
        // One statement, so that both arms see the same moment (an entry moved into the index
        // in between would be counted twice).
        let counts: Vec<String> = arms
            .iter()
            .map(|a| format!("(SELECT count(*) {})", a.from))
            .collect();
        let args: Vec<SqlValue> = arms.into_iter().flat_map(|a| a.args).collect();
        let n: i64 = self
            .conn
            .query_row(
                &format!("SELECT {}", counts.join(" + ")),
                params_from_iter(args),
                |r| r.get(0),
            )
            .map_err(sql("count entries"))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Like [`History::count`], but stops at `limit`: a search matching most of a large
    /// history costs a full pass to count exactly, while "1,000+" is what a list needs.
    pub fn count_at_most(&self, filter: &Filter, limit: usize) -> Result<usize, HistoryError> {
        let arms = self.arms(filter);
        let selects: Vec<String> = arms
            .iter()
            .map(|a| format!("SELECT 1 {}", a.from))
            .collect();
        let mut args: Vec<SqlValue> = arms.into_iter().flat_map(|a| a.args).collect();
        args.push(SqlValue::Integer(to_i64(limit)));
        let n: i64 = self
            .conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM ({} LIMIT ?)",
                    selects.join(" UNION ALL ")
                ),
                params_from_iter(args),
                |r| r.get(0),
            )
            .map_err(sql("count entries"))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    pub fn get(&self, id: i64) -> Result<Option<Entry>, HistoryError> {
        let record: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT record FROM entries WHERE id = ?1", [id], |r| {
                Ok(match r.get_ref(0)? {
                    // A v1 record (read-only over an older store): the JSON itself.
                    ValueRef::Text(t) => t.to_vec(),
                    ValueRef::Blob(b) => codec::unpack(b).map_err(|e| {
                        rusqlite::Error::FromSqlConversionFailure(
                            0,
                            rusqlite::types::Type::Blob,
                            Box::new(e),
                        )
                    })?,
                    _ => Vec::new(),
                })
            })
            .optional()
            .map_err(|e| match e {
                rusqlite::Error::FromSqlConversionFailure(_, _, source) => {
                    HistoryError::Unreadable {
                        id,
                        source: std::io::Error::other(source),
                    }
                }
                e => HistoryError::Sql {
                    action: "read an entry",
                    source: e,
                },
            })?;
        let Some(record) = record else {
            return Ok(None);
        };
        let mut entry: Entry = serde_json::from_slice(&record)
            .map_err(|source| HistoryError::Damaged { id, source })?;
        entry.id = id;
        if entry.duration_us == 0 {
            entry.duration_us = entry.duration_ms.saturating_mul(1000);
        }
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
        self.pending = 0;
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

    /// The statement behind [`History::query`], ending in `LIMIT ? OFFSET ?`, and its arguments
    /// up to those two.
    fn query_sql(&self, filter: &Filter) -> (String, Vec<SqlValue>) {
        let arms = self.arms(filter);
        let selects: Vec<String> = arms
            .iter()
            .map(|a| {
                format!(
                    "SELECT {} AS id, time, destination, mode, target, call_type, event_name, \
                     outcome, status_class, status_text, {}, {} {}",
                    a.key,
                    self.layout.duration_us(),
                    self.layout.plan(),
                    a.from
                )
            })
            .collect();
        // With two arms (the index and the entries waiting for it), SQLite merges them newest
        // first, each walked in order, and stops at the page's end as with one.
        let sql_text = format!(
            "{} ORDER BY 1 DESC LIMIT ? OFFSET ?",
            selects.join(" UNION ALL ")
        );
        (sql_text, arms.into_iter().flat_map(|a| a.args).collect())
    }

    /// Where the filter's matches are: one arm, or for a text search in a store with entries
    /// waiting for the index, the index and those entries.
    fn arms(&self, filter: &Filter) -> Vec<Arm> {
        let indexes = self.layout != Layout::V1;
        let mut arms = vec![from_where(filter, Source::Index, indexes)];
        if self.layout.has_pending() && arms[0].key != "entries.id" {
            arms.push(from_where(
                filter,
                self.pending_source(filter, indexes),
                indexes,
            ));
        }
        arms
    }

    /// How a text search reads the waiting entries: through the other filter's index when
    /// that leaves under a third of them (a lookup costs about two reads in a row), else
    /// all of them. A count bounded by that third, on the index alone, tells which.
    fn pending_source(&self, filter: &Filter, indexes: bool) -> Source {
        let Some(via) = filter_index(filter, indexes) else {
            return Source::Pending;
        };
        let Ok(waiting) = waiting_at_most(&self.conn, self.layout) else {
            return Source::Pending;
        };
        let third = waiting / 3 + 1;
        let others = Filter {
            text: None,
            ..filter.clone()
        };
        let arm = from_where(&others, Source::Index, indexes);
        let mut args = arm.args;
        args.push(SqlValue::Integer(to_i64(third)));
        // The index named: left to choose, SQLite may walk the waiting entries' rows instead,
        // records and all (a call type has few values, so its index looks unselective).
        let Some(conditions) = arm.from.strip_prefix("FROM entries ") else {
            return Source::Pending;
        };
        let passing: rusqlite::Result<i64> = self.conn.query_row(
            &format!(
                "SELECT count(*) FROM (SELECT 1 FROM entries INDEXED BY {via} {conditions} \
                 AND entries.id >= (SELECT min(id) FROM pending_text) LIMIT ?)"
            ),
            params_from_iter(args),
            |r| r.get(0),
        );
        match passing {
            Ok(n) if usize::try_from(n).is_ok_and(|n| n < third) => Source::PendingVia(via),
            _ => Source::Pending,
        }
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

/// How many entries wait for the search index, at most: the span of their ids, which SQLite
/// reads from the ends of the table (counting them would read every waiting entry's text).
fn waiting_at_most(conn: &Connection, layout: Layout) -> rusqlite::Result<usize> {
    if !layout.has_pending() {
        return Ok(0);
    }
    // Two subqueries: SQLite reads a lone min() or max() of the key from the table's end, but
    // scans the table for an expression of both.
    let span: Option<i64> = conn.query_row(
        "SELECT (SELECT max(id) FROM pending_text) - (SELECT min(id) FROM pending_text) + 1",
        [],
        |r| r.get(0),
    )?;
    Ok(span.and_then(|n| usize::try_from(n).ok()).unwrap_or(0))
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

/// A duration as the list and `history` show it: a decimal below 10 ms, where loopback sends
/// are (`0.4 ms`, `3.2 ms`), whole milliseconds up to a second (`12 ms`), then seconds
/// (`1.5 s`).
pub fn duration_text(us: u64) -> String {
    // The bounds are where the rounded figure would change form (9,960 µs reads "10 ms").
    if us < 9_950 {
        format!("{:.1} ms", us as f64 / 1000.0)
    } else if us < 999_500 {
        format!("{} ms", (us + 500) / 1000)
    } else {
        format!("{:.1} s", us as f64 / 1e6)
    }
}

fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Where a text search looks: the search index, or the entries waiting for it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Index,
    /// The waiting entries, read one by one.
    Pending,
    /// The waiting entries that pass the other filters, found through that filter's index
    /// (by name): when those filters leave few of them, cheaper than reading them all.
    PendingVia(&'static str),
}

/// One part of a search: `FROM ... WHERE ...`, its arguments in order, and the column that
/// orders it newest first.
struct Arm {
    from: String,
    key: &'static str,
    args: Vec<SqlValue>,
}

/// The index of the filter's first column that has one (destination, call, status, event
/// name), which also holds the other filters' columns (v2+ layouts, `filter_indexes`).
fn filter_index(filter: &Filter, filter_indexes: bool) -> Option<&'static str> {
    match filter_indexes {
        false => None,
        true if filter.destination.is_some() => Some("entries_destination_v2"),
        true if filter.call_type.is_some() => Some("entries_call_type_v2"),
        true if !filter.status.is_empty() => Some("entries_status_class_v2"),
        true if filter.event_name.is_some() => Some("entries_event_name"),
        true => None,
    }
}

/// The filter's `FROM ... WHERE ...` over one source. A text search starts from the index (or
/// the waiting entries) and joins the entries, so that SQLite walks the matches newest first and
/// stops at the page's end instead of collecting every match before sorting.
/// `filter_indexes`: the store has the filter indexes of layout v2 and later (by name).
fn from_where(filter: &Filter, source: Source, filter_indexes: bool) -> Arm {
    let mut from = "FROM entries".to_string();
    let mut key = "entries.id";
    let mut parts: Vec<String> = Vec::new();
    let mut args: Vec<SqlValue> = Vec::new();
    let mut confirm = None;
    let mut trigrams = None;
    if let Some(text) = filter
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if text.chars().count() >= 3 {
            // The index (or, for a waiting entry, its search text) finds the entries holding
            // every trigram of the text; the check, last so that it runs only on what the
            // other filters let through, keeps those where the trigrams stand together.
            match source {
                Source::Index => {
                    // With another filter, each candidate of the index is checked against that
                    // filter's index (small, and it holds the other filters' columns) before its
                    // row is read: left to choose, SQLite reads every candidate's row, records
                    // and all, and a common phrase narrowed by destination and status has
                    // thousands of candidates per page of matches.
                    let via = filter_index(filter, filter_indexes);
                    from = match via {
                        Some(index) => format!(
                            "FROM entries_text JOIN entries INDEXED BY {index} \
                             ON entries.id = entries_text.rowid"
                        ),
                        None => "FROM entries_text JOIN entries ON entries.id = entries_text.rowid"
                            .into(),
                    };
                    key = "entries_text.rowid";
                    parts.push("entries_text MATCH ?".into());
                    args.push(SqlValue::Text(index::trigram_query(text)));
                }
                Source::Pending => {
                    // CROSS JOIN: SQLite then walks the waiting entries (a few) and looks up
                    // each; left to choose, it may walk every entry of a filter's index and
                    // look for it among the waiting, confirming each record on the way.
                    from = "FROM pending_text CROSS JOIN entries ON entries.id = pending_text.id"
                        .into();
                    key = "pending_text.id";
                    parts.push(format!("{}(pending_text.body, ?)", index::TRIGRAMS_FN));
                    args.push(SqlValue::Text(text.to_string()));
                }
                Source::PendingVia(index) => {
                    // The filter's index, from the oldest waiting entry on (its ids are the
                    // newest), checked there for the other filters; only what passes is
                    // looked up among the waiting.
                    from = format!(
                        "FROM entries INDEXED BY {index} \
                         CROSS JOIN pending_text ON pending_text.id = entries.id"
                    );
                    key = "entries.id";
                    parts.push("entries.id >= (SELECT min(id) FROM pending_text)".into());
                    // The check of the waiting text goes with the record's (below).
                    trigrams = Some(text.to_string());
                }
            }
            confirm = Some(text.to_lowercase());
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
    if let Some(needle) = confirm {
        match trigrams {
            // One condition, in this order: SQLite may check the conditions of one table in
            // any order, and unpacking the record of every entry the filter's index passes
            // before its waiting text is looked at costs a hundred times the look.
            Some(text) => {
                parts.push(format!(
                    "CASE WHEN {}(pending_text.body, ?) THEN {}(entries.record, ?) ELSE 0 END",
                    index::TRIGRAMS_FN,
                    index::CONTAINS_FN
                ));
                args.push(SqlValue::Text(text));
            }
            None => parts.push(format!("{}(entries.record, ?)", index::CONTAINS_FN)),
        }
        args.push(SqlValue::Text(needle));
    }
    if !parts.is_empty() {
        from.push_str(" WHERE ");
        from.push_str(&parts.join(" AND "));
    }
    Arm { from, key, args }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod v2_tests;
#[cfg(test)]
mod v3_tests;
#[cfg(test)]
mod v4_tests;
