//! Capture's sustained ingest, end to end (docs/capture.md): 4 concurrent HTTP clients post
//! batches of 100 events over loopback; each event is received, validated, translated for one
//! destination (Salesmachine) and committed to a history on disk before its request gets a 200.
//! Nothing is forwarded. In process, on the two-worker runtime `segment-console capture`
//! builds; the clients (reqwest) run on a runtime of their own in the same process and share
//! the machine's two cores with the server.
//!
//! Two measures:
//! - `ingest_20k`: criterion's median over runs of 20,000 events (4 clients x 50 batches), each
//!   into a new history; target at least 10,000 events/s.
//! - a sustained run of 1,000,000 events (4 clients x 2,500 batches) into one history, with the
//!   process's resident memory at the start, the middle and the end: memory must stay flat
//!   (the middle and the end within 10% + 16 MB of each other).

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput};
use segment_console::capture::{Capture, CaptureConfig, CaptureHandle, DestinationSetup};
use segment_console::destinations;
use segment_console::history::History;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOCATOR: segment_console::allocator::MiMalloc = segment_console::allocator::MiMalloc;

const GROUP: &str = "capture";
const CLIENTS: usize = 4;
const BATCH: usize = 100;

fn runtime(name: &str) -> tokio::runtime::Runtime {
    match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(name)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("bench setup: no runtime: {e}"),
    }
}

/// Resident memory of this process in MB (Linux's /proc/self/statm).
fn rss_mb() -> f64 {
    let text = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = text
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / 1e6
}

fn start(server: &tokio::runtime::Runtime, dir: &std::path::Path) -> CaptureHandle {
    let Some(dest) = destinations::find("salesmachine") else {
        panic!("bench setup: no salesmachine");
    };
    let history = match History::open(&dir.join("history.sqlite3")) {
        Ok(h) => h,
        Err(e) => panic!("bench setup: {e}"),
    };
    let mut config = CaptureConfig::new(history);
    config.destinations = vec![DestinationSetup {
        destination: dest,
        settings: support::settings("salesmachine"),
        mode: dest.default_mode(),
    }];
    match server.block_on(Capture::start(config)) {
        Ok(h) => h,
        Err(e) => panic!("bench setup: capture does not start: {e}"),
    }
}

/// Posts `batches` batches per client from `CLIENTS` clients; events numbered from `first`.
/// Calls `at_half` once half of the events are acknowledged.
fn post_all(
    clients: &tokio::runtime::Runtime,
    url: &str,
    tour: &Arc<Vec<Value>>,
    batches: usize,
    at_half: &(dyn Fn() + Sync),
) -> Duration {
    let total = (CLIENTS * batches * BATCH) as u64;
    let done = Arc::new(AtomicU64::new(0));
    let half_seen = std::sync::atomic::AtomicBool::new(false);
    let t = Instant::now();
    clients.block_on(async {
        let http = match reqwest::Client::builder().no_proxy().build() {
            Ok(c) => c,
            Err(e) => panic!("bench setup: {e}"),
        };
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..CLIENTS {
            let http = http.clone();
            let url = format!("{url}/v1/batch");
            let tour = tour.clone();
            let done = done.clone();
            tasks.spawn(async move {
                for b in 0..batches {
                    let start = (c * batches + b) * BATCH;
                    let events: Vec<Value> = (start..start + BATCH)
                        .map(|i| support::bench::varied_event(&tour, i))
                        .collect();
                    let body = serde_json::json!({
                        "batch": events,
                        "writeKey": "wk_bench_000000001",
                        "context": {"library": {"name": "bench", "version": "1"}},
                    })
                    .to_string();
                    let res = match http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body)
                        .send()
                        .await
                    {
                        Ok(r) => r,
                        Err(e) => panic!("a post failed: {e}"),
                    };
                    assert_eq!(res.status().as_u16(), 200, "every batch is accepted");
                    done.fetch_add(BATCH as u64, Ordering::Relaxed);
                }
            });
        }
        // Watches for the middle while the clients post.
        while !tasks.is_empty() {
            tokio::select! {
                joined = tasks.join_next() => {
                    if let Some(Err(e)) = joined {
                        panic!("a client failed: {e}");
                    }
                }
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
            if !half_seen.load(Ordering::Relaxed) && done.load(Ordering::Relaxed) * 2 >= total {
                half_seen.store(true, Ordering::Relaxed);
                at_half();
            }
        }
    });
    t.elapsed()
}

fn main() {
    let test = support::bench::test_mode();
    let server = runtime("capture-server");
    let clients = runtime("capture-clients");
    let tour = Arc::new(support::tour());

    // 1. Throughput: criterion's median over runs of 20,000 events, each into a new history.
    let per_client = if test { 2 } else { 50 };
    let n = CLIENTS * per_client * BATCH;
    let one_run = || {
        let dir = match tempfile::tempdir() {
            Ok(d) => d,
            Err(e) => panic!("bench setup: {e}"),
        };
        let handle = start(&server, dir.path());
        let took = post_all(&clients, &handle.base_url(), &tour, per_client, &|| {});
        let sum = handle.summary();
        assert_eq!(sum.received, n as u64, "every event is captured");
        server.block_on(handle.shutdown());
        took
    };
    let first = one_run();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    {
        let mut g = c.benchmark_group(GROUP);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function("ingest_20k", |b| {
            b.iter_custom(|iters| (0..iters).map(|_| one_run()).sum())
        });
        g.finish();
    }
    c.final_summary();

    // 2. Sustained: 1,000,000 events into one history, memory at the start, middle and end.
    let batches = if test { 5 } else { 2_500 };
    let total = CLIENTS * batches * BATCH;
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("bench setup: {e}"),
    };
    let handle = start(&server, dir.path());
    let rss_start = rss_mb();
    let middle = std::sync::Mutex::new(0.0_f64);
    let took = post_all(&clients, &handle.base_url(), &tour, batches, &|| {
        if let Ok(mut m) = middle.lock() {
            *m = rss_mb();
        }
    });
    let rss_end = rss_mb();
    let rss_middle = middle.lock().map(|m| *m).unwrap_or(0.0);
    let sum = handle.summary();
    assert_eq!(sum.received, total as u64);
    assert_eq!(sum.duplicates, 0);
    server.block_on(handle.shutdown());
    if test {
        return;
    }
    let sustained = total as f64 / took.as_secs_f64();
    println!(
        "\nSUMMARY capture: {CLIENTS} clients x batches of {BATCH}, salesmachine, committed before each 200; first run of {n}: {:.0} events/s",
        n as f64 / first.as_secs_f64()
    );
    match support::bench::median_ns(GROUP, "ingest_20k") {
        Some(m) => {
            let rate = n as f64 * 1e9 / m;
            println!(
                "  median run of {n} events {:.2} s, {rate:.0} events/s; target >= 10000 events/s ({})",
                m / 1e9,
                if rate >= 10_000.0 { "met" } else { "MISSED" }
            );
        }
        None => println!("  (no estimate found)"),
    }
    let flat = (rss_end - rss_middle).abs() <= rss_middle * 0.10 + 16.0;
    println!(
        "SUMMARY capture sustained: {total} events in {:.1} s ({sustained:.0} events/s); RSS start {rss_start:.0} MB, middle {rss_middle:.0} MB, end {rss_end:.0} MB; memory flat ({})",
        took.as_secs_f64(),
        if flat { "met" } else { "MISSED" }
    );
}
