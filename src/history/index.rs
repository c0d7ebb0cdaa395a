//! Text search over the history: what goes into the index, how a search is put to it, and the
//! check that confirms each candidate.
//!
//! The index is an FTS5 trigram index without positions (`detail=none`): it records which
//! entries hold each three-character sequence, not where, which makes it a fraction of the
//! size of one with positions (the old store's index was most of its 10 KB per entry). It can
//! then only say that an entry holds every trigram of the text searched for, not that they
//! stand together, so each candidate is confirmed by [`contains`], which looks for the text
//! itself in the entry's stored record.

use memchr::memmem::Finder;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Error};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The SQL function that confirms a candidate: `history_contains(record, needle)`, where
/// `needle` is the lowercased text searched for.
pub const CONTAINS_FN: &str = "history_contains";

/// The SQL function that does for an entry waiting for the index what the index does:
/// `history_trigrams(search_text, text)` is true when the entry's (lowercased) search text
/// holds every trigram that [`trigram_query`] would ask the index for.
pub const TRIGRAMS_FN: &str = "history_trigrams";

/// Trigrams of one search put to the index at most: enough to make it selective, while a long
/// pasted text does not make the index walk hundreds of lists (the check confirms the rest).
const MAX_TRIGRAMS: usize = 16;

/// The index query for `text` (three characters or more): every distinct trigram, quoted so
/// that the query language reads none of them, all required.
pub fn trigram_query(text: &str) -> String {
    trigrams(text)
        .iter()
        .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The distinct trigrams of `text`, lowercased, at most [`MAX_TRIGRAMS`] of them.
fn trigrams(text: &str) -> Vec<String> {
    let lowered = text.to_lowercase();
    let chars: Vec<char> = lowered.chars().collect();
    let mut grams: Vec<String> = Vec::new();
    for w in chars.windows(3) {
        let g: String = w.iter().collect();
        if !grams.contains(&g) {
            grams.push(g);
        }
    }
    // Spread over the whole text when it has more than the index is asked for.
    if grams.len() > MAX_TRIGRAMS {
        (0..MAX_TRIGRAMS)
            .map(|i| grams[i * (grams.len() - 1) / (MAX_TRIGRAMS - 1)].clone())
            .collect()
    } else {
        grams
    }
}

/// Registers [`CONTAINS_FN`] and [`TRIGRAMS_FN`] on a connection.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function(CONTAINS_FN, 2, flags, contains_fn)?;
    conn.create_scalar_function(TRIGRAMS_FN, 2, flags, trigrams_fn)
}

/// The finders of a searched text's trigrams, and which of them failed last: an entry without
/// the text most often lacks the same rare trigram as the entry before it, so that one is
/// looked for first (one pass over the entry's text instead of one per common trigram).
struct Grams {
    finders: Vec<Finder<'static>>,
    first: AtomicUsize,
}

fn trigrams_fn(ctx: &Context<'_>) -> rusqlite::Result<bool> {
    // The text searched for is the same for every row: its trigrams' finders are made once per
    // search, not once per entry. A search may read every waiting entry (up to
    // `PENDING_MAX`), so this runs that many times: bytes, no UTF-8 check, SIMD search.
    let grams = ctx.get_or_create_aux(1, |v| -> Result<Grams, Error> {
        Ok(Grams {
            finders: match v {
                ValueRef::Text(t) => trigrams(&String::from_utf8_lossy(t))
                    .iter()
                    .map(|g| Finder::new(g.as_bytes()).into_owned())
                    .collect(),
                _ => Vec::new(),
            },
            first: AtomicUsize::new(0),
        })
    })?;
    let body = match ctx.get_raw(0) {
        ValueRef::Text(t) => t,
        _ => return Ok(false),
    };
    let finders = &grams.finders;
    let first = grams.first.load(Ordering::Relaxed).min(finders.len());
    let Some(lead) = finders.get(first) else {
        return Ok(false);
    };
    if lead.find(body).is_none() {
        return Ok(false);
    }
    for (i, f) in finders.iter().enumerate() {
        if i != first && f.find(body).is_none() {
            grams.first.store(i, Ordering::Relaxed);
            return Ok(false);
        }
    }
    Ok(true)
}

fn contains_fn(ctx: &Context<'_>) -> rusqlite::Result<bool> {
    let needle = match ctx.get_raw(1) {
        ValueRef::Text(t) => {
            std::str::from_utf8(t).map_err(|e| Error::UserFunctionError(e.into()))?
        }
        _ => return Ok(false),
    };
    let record = match ctx.get_raw(0) {
        // A v1 record: the JSON itself.
        ValueRef::Text(t) => std::borrow::Cow::Borrowed(t),
        ValueRef::Blob(b) => match super::codec::unpack(b) {
            Ok(json) => std::borrow::Cow::Owned(json),
            // A damaged record matches nothing; reading it says what is wrong.
            Err(_) => return Ok(false),
        },
        _ => return Ok(false),
    };
    Ok(contains(&String::from_utf8_lossy(&record), needle))
}

/// Whether the record (an entry's JSON) holds `needle` (lowercased), as the event shows it or
/// inside a body: bodies are JSON strings within the record, so their quotes and backslashes
/// are escaped there once (twice for JSON inside a JSON string).
pub fn contains(record: &str, needle: &str) -> bool {
    let hay = record.to_lowercase();
    if hay.contains(needle) {
        return true;
    }
    let once = escaped(needle);
    if once != needle && hay.contains(&once) {
        return true;
    }
    let twice = escaped(&once);
    twice != once && hay.contains(&twice)
}

/// `s` as it reads inside a JSON string, without the quotes.
fn escaped(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(s)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_asks_for_every_trigram_quoted() {
        assert_eq!(trigram_query("AbCd"), r#""abc" AND "bcd""#);
        assert_eq!(
            trigram_query(r#"a"b OR"#),
            r#""a""b" AND """b " AND "b o" AND " or""#
        );
        // Repeats are asked once.
        assert_eq!(trigram_query("aaaa"), r#""aaa""#);
        let long = "the quick brown fox jumps over the lazy dog";
        assert_eq!(
            trigram_query(long).matches(" AND ").count(),
            MAX_TRIGRAMS - 1
        );
        assert!(trigram_query(long).starts_with(r#""the""#));
        assert!(trigram_query(long).ends_with(r#""dog""#));
    }

    #[test]
    fn the_check_finds_text_in_the_event_and_in_escaped_bodies() {
        let record = r#"{"event":{"name":"Order Completed"},"body":"{\"ok\":true,\"note\":\"a \\\"b\\\"\"}"}"#;
        assert!(contains(record, "order completed"));
        assert!(contains(record, r#""ok":true"#));
        assert!(contains(record, r#""note":"a \"b\"""#));
        assert!(!contains(record, "order  completed"));
        assert!(!contains(record, "missing"));
    }
}
