//! Group commits: one writer thread owns the store, and entries handed to it by any number of
//! senders while it waits for the disk go into its next transaction together. A commit costs an
//! fsync (synchronous=FULL), so one per entry caps a store at a few hundred entries a second;
//! one per group costs the same fsync for hundreds.
//!
//! Nothing is reported as stored before it is on disk: each sender holds a [`Pending`] that
//! resolves with the entry's id only once the transaction that holds it has committed.
//!
//! Senders encode their entries themselves (JSON, compression, search text: see
//! [`Encoded`]), on their own threads, so the writer only inserts.

use super::{Encoded, Entry, History};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::oneshot;

/// Entries committed together at most, so that one commit stays short.
const GROUP_MAX: usize = 1024;
/// While entries flow, a group waits up to `LINGER` to hold `LINGER_GROUP` of them, in naps
/// of `LINGER_GAP`, as long as each nap brings more.
const LINGER: Duration = Duration::from_millis(2);
const LINGER_GAP: Duration = Duration::from_micros(300);
const LINGER_GROUP: usize = 64;

/// The entry's id once committed, or why it could not be stored.
pub type Ack = Result<i64, String>;

struct Job {
    entry: Encoded,
    ack: oneshot::Sender<Ack>,
}

/// Hands entries to the writer; cheap to clone, one per sender.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Job>,
}

/// The writer's thread: [`WriterThread::finish`] waits until every [`Recorder`] is gone and
/// what they handed over is committed, and gives the store back.
pub struct WriterThread(Result<JoinHandle<History>, String>);

impl WriterThread {
    pub fn finish(self) -> Result<History, String> {
        self.0?
            .join()
            .map_err(|_| "the history writer stopped unexpectedly".to_string())
    }
}

/// Starts the writer over `history`. Should the thread not start, every entry handed over is
/// answered "the writer stopped" and [`WriterThread::finish`] says why.
pub fn start(history: History) -> (Recorder, WriterThread) {
    let (tx, rx) = mpsc::channel::<Job>();
    let thread = std::thread::Builder::new()
        .name("segment-console-history-writer".into())
        .spawn(move || write_groups(history, rx))
        .map_err(|e| format!("the history writer could not start: {e}"));
    (Recorder { tx }, WriterThread(thread))
}

fn write_groups(mut history: History, rx: mpsc::Receiver<Job>) -> History {
    let mut entries = Vec::with_capacity(GROUP_MAX);
    let mut acks = Vec::with_capacity(GROUP_MAX);
    while let Some(first) = next_job(&mut history, &rx) {
        entries.push(first.entry);
        acks.push(first.ack);
        // Whatever queued up meanwhile (during the last commit's fsync) goes in this one.
        take_queued(&rx, &mut entries, &mut acks);
        // Entries are flowing (more than one was waiting): wait a moment for more, so that
        // a commit's fixed cost (the fsync, and the last page of every index written again)
        // is shared by more of them. Only while they keep coming: senders that wait for their
        // acknowledgements before sending more (a bounded window) stop, and waiting on would
        // only idle everyone. A lone entry (a single send) is committed at once.
        if entries.len() > 1 {
            // The writer naps instead of waiting on the queue: a sender handing over an entry
            // then has no sleeping writer to wake (a system call on each side, per entry),
            // and what came during the nap is taken at once.
            let until = std::time::Instant::now() + LINGER;
            while entries.len() < LINGER_GROUP {
                let left = until.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    break;
                }
                std::thread::sleep(LINGER_GAP.min(left));
                let before = entries.len();
                take_queued(&rx, &mut entries, &mut acks);
                if entries.len() == before {
                    break;
                }
            }
        }
        match history.record_encoded(&entries) {
            Ok(ids) => {
                for (ack, id) in acks.drain(..).zip(ids) {
                    let _ = ack.send(Ok(id));
                }
            }
            Err(e) => {
                let text = e.to_string();
                for ack in acks.drain(..) {
                    let _ = ack.send(Err(text.clone()));
                }
            }
        }
        entries.clear();
    }
    history
}

/// Moves what waits in the queue into the group, up to [`GROUP_MAX`], without waiting.
fn take_queued(
    rx: &mpsc::Receiver<Job>,
    entries: &mut Vec<Encoded>,
    acks: &mut Vec<oneshot::Sender<Ack>>,
) {
    while entries.len() < GROUP_MAX {
        match rx.try_recv() {
            Ok(job) => {
                entries.push(job.entry);
                acks.push(job.ack);
            }
            Err(_) => break,
        }
    }
}

/// How long the queue stays empty before the writer takes to indexing: entries arrive within
/// a few milliseconds of each other while a batch or a capture runs.
const IDLE_AFTER: Duration = Duration::from_millis(20);

/// The next job for a writer over `history`, `None` once every sender is gone. Entries are
/// recorded with their search text left for the index (`History::record_encoded`); the writer
/// indexes them here, a little at a time, once its queue has been quiet for [`IDLE_AFTER`],
/// so that indexing takes no time from a run or a capture that is still sending. What is
/// left when the senders go stays on disk for the next writer or the window to index (a search
/// finds it meanwhile): a `run` ends when its entries are stored, not indexed.
pub fn next_job<T>(history: &mut History, rx: &mpsc::Receiver<T>) -> Option<T> {
    let mut quiet = false;
    loop {
        if !history.index_due() {
            return rx.recv().ok();
        }
        match rx.recv_timeout(if quiet { Duration::ZERO } else { IDLE_AFTER }) {
            Ok(job) => return Some(job),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                history.index_step();
                quiet = true;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => return None,
        }
    }
}

impl Recorder {
    /// Encodes the entry here, on the caller's thread, and hands it to the writer; the
    /// [`Pending`] resolves once it is on disk. The caller may go on meanwhile, so that entries
    /// from many senders share one commit.
    pub fn submit(&self, entry: &Entry) -> Pending {
        let (ack, done) = oneshot::channel();
        match Encoded::new(entry) {
            Ok(entry) => {
                // A writer that has stopped drops the job and its `ack` with it: `Pending`
                // says so.
                let _ = self.tx.send(Job { entry, ack });
            }
            Err(e) => {
                let _ = ack.send(Err(e.to_string()));
            }
        }
        Pending(done)
    }

    /// Stores the entry and waits until it is on disk: its id. Blocks the calling thread (not
    /// for async code: use [`Recorder::submit`] and [`Pending::committed`]).
    pub fn record(&self, entry: &Entry) -> Ack {
        self.submit(entry).wait()
    }
}

/// An entry handed to the writer, not yet known to be committed.
pub struct Pending(oneshot::Receiver<Ack>);

const STOPPED: &str = "the history writer stopped before storing the entry";

impl Pending {
    pub async fn committed(self) -> Ack {
        self.0.await.unwrap_or_else(|_| Err(STOPPED.into()))
    }

    /// Blocks until the entry is committed (not from async code).
    pub fn wait(self) -> Ack {
        self.0
            .blocking_recv()
            .unwrap_or_else(|_| Err(STOPPED.into()))
    }
}
