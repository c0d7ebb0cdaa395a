//! Translation throughput: for every destination, the tour's events as text go through
//! parse, validate, translate, and serialising the requests' bodies (the bytes the transport
//! sends). The floor, measured in the same run, is what serde_json alone costs for the same
//! events: parse the text, serialise the value.
//!
//! Targets: translation at most 3x the floor, at least 200,000 events per second
//! on one core. A summary with the ratios is printed at the end.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BenchmarkId, Criterion, Throughput};
use segment_console::destinations::{self, OutcomeKind};
use serde_json::Value;
use std::hint::black_box;
use std::time::Duration;

/// The allocator the binary uses (see `segment_console::allocator`), so that this measures what
/// ships.
#[global_allocator]
static ALLOCATOR: segment_console::allocator::MiMalloc = segment_console::allocator::MiMalloc;

const GROUP: &str = "translate";

fn texts() -> Vec<String> {
    support::tour().iter().map(Value::to_string).collect()
}

fn floor(texts: &[String]) -> usize {
    let mut bytes = 0;
    for t in texts {
        let v: Value = serde_json::from_str(black_box(t)).unwrap_or(Value::Null);
        bytes += serde_json::to_vec(&v).map(|b| b.len()).unwrap_or(0);
    }
    bytes
}

fn translate_all(
    dest: &dyn destinations::Destination,
    settings: &destinations::Settings,
    target: &destinations::Target,
    texts: &[String],
) -> usize {
    let now = support::now();
    let mut bytes = 0;
    for t in texts {
        let v: Value = serde_json::from_str(black_box(t)).unwrap_or(Value::Null);
        let out = destinations::translate(dest, &v, settings, dest.default_mode(), target, now);
        for r in &out.requests {
            bytes += r.body_bytes().len();
        }
    }
    bytes
}

fn bench(c: &mut Criterion, texts: &[String]) {
    let target = support::bench::sandbox_target();
    let mut g = c.benchmark_group(GROUP);
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("floor", |b| b.iter(|| floor(texts)));
    for d in destinations::registry() {
        let settings = support::settings(d.id());
        g.bench_with_input(BenchmarkId::from_parameter(d.id()), &settings, |b, s| {
            b.iter(|| translate_all(*d, s, &target, texts))
        });
    }
    g.finish();
}

/// What each destination makes of the tour, so the figures can be read (an unsupported call
/// costs less than one that is built).
fn outcomes(texts: &[String]) -> String {
    let target = support::bench::sandbox_target();
    let mut lines = Vec::new();
    for d in destinations::registry() {
        let s = support::settings(d.id());
        let mut built = 0;
        let mut requests = 0;
        let mut other = Vec::new();
        for t in texts {
            let v: Value = serde_json::from_str(t).unwrap_or(Value::Null);
            let out =
                destinations::translate(*d, &v, &s, d.default_mode(), &target, support::now());
            match out.kind {
                OutcomeKind::Requests => {
                    built += 1;
                    requests += out.requests.len();
                }
                k => other.push(k.as_str()),
            }
        }
        lines.push(format!(
            "  {:<14} {built} built ({requests} requests), other: {}",
            d.id(),
            if other.is_empty() {
                "none".to_string()
            } else {
                other.join(", ")
            }
        ));
    }
    lines.join("\n")
}

fn summary(texts: &[String]) {
    let n = texts.len() as f64;
    println!(
        "\nSUMMARY translate: {} tour events per iteration; median per iteration",
        texts.len()
    );
    println!("{}", outcomes(texts));
    let Some(floor) = support::bench::median_ns(GROUP, "floor") else {
        println!("  (criterion's estimates were not found; see the lines above)");
        return;
    };
    println!(
        "  {:<14} {:>9.2} µs  {:>10.0} events/s",
        "floor",
        floor / 1000.0,
        n * 1e9 / floor
    );
    let mut worst: f64 = 0.0;
    let mut slowest = f64::INFINITY;
    for d in destinations::registry() {
        if let Some(m) = support::bench::median_ns(GROUP, d.id()) {
            let ratio = m / floor;
            let rate = n * 1e9 / m;
            worst = worst.max(ratio);
            slowest = slowest.min(rate);
            println!(
                "  {:<14} {:>9.2} µs  {:>10.0} events/s  {:.2}x floor",
                d.id(),
                m / 1000.0,
                rate,
                ratio
            );
        }
    }
    // Criterion measures the floor and each destination seconds apart; on a shared machine
    // the speed drifts between them by 20-50%. Rounds that time the floor and every
    // destination back to back give ratios that drift cannot skew: their median is the verdict.
    let paired = paired_ratios(texts, 41, 100);
    println!(
        "  paired (median of 41 rounds, each timing the floor and every destination back to back):"
    );
    worst = 0.0;
    for (id, ratio) in &paired {
        worst = worst.max(*ratio);
        println!("  {id:<14} {ratio:.2}x floor");
    }
    println!(
        "  target ratio <= 3.00x (paired): worst {worst:.2}x ({}); target >= 200000 events/s: slowest {slowest:.0} ({})",
        if worst <= 3.0 { "met" } else { "MISSED" },
        if slowest >= 200_000.0 {
            "met"
        } else {
            "MISSED"
        },
    );
}

/// For each destination, the median over `rounds` of (its time / the floor's time), both timed
/// for `iters` iterations within the same round.
fn paired_ratios(texts: &[String], rounds: usize, iters: usize) -> Vec<(&'static str, f64)> {
    let target = support::bench::sandbox_target();
    let dests = destinations::registry();
    let settings: Vec<_> = dests.iter().map(|d| support::settings(d.id())).collect();
    let time = |f: &dyn Fn() -> usize| {
        let t = std::time::Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        t.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); dests.len()];
    for _ in 0..rounds {
        let floor_s = time(&|| floor(texts));
        for (i, d) in dests.iter().enumerate() {
            let t = time(&|| translate_all(*d, &settings[i], &target, texts));
            ratios[i].push(t / floor_s);
        }
    }
    dests
        .iter()
        .zip(ratios)
        .map(|(d, mut r)| {
            r.sort_by(f64::total_cmp);
            (d.id(), r[r.len() / 2])
        })
        .collect()
}

fn main() {
    let texts = texts();
    let mut c = Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench(&mut c, &texts);
    c.final_summary();
    if !support::bench::test_mode() {
        summary(&texts);
    }
}
