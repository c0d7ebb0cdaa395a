//! Every input the fuzzers kept (fuzz/corpus/<target>/), replayed through the same code as the
//! fuzz target (fuzz/harness.rs): what once crashed, or reached new code, stays covered by
//! `cargo test` without a fuzzer.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn replay(target: &str, run: impl Fn(&[u8])) {
    let files = corpus(target);
    assert!(
        files.len() >= 20,
        "{target}: only {} corpus files; the fuzzers' findings are missing",
        files.len()
    );
    for f in files {
        let data = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // A failure names the input, to rerun it under the fuzzer.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&data)));
        assert!(r.is_ok(), "{} failed", f.display());
    }
}

#[test]
fn event_set_reader_corpus() {
    replay("event_set_reader", harness::event_set_reader);
}

#[test]
fn translator_corpora() {
    for dest in [
        "salesmachine",
        "startdeliver",
        "freshmarketer",
        "skalin",
        "webhook",
    ] {
        replay(&format!("translate_{dest}"), |d| {
            harness::translate(dest, d)
        });
    }
}

#[test]
fn plan_reader_corpus() {
    replay("plan_reader", harness::plan_reader);
}
