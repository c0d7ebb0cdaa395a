//! The fourth layout: entries recorded ahead of the search index (`pending_text`), found by
//! every search while they wait, moved into the index later, and the upgrade of a version-3
//! store.

use super::tests::{entry, ids, open_upgraded, store, text};
use super::v3_tests::v2_store;
use super::*;

fn encoded(entries: &[Entry]) -> Vec<Encoded> {
    entries.iter().map(|e| Encoded::new(e).unwrap()).collect()
}

/// Entries that differ in name, destination, status and reply; the last holds a word only
/// beyond the part of its reply that is indexed, which no search finds (the index does not
/// hold it), waiting or not.
fn mix(n: usize) -> Vec<Entry> {
    let mut out: Vec<Entry> = (0..n)
        .map(|i| {
            let dest = ["salesmachine", "skalin", "webhook"][i % 3];
            let status = [200, 200, 404, 500][i % 4];
            entry(
                dest,
                "track",
                &format!("Order Completed {i}"),
                status,
                &format!("{{\"invoice\":\"INV-{i}\"}}"),
            )
        })
        .collect();
    let far = format!(
        "{{\"pad\":\"{}\",\"word\":\"farawaymarker\"}}",
        "x".repeat(4000)
    );
    out.push(entry("webhook", "track", "Far", 200, &far));
    out
}

fn searches() -> Vec<Filter> {
    vec![
        Filter::default(),
        text("order completed"),
        text("ORDER COMPLETED 1"),
        text("inv-7"),
        text("farawaymarker"),
        text("nothing like this"),
        text("Or"),
        Filter {
            destination: Some("skalin".into()),
            status: vec![crate::transport::StatusClass::ClientError],
            text: Some("completed".into()),
            ..Filter::default()
        },
        // Every entry is a track: the waiting ones are read one by one.
        Filter {
            call_type: Some("track".into()),
            text: Some("inv-1".into()),
            ..Filter::default()
        },
        // Few pass: the waiting ones are found through the filter's index.
        Filter {
            destination: Some("webhook".into()),
            status: vec![crate::transport::StatusClass::ServerError],
            text: Some("order completed 2".into()),
            ..Filter::default()
        },
        Filter {
            event_name: Some("Order Completed 7".into()),
            text: Some("inv-7".into()),
            ..Filter::default()
        },
    ]
}

fn waiting(h: &History) -> i64 {
    h.conn
        .query_row("SELECT count(*) FROM pending_text", [], |r| r.get(0))
        .unwrap()
}

/// Every search, page by page, counted, gives the same on both stores.
fn same_answers(indexed: &History, other: &History, stage: &str) {
    for f in searches() {
        for page in 0..4 {
            assert_eq!(
                ids(&indexed.query(&f, page, 7).unwrap()),
                ids(&other.query(&f, page, 7).unwrap()),
                "{stage}: page {page} of {f:?}"
            );
        }
        assert_eq!(
            indexed.count(&f).unwrap(),
            other.count(&f).unwrap(),
            "{stage}: count of {f:?}"
        );
        assert_eq!(
            indexed.count_at_most(&f, 5).unwrap(),
            other.count_at_most(&f, 5).unwrap(),
            "{stage}: count up to 5 of {f:?}"
        );
    }
}

#[test]
fn a_waiting_entry_is_found_by_every_search_as_an_indexed_one_is() {
    // The same entries twice: indexed as they are stored, and recorded to wait for the index.
    let (_d1, mut indexed) = store();
    let (_d2, mut other) = store();
    let entries = mix(40);
    indexed.append_all(&entries).unwrap();
    other.record_encoded(&encoded(&entries)).unwrap();
    assert_eq!((other.pending(), waiting(&other)), (41, 41));
    assert_eq!(waiting(&indexed), 0);
    // The searches find something (the comparison below would pass on two empty lists).
    assert_eq!(indexed.count(&text("order completed")).unwrap(), 40);
    assert_eq!(
        ids(&indexed.query(&text("inv-7"), 0, 10).unwrap()).len(),
        1,
        "only INV-7 holds inv-7"
    );
    assert_eq!(indexed.count(&text("farawaymarker")).unwrap(), 0);
    same_answers(&indexed, &other, "all waiting");

    // Part indexed: a search spans the index and the waiting entries, with no gap or repeat
    // at the boundary between them.
    assert_eq!(other.index_pending(25).unwrap(), 25);
    assert_eq!((other.pending(), waiting(&other)), (16, 16));
    same_answers(&indexed, &other, "25 indexed");

    other.index_all();
    assert_eq!((other.pending(), waiting(&other)), (0, 0));
    assert!(!other.index_due());
    same_answers(&indexed, &other, "all indexed");
}

