//! How an entry's record is stored: its JSON, compressed with zstd.
//!
//! Why zstd: a maintained codec (the `zstd` crate over the reference C library) that shrinks
//! these small JSON documents 3-5x at a few microseconds each, and decompresses faster still,
//! which a search confirming candidates (see `index`) does for each one it looks at.

use std::cell::RefCell;

/// zstd's default level: most of the gain of the higher ones at a fraction of their time, as
/// the writer compresses thousands of records a second.
const LEVEL: i32 = 3;

thread_local! {
    // One compression context per thread, reused: creating one costs more than compressing a
    // small record.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
}

/// The record's JSON, compressed.
pub fn pack(json: &[u8]) -> std::io::Result<Vec<u8>> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = Some(zstd::bulk::Compressor::new(LEVEL)?);
        }
        match c.as_mut() {
            Some(c) => c.compress(json),
            None => zstd::bulk::compress(json, LEVEL),
        }
    })
}

/// The JSON of a stored record.
pub fn unpack(stored: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::stream::decode_all(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_comes_back_smaller_when_packed() {
        let json = serde_json::json!({"items": vec!["the same words again"; 50]}).to_string();
        let packed = pack(json.as_bytes()).unwrap();
        assert!(
            packed.len() * 5 < json.len(),
            "{} -> {}",
            json.len(),
            packed.len()
        );
        assert_eq!(unpack(&packed).unwrap(), json.as_bytes());
        assert!(unpack(b"not zstd").is_err());
    }
}
