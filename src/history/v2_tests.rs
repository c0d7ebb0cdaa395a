//! The second layout: the upgrade of a v1 store, microsecond durations, the size cap and
//! group commits.

use super::tests::{entry, ids, store, text};
use super::*;

/// A store as the console before version 2 wrote it: its SQL, its JSON records (without
/// `duration_us`), its index of the whole search text.
fn v1_store(path: &Path, entries: &[Entry]) -> Vec<i64> {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(schema::SCHEMA_V1).unwrap();
    let mut out = Vec::new();
    for e in entries {
        let mut record = serde_json::to_value(e).unwrap();
        record.as_object_mut().unwrap().remove("duration_us");
        conn.execute(
            "INSERT INTO entries (time, destination, mode, target, call_type, event_name, \
             outcome, status_class, status_text, duration_ms, record) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                e.destination,
                e.mode,
                e.target,
                e.call_type,
                e.event_name,
                e.outcome,
                e.status_class.as_str(),
                e.status_text(),
                e.duration_ms as i64,
                record.to_string(),
            ],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        // The v1 index held up to 64 KB of the event and bodies.
        let mut body = e.event_name.clone();
        body.push('\n');
        body.push_str(&e.event.to_string());
        for ex in &e.exchanges {
            for a in &ex.attempts {
                if let Some(b) = &a.body {
                    body.push('\n');
                    body.push_str(&b.text);
                }
            }
        }
        conn.execute(
            "INSERT INTO entries_text (rowid, body) VALUES (?1, ?2)",
            params![id, body],
        )
        .unwrap();
        out.push(id);
    }
    out
}

fn v1_entries() -> Vec<Entry> {
    (0..40)
        .map(|i| {
            let mut e = entry(
                ["salesmachine", "skalin"][i % 2],
                ["track", "page"][i % 2],
                &format!("Old Event {i}"),
                [200, 500][usize::from(i % 5 == 0)],
                &format!(r#"{{"reply":"old-reply-{i:03}"}}"#),
            );
            e.duration_ms = 10 + i as u64;
            e.duration_us = 0;
            e
        })
        .collect()
}

fn version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_v1_store_is_upgraded_in_place_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let originals = v1_entries();
    let old_ids = v1_store(&path, &originals);
    // A damaged record and a deleted newest entry, as a long-used store may have.
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE entries SET record = '{not json' WHERE id = ?1",
            [old_ids[3]],
        )
        .unwrap();
        conn.execute("DELETE FROM entries WHERE id = ?1", [old_ids[39]])
            .unwrap();
    }
    assert_eq!(version(&path), 0);

    let mut h = History::open(&path).unwrap();
    assert_eq!(version(&path), schema::VERSION);
    assert_eq!(h.layout(), Layout::V4);
    assert_eq!(h.count(&Filter::default()).unwrap(), 39);
    for (i, (id, original)) in old_ids.iter().zip(&originals).enumerate().take(39) {
        match h.get(*id) {
            Ok(Some(back)) => {
                assert_ne!(i, 3);
                assert_eq!(back.event_name, original.event_name);
                assert_eq!(back.event, original.event);
                assert_eq!(back.exchanges, original.exchanges);
                assert_eq!(back.duration_us, original.duration_ms * 1000, "entry {id}");
            }
            // The damaged record is still there, and still says what is wrong with it.
            Err(HistoryError::Damaged { id: bad, .. }) => assert_eq!((i, bad), (3, *id)),
            other => panic!("entry {id}: {other:?}"),
        }
    }
    // Searchable as before: the filters, the event name, a reply body.
    let rows = h.query(&text("old-reply-017"), 0, 10).unwrap();
    assert_eq!(ids(&rows), [old_ids[17]]);
    assert_eq!(rows[0].duration_us, 27_000);
    assert_eq!(rows[0].duration_ms, 27);
    assert_eq!(
        ids(&h.query(&text("Old Event 22"), 0, 10).unwrap()),
        [old_ids[22]]
    );
    let failed_skalin = Filter {
        destination: Some("skalin".into()),
        status: vec![StatusClass::ServerError],
        ..Filter::default()
    };
    assert_eq!(
        ids(&h.query(&failed_skalin, 0, 50).unwrap()),
        [old_ids[35], old_ids[25], old_ids[15], old_ids[5]]
    );
    // Ids are not reused: not even the deleted newest one's.
    let next = h
        .append(&entry("webhook", "track", "New", 200, "x"))
        .unwrap();
    assert!(next > old_ids[39], "{next} after {}", old_ids[39]);
    drop(h);
    // Opening again finds it current and changes nothing.
    let h = History::open(&path).unwrap();
    assert_eq!(h.count(&Filter::default()).unwrap(), 40);
}

