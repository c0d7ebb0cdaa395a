//! The history store, each target beside its baseline measured in the same run:
//!
//! - size: bytes per entry of the bench's mix (100,000 entries as the window and `run` record
//!   them), file and WAL after a checkpoint; baseline the first layout (v1: JSON records, an
//!   index with positions over up to 64 KB of each entry), on the first 10,000. Target 2 KB.
//! - recording: entries/s through group commits, from 8 senders that each keep up to 64
//!   entries waiting for the disk (as a batch's workers or capture's connections do), every
//!   entry acknowledged only once committed; baseline one commit per entry. Target 30,000/s.
//!   The writer leaves the search text of entries it records faster than it can index for
//!   later (`History::record_encoded`): the time it then takes to index the rest is shown too.
//! - search at 1,000,000 entries: the first page of filtered searches (criterion medians);
//!   the exact count, which the window shows when it comes, timed once beside them. Target
//!   50 ms. The same again with the most entries a flood may leave waiting for the index
//!   (`history::PENDING_MAX`), which a search reads one by one.
//!
//! `cargo bench --bench history`; `cargo bench --bench history -- --test` runs it once on
//! small data as a check.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::Criterion;
use segment_console::history::{Encoded, Entry, Filter, History, PENDING_MAX, group, schema};
use segment_console::transport::StatusClass;
use std::collections::VecDeque;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

/// The allocator the binary uses (see `segment_console::allocator`), so that this measures what
/// ships.
#[global_allocator]
static ALLOCATOR: segment_console::allocator::MiMalloc = segment_console::allocator::MiMalloc;

const GROUP: &str = "history_1m";
const GROUP_WAITING: &str = "history_1m_waiting";
/// Rows the window asks for at once (history_pane::PAGE).
const PAGE: usize = segment_console::app::model::history::PAGE;
const SIZE_TARGET: f64 = 2048.0;
const RATE_TARGET: f64 = 30_000.0;
const SEARCH_TARGET_MS: f64 = 50.0;

struct Sizes {
    mix: usize,
    baseline: usize,
    senders: usize,
    ahead: usize,
    recorded: usize,
    one_by_one: usize,
    big: usize,
}

fn sizes() -> Sizes {
    if support::bench::test_mode() {
        Sizes {
            mix: 600,
            baseline: 200,
            senders: 4,
            ahead: 8,
            recorded: 600,
            one_by_one: 20,
            big: 3_000,
        }
    } else {
        Sizes {
            mix: 100_000,
            baseline: 10_000,
            senders: 8,
            ahead: 64,
            recorded: 100_000,
            one_by_one: 300,
            big: 1_000_000,
        }
    }
}

/// The searches at 1,000,000 entries: the filters of the pane, alone and together.
fn searches() -> Vec<(&'static str, Filter)> {
    let f = Filter::default;
    let failed = vec![StatusClass::ServerError, StatusClass::ClientError];
    vec![
        (
            "destination",
            Filter {
                destination: Some("skalin".into()),
                ..f()
            },
        ),
        (
            "status_failed",
            Filter {
                status: failed.clone(),
                ..f()
            },
        ),
        (
            "call_identify",
            Filter {
                call_type: Some("identify".into()),
                ..f()
            },
        ),
        (
            // One user's events: a handful among a million.
            "text_rare_user",
            Filter {
                text: Some("u_104321".into()),
                ..f()
            },
        ),
        (
            // An event name in a sixth of the entries.
            "text_common_phrase",
            Filter {
                text: Some("Order Completed".into()),
                ..f()
            },
        ),
        (
            // Found only in reply bodies.
            "text_reply_body",
            Filter {
                text: Some("rec_0999".into()),
                ..f()
            },
        ),
        (
            "text_absent",
            Filter {
                text: Some("no such thing".into()),
                ..f()
            },
        ),
        (
            // Common words in an order no entry has: the index finds every word's trigrams in
            // thousands of entries, and each is checked.
            "text_words_misordered",
            Filter {
                text: Some("Completed Order".into()),
                ..f()
            },
        ),
        (
            "destination_status_call",
            Filter {
                destination: Some("webhook".into()),
                status: vec![StatusClass::ServerError],
                call_type: Some("page".into()),
                ..f()
            },
        ),
        (
            "destination_status_text",
            Filter {
                destination: Some("salesmachine".into()),
                status: failed,
                text: Some("Order Completed".into()),
                ..f()
            },
        ),
        (
            "call_text_user",
            Filter {
                call_type: Some("track".into()),
                text: Some("u_000777".into()),
                ..f()
            },
        ),
    ]
}

