//! One send from the window, from the click to its report. The state owns what a send in
//! flight needs: its ticket (a reply that comes back for an earlier, cancelled send carries an
//! older ticket and is ignored) and its cancel handle.

use crate::transport::{Cancel, Ending, SendReport, TransportError};
use std::time::Instant;

#[derive(Debug, Default)]
pub enum Send {
    /// Nothing sent yet in this window.
    #[default]
    Idle,
    Sending {
        ticket: u64,
        cancel: Cancel,
        started: Instant,
    },
    /// Every request sent got a complete HTTP reply (of any status).
    Done {
        report: SendReport,
    },
    /// A request got no complete reply: refused, dropped, timed out, cut off.
    Failed {
        error: TransportError,
        report: SendReport,
    },
    Cancelled {
        report: SendReport,
    },
}

impl Send {
    /// Starts a send with a new ticket, and returns that ticket and its cancel handle for the
    /// background work.
    pub fn start(&mut self) -> (u64, Cancel) {
        // Tickets are unique in the process, so a reply is never taken for another send's.
        let ticket = TICKETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let cancel = Cancel::new();
        *self = Send::Sending {
            ticket,
            cancel: cancel.clone(),
            started: Instant::now(),
        };
        (ticket, cancel)
    }

    /// Takes in the report of the send with `ticket`; false (and nothing changes) when that is
    /// not the send in flight.
    pub fn finish(&mut self, ticket: u64, report: SendReport) -> bool {
        if !matches!(self, Send::Sending { ticket: t, .. } if *t == ticket) {
            return false;
        }
        *self = match report.ending() {
            Ending::Answered => Send::Done { report },
            Ending::Failed(error) => Send::Failed { error, report },
            Ending::Cancelled => Send::Cancelled { report },
        };
        true
    }

    /// Asks the send in flight to stop; false when none is.
    pub fn cancel(&self) -> bool {
        match self {
            Send::Sending { cancel, .. } => {
                cancel.cancel();
                true
            }
            _ => false,
        }
    }

    pub fn is_busy(&self) -> bool {
        matches!(self, Send::Sending { .. })
    }

    /// When the send in flight began.
    pub fn started(&self) -> Option<Instant> {
        match self {
            Send::Sending { started, .. } => Some(*started),
            _ => None,
        }
    }

    /// The report of the last finished send.
    pub fn report(&self) -> Option<&SendReport> {
        match self {
            Send::Done { report } | Send::Failed { report, .. } | Send::Cancelled { report } => {
                Some(report)
            }
            Send::Idle | Send::Sending { .. } => None,
        }
    }
}

/// The last ticket handed out.
static TICKETS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> SendReport {
        SendReport {
            started: chrono::Utc::now(),
            elapsed_ms: 0,
            elapsed_us: 0,
            exchanges: Vec::new(),
        }
    }

    #[test]
    fn a_send_goes_from_idle_to_done_and_ignores_stale_replies() {
        let mut s = Send::default();
        assert!(!s.is_busy() && s.report().is_none() && !s.cancel());
        let (first, _) = s.start();
        let (second, cancel) = s.start();
        assert!(second > first);
        assert!(s.is_busy() && s.started().is_some());
        assert!(
            !s.finish(first, report()),
            "an earlier send's reply is ignored"
        );
        assert!(s.is_busy());
        assert!(s.cancel() && cancel.is_cancelled());
        assert!(s.finish(second, report()));
        assert!(!s.is_busy() && s.report().is_some());
        assert!(!s.finish(second, report()), "a send finishes once");
    }
}