#[test]
fn an_upgrade_stopped_half_way_keeps_the_old_store_whole() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let old_ids = v1_store(&path, &v1_entries());
    schema::FAIL_UPGRADE_AFTER.set(Some(20));
    let stopped = History::open(&path);
    schema::FAIL_UPGRADE_AFTER.set(None);
    assert!(
        matches!(stopped, Err(HistoryError::Layout { .. })),
        "{:?}",
        stopped.err()
    );
    // Still version 1, every entry there, and readable by the old reader's SQL.
    assert_eq!(version(&path), 0);
    let conn = Connection::open(&path).unwrap();
    let (n, ms): (i64, i64) = conn
        .query_row("SELECT count(*), sum(duration_ms) FROM entries", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((n, ms), (40, (10..50).sum::<i64>()));
    drop(conn);
    // A read-only opener reads it as it is.
    let ro = History::open_read_only(&path).unwrap();
    assert_eq!(ro.layout(), Layout::V1);
    assert_eq!(
        ids(&ro.query(&text("old-reply-007"), 0, 5).unwrap()),
        [old_ids[7]]
    );
    assert_eq!(ro.get(old_ids[7]).unwrap().unwrap().duration_us, 17_000);
    drop(ro);
    // The next open upgrades it.
    let h = History::open(&path).unwrap();
    assert_eq!(h.count(&Filter::default()).unwrap(), 40);
    assert_eq!(version(&path), schema::VERSION);
}

#[test]
fn a_store_from_a_newer_console_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    drop(History::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let e = History::open(&path).err().unwrap().to_string();
    assert!(e.contains("newer version of the console"), "{e}");
    assert_eq!(version(&path), 99);
}

#[test]
fn durations_keep_microseconds_and_read_as_people_write_them() {
    let (_dir, mut h) = store();
    let e = entry("salesmachine", "track", "Fast", 200, "ok");
    assert_eq!((e.duration_us, e.duration_ms), (7_250, 7));
    let id = h.append(&e).unwrap();
    let row = &h.query(&Filter::default(), 0, 1).unwrap()[0];
    assert_eq!((row.id, row.duration_us), (id, 7_250));
    assert_eq!(duration_text(row.duration_us), "7.2 ms");
    assert_eq!(duration_text(400), "0.4 ms");
    assert_eq!(duration_text(0), "0.0 ms");
    assert_eq!(duration_text(3_249), "3.2 ms");
    assert_eq!(duration_text(9_949), "9.9 ms");
    assert_eq!(duration_text(9_950), "10 ms");
    assert_eq!(duration_text(12_400), "12 ms");
    assert_eq!(duration_text(999_499), "999 ms");
    assert_eq!(duration_text(1_500_000), "1.5 s");
}

#[test]
fn text_search_needs_the_words_together_not_only_their_trigrams() {
    let (_dir, mut h) = store();
    // Every trigram of "gold plan" ("gol" ... "ld ", "d p", " pl" ... "lan") is in the first
    // entry's name, but not the words together: the index alone would find it.
    let apart = h
        .append(&entry("skalin", "track", "plan gold d plan", 200, "x"))
        .unwrap();
    let together = h
        .append(&entry("skalin", "track", "the gold plan", 200, "x"))
        .unwrap();
    assert_eq!(
        ids(&h.query(&text("gold plan"), 0, 10).unwrap()),
        [together]
    );
    assert_eq!(h.count(&text("gold plan")).unwrap(), 1);
    assert_eq!(ids(&h.query(&text("plan gold"), 0, 10).unwrap()), [apart]);
}

