//! Batch runs against the real sandbox over loopback: outcomes, per-user order, bounded
//! concurrency, progress, cancellation, retries, and one history entry per event.

use segment_console::batch::{BatchJob, BatchRun, BatchSummary, Progress, Verdict};
use segment_console::destinations::{self, Target};
use segment_console::files::settings_store::default_config;
use segment_console::history::{Filter, History};
use segment_console::sandbox::{Fault, Sandbox, SandboxConfig, SandboxHandle};
use segment_console::transport::{StatusClass, Transport, TransportOptions};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn tour() -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tour.json");
    segment_console::files::event_set::open(&path)
        .expect("the tour opens")
        .set
        .events
}

async fn sandbox(faults: Vec<(String, Fault)>) -> SandboxHandle {
    Sandbox::start(SandboxConfig {
        faults,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

/// A job for `dest` against the sandbox, with the sandbox's settings.
fn job(dest: &str, sb: &SandboxHandle, events: Vec<Value>) -> BatchJob {
    let d = destinations::find(dest).expect("known destination");
    BatchJob::new(
        d,
        default_config(dest).settings,
        d.default_mode(),
        Target::Sandbox {
            base: sb.base_url(),
        },
        events,
    )
}

fn history_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("history.sqlite3")
}

fn spawn(job: BatchJob, path: &Path) -> BatchRun {
    BatchRun::spawn(
        &tokio::runtime::Handle::current(),
        job,
        Transport::new().expect("transport"),
        History::open(path).expect("history opens"),
    )
}

async fn run(job: BatchJob, path: &Path) -> BatchSummary {
    spawn(job, path).finish().await.expect("a summary")
}

fn entries(path: &Path) -> usize {
    History::open(path)
        .expect("history opens")
        .count(&Filter::default())
        .expect("count")
}

fn verdicts(s: &BatchSummary) -> Vec<Verdict> {
    s.results.iter().map(|r| r.verdict).collect()
}

/// A track event of `user` carrying its position among that user's events.
fn track(user: &str, seq: usize, anonymous: bool) -> Value {
    let mut e = json!({
        "type": "track",
        "event": "Step Done",
        "properties": {"seq": seq},
        "messageId": format!("{user}-{seq}"),
    });
    let key = if anonymous { "anonymousId" } else { "userId" };
    e[key] = json!(user);
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_runs_against_every_destination() {
    use Verdict::{Delivered as D, Unsupported as U};
    let sb = sandbox(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    let expected: [(&str, [Verdict; 6]); 5] = [
        ("salesmachine", [D, D, D, U, D, D]),
        ("startdeliver", [U, U, D, U, D, U]),
        ("freshmarketer", [D, D, D, U, D, D]),
        ("skalin", [D, U, D, D, D, U]),
        ("webhook", [D, D, D, D, D, D]),
    ];
    for (n, (dest, want)) in expected.iter().enumerate() {
        let s = run(job(dest, &sb, tour()), &path).await;
        assert_eq!(verdicts(&s), want, "{dest}: {:#?}", s.results);
        assert!(s.all_ok(), "{dest}");
        assert_eq!(
            (s.progress.done, s.progress.total, s.progress.finished),
            (6, 6, true),
            "{dest}"
        );
        assert_eq!(entries(&path), 6 * (n + 1), "{dest}: one entry per event");
        // Nothing-sent outcomes are recorded too, with their reason.
        for r in &s.results {
            assert!(r.history_id.is_some(), "{dest} #{}", r.index);
            if r.verdict == U {
                assert_eq!(r.status_class, Some(StatusClass::Unsupported));
                assert_eq!((r.attempts, r.duration_ms), (0, 0));
                assert!(r.error.as_deref().unwrap_or("").contains("does not accept"));
            }
        }
    }
    // Salesmachine's group (event 1) sent two requests, each stored with its attempt.
    let h = History::open(&path).unwrap();
    let first = h.query(&Filter::default(), 0, 100).unwrap();
    let group = first
        .iter()
        .find(|e| e.destination == "salesmachine" && e.call_type == "group")
        .expect("the salesmachine group entry");
    let entry = h.get(group.id).unwrap().expect("stored");
    let statuses: Vec<Option<u16>> = entry
        .exchanges
        .iter()
        .map(|x| x.last().and_then(|a| a.status))
        .collect();
    assert_eq!(statuses, [Some(201), Some(200)]);
    let state = sb.state();
    assert!(state["salesmachine"]["contacts"]["u_4f8a2c"].is_object());
    assert_eq!(
        state["webhook"]["deliveries"].as_array().map(Vec::len),
        Some(6)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_events_keep_each_users_order_and_progress_reaches_the_total() {
    let sb = sandbox(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    // 20 users (two known only by anonymousId), interleaved unevenly through the set.
    let mut next_seq: BTreeMap<String, usize> = BTreeMap::new();
    let events: Vec<Value> = (0..500)
        .map(|i| {
            let u = (i * 7 + i / 3) % 20;
            let user = format!("user-{u:02}");
            let seq = next_seq.entry(user.clone()).or_default();
            let e = track(&user, *seq, u >= 18);
            *seq += 1;
            e
        })
        .collect();
    let mut run = spawn(job("webhook", &sb, events), &path);
    // Poll as the window does each frame.
    let mut finished = Vec::new();
    let mut last_done = 0;
    let summary = loop {
        let p = run.progress();
        assert!(p.done >= last_done, "progress never goes back");
        last_done = p.done;
        while let Some(r) = run.try_result() {
            finished.push(r);
        }
        if let Some(s) = run.try_summary() {
            break s.expect("a summary");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    while let Some(r) = run.try_result() {
        finished.push(r);
    }
    assert_eq!(finished.len(), 500, "every result is reported once");
    assert_eq!(
        summary.progress,
        Progress {
            total: 500,
            done: 500,
            delivered: 500,
            finished: true,
            ..Progress::default()
        }
    );
    assert_eq!(run.progress().done, 500);
    assert_eq!(entries(&path), 500);
    // The partner saw each user's events in the file's order.
    let deliveries = sb.state()["webhook"]["deliveries"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(deliveries.len(), 500);
    let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for d in &deliveries {
        let b = &d["body"];
        let who = b["userId"]
            .as_str()
            .or(b["anonymousId"].as_str())
            .unwrap_or("?");
        seen.entry(who.to_string())
            .or_default()
            .push(b["properties"]["seq"].as_u64().unwrap_or(u64::MAX));
    }
    assert_eq!(seen.len(), 20);
    for (user, seqs) in &seen {
        let want: Vec<u64> = (0..next_seq[user] as u64).collect();
        assert_eq!(seqs, &want, "{user}'s events arrived out of order");
    }
}

/// The most requests in flight at once, from the attempts' start times and durations as the
/// history holds them (a machine's load can slow a run down, never raise this number).
fn most_in_flight(path: &Path, s: &BatchSummary) -> i32 {
    let h = History::open(path).unwrap();
    let mut edges: Vec<(i64, i32)> = Vec::new();
    for r in &s.results {
        let e = h
            .get(r.history_id.expect("recorded"))
            .unwrap()
            .expect("stored");
        for a in e.exchanges.iter().flat_map(|x| &x.attempts) {
            let start = a.started.timestamp_micros();
            let end = start + i64::try_from(a.elapsed_ms).unwrap() * 1000;
            edges.push((start, 1));
            edges.push((end, -1));
        }
    }
    // An end and a start at the same instant do not overlap.
    edges.sort();
    let (mut now, mut most) = (0, 0);
    for (_, step) in edges {
        now += step;
        most = most.max(now);
    }
    most
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_bounded_and_one_user_goes_one_event_at_a_time() {
    let latency = vec![(
        "webhook".to_string(),
        Fault::Latency(Duration::from_millis(100)),
    )];
    let sb = sandbox(latency).await;
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    // 16 users, 4 at a time, 100 ms each: at least four rounds.
    let events: Vec<Value> = (0..16).map(|i| track(&format!("u{i}"), 0, false)).collect();
    let mut j = job("webhook", &sb, events);
    j.concurrency = 4;
    let s = run(j, &path).await;
    assert!(s.all_ok());
    assert!(s.elapsed_ms >= 400, "took {} ms", s.elapsed_ms);
    let most = most_in_flight(&path, &s);
    assert!((2..=4).contains(&most), "{most} requests in flight at once");
    // One user's four events never overlap, whatever the concurrency.
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    let events: Vec<Value> = (0..4).map(|i| track("same", i, false)).collect();
    let mut j = job("webhook", &sb, events);
    j.concurrency = 4;
    let s = run(j, &path).await;
    assert!(s.all_ok());
    assert!(s.elapsed_ms >= 400, "took {} ms", s.elapsed_ms);
    assert_eq!(most_in_flight(&path, &s), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_early_and_keeps_what_finished() {
    let latency = vec![(
        "webhook".to_string(),
        Fault::Latency(Duration::from_millis(100)),
    )];
    let sb = sandbox(latency).await;
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    let events: Vec<Value> = (0..40).map(|i| track(&format!("u{i}"), 0, false)).collect();
    let mut j = job("webhook", &sb, events);
    j.concurrency = 2;
    let run = spawn(j, &path);
    let mut changes = run.watch_progress();
    tokio::time::timeout(Duration::from_secs(10), changes.wait_for(|p| p.done >= 4))
        .await
        .expect("four events finish in time")
        .expect("progress");
    run.cancel();
    let s = run.finish().await.expect("a summary");
    assert!(s.cancelled);
    assert!(!s.all_ok());
    assert_eq!(s.results.len(), 40);
    let recorded: Vec<_> = s
        .results
        .iter()
        .filter(|r| r.history_id.is_some())
        .collect();
    let not_run = s
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::NotRun)
        .count();
    assert!(recorded.len() >= 4);
    assert!(not_run >= 20, "the run went on: {} not run", not_run);
    assert_eq!(recorded.len() + not_run, 40);
    // In flight when cancelled: at most one per worker, recorded as cancelled.
    let cancelled = recorded
        .iter()
        .filter(|r| r.verdict == Verdict::Cancelled)
        .count();
    assert!(cancelled <= 2, "{cancelled} cancelled");
    assert!(
        recorded
            .iter()
            .all(|r| matches!(r.verdict, Verdict::Delivered | Verdict::Cancelled))
    );
    assert_eq!(s.progress.done, recorded.len());
    assert_eq!(entries(&path), recorded.len());
    for r in s.results.iter().filter(|r| r.verdict == Verdict::NotRun) {
        assert_eq!(
            r.error.as_deref(),
            Some("the run was cancelled before this event")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_rate_with_retries_ends_delivered_with_every_attempt_recorded() {
    let fault = Fault::FailureRate {
        rate: 0.2,
        code: 503,
    };
    let sb = sandbox(vec![("webhook".to_string(), fault)]).await;
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    let events: Vec<Value> = (0..100)
        .map(|i| track(&format!("u{}", i % 25), i / 25, false))
        .collect();
    let mut j = job("webhook", &sb, events);
    j.concurrency = 4;
    // Enough attempts that landing on a failing slot every time cannot happen in practice
    // (0.2^10 per event), and short waits so the test stays quick.
    j.options = TransportOptions {
        max_attempts: 10,
        backoff_base: Duration::from_millis(5),
        max_retry_after: Duration::from_millis(20),
        ..TransportOptions::batch()
    };
    let s = run(j, &path).await;
    assert!(
        s.all_ok(),
        "{:#?}",
        s.results.iter().find(|r| !r.verdict.is_ok())
    );
    assert_eq!(s.progress.delivered, 100);
    let h = History::open(&path).unwrap();
    assert_eq!(h.count(&Filter::default()).unwrap(), 100);
    let mut attempts = 0u64;
    let mut failures = 0u64;
    let mut retried_events = 0;
    for r in &s.results {
        let entry = h
            .get(r.history_id.expect("recorded"))
            .unwrap()
            .expect("stored");
        assert_eq!(entry.exchanges.len(), 1);
        let tries = &entry.exchanges[0].attempts;
        assert_eq!(tries.len(), r.attempts);
        let (last, before) = tries.split_last().expect("at least one attempt");
        assert_eq!(last.status, Some(200));
        for a in before {
            assert_eq!(a.status, Some(503));
            assert!(
                a.wait_ms.is_some(),
                "a retried attempt says how long it waited"
            );
        }
        attempts += tries.len() as u64;
        failures += before.len() as u64;
        retried_events += usize::from(!before.is_empty());
    }
    // The history holds exactly what the sandbox answered, attempt for attempt.
    let counts = &sb.state()["counts"]["webhook"];
    assert_eq!(counts["requests"].as_u64(), Some(attempts));
    assert_eq!(counts["statuses"]["503"].as_u64(), Some(failures));
    // Requests 5, 10, 15, ... fail and every event ends delivered: after 124 requests, 24
    // failed and 100 succeeded, and nothing is left to send.
    assert_eq!((attempts, failures), (124, 24));
    assert!(retried_events >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skipped_and_rejected_events_are_recorded_without_sending() {
    let sb = sandbox(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    let mut off = track("u1", 0, false);
    off["integrations"] = json!({"Webhooks": false});
    let broken = json!({"type": "track", "userId": "u2"});
    let events = vec![off, broken, track("u3", 0, false)];
    let s = run(job("webhook", &sb, events), &path).await;
    assert_eq!(
        verdicts(&s),
        [Verdict::Skipped, Verdict::Rejected, Verdict::Delivered]
    );
    assert!(!s.all_ok(), "a rejected event is a failure of the run");
    assert_eq!(
        (
            s.progress.skipped,
            s.progress.rejected,
            s.progress.delivered
        ),
        (1, 1, 1)
    );
    let rejected = &s.results[1];
    assert!(
        rejected.error.as_deref().unwrap_or("").contains("$.event"),
        "{:?}",
        rejected.error
    );
    let h = History::open(&path).unwrap();
    assert_eq!(h.count(&Filter::default()).unwrap(), 3);
    // Three users, so the entries may be stored in any order: look each one up.
    let stored: Vec<(StatusClass, String, usize)> = s
        .results
        .iter()
        .map(|r| {
            let e = h
                .get(r.history_id.expect("recorded"))
                .unwrap()
                .expect("stored");
            let attempts = e.exchanges.iter().map(|x| x.attempts.len()).sum();
            (e.status_class, e.outcome, attempts)
        })
        .collect();
    assert_eq!(
        stored,
        [
            (StatusClass::Skipped, "skipped".to_string(), 0),
            (StatusClass::Rejected, "rejected".to_string(), 0),
            (StatusClass::Success, "requests".to_string(), 1)
        ]
    );
    assert_eq!(
        sb.state()["webhook"]["deliveries"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_set_finishes_at_once() {
    let sb = sandbox(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = run(job("webhook", &sb, Vec::new()), &history_path(&dir)).await;
    assert!(s.results.is_empty());
    assert!(s.all_ok());
    assert_eq!(
        s.progress,
        Progress {
            finished: true,
            ..Progress::default()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_entry_keeps_the_plan_verdict_the_caller_worked_out_or_the_batchs_own() {
    use segment_console::plan::verdict::PlanCheck;
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plans/public-api.json");
    let plan = std::sync::Arc::new(
        segment_console::files::plan_file::load(&fixture).expect("the plan loads"),
    );
    let sb = sandbox(Vec::new()).await;
    let dir = tempfile::tempdir().unwrap();
    let path = history_path(&dir);
    let plan_of = |s: &BatchSummary| -> Vec<PlanCheck> {
        // In the events' order, whatever order they finished in.
        let h = History::open(&path).expect("history opens");
        let mut results: Vec<_> = s.results.iter().collect();
        results.sort_by_key(|r| r.index);
        results
            .iter()
            .map(|r| {
                let id = r.history_id.expect("recorded");
                h.get(id)
                    .expect("read")
                    .expect("entry")
                    .plan
                    .expect("a verdict")
            })
            .collect()
    };

    // The batch checks each event itself.
    let mut own = job("webhook", &sb, tour());
    own.plan = Some(plan.clone());
    let s = run(own, &path).await;
    let checked = plan_of(&s);
    let expected: Vec<PlanCheck> = tour().iter().map(|e| plan.verdict(e)).collect();
    assert_eq!(checked, expected);

    // `run` checked them already: the batch keeps what it was given (marked here with another
    // plan name, so that a second check would show).
    let given: Vec<PlanCheck> = expected
        .iter()
        .map(|c| PlanCheck {
            plan: "checked-before.json".into(),
            ..c.clone()
        })
        .collect();
    let mut known = job("webhook", &sb, tour());
    known.plan = Some(plan.clone());
    known.plan_checks = given.clone();
    let s = run(known, &path).await;
    assert_eq!(plan_of(&s), given);
}
