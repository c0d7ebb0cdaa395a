//! The batch's one history writer: the history's group commits (`history::group`) on their own
//! thread, ended through the runtime's blocking pool so that the run can await it.
//!
//! Why one owner rather than opening the store in each send task: the store (a rusqlite
//! connection) may move between threads but not be shared, and every commit waits for an fsync
//! (synchronous=FULL), which must not block the async workers that keep the other sends
//! moving. Entries queued during one fsync share the next commit: a batch of thousands of
//! events costs a few hundred fsyncs, not thousands, and still no event is reported before its
//! entry is on disk.

use crate::history::History;
use crate::history::group;
use tokio::task::JoinHandle;

pub use group::{Pending, Recorder as Writer};

/// Starts the writer; the handle ends once every [`Writer`] is dropped and what they handed
/// over is committed.
pub fn start(rt: &tokio::runtime::Handle, history: History) -> (Writer, JoinHandle<()>) {
    let (writer, thread) = group::start(history);
    let task = rt.spawn_blocking(move || {
        let _ = thread.finish();
    });
    (writer, task)
}