fn main() {
    let sz = sizes();
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("bench setup: no temporary folder: {e}"),
    };
    let t = Instant::now();
    let mix = support::bench::history_entries(sz.mix);
    println!(
        "generated {} entries in {:.1} s",
        mix.len(),
        t.elapsed().as_secs_f64()
    );

    if std::env::var_os("HISTORY_BENCH_RECORDING_ONLY").is_some() {
        // A quick look while tuning the writer: the recording figure alone.
        let (rate, rest) = record_in_groups(
            &dir.path().join("groups.sqlite3"),
            &mix[..sz.recorded.min(mix.len())],
            sz.senders,
            sz.ahead,
        );
        println!(
            "recording: {rate:.0} entries/s; indexing what was left waiting then took {:.2} s",
            rest.as_secs_f64()
        );
        return;
    }
    // Size, v2 and the v1 baseline.
    let v2_path = dir.path().join("size-v2.sqlite3");
    let (v2_bytes, bulk_rate) = {
        let mut h = open(&v2_path);
        let t = Instant::now();
        for chunk in mix.chunks(10_000) {
            if let Err(e) = h.append_all(chunk) {
                panic!("bench setup: {e}");
            }
        }
        let rate = mix.len() as f64 / t.elapsed().as_secs_f64();
        drop(h);
        (store_bytes(&v2_path) as f64 / mix.len() as f64, rate)
    };
    let v1_path = dir.path().join("size-v1.sqlite3");
    let v1_bytes = v1_store(&v1_path, &mix[..sz.baseline]) as f64 / sz.baseline as f64;

    // Recording: group commits from many senders, and one commit per entry.
    let (group_rate, index_rest) = record_in_groups(
        &dir.path().join("groups.sqlite3"),
        &mix[..sz.recorded.min(mix.len())],
        sz.senders,
        sz.ahead,
    );
    let one_rate = {
        let mut h = open(&dir.path().join("one-by-one.sqlite3"));
        let t = Instant::now();
        for e in &mix[..sz.one_by_one] {
            if let Err(e) = h.append(e) {
                panic!("bench: {e}");
            }
        }
        sz.one_by_one as f64 / t.elapsed().as_secs_f64()
    };

    // A million entries, then the searches.
    let big_path = dir.path().join("big.sqlite3");
    let t = Instant::now();
    let mut big = open(&big_path);
    if let Err(e) = big.set_cap(sz.big) {
        panic!("bench setup: {e}");
    }
    fill(&mut big, &mix, sz.big);
    let fill_time = t.elapsed();
    let mut counts = Vec::new();
    for (name, f) in searches() {
        let t = Instant::now();
        let n = big.count(&f).unwrap_or(0);
        counts.push((name, n, t.elapsed()));
    }

    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench_searches(&mut c, GROUP, &big);
    // A flood's worth of entries waiting for the index, on top of the million.
    let waiting = PENDING_MAX.min(mix.len());
    if let Err(e) = big.set_cap(sz.big + waiting) {
        panic!("bench setup: {e}");
    }
    let encoded: Vec<Encoded> = mix[..waiting]
        .iter()
        .map(|e| Encoded::new(e).unwrap_or_else(|e| panic!("bench setup: {e}")))
        .collect();
    drop(mix);
    if let Err(e) = big.record_encoded(&encoded) {
        panic!("bench setup: {e}");
    }
    drop(encoded);
    assert_eq!(big.pending(), waiting, "bench setup: entries left waiting");
    bench_searches(&mut c, GROUP_WAITING, &big);
    c.final_summary();
    if support::bench::test_mode() {
        return;
    }
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    println!(
        "\nSUMMARY history size: {v2_bytes:.0} bytes/entry over {} entries (target <= {SIZE_TARGET:.0}: {}); baseline v1 layout {v1_bytes:.0} bytes/entry over {} ({:.1}x smaller); bulk insert {bulk_rate:.0} entries/s",
        sz.mix,
        verdict(v2_bytes <= SIZE_TARGET),
        sz.baseline,
        v1_bytes / v2_bytes,
    );
    println!(
        "SUMMARY history recording: {group_rate:.0} entries/s through group commits ({} senders, {} waiting each, every entry acknowledged once on disk, searchable at once) (target >= {RATE_TARGET:.0}: {}); baseline one commit per entry {one_rate:.0} entries/s ({:.0}x); indexing what was left waiting then took {:.2} s",
        sz.senders,
        sz.ahead,
        verdict(group_rate >= RATE_TARGET),
        group_rate / one_rate,
        index_rest.as_secs_f64(),
    );
    println!(
        "SUMMARY history search at {} entries (filled in {:.0} s): first page of {PAGE}, median",
        sz.big,
        fill_time.as_secs_f64()
    );
    let mut worst: f64 = 0.0;
    let mut worst_waiting: f64 = 0.0;
    println!(
        "  {:<26} {:>11} {:>11}",
        "",
        "indexed",
        format!("{waiting} waiting")
    );
    for (name, n, count_time) in counts {
        let all = support::bench::median_ns(GROUP, name).map(|m| m / 1e6);
        let with_waiting = support::bench::median_ns(GROUP_WAITING, name).map(|m| m / 1e6);
        worst = worst.max(all.unwrap_or(f64::INFINITY));
        worst_waiting = worst_waiting.max(with_waiting.unwrap_or(f64::INFINITY));
        let ms = |m: Option<f64>| m.map_or("(none)".to_string(), |m| format!("{m:.2} ms"));
        println!(
            "  {name:<26} {:>11} {:>11}   ({n} matches; exact count {:.0} ms)",
            ms(all),
            ms(with_waiting),
            count_time.as_secs_f64() * 1e3
        );
    }
    println!(
        "  target first page < {SEARCH_TARGET_MS:.0} ms: slowest {worst:.2} ms ({}); with {waiting} entries waiting for the index, slowest {worst_waiting:.2} ms ({})",
        verdict(worst < SEARCH_TARGET_MS),
        verdict(worst_waiting < SEARCH_TARGET_MS)
    );
}