#[test]
fn the_size_cap_drops_the_oldest_and_is_kept_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let mut h = History::open(&path).unwrap();
    let batch: Vec<Entry> = (0..2000)
        .map(|i| {
            entry(
                "salesmachine",
                "track",
                &format!("Sized {i}"),
                200,
                &"y".repeat(300),
            )
        })
        .collect();
    let all = h.append_all(&batch).unwrap();
    let before = h.used_bytes().unwrap();
    assert_eq!(h.size_cap().unwrap(), SizeCap::default());
    let cap = before / 2;
    let removed = h.set_size_cap(Some(cap)).unwrap();
    assert!(removed > 0);
    assert!(
        h.used_bytes().unwrap() <= cap,
        "{} > {cap}",
        h.used_bytes().unwrap()
    );
    // The oldest went: what is left is the newest, none missing.
    let left = h.count(&Filter::default()).unwrap();
    assert_eq!(left, 2000 - removed);
    let newest_first = ids(&h.query(&Filter::default(), 0, 2000).unwrap());
    let expected: Vec<i64> = all.iter().rev().take(left).copied().collect();
    assert_eq!(newest_first, expected);
    assert_eq!(
        h.size_cap().unwrap(),
        SizeCap {
            max_bytes: Some(cap),
            trimmed: removed as u64
        }
    );
    drop(h);
    // Another opener (`run`, the window) holds the same cap.
    let mut h = History::open(&path).unwrap();
    for chunk in batch.chunks(100) {
        h.append_all(chunk).unwrap();
    }
    assert!(h.used_bytes().unwrap() <= cap + cap / 10);
    assert!(h.size_cap().unwrap().trimmed > removed as u64);
    let ro = History::open_read_only(&path).unwrap();
    assert_eq!(ro.size_cap().unwrap().max_bytes, Some(cap));
    // Without a cap, nothing more goes.
    h.set_size_cap(None).unwrap();
    let n = h.count(&Filter::default()).unwrap();
    h.append_all(&batch[..500]).unwrap();
    assert_eq!(h.count(&Filter::default()).unwrap(), n + 500);
    assert_eq!(size_text(500_000_000), "500 MB");
    assert_eq!(size_text(1_500_000_000), "1.5 GB");
    assert_eq!(size_text(800), "800 bytes");
}

#[test]
fn many_senders_share_commits_and_each_learns_its_own_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let (recorder, writer) = group::start(History::open(&path).unwrap());
    let senders: Vec<_> = (0..8)
        .map(|t| {
            let r = recorder.clone();
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| {
                        let name = format!("Sender {t} event {i}");
                        let id = r
                            .record(&entry("skalin", "track", &name, 200, "ok"))
                            .unwrap();
                        (id, name)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let stored: Vec<(i64, String)> = senders
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    drop(recorder);
    let h = writer.finish().unwrap();
    assert_eq!(stored.len(), 400);
    for (id, name) in &stored {
        assert_eq!(&h.get(*id).unwrap().unwrap().event_name, name);
    }
    assert_eq!(h.count(&Filter::default()).unwrap(), 400);
}

#[test]
fn a_failed_commit_is_reported_to_its_senders_never_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let (recorder, writer) = group::start(History::open(&path).unwrap());
    let first = recorder
        .record(&entry("skalin", "track", "Stored", 200, "ok"))
        .unwrap();
    // Another process breaks the store under the writer.
    Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE entries")
        .unwrap();
    let failed = recorder.record(&entry("skalin", "track", "Lost", 200, "ok"));
    let e = failed.err().unwrap();
    assert!(e.contains("could not"), "{e}");
    drop(recorder);
    writer.finish().unwrap();
    assert!(first > 0);
}
