//! End to end over loopback: the real translators, the real transport and the real sandbox
//! (every destination, refusals, faults, history and its exports), the transport against small
//! servers of its own, batch runs (order, concurrency, cancellation, retries under a failure
//! rate), and partners' official clients pointed at the sandbox.

#[path = "../support/mod.rs"]
mod support;

mod batch;
mod batch_faults;
mod big_reply;
mod capture_sdks;
mod capture_wire;
mod destinations;
mod faults;
mod history_export;
mod official_clients;
mod refusals;
mod transport;
