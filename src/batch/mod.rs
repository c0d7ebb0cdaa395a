//! Batch runs: an event set sent to one destination with bounded concurrency, each user's
//! events in order, progress to poll, cancellable, and every event's result in the history as
//! soon as it is finished.
//!
//! The window spawns a run on its runtime and reads [`BatchRun::progress`] (and the finished
//! events with [`BatchRun::try_result`]) each frame; the command line does the same from
//! `block_on`. Both get a [`BatchSummary`] at the end.
//!
//! Order: events are grouped by user (`userId`, else `anonymousId`, else the event alone), and
//! a group's events are sent one after another by one worker, so a partner sees one user's
//! identify before that user's track. Different users go in parallel, at most `concurrency`
//! events in flight.

pub mod junit;
pub mod result;
mod writer;

pub use result::{EventResult, Verdict, label};

use crate::destinations::{self, Destination, Mode, OutcomeKind, Settings, Target};
use crate::history::{Entry, History};
use crate::transport::{Cancel, Transport, TransportOptions};
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot, watch};
use writer::Writer;

pub const DEFAULT_CONCURRENCY: usize = 8;
/// More than this many sends at once would only queue inside the HTTP client.
pub const MAX_CONCURRENCY: usize = 256;

/// Called after every change of progress: the window passes its `request_repaint`.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// What to run.
pub struct BatchJob {
    pub destination: &'static dyn Destination,
    pub settings: Settings,
    pub mode: Mode,
    pub target: Target,
    pub events: Vec<Value>,
    pub options: TransportOptions,
    /// Events in flight at most (clamped to 1..=[`MAX_CONCURRENCY`]).
    pub concurrency: usize,
    pub wake: Option<Wake>,
    /// A tracking plan each event is checked against: its verdict goes into the event's
    /// history entry (the plan column). It never stops a send (see `cli::run` for failing a
    /// run on it).
    pub plan: Option<Arc<crate::plan::Plan>>,
    /// Each event's verdict against `plan`, when the caller has checked the events already
    /// (`run` checks them all before sending, for its exit code and JUnit): the batch then
    /// keeps these rather than check each event a second time. Empty: the batch checks.
    pub plan_checks: Vec<crate::plan::verdict::PlanCheck>,
}

impl BatchJob {
    /// A job with the batch defaults: three attempts per request, eight events at once.
    pub fn new(
        destination: &'static dyn Destination,
        settings: Settings,
        mode: Mode,
        target: Target,
        events: Vec<Value>,
    ) -> BatchJob {
        BatchJob {
            destination,
            settings,
            mode,
            target,
            events,
            options: TransportOptions::batch(),
            concurrency: DEFAULT_CONCURRENCY,
            wake: None,
            plan: None,
            plan_checks: Vec::new(),
        }
    }
}

/// How far a run is. `done` counts events whose result is in the history (on disk), so what
/// a progress display has shown survives a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub total: usize,
    pub done: usize,
    pub delivered: usize,
    /// Skipped and unsupported: deliberately not sent.
    pub skipped: usize,
    pub failed: usize,
    pub rejected: usize,
    pub cancelled: usize,
    /// The run has ended (all done, cancelled, or stopped by a history failure).
    pub finished: bool,
}

impl Progress {
    /// Events that are neither delivered nor deliberately skipped.
    pub fn problems(&self) -> usize {
        self.failed + self.rejected + self.cancelled
    }

    fn count(&mut self, verdict: Verdict) {
        let counter = match verdict {
            Verdict::Delivered => &mut self.delivered,
            Verdict::Skipped | Verdict::Unsupported => &mut self.skipped,
            Verdict::Failed => &mut self.failed,
            Verdict::Rejected => &mut self.rejected,
            Verdict::Cancelled => &mut self.cancelled,
            Verdict::NotRun => return,
        };
        *counter += 1;
        self.done += 1;
    }
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/{} done ({} delivered, {} skipped, {} failed, {} rejected",
            self.done, self.total, self.delivered, self.skipped, self.failed, self.rejected
        )?;
        if self.cancelled > 0 {
            write!(f, ", {} cancelled", self.cancelled)?;
        }
        write!(f, ")")
    }
}