/// The first page of each search, as criterion benches in `group`.
fn bench_searches(c: &mut Criterion, group: &str, h: &History) {
    let mut g = c.benchmark_group(group);
    for (name, f) in searches() {
        g.bench_function(name, |b| {
            b.iter(|| h.query(black_box(&f), 0, PAGE).map(|r| r.len()))
        });
    }
    g.finish();
}

fn open(path: &Path) -> History {
    match History::open(path) {
        Ok(h) => h,
        Err(e) => panic!("bench setup: {e}"),
    }
}

/// The store's bytes after a checkpoint: the file and what is left of its WAL.
fn store_bytes(path: &Path) -> u64 {
    if let Ok(conn) = rusqlite::Connection::open(path) {
        let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }
    let len = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    len(path) + len(Path::new(&wal))
}

/// The first layout, filled the way its console did (its SQL, its JSON, its index over up to
/// 64 KB of the event and bodies): its bytes.
fn v1_store(path: &Path, entries: &[Entry]) -> u64 {
    let run = || -> rusqlite::Result<()> {
        let mut conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.execute_batch(schema::SCHEMA_V1)?;
        let tx = conn.transaction()?;
        for e in entries {
            let record = serde_json::to_string(e).unwrap_or_default();
            tx.execute(
                "INSERT INTO entries (time, destination, mode, target, call_type, event_name, \
                 outcome, status_class, status_text, duration_ms, record) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                rusqlite::params![
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
                    record,
                ],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO entries_text (rowid, body) VALUES (?1, ?2)",
                rusqlite::params![id, v1_search_text(e)],
            )?;
        }
        tx.commit()
    };
    if let Err(e) = run() {
        panic!("bench setup (v1 baseline): {e}");
    }
    store_bytes(path)
}

