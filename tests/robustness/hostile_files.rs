//! Hostile files at every door that reads one: event sets (library, `translate`, `run`), the
//! window's settings file and the command line's. A 200 MB file is refused before it is read,
//! with memory measured in a child process; broken files are refused with line and column.

use segment_console::files::event_set::{self, SetError};
use segment_console::files::settings_store::{SettingsStore, StoreError};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

const TWO_HUNDRED_MB: u64 = 200 * 1024 * 1024;

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_segment-console"));
    c.env("SEGMENT_CONSOLE_HOME", home);
    c
}

fn sparse(dir: &Path, name: &str, len: u64) -> PathBuf {
    let p = dir.join(name);
    let f = std::fs::File::create(&p).unwrap();
    // A sparse file: 200 MB long, no disk used, and reading it would take 200 MB of memory.
    f.set_len(len).unwrap();
    p
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_200_mb_event_set_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = sparse(dir.path(), "big.json", TWO_HUNDRED_MB);
    let t0 = Instant::now();
    let err = event_set::open(&big).unwrap_err();
    assert!(matches!(err, SetError::TooLarge { .. }));
    assert_eq!(
        err.to_string(),
        "the file is 209715200 bytes; event sets larger than 67108864 bytes are refused"
    );
    assert!(t0.elapsed().as_secs() < 5, "refused without reading");
    for sub in ["translate", "run"] {
        let o = bin(dir.path())
            .args([sub, big.to_str().unwrap(), "-d", "webhook"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{sub}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!(
                "{}: the file is 209715200 bytes; event sets larger than 67108864 bytes are refused",
                big.display()
            )),
            "{sub}: {}",
            stderr(&o)
        );
        assert!(o.stdout.is_empty(), "{sub}");
    }
}

/// Run alone in a child process (see below): opens the file named by the variable and prints
/// the process's peak memory.
#[test]
fn child_opens_a_file_and_reports_its_peak_memory() {
    let Some(path) = std::env::var_os("RELY_CHILD_OPEN") else {
        return;
    };
    let r = event_set::open(Path::new(&path));
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .map(|v| v.trim().trim_end_matches(" kB").trim().to_string())
        .unwrap_or_default();
    println!("PEAK_KB={peak} REFUSED={}", r.is_err());
}

#[cfg(target_os = "linux")]
#[test]
fn opening_a_200_mb_file_keeps_memory_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let big = sparse(dir.path(), "big.json", TWO_HUNDRED_MB);
    let o = Command::new(std::env::current_exe().unwrap())
        .args([
            "hostile_files::child_opens_a_file_and_reports_its_peak_memory",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("RELY_CHILD_OPEN", &big)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out
        .lines()
        .find_map(|l| l.find("PEAK_KB=").and_then(|i| l.get(i..)))
        .unwrap_or_else(|| panic!("no report: {out} {}", stderr(&o)));
    assert!(line.ends_with("REFUSED=true"), "{line}");
    let kb: u64 = line
        .trim_start_matches("PEAK_KB=")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    assert!(kb < 48 * 1024, "peak {kb} kB while refusing a 200 MB file");
}

/// Each broken event set, and where the command line says it is broken.
fn broken_sets() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    vec![
        (
            "deep.json",
            deep.into_bytes(),
            "line 1, column 128: the JSON is nested too deeply",
        ),
        (
            "huge-number.json",
            b"[{\"type\": \"track\",\n \"n\": 1e400}]".to_vec(),
            "line 2, column 11: a number beyond the range of a 64-bit float",
        ),
        (
            "latin1.json",
            b"[{\"type\": \"identify\",\n \"userId\": \"Ren\xe9\"}]".to_vec(),
            "line 2, column 16: the text is not valid UTF-8",
        ),
        (
            "nul.json",
            b"[{\"type\": \"track\", \"event\": \"a\x00b\"}]".to_vec(),
            "line 1, column 31: a raw control character (a NUL byte",
        ),
    ]
}

#[test]
fn translate_and_run_name_line_and_column_of_a_broken_set() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, says) in broken_sets() {
        let p = write(dir.path(), name, &bytes);
        let e = event_set::open(&p).unwrap_err();
        assert!(e.to_string().starts_with(says), "{name}: {e}");
        for sub in ["translate", "run"] {
            let o = bin(dir.path())
                .args([sub, p.to_str().unwrap(), "-d", "salesmachine"])
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(2), "{sub} {name}");
            assert!(stderr(&o).contains(says), "{sub} {name}: {}", stderr(&o));
        }
    }
}

#[test]
fn a_broken_settings_file_is_named_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let tour = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tour.json");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "deep.json",
            format!("{{\"salesmachine\": {}", "{\"a\":".repeat(100_000)).into_bytes(),
            "line 1, column 648: the JSON is nested too deeply (more than 127 levels)",
        ),
        (
            "number.json",
            b"{\"salesmachine\":\n {\"apiKey\": 1e400}}".to_vec(),
            "line 2, column 17: a number beyond the range",
        ),
        (
            "latin1.json",
            b"{\"salesmachine\": {\"apiKey\": \"cl\xe9\"}}".to_vec(),
            "line 1, column 32: the text is not valid UTF-8",
        ),
    ];
    for (name, bytes, says) in cases {
        let p = write(dir.path(), name, &bytes);
        let o = bin(dir.path())
            .args(["translate", tour.to_str().unwrap(), "-d", "salesmachine"])
            .args(["--settings", p.to_str().unwrap()])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(stderr(&o).contains(says), "{name}: {}", stderr(&o));
    }
    let big = sparse(dir.path(), "big-settings.json", TWO_HUNDRED_MB);
    let o = bin(dir.path())
        .args(["translate", tour.to_str().unwrap(), "-d", "salesmachine"])
        .args(["--settings", big.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is larger than 8388608 bytes; it cannot be a settings file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_windows_settings_file_is_refused_in_words_and_kept_aside() {
    let cases: Vec<(Vec<u8>, (usize, usize), &str)> = vec![
        (
            format!("{{\"other\": {}", "[".repeat(100_000)).into_bytes(),
            (1, 137),
            "the JSON is nested too deeply (more than 127 levels)",
        ),
        (
            b"{\"destinations\": {\"skalin\": {\"settings\":\n{\"n\": 1e400}}}}".to_vec(),
            (2, 11),
            "a number beyond the range of a 64-bit float",
        ),
        (
            b"{\"destinations\": {\"x\": \"\xff\"}}".to_vec(),
            (1, 25),
            "the text is not valid UTF-8",
        ),
        (
            b"{\"destinations\": {\"x\": \"\x00\"}}".to_vec(),
            (1, 25),
            "a raw control character",
        ),
    ];
    for (bytes, (line, column), says) in cases {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "settings.json", &bytes);
        match SettingsStore::load(&p) {
            Err(StoreError::Broken {
                line: l,
                column: c,
                message,
                ..
            }) => {
                assert_eq!((l, c), (line, column), "{message}");
                assert!(message.starts_with(says), "{message}");
            }
            other => panic!("expected Broken, got {other:?}"),
        }
        // A save moves the broken file aside, whole, before writing.
        let saved = SettingsStore::defaults(&p).save().unwrap();
        let aside = saved.backup.expect("moved aside");
        assert_eq!(std::fs::read(aside).unwrap(), bytes);
        assert!(SettingsStore::load(&p).is_ok());
    }
    let dir = tempfile::tempdir().unwrap();
    let big = sparse(dir.path(), "settings.json", TWO_HUNDRED_MB);
    assert!(matches!(
        SettingsStore::load(&big),
        Err(StoreError::TooLarge { .. })
    ));
}
