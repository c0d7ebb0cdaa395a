//! The command line end to end: the real binary's `translate` and `run` commands, their output,
//! exit codes, history and JUnit report.

#[path = "../support/mod.rs"]
mod support;

mod run;
mod translate;