#[test]
fn entries_waiting_for_the_index_survive_a_restart_and_are_indexed_later() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let stored = {
        let mut h = History::open(&path).unwrap();
        h.record_encoded(&encoded(&mix(10))).unwrap()
        // Dropped with everything waiting, as a console killed before it indexed.
    };
    let ro = History::open_read_only(&path).unwrap();
    let found = ids(&ro.query(&text("order completed"), 0, 50).unwrap());
    assert_eq!(
        found,
        stored[..10].iter().rev().copied().collect::<Vec<_>>()
    );
    drop(ro);

    let mut h = History::open(&path).unwrap();
    assert_eq!(h.pending(), 11);
    assert!(h.index_due());
    h.index_all();
    assert_eq!(waiting(&h), 0);
    assert_eq!(
        ids(&h.query(&text("order completed"), 0, 50).unwrap()),
        found
    );
}

#[test]
fn deleting_or_capping_a_waiting_entry_removes_its_text() {
    let (_dir, mut h) = store();
    let stored = h.record_encoded(&encoded(&mix(9))).unwrap();
    assert_eq!(h.delete(&stored[..2]).unwrap(), 2);
    assert_eq!(waiting(&h), 8);
    assert_eq!(h.count(&text("order completed")).unwrap(), 7);
    // The cap takes the oldest, waiting or not.
    h.set_cap(5).unwrap();
    assert_eq!(waiting(&h), 5);
    assert_eq!(
        ids(&h.query(&Filter::default(), 0, 10).unwrap()),
        stored[5..].iter().rev().copied().collect::<Vec<_>>()
    );
    // The count kept in memory may be high after the cap; indexing finds out the truth.
    h.index_all();
    assert_eq!((h.pending(), waiting(&h)), (0, 0));
    assert_eq!(h.count(&text("order completed")).unwrap(), 4);
    h.record_encoded(&encoded(&mix(3))).unwrap();
    h.clear().unwrap();
    assert_eq!((h.pending(), waiting(&h)), (0, 0));
}

#[test]
fn a_long_flood_keeps_at_most_the_bound_waiting_the_oldest_indexed_first() {
    let (_dir, mut h) = store();
    h.pending_max = 20;
    let mut all = Vec::new();
    for round in 0..3 {
        all.extend(h.record_encoded(&encoded(&mix(14))).unwrap());
        let expect = (15 * (round + 1)).min(20);
        assert_eq!(waiting(&h), expect as i64, "round {round}");
    }
    let oldest_waiting: i64 = h
        .conn
        .query_row("SELECT min(id) FROM pending_text", [], |r| r.get(0))
        .unwrap();
    assert_eq!(oldest_waiting, all[all.len() - 20]);
    assert_eq!(h.count(&text("order completed")).unwrap(), 42);
}

