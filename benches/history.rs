//! The history store at its default cap: 100,000 realistic entries inserted (timed once, as
//! one import), then filtered text searches over them as the window runs them when a filter
//! changes: the count of matches and the first page of rows.
//!
//! Target: a search under 50 ms.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::Criterion;
use segment_console::history::{Filter, History};
use segment_console::transport::StatusClass;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The allocator the binary uses (see `segment_console::allocator`), so that this measures what
/// ships.
#[global_allocator]
static ALLOCATOR: segment_console::allocator::MiMalloc = segment_console::allocator::MiMalloc;

const GROUP: &str = "history";
/// Rows the window asks for at once (history_pane::PAGE).
const PAGE: usize = segment_console::app::model::history::PAGE;

/// The searches: a name, the filter, and what it finds in the generated history.
fn searches() -> Vec<(&'static str, Filter)> {
    vec![
        (
            // One user's events sent to one destination: a handful of matches deep in the store.
            "rare_user_destination",
            Filter {
                destination: Some("salesmachine".into()),
                text: Some("u_004321".into()),
                ..Filter::default()
            },
        ),
        (
            // A phrase in thousands of entries, only the failures: the count walks them all.
            "common_phrase_failed",
            Filter {
                status: vec![StatusClass::ServerError, StatusClass::ClientError],
                text: Some("Order Completed".into()),
                ..Filter::default()
            },
        ),
        (
            // Text found only in reply bodies, narrowed to one call type.
            "reply_body_track",
            Filter {
                call_type: Some("track".into()),
                text: Some("rec_00999".into()),
                ..Filter::default()
            },
        ),
    ]
}

/// What the window does when a filter changes: count, then the first page.
fn search(h: &History, f: &Filter) -> (usize, usize) {
    let total = h.count(f).unwrap_or(0);
    let rows = h.query(f, 0, PAGE).map(|r| r.len()).unwrap_or(0);
    (total, rows)
}

fn main() {
    let n = if support::bench::test_mode() {
        2_000
    } else {
        100_000
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("bench setup: no temporary folder: {e}"),
    };
    let path = dir.path().join("history.sqlite3");
    let t = Instant::now();
    let entries = support::bench::history_entries(n);
    let generate = t.elapsed();
    let mut history = match History::open(&path) {
        Ok(h) => h,
        Err(e) => panic!("bench setup: {e}"),
    };
    let t = Instant::now();
    if let Err(e) = history.append_all(&entries) {
        panic!("bench setup: inserting entries failed: {e}");
    }
    let insert = t.elapsed();
    drop(entries);
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(dir.path().join("history.sqlite3-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    let found: Vec<(&str, (usize, usize))> = searches()
        .iter()
        .map(|(name, f)| (*name, search(&history, f)))
        .collect();

    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    {
        let mut g = c.benchmark_group(GROUP);
        for (name, f) in searches() {
            g.bench_function(name, |b| b.iter(|| search(&history, black_box(&f))));
        }
        g.finish();
    }
    c.final_summary();
    if support::bench::test_mode() {
        return;
    }
    println!(
        "\nSUMMARY history: {n} entries generated in {:.1} s, inserted in {:.2} s ({:.0} entries/s, one transaction), store {:.0} MB",
        generate.as_secs_f64(),
        insert.as_secs_f64(),
        n as f64 / insert.as_secs_f64(),
        size as f64 / 1e6
    );
    let mut worst: f64 = 0.0;
    for (name, (total, rows)) in found {
        match support::bench::median_ns(GROUP, name) {
            Some(m) => {
                worst = worst.max(m / 1e6);
                println!(
                    "  {name:<24} {:>8.2} ms median  ({total} matches, first page {rows} rows)",
                    m / 1e6
                );
            }
            None => println!("  {name:<24} (no estimate found)"),
        }
    }
    println!(
        "  target search < 50 ms: slowest {worst:.2} ms ({})",
        if worst < 50.0 { "met" } else { "MISSED" }
    );
}
