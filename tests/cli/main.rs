//! The command line end to end: the real binary's `translate`, `run` and `history` commands,
//! their output, exit codes, history, exports and JUnit report.

#[path = "../support/mod.rs"]
mod support;

mod capture;
mod exports;
mod plan;
mod run;
mod translate;