#[test]
fn a_v3_store_is_read_as_it_is_then_upgraded_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let originals = mix(12);
    let old_ids = v2_store(&path, &originals);
    {
        // What version 3 made of it: the plan column, and every entry indexed.
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("ALTER TABLE entries ADD COLUMN plan TEXT NOT NULL DEFAULT '';")
            .unwrap();
        conn.pragma_update(None, "user_version", 3).unwrap();
    }
    let ro = History::open_read_only(&path).unwrap();
    assert_eq!(ro.layout(), Layout::V3);
    assert_eq!(ro.count(&text("order completed")).unwrap(), 12);
    drop(ro);

    let mut h = open_upgraded(&path);
    assert_eq!((h.pending(), waiting(&h)), (0, 0));
    for (id, original) in old_ids.iter().zip(&originals) {
        assert_eq!(h.get(*id).unwrap().unwrap().event, original.event);
    }
    let new = h.record_encoded(&encoded(&mix(2))).unwrap();
    assert!(new[0] > *old_ids.last().unwrap());
    assert_eq!(h.count(&text("order completed")).unwrap(), 14);
    let newest = ids(&h.query(&text("order completed 1"), 0, 1).unwrap());
    assert_eq!(newest, vec![new[1]]);
}

#[test]
fn a_v4_store_with_records_packed_without_the_dictionary_reads_and_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let originals = mix(12);
    let old_ids = {
        let mut h = History::open(&path).unwrap();
        let ids = h.append_all(&originals).unwrap();
        // What the previous console wrote: records packed with zstd alone, version 4.
        let rows: Vec<(i64, Vec<u8>)> = {
            let mut stmt = h.conn.prepare("SELECT id, record FROM entries").unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        for (id, record) in rows {
            let json = codec::unpack(&record).unwrap();
            let plain = zstd::bulk::compress(&json, 3).unwrap();
            assert_eq!(zstd::zstd_safe::get_dict_id_from_frame(&plain), None);
            h.conn
                .execute(
                    "UPDATE entries SET record = ?1 WHERE id = ?2",
                    rusqlite::params![plain, id],
                )
                .unwrap();
        }
        h.conn.pragma_update(None, "user_version", 4).unwrap();
        ids
    };
    let ro = History::open_read_only(&path).unwrap();
    assert_eq!(ro.layout(), Layout::V4);
    // The search's check unpacks each candidate's record.
    assert_eq!(ro.count(&text("order completed")).unwrap(), 12);
    drop(ro);

    let mut h = open_upgraded(&path);
    for (id, original) in old_ids.iter().zip(&originals) {
        assert_eq!(h.get(*id).unwrap().unwrap().event, original.event);
    }
    let new = h.append_all(&mix(2)).unwrap();
    let record: Vec<u8> = h
        .conn
        .query_row("SELECT record FROM entries WHERE id = ?1", [new[0]], |r| {
            r.get(0)
        })
        .unwrap();
    assert!(zstd::zstd_safe::get_dict_id_from_frame(&record).is_some());
    assert_eq!(h.count(&text("order completed")).unwrap(), 14);
}

#[test]
fn the_group_writer_indexes_while_nobody_waits() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let (recorder, writer) = group::start(History::open(&path).unwrap());
    let pending: Vec<_> = mix(30).iter().map(|e| recorder.submit(e)).collect();
    let stored: Vec<i64> = pending.into_iter().map(|p| p.wait().unwrap()).collect();
    assert_eq!(stored.len(), 31);
    // Still running, with nothing more to store: it indexes what waits on its own.
    let reader = History::open_read_only(&path).unwrap();
    let start = std::time::Instant::now();
    while waiting(&reader) > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{} entries still wait for the index",
            waiting(&reader)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(reader.count(&text("order completed")).unwrap(), 30);
    drop(recorder);
    let h = writer.finish().unwrap();
    assert_eq!(h.pending(), 0);
}

