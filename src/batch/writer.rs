//! The batch's one history writer.
//!
//! Why one owner on a blocking thread, rather than opening the store in each send task: the
//! store (`History`, a rusqlite connection) may move between threads but not be shared, and
//! every commit waits for an fsync (synchronous=FULL), which must not block the async workers
//! that keep the other sends moving. One owner serialises the writes without a lock, and lets
//! writes that queue up during one fsync share the next commit (a group commit): a batch of
//! thousands of events costs a few hundred fsyncs, not thousands, and still no event is
//! reported before its entry is on disk.

use crate::history::{Entry, History};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Entries committed together at most, so that one commit stays short.
const GROUP_MAX: usize = 256;

/// The entry's id once committed, or why it could not be stored.
pub type Ack = Result<i64, String>;

struct Job {
    entry: Entry,
    ack: oneshot::Sender<Ack>,
}

/// Hands entries to the writer; cheap to clone, one per send task.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer on the runtime's blocking threads. It ends once every [`Writer`] is
    /// dropped and what they sent is committed; await the handle to know that moment.
    pub fn start(rt: &tokio::runtime::Handle, mut history: History) -> (Writer, JoinHandle<()>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
        let task = rt.spawn_blocking(move || {
            while let Some(first) = rx.blocking_recv() {
                let mut jobs = vec![first];
                while jobs.len() < GROUP_MAX {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let (entries, acks): (Vec<Entry>, Vec<oneshot::Sender<Ack>>) =
                    jobs.into_iter().map(|j| (j.entry, j.ack)).unzip();
                match history.append_all(&entries) {
                    Ok(ids) => {
                        for (ack, id) in acks.into_iter().zip(ids) {
                            let _ = ack.send(Ok(id));
                        }
                    }
                    Err(e) => {
                        let text = e.to_string();
                        for ack in acks {
                            let _ = ack.send(Err(text.clone()));
                        }
                    }
                }
            }
        });
        (Writer { tx }, task)
    }

    /// Hands the entry to the writer at once; [`Pending::committed`] resolves once it is on
    /// disk. The caller may go on sending meanwhile, so that entries queued by many sends share
    /// one commit.
    pub fn submit(&self, entry: Entry) -> Pending {
        let (ack, done) = oneshot::channel();
        // A writer that has stopped drops the job and its `ack` with it: `committed` says so.
        let _ = self.tx.send(Job { entry, ack });
        Pending(done)
    }
}

/// An entry handed to the writer, not yet known to be committed.
pub struct Pending(oneshot::Receiver<Ack>);

impl Pending {
    pub async fn committed(self) -> Ack {
        self.0
            .await
            .unwrap_or_else(|_| Err("the history writer stopped before storing the entry".into()))
    }
}
