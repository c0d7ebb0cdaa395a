//! The third layout: each entry's tracking-plan verdict, kept in its record and as a column the
//! list reads, and the upgrade of a version-2 store.

use super::tests::{entry, ids, open_upgraded, store};
use super::*;
use crate::event::Finding;

/// A store as the console before version 3 wrote it: version 2's tables, without the plan
/// column, and entries put there as that console did.
pub(super) fn v2_store(path: &Path, entries: &[Entry]) -> Vec<i64> {
    let conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.execute_batch(&schema::schema_v2()).unwrap();
    conn.pragma_update(None, "user_version", 2).unwrap();
    let mut out = Vec::new();
    for e in entries {
        let enc = Encoded::new(e).unwrap();
        conn.execute(
            "INSERT INTO entries (time, destination, mode, target, call_type, event_name, \
             outcome, status_class, status_text, duration_us, record) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                enc.time,
                enc.destination,
                enc.mode,
                enc.target,
                enc.call_type,
                enc.event_name,
                enc.outcome,
                enc.status_class,
                enc.status_text,
                enc.duration_us,
                enc.record,
            ],
        )
        .unwrap();
        let id = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO entries_text (rowid, body) VALUES (?1, ?2)",
            params![id, enc.search],
        )
        .unwrap();
        out.push(id);
    }
    out
}

fn violation(error: bool) -> Finding {
    let mut f = if error {
        Finding::error("$.properties.revenue", "properties.revenue must be number")
    } else {
        Finding::warning(
            "$.properties.coupon",
            "properties.coupon is not in the plan",
        )
    };
    f.kind = Some(
        if error {
            "Datatype-Mismatch"
        } else {
            "Additional-Properties"
        }
        .into(),
    );
    f
}

#[test]
fn a_v2_store_is_read_as_it_is_then_upgraded_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let originals: Vec<Entry> = (0..30)
        .map(|i| entry("skalin", "track", &format!("Old {i}"), 200, "{}"))
        .collect();
    let old_ids = v2_store(&path, &originals);

    // Read-only (the `history` command beside an older window): as it is, no plan column.
    let ro = History::open_read_only(&path).unwrap();
    assert_eq!(ro.layout(), Layout::V2);
    let rows = ro.query(&Filter::default(), 0, 100).unwrap();
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r.plan.is_empty()));
    drop(ro);

    let mut h = open_upgraded(&path);
    for (id, original) in old_ids.iter().zip(&originals) {
        let back = h.get(*id).unwrap().unwrap();
        assert_eq!((back.event, back.plan), (original.event.clone(), None));
    }
    let rows = h.query(&Filter::default(), 0, 100).unwrap();
    assert_eq!(rows.len(), 30);
    assert!(rows.iter().all(|r| r.plan.is_empty()));
    // New entries go on after the old ones, with their verdict.
    let e = entry("skalin", "track", "New", 200, "{}").with_plan(Some("plan.json"), &[]);
    let id = h.append(&e).unwrap();
    assert!(id > *old_ids.last().unwrap());
    assert_eq!(h.query(&Filter::default(), 0, 1).unwrap()[0].plan, "ok");
}

#[test]
fn each_entry_keeps_its_plan_verdict_in_the_record_and_the_column() {
    let (_dir, mut h) = store();
    let none = entry("skalin", "track", "A", 200, "{}");
    let ok = entry("skalin", "track", "B", 200, "{}").with_plan(Some("plan.json"), &[]);
    let bad = entry("skalin", "track", "C", 200, "{}").with_plan(
        Some("plan.json"),
        &[violation(true), violation(false), violation(false)],
    );
    let warned =
        entry("skalin", "track", "D", 200, "{}").with_plan(Some("plan.json"), &[violation(false)]);
    let all = h.append_all(&[none, ok, bad.clone(), warned]).unwrap();
    let rows = h.query(&Filter::default(), 0, 10).unwrap();
    assert_eq!(ids(&rows), all.iter().rev().copied().collect::<Vec<_>>());
    let texts: Vec<&str> = rows.iter().rev().map(|r| r.plan.as_str()).collect();
    assert_eq!(texts, ["", "ok", "1 error, 2 warnings", "1 warning"]);
    let back = h.get(all[2]).unwrap().unwrap();
    assert_eq!(back.plan, bad.plan);
    assert_eq!(back.plan_text(), "1 error, 2 warnings");
    assert_eq!(h.get(all[0]).unwrap().unwrap().plan_text(), "-");
}
