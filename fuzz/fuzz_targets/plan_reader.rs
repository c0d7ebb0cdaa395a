//! Any bytes as a tracking plan and as events checked against it and drafted.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::plan_reader(data));
