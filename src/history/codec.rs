//! How an entry's record is stored: its JSON, compressed with zstd and a dictionary.
//!
//! Why zstd: a maintained codec (the `zstd` crate over the reference C library) that shrinks
//! these small JSON documents 3-5x at a few microseconds each, and decompresses faster still,
//! which a search confirming candidates (see `index`) does for each one it looks at.
//!
//! Why a dictionary: a record is a few kilobytes, too little for zstd to learn its shape (the
//! same keys, headers and replies in every entry) from the record alone. Primed with records
//! like it (`assets/history.zdict`, made by `scripts/history-dictionary.sh` from the fixtures'
//! events through every destination), zstd packs a record about four times faster and several
//! times smaller. Each packed record names its dictionary (zstd's dictionary id in the frame):
//! records from before the dictionary, which name none, read as they always did. A shipped
//! dictionary is kept for good: a new one would go beside it, picked by that id.

use std::cell::RefCell;
use std::io::Read;
use std::num::NonZeroU32;
use std::sync::OnceLock;
use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// zstd's default level: most of the gain of the higher ones at a fraction of their time, as
/// the writer compresses thousands of records a second.
const LEVEL: i32 = 3;

/// The dictionary records are packed with.
static DICTIONARY: &[u8] = include_bytes!("../../assets/history.zdict");

/// [`DICTIONARY`] prepared for packing, made once for all threads; `None` should zstd refuse
/// it (records are then packed without one, which reads back all the same).
fn encoder_dictionary() -> Option<&'static EncoderDictionary<'static>> {
    static PREPARED: OnceLock<Option<EncoderDictionary<'static>>> = OnceLock::new();
    PREPARED
        .get_or_init(|| EncoderDictionary::try_copy(DICTIONARY, LEVEL).ok())
        .as_ref()
}

fn decoder_dictionary() -> Option<&'static DecoderDictionary<'static>> {
    static PREPARED: OnceLock<Option<DecoderDictionary<'static>>> = OnceLock::new();
    PREPARED
        .get_or_init(|| DecoderDictionary::try_copy(DICTIONARY).ok())
        .as_ref()
}

/// The id a record packed with [`DICTIONARY`] carries.
fn dictionary_id() -> Option<NonZeroU32> {
    zstd::zstd_safe::get_dict_id_from_dict(DICTIONARY)
}

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
            *c = Some(match encoder_dictionary() {
                Some(d) => zstd::bulk::Compressor::with_prepared_dictionary(d)?,
                None => zstd::bulk::Compressor::new(LEVEL)?,
            });
        }
        match c.as_mut() {
            Some(c) => c.compress(json),
            None => zstd::bulk::compress(json, LEVEL),
        }
    })
}

/// The JSON of a stored record.
pub fn unpack(stored: &[u8]) -> std::io::Result<Vec<u8>> {
    let Some(id) = zstd::zstd_safe::get_dict_id_from_frame(stored) else {
        // Packed without a dictionary (before there was one), or not zstd at all, which
        // zstd then says.
        return zstd::stream::decode_all(stored);
    };
    match decoder_dictionary() {
        Some(d) if Some(id) == dictionary_id() => {
            let mut json = Vec::with_capacity(stored.len() * 4);
            zstd::stream::read::Decoder::with_prepared_dictionary(stored, d)?
                .read_to_end(&mut json)?;
            Ok(json)
        }
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the record was packed with zstd dictionary {id}, which this console lacks"),
        )),
    }
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

    /// A record as the history stores one: a sent track event, its request and reply.
    fn record() -> Vec<u8> {
        serde_json::json!({
            "destination": "salesmachine", "mode": "partner-api", "target": "sandbox",
            "call_type": "track", "event_name": "Order Completed",
            "event": {"type": "track", "event": "Order Completed", "userId": "u_81",
                      "properties": {"order_id": "ord_81", "revenue": 120.5}},
            "exchanges": [{"request": {"method": "POST",
                "url": "http://127.0.0.1:7311/salesmachine/v1/track/event",
                "headers": [["content-type", "application/json"]],
                "body": "{\"contact_uid\":\"u_81\",\"event_uid\":\"Order Completed\"}"},
              "attempts": [{"status": 200, "body": {"text": "{\"status\":\"ok\"}"}}]}]
        })
        .to_string()
        .into_bytes()
    }

    #[test]
    fn records_are_packed_with_the_dictionary_and_read_back() {
        let json = record();
        let packed = pack(&json).unwrap();
        let id = zstd::zstd_safe::get_dict_id_from_frame(&packed);
        assert!(id.is_some(), "the frame names its dictionary");
        assert_eq!(id, dictionary_id());
        assert_eq!(unpack(&packed).unwrap(), json);
        // The dictionary is why: without it the same record packs larger.
        let plain = zstd::bulk::compress(&json, LEVEL).unwrap();
        assert!(
            packed.len() * 2 < plain.len(),
            "{} with the dictionary, {} without",
            packed.len(),
            plain.len()
        );
    }

    #[test]
    fn records_packed_before_the_dictionary_still_read() {
        let json = record();
        let old = zstd::bulk::compress(&json, LEVEL).unwrap();
        assert_eq!(zstd::zstd_safe::get_dict_id_from_frame(&old), None);
        assert_eq!(unpack(&old).unwrap(), json);
    }

    #[test]
    fn a_record_packed_with_an_unknown_dictionary_says_so() {
        // A dictionary of some later console: this one's with another id (bytes 4-7, after
        // the magic number).
        let mut other = DICTIONARY.to_vec();
        other[4..8].copy_from_slice(&7u32.to_le_bytes());
        assert_ne!(
            zstd::zstd_safe::get_dict_id_from_dict(&other),
            dictionary_id()
        );
        let packed = zstd::bulk::Compressor::with_dictionary(LEVEL, &other)
            .unwrap()
            .compress(&record())
            .unwrap();
        let e = unpack(&packed).unwrap_err();
        assert!(e.to_string().contains("zstd dictionary"), "{e}");
    }
}
