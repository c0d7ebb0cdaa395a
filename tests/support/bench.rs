//! What only the benches use: a sandbox target that needs no sandbox, realistic history entries
//! in bulk, the medians criterion wrote for this run, whether this is a real run or a check, and
//! the calling thread's CPU time. The tour, the clock and the settings are `super`'s, shared with
//! the tests.
//!
//! The benches declare the binary's allocator themselves (`#[global_allocator]`), so that they
//! measure what ships; it cannot live here, as the test binaries include this module too.

use super::{now, settings, tour};
use chrono::{DateTime, Utc};
use segment_console::destinations::{self, Destination, Settings, Target};
use segment_console::history::Entry;
use segment_console::transport::{Attempt, CapturedBody, Exchange, RequestRecord, SendReport};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Duration;

/// The sandbox's usual address, as a target: translating needs no sandbox running.
pub fn sandbox_target() -> Target {
    Target::Sandbox {
        base: "http://127.0.0.1:7311".into(),
    }
}

/// The tour's events, made distinct per `i` (user, message id, order id), as a real history
/// holds many users' events rather than one event many times.
pub fn varied_event(tour: &[Value], i: usize) -> Value {
    let mut e = tour[i % tour.len()].clone();
    let user = format!("u_{:06}", i / tour.len());
    if let Some(o) = e.as_object_mut() {
        if o.contains_key("userId") {
            o.insert("userId".into(), Value::String(user.clone()));
        }
        o.insert("messageId".into(), Value::String(format!("msg-{i:07}")));
        if let Some(Value::Object(p)) = o.get_mut("properties")
            && p.contains_key("order_id")
        {
            p.insert("order_id".into(), Value::String(format!("ord_{i:07}")));
        }
    }
    e
}

/// `n` history entries as the window and `run` record them: every destination in turn, the
/// real translation, a reply per request (a 500 for one user in twenty, a 429 for one in fifty).
pub fn history_entries(n: usize) -> Vec<Entry> {
    let tour = tour();
    let dests = destinations::registry();
    let target = sandbox_target();
    let configs: Vec<(&'static dyn Destination, Settings, Vec<String>)> = dests
        .iter()
        .map(|d| {
            let s = settings(d.id());
            let secrets = destinations::kit::settings::secrets(d.settings_schema(), &s);
            (*d, s, secrets)
        })
        .collect();
    let base = now();
    (0..n)
        .map(|i| {
            let (dest, s, secrets) = &configs[i % configs.len()];
            let event = varied_event(&tour, i);
            let at = base + chrono::Duration::seconds(i as i64);
            let outcome =
                destinations::translate(*dest, &event, s, dest.default_mode(), &target, at);
            let report = (!outcome.requests.is_empty()).then(|| {
                // Failures hit whole users (a partner down for a while): one in twenty
                // users gets 500s, one in fifty 429s.
                let user = i / tour.len();
                let status = match (user % 20, user % 50) {
                    (3, _) => 500,
                    (_, 11) => 429,
                    _ => 200,
                };
                SendReport {
                    started: at,
                    elapsed_ms: 4 + (i % 40) as u64,
                    elapsed_us: 4_000 + (i % 40) as u64 * 1_000 + (i % 997) as u64,
                    exchanges: outcome
                        .requests
                        .iter()
                        .map(|r| Exchange {
                            request: RequestRecord::of(r),
                            attempts: vec![reply(at, status, i)],
                            not_sent: None,
                            cancelled: false,
                        })
                        .collect(),
                }
            });
            Entry::record(
                dest.id(),
                dest.default_mode(),
                &target,
                &event,
                &outcome,
                report.as_ref(),
                secrets,
                at,
            )
        })
        .collect()
}

fn reply(at: DateTime<Utc>, status: u16, i: usize) -> Attempt {
    let body = match status {
        200 => json!({"ok": true, "id": format!("rec_{i:07}")}),
        429 => json!({"error": "rate limited", "retryAfter": 1}),
        _ => json!({"error": "internal error", "request": format!("req_{i:07}")}),
    }
    .to_string();
    Attempt {
        started: at,
        status: Some(status),
        status_text: match status {
            200 => "OK",
            429 => "Too Many Requests",
            _ => "Internal Server Error",
        }
        .into(),
        http_version: "HTTP/1.1".into(),
        headers: Vec::new(),
        body: Some(CapturedBody::capture(
            body.as_bytes(),
            body.len() as u64,
            &[],
        )),
        headers_ms: Some(3),
        elapsed_ms: 4 + (i % 40) as u64,
        error: None,
        retry_after_ms: None,
        wait_ms: None,
    }
}

/// Where criterion writes its estimates for this build (the same rules criterion follows).
fn criterion_dir() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return Some(PathBuf::from(home));
    }
    if let Some(t) = std::env::var_os("CARGO_TARGET_DIR") {
        return Some(PathBuf::from(t).join("criterion"));
    }
    // target/<profile>/deps/<bench binary>
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.parent()?.parent()?.join("criterion"))
}

/// The median time of one iteration of `group/function`, as criterion measured it in this
/// run (its `new/estimates.json`), in nanoseconds.
pub fn median_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_dir()?
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: Value = serde_json::from_str(&text).ok()?;
    v["median"]["point_estimate"].as_f64()
}

/// True unless `cargo bench` runs this (it passes `--bench`; `cargo test --benches` does not),
/// or with `cargo bench -- --test`: then every bench runs once, on small data, as a check.
pub fn test_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    !args.iter().any(|a| a == "--bench") || args.iter().any(|a| a == "--test")
}

/// CPU time the calling thread has used so far.
pub fn thread_cpu() -> Duration {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time the whole process has used so far (every thread: the runtime's workers, the
/// history writer, the sandbox). Steadier than a rate on a shared machine, for comparing two
/// builds: what a run costs, not how fast it went beside other work.
pub fn process_cpu() -> Duration {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

fn cpu_clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids passed are constants Linux knows.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

pub fn median(xs: &mut [f64]) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    match xs.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => xs[n / 2],
        n => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

pub fn percentile(xs: &mut [f64], p: f64) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    if xs.is_empty() {
        return f64::NAN;
    }
    let i = ((xs.len() - 1) as f64 * p).round() as usize;
    xs[i.min(xs.len() - 1)]
}
