//! A batch run of 10,000 events against the embedded sandbox, as `segment-console run` does
//! it, in process: the library's `BatchRun` on a two-worker tokio runtime (the one `run`
//! builds), the sandbox started on that runtime on 127.0.0.1 port 0, a new history in a
//! temporary folder for each run, concurrency 8. The timed part is from spawning the run to
//! its summary (every result committed to the history on disk); starting the sandbox and
//! opening the history are not timed.
//!
//! Target: at least 10,000 events per second on two cores with concurrency 8, history included.
//! Baseline, in the same run: the same events' requests, translated beforehand, sent by 8 tasks
//! through the same transport to the same kind of sandbox, with nothing recorded: what HTTP and
//! the sandbox alone allow on this machine.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{Criterion, Throughput};
use segment_console::batch::{BatchJob, BatchRun, BatchSummary, DEFAULT_CONCURRENCY};
use segment_console::destinations::{self, Target};
use segment_console::history::History;
use segment_console::sandbox::{Sandbox, SandboxConfig};
use segment_console::transport::Transport;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The allocator the binary uses (see `segment_console::allocator`), so that this measures what
/// ships.
#[global_allocator]
static ALLOCATOR: segment_console::allocator::MiMalloc = segment_console::allocator::MiMalloc;

const GROUP: &str = "sandbox_run";
const DESTINATION: &str = "salesmachine";

/// `n` events: the tour's events Salesmachine accepts, repeated with distinct users so that
/// every user sends the tour in order (the run keeps one user's events in order).
fn events(n: usize) -> Vec<Value> {
    let tour = support::tour();
    let Some(dest) = destinations::find(DESTINATION) else {
        panic!("bench setup: no destination {DESTINATION}");
    };
    let accepted: Vec<Value> = tour
        .into_iter()
        .filter(|e| {
            e.get("type")
                .and_then(Value::as_str)
                .and_then(segment_console::event::CallType::parse)
                .is_some_and(|c| dest.accepts(c))
        })
        .collect();
    (0..n)
        .map(|i| support::bench::varied_event(&accepted, i))
        .collect()
}

/// One run, timed from spawn to summary.
fn one_run(rt: &tokio::runtime::Runtime, events: Vec<Value>) -> (Duration, BatchSummary) {
    let Some(dest) = destinations::find(DESTINATION) else {
        panic!("bench setup: no destination {DESTINATION}");
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("bench setup: no temporary folder: {e}"),
    };
    rt.block_on(async {
        let sandbox = match Sandbox::start(SandboxConfig::default()).await {
            Ok(s) => s,
            Err(e) => panic!("bench setup: the sandbox does not start: {e}"),
        };
        let history = match History::open(&dir.path().join("history.sqlite3")) {
            Ok(h) => h,
            Err(e) => panic!("bench setup: {e}"),
        };
        let transport = match Transport::new() {
            Ok(t) => t,
            Err(e) => panic!("bench setup: {e}"),
        };
        let mut job = BatchJob::new(
            dest,
            support::settings(DESTINATION),
            dest.default_mode(),
            Target::Sandbox {
                base: sandbox.base_url(),
            },
            events,
        );
        job.concurrency = DEFAULT_CONCURRENCY;
        let t = Instant::now();
        let run = BatchRun::spawn(&tokio::runtime::Handle::current(), job, transport, history);
        let summary = match run.finish().await {
            Ok(s) => s,
            Err(e) => panic!("the run ended without a summary: {e}"),
        };
        let took = t.elapsed();
        sandbox.shutdown().await;
        (took, summary)
    })
}

