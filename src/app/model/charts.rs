//! The history pane's charts: latency over time and a count by status class, for the entries
//! the filters select. The summaries are read and summed up on the history thread, once per
//! change of the filters or of the history (its generation), never per frame.

use crate::history::{Filter, History, Summary};
use crate::transport::StatusClass;
use std::sync::mpsc::{Receiver, channel};

/// The most entries charted (the newest of the filtered ones).
pub const LIMIT: usize = 5_000;

/// What the charts draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// (unix seconds, duration in ms) of the entries that sent requests, oldest first.
    pub points: Vec<[f64; 2]>,
    /// Entries per status class, in the classes' order, only classes that occur.
    pub counts: Vec<(StatusClass, usize)>,
    /// Entries read (at most `LIMIT`).
    pub read: usize,
    pub median_ms: u64,
    pub p95_ms: u64,
    pub max_ms: u64,
}

/// Sums up summaries (any order).
pub fn summarize(rows: &[Summary]) -> ChartData {
    let mut points: Vec<[f64; 2]> = rows
        .iter()
        .filter(|s| s.outcome == "requests")
        .filter_map(|s| {
            let t = chrono::DateTime::parse_from_rfc3339(&s.time).ok()?;
            let secs = t.timestamp() as f64 + f64::from(t.timestamp_subsec_millis()) / 1000.0;
            Some([secs, s.duration_ms as f64])
        })
        .collect();
    points.sort_by(|a, b| a[0].total_cmp(&b[0]));
    let mut ms: Vec<u64> = rows
        .iter()
        .filter(|s| s.outcome == "requests")
        .map(|s| s.duration_ms)
        .collect();
    ms.sort_unstable();
    // Nearest-rank percentile: the smallest value with at least p% of values at or below it.
    let rank = |p: usize| -> u64 {
        if ms.is_empty() {
            return 0;
        }
        let k = (p * ms.len()).div_ceil(100).clamp(1, ms.len());
        ms.get(k - 1).copied().unwrap_or(0)
    };
    let counts = StatusClass::ALL
        .iter()
        .map(|c| {
            (
                *c,
                rows.iter().filter(|s| s.status_class == Some(*c)).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    ChartData {
        points,
        counts,
        read: rows.len(),
        median_ms: rank(50),
        p95_ms: rank(95),
        max_ms: ms.last().copied().unwrap_or(0),
    }
}

type Reply = (u64, Result<ChartData, String>);

#[derive(Default)]
pub struct Charts {
    /// The strip was drawn open this frame (only then is anything read).
    pub open: bool,
    /// The history generation the data is for, or is being read for.
    pub generation: Option<u64>,
    pub data: Option<Result<ChartData, String>>,
    rx: Option<Receiver<Reply>>,
}

impl Charts {
    /// Whether the data must be read again for `generation`.
    pub fn stale(&self, generation: u64) -> bool {
        self.open && self.generation != Some(generation)
    }

    /// Reads and sums up the filtered entries on the history thread. The answer comes on the
    /// charts' own channel, then `wake` is called (the window repaints).
    pub fn request(
        &mut self,
        generation: u64,
        filter: Filter,
        wake: impl Fn() + Send + 'static,
        run: impl FnOnce(Box<dyn FnOnce(&mut History) + Send>),
    ) {
        let (tx, rx) = channel();
        self.rx = Some(rx);
        self.generation = Some(generation);
        run(Box::new(move |h: &mut History| {
            let r = h
                .query(&filter, 0, LIMIT)
                .map(|rows| summarize(&rows))
                .map_err(|e| e.to_string());
            let _ = tx.send((generation, r));
            wake();
        }));
    }

    /// Takes in a finished read, if any.
    pub fn poll(&mut self) {
        let Some(rx) = &self.rx else { return };
        if let Ok((generation, r)) = rx.try_recv() {
            if Some(generation) == self.generation {
                self.data = Some(r);
            }
            self.rx = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, time: &str, ms: u64, class: StatusClass, outcome: &str) -> Summary {
        Summary {
            id,
            time: time.into(),
            destination: "salesmachine".into(),
            mode: "partner-api".into(),
            target: "sandbox".into(),
            call_type: "track".into(),
            event_name: "A".into(),
            outcome: outcome.into(),
            status_class: Some(class),
            status_text: String::new(),
            duration_ms: ms,
            duration_us: ms * 1000,
            plan: String::new(),
        }
    }

    #[test]
    fn latency_points_in_time_order_and_counts_by_class() {
        let rows = vec![
            row(
                3,
                "2026-01-02T03:04:07.500Z",
                40,
                StatusClass::ClientError,
                "requests",
            ),
            row(
                2,
                "2026-01-02T03:04:06.000Z",
                10,
                StatusClass::Success,
                "requests",
            ),
            row(
                1,
                "2026-01-02T03:04:05.000Z",
                20,
                StatusClass::Success,
                "requests",
            ),
            row(
                0,
                "2026-01-02T03:04:04.000Z",
                0,
                StatusClass::Skipped,
                "skipped",
            ),
        ];
        let d = summarize(&rows);
        let t0 = 1_767_323_045.0;
        assert_eq!(
            d.points,
            vec![[t0, 20.0], [t0 + 1.0, 10.0], [t0 + 2.5, 40.0]]
        );
        assert_eq!(
            d.counts,
            vec![
                (StatusClass::Success, 2),
                (StatusClass::ClientError, 1),
                (StatusClass::Skipped, 1)
            ]
        );
        assert_eq!((d.median_ms, d.p95_ms, d.max_ms), (20, 40, 40));
        assert_eq!(d.read, 4);
        assert_eq!(summarize(&[]), ChartData::default());
    }
}