/// The end of a run: one result per event, in the order of the set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    pub results: Vec<EventResult>,
    pub progress: Progress,
    pub elapsed_ms: u64,
    pub cancelled: bool,
    /// The history could not store a result; the run stopped there.
    pub history_error: Option<String>,
}

impl BatchSummary {
    /// Every event delivered or deliberately skipped, and every result stored.
    pub fn all_ok(&self) -> bool {
        self.history_error.is_none() && self.results.iter().all(|r| r.verdict.is_ok())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("the batch stopped without a summary (its task ended unexpectedly)")]
    Lost,
}

/// A run in progress. Dropping it does not stop the run (its results still reach the history);
/// call [`BatchRun::cancel`] for that.
pub struct BatchRun {
    progress: watch::Receiver<Progress>,
    results: mpsc::UnboundedReceiver<EventResult>,
    cancel: Cancel,
    summary: Option<oneshot::Receiver<BatchSummary>>,
}

impl BatchRun {
    /// Starts the run on `rt`. The history is moved to the run's writer (open a second
    /// connection for the window's own reads: the store is in WAL mode, so both work at once).
    pub fn spawn(
        rt: &tokio::runtime::Handle,
        job: BatchJob,
        transport: Transport,
        history: History,
    ) -> BatchRun {
        let total = job.events.len();
        let (progress_tx, progress) = watch::channel(Progress {
            total,
            ..Progress::default()
        });
        let (results_tx, results) = mpsc::unbounded_channel();
        let (summary_tx, summary) = oneshot::channel();
        let cancel = Cancel::new();
        let (writer, writer_task) = writer::start(rt, history);
        let secrets =
            destinations::kit::settings::secrets(job.destination.settings_schema(), &job.settings);
        let groups = group_by_user(&job.events);
        let shared = Arc::new(Shared {
            destination: job.destination,
            settings: job.settings,
            mode: job.mode,
            target: job.target,
            events: job.events,
            options: job.options,
            secrets,
            transport,
            queue: Mutex::new(groups.into()),
            progress: progress_tx,
            results: results_tx,
            cancel: cancel.clone(),
            history_error: Mutex::new(None),
            wake: job.wake,
            plan: job.plan,
            plan_checks: job.plan_checks,
        });
        let workers = job.concurrency.clamp(1, MAX_CONCURRENCY);
        rt.spawn(async move {
            let summary = run(shared, writer, writer_task, workers).await;
            let _ = summary_tx.send(summary);
        });
        BatchRun {
            progress,
            results,
            cancel,
            summary: Some(summary),
        }
    }

    /// The latest progress (cheap: a copy of a few counters).
    pub fn progress(&self) -> Progress {
        self.progress.borrow().clone()
    }

    /// A receiver to await progress changes on (`changed().await`).
    pub fn watch_progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// The next finished event, in the order they finished, once its entry is on disk.
    pub fn try_result(&mut self) -> Option<EventResult> {
        self.results.try_recv().ok()
    }

    /// Stops the run: requests in flight are cancelled (and recorded), no new event starts.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// A handle that cancels this run, for a Ctrl+C handler or a button.
    pub fn canceller(&self) -> Cancel {
        self.cancel.clone()
    }

    /// The summary once the run has ended (returned once); `None` while it runs.
    pub fn try_summary(&mut self) -> Option<Result<BatchSummary, BatchError>> {
        let rx = self.summary.as_mut()?;
        let got = match rx.try_recv() {
            Ok(s) => Ok(s),
            Err(oneshot::error::TryRecvError::Empty) => return None,
            Err(oneshot::error::TryRecvError::Closed) => Err(BatchError::Lost),
        };
        self.summary = None;
        Some(got)
    }

    /// Waits for the end of the run.
    pub async fn finish(mut self) -> Result<BatchSummary, BatchError> {
        match self.summary.take() {
            Some(rx) => rx.await.map_err(|_| BatchError::Lost),
            None => Err(BatchError::Lost),
        }
    }
}

