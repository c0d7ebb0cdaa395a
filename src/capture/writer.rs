//! Capture's one history writer: the entries of each request are committed in one transaction
//! before the SDK gets its 200 (docs/capture.md: a 200 means nothing is lost).
//!
//! Why one owner on a blocking thread: the store is a SQLite connection that must not be
//! shared, and each commit waits for an fsync that must not block the server's async workers.
//! Requests that arrive during one fsync are committed together in the next transaction (a
//! group commit), so many SDKs posting at once cost one fsync per group, not one per request;
//! each request's entries still go in whole or not at all.
//!
//! Entries are encoded by the request's own task, and stored with their search text left for
//! the index to take while no request waits (`History::record_encoded`): the writer's time
//! goes to what the SDKs are waiting for.

use crate::history::{Encoded, Entry, History, group};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Entries committed together at most, so that one commit stays short.
const GROUP_MAX: usize = 4_096;

type Ack = Result<Vec<i64>, String>;

struct Job {
    entries: Vec<Encoded>,
    ack: oneshot::Sender<Ack>,
}

#[derive(Clone)]
pub struct Writer {
    // A std channel: sending never blocks (it is unbounded), and the writer's thread can wait
    // on it with a timeout, to index while no request comes (`group::next_job`).
    tx: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer on a thread of its own; it ends once every [`Writer`] is dropped and
    /// what they sent is committed (the returned handle joins it).
    pub fn start(mut history: History) -> std::io::Result<(Writer, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("capture-history".into())
            .spawn(move || {
                while let Some(first) = group::next_job(&mut history, &rx) {
                    let mut size = first.entries.len();
                    let mut jobs = vec![first];
                    while size < GROUP_MAX {
                        match rx.try_recv() {
                            Ok(job) => {
                                size += job.entries.len();
                                jobs.push(job);
                            }
                            Err(_) => break,
                        }
                    }
                    commit(&mut history, jobs);
                }
            })?;
        Ok((Writer { tx }, thread))
    }

    /// Commits the entries (in one transaction, perhaps with other requests' entries) and
    /// returns their ids once they are on disk.
    pub async fn commit(&self, entries: Vec<Entry>) -> Ack {
        let entries = entries
            .iter()
            .map(Encoded::new)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let (ack, done) = oneshot::channel();
        self.tx
            .send(Job { entries, ack })
            .map_err(|_| "the history writer has stopped".to_string())?;
        done.await
            .unwrap_or_else(|_| Err("the history writer stopped before storing the events".into()))
    }
}

fn commit(history: &mut History, jobs: Vec<Job>) {
    let sizes: Vec<usize> = jobs.iter().map(|j| j.entries.len()).collect();
    let (entries, acks): (Vec<Vec<Encoded>>, Vec<oneshot::Sender<Ack>>) =
        jobs.into_iter().map(|j| (j.entries, j.ack)).unzip();
    let all: Vec<Encoded> = entries.into_iter().flatten().collect();
    match history.record_encoded(&all) {
        Ok(ids) => {
            let mut ids = ids.into_iter();
            for (ack, n) in acks.into_iter().zip(sizes) {
                let _ = ack.send(Ok(ids.by_ref().take(n).collect()));
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
