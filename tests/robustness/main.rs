//! Robustness: hostile input into the library's entry points, hostile files at every door that
//! reads one, the fuzzers' kept inputs replayed, and saves killed mid-write never leaving a
//! half-written file; and the source's layout rules (no import circle, layers).

#[path = "../support/mod.rs"]
mod support;

mod architecture;
mod crash_saves;
mod fuzz_corpus;
mod hostile_files;
mod hostile_input;