/// What every worker of a run shares.
struct Shared {
    destination: &'static dyn Destination,
    settings: Settings,
    mode: Mode,
    target: Target,
    events: Vec<Value>,
    options: TransportOptions,
    secrets: Vec<String>,
    transport: Transport,
    /// Each user's event indexes, in the order the users first appear.
    queue: Mutex<VecDeque<Vec<usize>>>,
    progress: watch::Sender<Progress>,
    results: mpsc::UnboundedSender<EventResult>,
    cancel: Cancel,
    history_error: Mutex<Option<String>>,
    wake: Option<Wake>,
    plan: Option<Arc<crate::plan::Plan>>,
    plan_checks: Vec<crate::plan::verdict::PlanCheck>,
}

impl Shared {
    fn event(&self, index: usize) -> &Value {
        static NULL: Value = Value::Null;
        self.events.get(index).unwrap_or(&NULL)
    }

    fn next_group(&self) -> Option<Vec<usize>> {
        lock(&self.queue).pop_front()
    }

    fn wake(&self) {
        if let Some(w) = &self.wake {
            w();
        }
    }
}

async fn run(
    shared: Arc<Shared>,
    writer: Writer,
    writer_task: tokio::task::JoinHandle<()>,
    workers: usize,
) -> BatchSummary {
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let s = shared.clone();
        let w = writer.clone();
        tasks.spawn(async move { work(&s, &w).await });
    }
    // The writer ends once the workers' copies and this one are gone.
    drop(writer);
    let mut slots: Vec<Option<EventResult>> = vec![None; shared.events.len()];
    while let Some(joined) = tasks.join_next().await {
        // A worker that panicked (a bug) loses only its own events; they count as not run.
        for r in joined.unwrap_or_default() {
            let i = r.index;
            if let Some(slot) = slots.get_mut(i) {
                *slot = Some(r);
            }
        }
    }
    let _ = writer_task.await;
    let cancelled = shared.cancel.is_cancelled();
    let history_error = lock(&shared.history_error).clone();
    let why = if history_error.is_some() {
        "the run stopped: the history could not store a result"
    } else if cancelled {
        "the run was cancelled before this event"
    } else {
        "the run stopped before this event"
    };
    let results: Vec<EventResult> = slots
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.unwrap_or_else(|| EventResult::not_run(i, shared.event(i), why)))
        .collect();
    shared.progress.send_modify(|p| p.finished = true);
    shared.wake();
    BatchSummary {
        results,
        progress: shared.progress.borrow().clone(),
        elapsed_ms: u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX),
        cancelled,
        history_error,
    }
}

/// Events one worker may have sent whose entries are still waiting for the disk. Waiting for
/// each commit (an fsync, milliseconds on many disks) before the next send would make the
/// disk, not the partner, set the pace: with eight workers, at most eight entries per commit.
/// Sending on while earlier entries are committed lets the writer commit many at once; the
/// bound makes a slow disk hold the workers back rather than fill memory.
const AHEAD: usize = 16;

/// One worker: takes a user's events and sends them in order, until no user is left or the
/// run is cancelled. Each event is counted and reported once its entry is on disk, in order.
async fn work(s: &Shared, writer: &Writer) -> Vec<EventResult> {
    let (sent_tx, mut sent_rx) = mpsc::channel::<(EventResult, writer::Pending)>(AHEAD);
    let send = async move {
        'users: while !s.cancel.is_cancelled() {
            let Some(group) = s.next_group() else { break };
            for index in group {
                if s.cancel.is_cancelled() {
                    break 'users;
                }
                if let Some(sent) = send_one(s, writer, index).await
                    && sent_tx.send(sent).await.is_err()
                {
                    break 'users;
                }
            }
        }
    };
    let record = async {
        let mut out = Vec::new();
        while let Some((result, pending)) = sent_rx.recv().await {
            out.push(record(s, result, pending).await);
        }
        out
    };
    tokio::join!(send, record).1
}