/// How SQLite walks a search: the lines of `EXPLAIN QUERY PLAN`.
fn plan_of(h: &History, f: &Filter) -> Vec<String> {
    let (sql_text, mut args) = h.query_sql(f);
    args.push(SqlValue::Integer(200));
    args.push(SqlValue::Integer(0));
    let mut stmt = h
        .conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql_text}"))
        .unwrap();
    stmt.query_map(params_from_iter(args), |r| r.get::<_, String>(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_text_search_walks_the_index_and_the_waiting_entries_never_every_entry() {
    // Filters with an index of their own, and statistics gathered, tempt SQLite to walk that
    // index over every entry and look each up among the waiting ones, confirming its record
    // on the way: seconds at a million entries (the bench caught it). The plan must start
    // each text arm from the index or the waiting entries.
    let (_dir, mut h) = store();
    for _ in 0..20 {
        h.append_all(&mix(99)).unwrap();
    }
    // Statistics gathered while nothing waits (the usual case: a store opened after its
    // writer finished), then a flood.
    h.analyze().unwrap();
    h.record_encoded(&encoded(&mix(9))).unwrap();
    let filters = [
        text("u_000777"),
        Filter {
            call_type: Some("track".into()),
            text: Some("u_000777".into()),
            ..Filter::default()
        },
        Filter {
            destination: Some("salesmachine".into()),
            status: vec![
                crate::transport::StatusClass::ClientError,
                crate::transport::StatusClass::ServerError,
            ],
            text: Some("Order Completed".into()),
            ..Filter::default()
        },
    ];
    for f in filters {
        let plan = plan_of(&h, &f);
        let joined = plan.join("\n");
        assert!(
            plan.iter().any(|l| l.starts_with("SCAN pending_text")) || waiting_through_index(&plan),
            "{f:?}:\n{joined}"
        );
        assert!(
            plan.iter()
                .any(|l| l.starts_with("SCAN entries_text VIRTUAL TABLE")),
            "{f:?}:\n{joined}"
        );
        assert!(
            !plan
                .iter()
                .any(|l| l.starts_with("SCAN entries") && !l.starts_with("SCAN entries_text")),
            "{f:?}:\n{joined}"
        );
    }
}

/// Whether the plan finds the waiting entries through a filter's index, from the oldest waiting
/// one on (not over every entry), looking each up among the waiting.
fn waiting_through_index(plan: &[String]) -> bool {
    plan.iter()
        .any(|l| l.starts_with("SEARCH entries USING INDEX") && l.ends_with("AND id>?)"))
        && plan
            .iter()
            .any(|l| l == "SEARCH pending_text USING INTEGER PRIMARY KEY (rowid=?)")
}

#[test]
fn waiting_entries_are_read_through_a_filters_index_when_it_leaves_few() {
    let (_dir, mut h) = store();
    h.append_all(&mix(99)).unwrap();
    h.record_encoded(&encoded(&mix(60))).unwrap();
    // A third of the entries are skalin's, a twelfth skalin's with a 404: under a third.
    let few = Filter {
        destination: Some("skalin".into()),
        status: vec![crate::transport::StatusClass::ClientError],
        text: Some("order completed".into()),
        ..Filter::default()
    };
    let plan = plan_of(&h, &few);
    assert!(waiting_through_index(&plan), "{}", plan.join("\n"));
    assert!(!plan.iter().any(|l| l.starts_with("SCAN pending_text")));
    // Every entry is a track: reading them all is cheaper than looking each up.
    let most = Filter {
        call_type: Some("track".into()),
        text: Some("order completed".into()),
        ..Filter::default()
    };
    let plan = plan_of(&h, &most);
    assert!(!waiting_through_index(&plan), "{}", plan.join("\n"));
    assert!(plan.iter().any(|l| l.starts_with("SCAN pending_text")));
    // Both find what the plain join finds, the waiting entries among them.
    for f in [few, most] {
        let found = ids(&h.query(&f, 0, 500).unwrap());
        assert_eq!(found, plain_join(&h, &f), "{f:?}");
        assert!(found.iter().any(|id| *id > 100), "{f:?}: {found:?}");
    }
}

#[test]
fn a_text_search_with_another_filter_checks_each_candidate_in_that_filters_index() {
    // A common phrase narrowed by destination and status has thousands of candidates per page
    // of matches; reading each one's row (its record with it) took 37-50 ms at a million
    // entries. Each candidate is looked up in the filter's index instead, which holds the
    // other filters' columns, and only those that pass are read.
    let (_dir, mut h) = store();
    for _ in 0..20 {
        h.append_all(&mix(99)).unwrap();
    }
    h.analyze().unwrap();
    let failed = vec![
        crate::transport::StatusClass::ClientError,
        crate::transport::StatusClass::ServerError,
    ];
    let cases = [
        (
            Filter {
                destination: Some("salesmachine".into()),
                status: failed.clone(),
                text: Some("Order Completed".into()),
                ..Filter::default()
            },
            "entries_destination_v2",
        ),
        (
            Filter {
                call_type: Some("track".into()),
                text: Some("u_000777".into()),
                ..Filter::default()
            },
            "entries_call_type_v2",
        ),
        (
            Filter {
                status: failed,
                text: Some("rec_0".into()),
                ..Filter::default()
            },
            "entries_status_class_v2",
        ),
    ];
    for (f, index) in cases {
        let plan = plan_of(&h, &f);
        let joined = plan.join("\n");
        assert!(
            plan.iter()
                .any(|l| l.starts_with("SEARCH entries USING INDEX") && l.contains(index)),
            "{f:?}:\n{joined}"
        );
        // The answers are those of the plain join.
        let expected = plain_join(&h, &f);
        let got: Vec<i64> = h.query(&f, 0, 1000).unwrap().iter().map(|s| s.id).collect();
        assert_eq!(got, expected, "{f:?}");
    }
}

/// A search's ids, newest first, by the plain join of the index and the entries (no index
/// named), filters checked on each row.
fn plain_join(h: &History, f: &Filter) -> Vec<i64> {
    let (sql_text, mut args) = h.query_sql(f);
    let plain = sql_text.replace("INDEXED BY entries_destination_v2 ", "");
    let plain = plain
        .replace("INDEXED BY entries_call_type_v2 ", "")
        .replace("INDEXED BY entries_status_class_v2 ", "")
        .replace("INDEXED BY entries_event_name ", "");
    assert!(!plain.contains("INDEXED BY"), "{plain}");
    args.push(SqlValue::Integer(1000));
    args.push(SqlValue::Integer(0));
    let mut stmt = h.conn.prepare(&plain).unwrap();
    stmt.query_map(params_from_iter(args), |r| r.get::<_, i64>(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn a_store_notices_entries_another_writer_left_waiting_and_indexes_them() {
    // The window's connection, open before a `run` in a terminal records its entries.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let mut window = History::open(&path).unwrap();
    let mut run = History::open(&path).unwrap();
    run.record_encoded(&encoded(&mix(5))).unwrap();
    drop(run);
    assert!(!window.index_due(), "nothing waited when it opened");
    window.notice_pending().unwrap();
    assert!(window.index_due());
    window.index_all();
    assert_eq!((window.pending(), waiting(&window)), (0, 0));
    assert_eq!(window.count(&text("order completed")).unwrap(), 5);
}

#[test]
fn entries_over_the_bound_are_reported_stored_even_when_indexing_them_fails() {
    let (_dir, mut h) = store();
    h.pending_max = 5;
    // Indexing fails as on a full disk: moving text out of the waiting table is refused.
    h.conn
        .execute_batch(
            "CREATE TEMP TRIGGER refuse_indexing BEFORE DELETE ON main.pending_text \
             BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;",
        )
        .unwrap();
    let stored = h.record_encoded(&encoded(&mix(9))).unwrap();
    assert_eq!(stored.len(), 10, "every entry is reported stored");
    assert_eq!(waiting(&h), 10, "none indexed");
    assert!(
        !h.index_due(),
        "not tried again before something new is stored"
    );
    assert_eq!(h.count(&text("order completed")).unwrap(), 9);
    // Once indexing works again, the next entries take the waiting ones along.
    h.conn
        .execute_batch("DROP TRIGGER temp.refuse_indexing;")
        .unwrap();
    h.record_encoded(&encoded(&mix(0))).unwrap();
    assert_eq!(waiting(&h), 5);
    assert_eq!(h.count(&text("order completed")).unwrap(), 9);
}