/// The baseline: the events' requests sent by 8 tasks, nothing translated or recorded while
/// timed; events/s.
fn transport_only(rt: &tokio::runtime::Runtime, events: &[Value]) -> f64 {
    let Some(dest) = destinations::find(DESTINATION) else {
        panic!("bench setup: no destination {DESTINATION}");
    };
    rt.block_on(async {
        let sandbox = match Sandbox::start(SandboxConfig::default()).await {
            Ok(s) => s,
            Err(e) => panic!("bench setup: the sandbox does not start: {e}"),
        };
        let target = Target::Sandbox {
            base: sandbox.base_url(),
        };
        let settings = support::settings(DESTINATION);
        let now = chrono::Utc::now();
        let requests: Vec<_> = events
            .iter()
            .map(|e| {
                destinations::translate(dest, e, &settings, dest.default_mode(), &target, now)
                    .requests
            })
            .collect();
        let transport = match Transport::new() {
            Ok(t) => std::sync::Arc::new(t),
            Err(e) => panic!("bench setup: {e}"),
        };
        let requests = std::sync::Arc::new(requests);
        let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let t = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..DEFAULT_CONCURRENCY {
            let (transport, requests, next) = (transport.clone(), requests.clone(), next.clone());
            tasks.spawn(async move {
                let opts = segment_console::transport::TransportOptions::batch();
                let cancel = segment_console::transport::Cancel::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(reqs) = requests.get(i) else { break };
                    let report = transport.send_event(reqs, &opts, &cancel).await;
                    assert!(
                        report.exchanges.iter().all(|e| e.succeeded()),
                        "every request of the baseline is answered 2xx"
                    );
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let took = t.elapsed();
        sandbox.shutdown().await;
        events.len() as f64 / took.as_secs_f64()
    })
}

fn main() {
    let n = if support::bench::test_mode() {
        200
    } else {
        10_000
    };
    // The runtime `segment-console run` builds.
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => panic!("bench setup: no runtime: {e}"),
    };
    let events = events(n);
    // Every event must be delivered, or the figure would measure failures.
    let (took, check) = one_run(&rt, events.clone());
    let p = &check.progress;
    assert_eq!(
        (p.delivered, p.problems(), check.history_error.as_deref()),
        (n, 0, None),
        "every event is delivered and recorded: {p}"
    );

    // `SANDBOX_RUN_PROFILE=N`: N runs and nothing else, for a profiler (`perf record`).
    if let Some(k) = std::env::var("SANDBOX_RUN_PROFILE")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        for _ in 0..k {
            one_run(&rt, events.clone());
        }
        return;
    }
    // `SANDBOX_RUN_QUICK=1`: only the CPU figures below, for comparing two builds quickly.
    let quick = std::env::var_os("SANDBOX_RUN_QUICK").is_some();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_secs(20))
        .configure_from_args();
    {
        let mut g = c.benchmark_group(GROUP);
        g.throughput(Throughput::Elements(n as u64));
        if quick {
            g.sample_size(10).measurement_time(Duration::from_millis(1));
        }
        g.bench_function("salesmachine_10k_c8", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += one_run(&rt, events.clone()).0;
                }
                total
            })
        });
        g.finish();
    }
    c.final_summary();
    // The baseline, right after the runs: the median of three.
    let mut baseline: Vec<f64> = (0..3).map(|_| transport_only(&rt, &events)).collect();
    let baseline = support::bench::median(&mut baseline);
    // CPU per event, every thread of the process counted (median of five runs each).
    let cpu_per_event = |f: &dyn Fn()| {
        let mut xs: Vec<f64> = (0..5)
            .map(|_| {
                let c0 = support::bench::process_cpu();
                f();
                (support::bench::process_cpu() - c0).as_secs_f64() * 1e6 / n as f64
            })
            .collect();
        support::bench::median(&mut xs)
    };
    let run_cpu = cpu_per_event(&|| {
        one_run(&rt, events.clone());
    });
    let baseline_cpu = cpu_per_event(&|| {
        transport_only(&rt, &events);
    });
    if support::bench::test_mode() {
        return;
    }
    println!(
        "\nSUMMARY sandbox_run: {n} {DESTINATION} events, concurrency {DEFAULT_CONCURRENCY}, 2 runtime workers; first run {:.2} s ({p})",
        took.as_secs_f64()
    );
    match support::bench::median_ns(GROUP, "salesmachine_10k_c8") {
        Some(m) => {
            let rate = n as f64 * 1e9 / m;
            println!(
                "  median run {:.2} s, {rate:.0} events/s; target >= 10000 events/s ({}); baseline: the same requests sent 8 at a time with nothing translated or recorded {baseline:.0} events/s (the run is {:.0}% of it)",
                m / 1e9,
                if rate >= 10_000.0 { "met" } else { "MISSED" },
                rate / baseline * 100.0
            );
        }
        None => println!("  (no estimate found)"),
    }
    println!(
        "  CPU per event (all threads, median of 5): run {run_cpu:.0} us, baseline {baseline_cpu:.0} us (sending and answering alone; the baseline's includes translating its requests up front) on {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
