//! Any bytes, read as an event (or as {"event", "settings"}), through the skalin translator.
#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::translate("skalin", data));
