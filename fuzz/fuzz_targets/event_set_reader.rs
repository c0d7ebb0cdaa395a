//! Any bytes as an event-set file: read, validated, saved and read back.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::event_set_reader(data));