/// What the first layout indexed: the event and every text body, up to 64 KB.
fn v1_search_text(e: &Entry) -> String {
    let mut out = format!("{}\n{}\n", e.event_name, e.event);
    for ex in &e.exchanges {
        out.push_str(&ex.request.url);
        out.push('\n');
        if let Some(b) = &ex.request.body {
            out.push_str(b);
            out.push('\n');
        }
        for a in &ex.attempts {
            if let Some(b) = a.body.as_ref().filter(|b| b.encoding.is_none()) {
                out.push_str(&b.text);
                out.push('\n');
            }
        }
    }
    out.truncate(64 * 1024);
    out
}

/// `senders` threads record `entries` between them, each keeping up to `ahead` entries
/// handed over and waiting for the disk; entries/s from the first hand-over to the last
/// acknowledgement, and the time then taken to index what was still waiting (the writer
/// leaves it for later when its senders go).
fn record_in_groups(
    path: &Path,
    entries: &[Entry],
    senders: usize,
    ahead: usize,
) -> (f64, Duration) {
    let (recorder, writer) = group::start(open(path));
    let per = entries.len().div_ceil(senders);
    let t = Instant::now();
    std::thread::scope(|scope| {
        for part in entries.chunks(per) {
            let r = recorder.clone();
            scope.spawn(move || {
                let mut waiting = VecDeque::with_capacity(ahead);
                for e in part {
                    if waiting.len() == ahead
                        && let Some(p) = waiting.pop_front()
                        && let Err(e) = group::Pending::wait(p)
                    {
                        panic!("bench: {e}");
                    }
                    waiting.push_back(r.submit(e));
                }
                for p in waiting {
                    if let Err(e) = p.wait() {
                        panic!("bench: {e}");
                    }
                }
            });
        }
    });
    let rate = entries.len() as f64 / t.elapsed().as_secs_f64();
    drop(recorder);
    let mut h = match writer.finish() {
        Ok(h) => h,
        Err(e) => panic!("bench: {e}"),
    };
    let acknowledged = Instant::now();
    h.index_all();
    let rest = acknowledged.elapsed();
    assert_eq!(h.pending(), 0, "bench: entries left waiting for the index");
    match h.count(&Filter::default()) {
        Ok(n) if n == entries.len() => {}
        other => panic!("bench: {other:?} entries stored of {}", entries.len()),
    }
    (rate, rest)
}

/// `n` entries made from the mix by giving each a user, message, order and reply id of its
/// own (entry `i` gets the ids the mix's generator would give it), encoded on every core and
/// inserted in big transactions. Translating a million events would take minutes; this takes
/// the mix's variety and the ids searches look for.
fn fill(h: &mut History, mix: &[Entry], n: usize) {
    let base: Vec<(String, usize)> = mix
        .iter()
        .take(3_000.min(mix.len()))
        .enumerate()
        .map(|(j, e)| (serde_json::to_string(e).unwrap_or_default(), j))
        .collect();
    let tour_len = 6;
    let make = |i: usize| -> Option<Encoded> {
        let (json, j) = &base[i % base.len()];
        let text = json
            .replace(
                &format!("u_{:06}", j / tour_len),
                &format!("u_{:06}", i / tour_len),
            )
            .replace(&format!("msg-{j:07}"), &format!("msg-{i:07}"))
            .replace(&format!("ord_{j:07}"), &format!("ord_{i:07}"))
            .replace(&format!("rec_{j:07}"), &format!("rec_{i:07}"))
            .replace(&format!("req_{j:07}"), &format!("req_{i:07}"));
        let mut e: Entry = serde_json::from_str(&text).ok()?;
        e.time += chrono::Duration::seconds(i as i64 - *j as i64);
        Encoded::new(&e).ok()
    };
    let chunk = 50_000;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let mut start = 0;
    while start < n {
        let end = (start + chunk).min(n);
        let encoded: Vec<Encoded> = std::thread::scope(|scope| {
            let per = (end - start).div_ceil(threads);
            let handles: Vec<_> = (start..end)
                .step_by(per)
                .map(|s| {
                    let e = (s + per).min(end);
                    scope.spawn(move || (s..e).filter_map(make).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        if let Err(e) = h.append_encoded(&encoded) {
            panic!("bench setup: {e}");
        }
        start = end;
    }
}
