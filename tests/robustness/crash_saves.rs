//! A process killed (SIGKILL) while it saves an event set or the settings never leaves a
//! half-written file: the file reads back as the old version or the new one, whole, every
//! time. The saving process is this test binary run again as a child that saves in a loop;
//! the parent kills it at a random moment. Temporary files a kill leaves are never read as
//! data, and a later save sweeps them once they are stale.
//!
//! The bounded tests kill a few times; the `#[ignore]`d one kills hundreds of times for the
//! README's figures (`cargo test --test robustness crash_saves -- --ignored --nocapture`).

use segment_console::files::event_set::{self, EventSet};
use segment_console::files::settings_store::{self, SettingsStore};
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Set,
    Settings,
}

/// Two versions of an event set, of different sizes, so that any mix shows.
fn set_version(v: usize) -> EventSet {
    let n = if v == 0 { 3000 } else { 1700 };
    EventSet {
        name: format!("version {v}"),
        events: (0..n)
            .map(|i| json!({"type": "track", "userId": format!("u{i}"), "event": format!("V{v}"), "properties": {"i": i}}))
            .collect(),
        extra: Map::new(),
    }
}

fn settings_version(v: usize) -> Map<String, Value> {
    let pad = if v == 0 {
        "a".repeat(200_000)
    } else {
        "b".repeat(90_000)
    };
    json!({"apiKey": format!("key-version-{v}"), "apiSecret": format!("secret-{v}"), "padding": pad})
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn save(kind: Kind, path: &Path, v: usize) {
    match kind {
        Kind::Set => {
            event_set::save(path, &set_version(v), &[]).expect("save");
        }
        Kind::Settings => {
            let mut s = SettingsStore::defaults(path);
            s.set_settings("salesmachine", settings_version(v));
            s.save().expect("save");
        }
    }
}

/// Which version the file holds, whole; panics on anything else.
fn version_on_disk(kind: Kind, path: &Path) -> usize {
    match kind {
        Kind::Set => {
            let loaded = event_set::open(path).unwrap_or_else(|e| panic!("half-written set: {e}"));
            (0..2)
                .find(|&v| loaded.set == set_version(v))
                .unwrap_or_else(|| panic!("a mix of versions: {}", loaded.set.name))
        }
        Kind::Settings => {
            let store =
                SettingsStore::load(path).unwrap_or_else(|e| panic!("half-written settings: {e}"));
            let s = store.settings("salesmachine");
            (0..2)
                .find(|&v| s == settings_version(v))
                .unwrap_or_else(|| panic!("a mix of versions"))
        }
    }
}

fn temp_prefix(kind: Kind) -> &'static str {
    match kind {
        Kind::Set => segment_console::files::atomic::TEMP_PREFIX,
        Kind::Settings => settings_store::TEMP_PREFIX,
    }
}

/// The child: saves version 1, 0, 1, 0, ... until killed, saying after each save.
#[test]
fn child_saves_in_a_loop() {
    let (Some(kind), Some(path)) = (
        std::env::var_os("RELY_CHILD_SAVE"),
        std::env::var_os("RELY_CHILD_PATH"),
    ) else {
        return;
    };
    let kind = if kind == "set" {
        Kind::Set
    } else {
        Kind::Settings
    };
    let path = PathBuf::from(path);
    let mut out = std::io::stdout();
    for i in 0usize.. {
        save(kind, &path, (i + 1) % 2);
        let _ = writeln!(out, "SAVED {i}");
        let _ = out.flush();
    }
}

/// Clock noise as a jitter source: the kill lands anywhere in a save.
fn jitter_ms(max: u64) -> u64 {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    nanos % max
}

struct Tally {
    kills: usize,
    old: usize,
    new: usize,
    leftovers: usize,
}

fn kill_while_saving(kind: Kind, kills: usize) -> Tally {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(match kind {
        Kind::Set => "events.json",
        Kind::Settings => "settings.json",
    });
    save(kind, &path, 0);
    let mut tally = Tally {
        kills: 0,
        old: 0,
        new: 0,
        leftovers: 0,
    };
    for _ in 0..kills {
        let before = version_on_disk(kind, &path);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "crash_saves::child_saves_in_a_loop",
                "--exact",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(
                "RELY_CHILD_SAVE",
                if kind == Kind::Set { "set" } else { "settings" },
            )
            .env("RELY_CHILD_PATH", &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        // Wait for the loop to be going (a save or two done), then kill at a random moment.
        let mut saved = 0;
        while saved < 2 {
            let line = lines.next().expect("the child reports").expect("a line");
            saved += usize::from(line.contains("SAVED"));
        }
        std::thread::sleep(Duration::from_millis(jitter_ms(25)));
        child.kill().expect("SIGKILL");
        let status = child.wait().expect("wait");
        assert!(!status.success());
        tally.kills += 1;
        let after = version_on_disk(kind, &path);
        if after == before {
            tally.old += 1;
        } else {
            tally.new += 1;
        }
        // Nothing but the file and temporaries of the prefix: no other name could be taken
        // for the data.
        for e in std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
        {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_file = e.path() == path;
            let is_temp = name.starts_with(temp_prefix(kind)) && name.ends_with(".tmp");
            assert!(is_file || is_temp, "unexpected {name}");
        }
    }
    let temps = || -> Vec<PathBuf> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p != &path)
            .collect()
    };
    tally.leftovers = temps().len();
    // Leftovers are swept by the next save once stale (made so here, by their dates).
    let long_ago = SystemTime::now() - Duration::from_secs(3600);
    for t in temps() {
        let f = std::fs::File::options().write(true).open(&t).unwrap();
        f.set_modified(long_ago).unwrap();
    }
    save(kind, &path, 0);
    assert_eq!(temps(), Vec::<PathBuf>::new(), "stale temporaries swept");
    assert_eq!(version_on_disk(kind, &path), 0);
    tally
}

#[test]
fn killing_an_event_set_save_leaves_the_old_or_the_new_file() {
    let t = kill_while_saving(Kind::Set, 6);
    assert_eq!(t.old + t.new, 6);
}

#[test]
fn killing_a_settings_save_leaves_the_old_or_the_new_file() {
    let t = kill_while_saving(Kind::Settings, 6);
    assert_eq!(t.old + t.new, 6);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        save(Kind::Settings, &p, 1);
        let mode = std::fs::metadata(&p).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
#[ignore = "long: hundreds of kills; gives the README's figures"]
fn hundreds_of_kills_while_saving() {
    for kind in [Kind::Set, Kind::Settings] {
        let t = kill_while_saving(kind, 200);
        println!(
            "RELIABILITY kill {kind:?} kills={} old={} new={} leftover_temps={}",
            t.kills, t.old, t.new, t.leftovers
        );
        assert_eq!(t.old + t.new, t.kills);
    }
}