/// Translates and sends one event and hands its entry to the writer. `None` when the run was
/// cancelled before anything of it was sent: such an event is "not run", like those never
/// started.
async fn send_one(
    s: &Shared,
    writer: &Writer,
    index: usize,
) -> Option<(EventResult, writer::Pending)> {
    let event = s.event(index);
    let now = Utc::now();
    let outcome =
        destinations::translate(s.destination, event, &s.settings, s.mode, &s.target, now);
    let report = match outcome.kind {
        OutcomeKind::Requests => {
            let report = s
                .transport
                .send_event(&outcome.requests, &s.options, &s.cancel)
                .await;
            let nothing_sent = report.exchanges.iter().all(|e| e.attempts.is_empty());
            if nothing_sent && s.cancel.is_cancelled() {
                return None;
            }
            Some(report)
        }
        _ => None,
    };
    let result = EventResult::of(index, event, &outcome, report.as_ref());
    let mut entry = Entry::record_owned(
        s.destination.id(),
        s.mode,
        &s.target,
        event,
        &outcome,
        report,
        &s.secrets,
        now,
    );
    entry.plan = s.plan.as_ref().map(|p| match s.plan_checks.get(index) {
        Some(known) => known.clone(),
        None => p.verdict(event),
    });
    Some((result, writer.submit(&entry)))
}

/// Once the event's entry is committed (or could not be): counts it and reports it.
async fn record(s: &Shared, mut result: EventResult, pending: writer::Pending) -> EventResult {
    match pending.committed().await {
        Ok(id) => {
            result.history_id = Some(id);
            s.progress.send_modify(|p| p.count(result.verdict));
        }
        Err(e) => {
            // Sending on without recording would break the promise that every send is in
            // the history: stop the run and say why.
            let mut first = lock(&s.history_error);
            if first.is_none() {
                *first = Some(e.clone());
            }
            drop(first);
            s.cancel.cancel();
            let note = format!("not recorded in the history: {e}");
            result.error = Some(match result.error.take() {
                Some(before) => format!("{before}; {note}"),
                None => note,
            });
        }
    }
    let _ = s.results.send(result.clone());
    s.wake();
    result
}

/// A poisoned lock only means a worker panicked mid-update; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Who an event belongs to, for ordering.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum UserKey {
    User(String),
    Anonymous(String),
    Alone(usize),
}

fn user_key(event: &Value, index: usize) -> UserKey {
    let id = |key: &str| match event.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if let Some(u) = id("userId") {
        UserKey::User(u)
    } else if let Some(a) = id("anonymousId") {
        UserKey::Anonymous(a)
    } else {
        UserKey::Alone(index)
    }
}

/// Event indexes grouped by user, each group in the set's order, groups in the order their
/// first event appears.
fn group_by_user(events: &[Value]) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut by_key: HashMap<UserKey, usize> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let key = user_key(e, i);
        match by_key.get(&key) {
            Some(&g) => {
                if let Some(group) = groups.get_mut(g) {
                    group.push(i);
                }
            }
            None => {
                by_key.insert(key, groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_group_by_user_then_anonymous_id_then_alone() {
        let events = vec![
            json!({"userId": "u1", "anonymousId": "a1"}),
            json!({"anonymousId": "a1"}),
            json!({"userId": "u2"}),
            json!({}),
            json!({"userId": "u1"}),
            json!({"userId": ""}),
            json!({"anonymousId": "a1", "userId": null}),
            json!({"userId": 7}),
            json!("not an object"),
            json!({"userId": "7"}),
        ];
        assert_eq!(
            group_by_user(&events),
            vec![
                vec![0, 4],
                vec![1, 6],
                vec![2],
                vec![3],
                vec![5],
                vec![7, 9],
                vec![8],
            ]
        );
    }

    #[test]
    fn progress_counts_each_verdict() {
        let mut p = Progress {
            total: 7,
            ..Progress::default()
        };
        for v in [
            Verdict::Delivered,
            Verdict::Skipped,
            Verdict::Unsupported,
            Verdict::Failed,
            Verdict::Rejected,
            Verdict::Cancelled,
            Verdict::NotRun,
        ] {
            p.count(v);
        }
        assert_eq!(
            (
                p.done,
                p.delivered,
                p.skipped,
                p.failed,
                p.rejected,
                p.cancelled
            ),
            (6, 1, 2, 1, 1, 1)
        );
        assert_eq!(p.problems(), 3);
        assert_eq!(
            p.to_string(),
            "6/7 done (1 delivered, 2 skipped, 1 failed, 1 rejected, 1 cancelled)"
        );
    }
}
