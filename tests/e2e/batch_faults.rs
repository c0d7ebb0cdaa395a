//! A large batch under a steady failure rate: it finishes, retries exactly as set, and the
//! history holds one entry per event with every attempt, matching what the sandbox answered.
//! The bounded test runs on every `cargo test`; the 10,000-event one is `#[ignore]`d and gave
//! the README's figures (`cargo test --test e2e batch_faults -- --ignored --nocapture`).

use segment_console::batch::{BatchJob, BatchRun, Verdict};
use segment_console::destinations::{self, Target};
use segment_console::files::settings_store::default_config;
use segment_console::history::{Filter, History};
use segment_console::sandbox::{Fault, Sandbox, SandboxConfig};
use segment_console::transport::{Transport, TransportOptions};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

struct Figures {
    events: usize,
    attempts: u64,
    failures: u64,
    delivered: usize,
    failed: usize,
    seconds: f64,
}

/// Runs `n` events at a 20% failure rate (503) with `max_attempts` per request and checks
/// everything the history and the sandbox say against each other.
async fn run_under_failures(n: usize, max_attempts: u32) -> Figures {
    let sb = Sandbox::start(SandboxConfig {
        faults: vec![(
            "webhook".into(),
            Fault::FailureRate {
                rate: 0.2,
                code: 503,
            },
        )],
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({"type": "track", "userId": format!("u{}", i % 500), "event": "Tick",
                "messageId": format!("m{i}"), "properties": {"i": i}})
        })
        .collect();
    let dest = destinations::find("webhook").unwrap();
    let mut job = BatchJob::new(
        dest,
        default_config("webhook").settings,
        dest.default_mode(),
        Target::Sandbox {
            base: sb.base_url(),
        },
        events,
    );
    job.options = TransportOptions {
        max_attempts,
        backoff_base: Duration::from_millis(2),
        max_retry_after: Duration::from_millis(10),
        ..TransportOptions::batch()
    };
    let t0 = Instant::now();
    let run = BatchRun::spawn(
        &tokio::runtime::Handle::current(),
        job,
        Transport::new().unwrap(),
        History::open(&path).unwrap(),
    );
    let s = run.finish().await.expect("a summary");
    let seconds = t0.elapsed().as_secs_f64();
    assert!(s.history_error.is_none(), "{:?}", s.history_error);
    assert!(s.progress.finished);
    assert_eq!(s.results.len(), n);

    let h = History::open(&path).unwrap();
    assert_eq!(
        h.count(&Filter::default()).unwrap(),
        n,
        "one entry per event"
    );
    let mut ids = std::collections::BTreeSet::new();
    let (mut attempts, mut failures) = (0u64, 0u64);
    for r in &s.results {
        let id = r.history_id.expect("every event recorded");
        assert!(ids.insert(id), "two events share history entry {id}");
        let entry = h.get(id).unwrap().expect("stored");
        assert_eq!(entry.event["messageId"], json!(format!("m{}", r.index)));
        let tries = &entry.exchanges[0].attempts;
        assert_eq!(tries.len(), r.attempts, "event {}", r.index);
        assert!(tries.len() <= max_attempts as usize);
        let (last, before) = tries.split_last().expect("an attempt");
        for a in before {
            assert_eq!(a.status, Some(503));
            assert!(a.wait_ms.is_some(), "a retry says how long it waited");
        }
        match r.verdict {
            Verdict::Delivered => assert_eq!(last.status, Some(200)),
            Verdict::Failed => {
                assert_eq!(last.status, Some(503));
                assert_eq!(
                    tries.len(),
                    max_attempts as usize,
                    "gave up only when out of attempts"
                );
            }
            other => panic!("event {}: {other:?}", r.index),
        }
        attempts += tries.len() as u64;
        failures += tries.iter().filter(|a| a.status == Some(503)).count() as u64;
    }
    // The history holds exactly what the sandbox answered.
    let counts = &sb.state()["counts"]["webhook"];
    assert_eq!(counts["requests"].as_u64(), Some(attempts));
    assert_eq!(counts["statuses"]["503"].as_u64(), Some(failures));
    // One request in five failed, exactly (the sandbox's rate is deterministic).
    assert_eq!(failures, attempts / 5);
    Figures {
        events: n,
        attempts,
        failures,
        delivered: s.progress.delivered,
        failed: s.progress.failed,
        seconds,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_events_at_a_20_percent_failure_rate() {
    let f = run_under_failures(2_000, 3).await;
    assert_eq!(f.delivered + f.failed, f.events);
    assert!(f.failures > 0 && f.delivered > f.events * 9 / 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: about a minute; gives the README's figures"]
async fn ten_thousand_events_at_a_20_percent_failure_rate() {
    let f = run_under_failures(10_000, 3).await;
    println!(
        "RELIABILITY batch events={} attempts={} failed_attempts={} delivered={} failed={} seconds={:.1}",
        f.events, f.attempts, f.failures, f.delivered, f.failed, f.seconds
    );
    assert_eq!(f.delivered + f.failed, f.events);
}
