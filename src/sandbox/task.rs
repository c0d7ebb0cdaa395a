//! A server running as a task on the caller's runtime, stopped gracefully: the sandbox and
//! capture both serve axum this way.

use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The serving task and the signal that stops it; dropping it stops the server too.
pub struct ServerTask {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    /// How long requests in flight may take to finish before the task is aborted.
    grace: Duration,
}

impl ServerTask {
    pub fn new(stop: oneshot::Sender<()>, task: JoinHandle<()>, grace: Duration) -> ServerTask {
        ServerTask {
            stop: Some(stop),
            task: Some(task),
            grace,
        }
    }

    /// Stops accepting, lets requests in flight finish (within the grace), and returns once
    /// the port is free.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(self.grace, &mut task).await.is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
