//! The `run` command end to end: the real binary, the embedded sandbox over loopback, the
//! history in a temporary SEGMENT_CONSOLE_HOME, JUnit read back with an XML parser, and a run
//! killed mid-batch.

use quick_xml::events::{BytesStart, Event};
use segment_console::history::{Filter, History};
use segment_console::sandbox::{Fault, Sandbox, SandboxConfig};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

pub(super) fn asset(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_segment-console"));
    c.env("SEGMENT_CONSOLE_HOME", home);
    c
}

pub(super) fn run(home: &Path, args: &[&str]) -> Output {
    bin(home).args(args).output().expect("run segment-console")
}

pub(super) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(super) fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.to_string_lossy().into_owned()
}

fn history_entries(home: &Path) -> usize {
    History::open(&home.join("history.sqlite3"))
        .expect("history opens")
        .count(&Filter::default())
        .expect("count")
}

/// The table row of event `index` (rows start with the index, right-aligned).
fn row(stdout: &str, index: usize) -> String {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{index}  ")))
        .unwrap_or_else(|| panic!("no row {index} in:\n{stdout}"))
        .to_string()
}

/// One element of a parsed XML document.
#[derive(Debug)]
pub(super) struct Element {
    pub(super) name: String,
    pub(super) attrs: BTreeMap<String, String>,
    pub(super) depth: usize,
}

fn element(e: &BytesStart, depth: usize) -> Element {
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.expect("a well-formed attribute");
            let value = a
                .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                .expect("a well-escaped value");
            (text(a.key.as_ref()), value.into_owned())
        })
        .collect();
    Element {
        name: text(e.name().as_ref()),
        attrs,
        depth,
    }
}

/// Every element, in document order; panics on anything that is not well-formed XML.
pub(super) fn parse_xml(xml: &str) -> Vec<Element> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = Vec::new();
    let mut depth = 0;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                out.push(element(&e, depth));
                depth += 1;
            }
            Ok(Event::Empty(e)) => out.push(element(&e, depth)),
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("JUnit is not well-formed XML: {e}\n{xml}"),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    out
}

/// Per testcase: its name and the element inside it (`failure`, `skipped`, ...), if any.
type Cases = Vec<(String, Option<String>)>;

/// The testsuite's attributes and its testcases.
fn junit(path: &Path) -> (BTreeMap<String, String>, Cases) {
    let xml = std::fs::read_to_string(path).expect("the JUnit file exists");
    let elements = parse_xml(&xml);
    let roots: Vec<&Element> = elements.iter().filter(|e| e.depth == 0).collect();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].name, "testsuite");
    let mut cases: Cases = Vec::new();
    for e in &elements {
        match (e.depth, e.name.as_str()) {
            (1, "testcase") => cases.push((e.attrs["name"].clone(), None)),
            (2, inner) => {
                if let Some(last) = cases.last_mut() {
                    last.1 = Some(inner.to_string());
                }
            }
            _ => {}
        }
    }
    (roots[0].attrs.clone(), cases)
}

#[test]
fn the_tour_runs_against_the_sandbox_for_every_destination() {
    let home = tempfile::tempdir().unwrap();
    let tour = asset("tour.json");
    let expected = [
        (
            "salesmachine",
            [
                "delivered",
                "delivered",
                "delivered",
                "unsupported",
                "delivered",
                "delivered",
            ],
        ),
        (
            "startdeliver",
            [
                "unsupported",
                "unsupported",
                "delivered",
                "unsupported",
                "delivered",
                "unsupported",
            ],
        ),
        (
            "freshmarketer",
            [
                "delivered",
                "delivered",
                "delivered",
                "unsupported",
                "delivered",
                "delivered",
            ],
        ),
        (
            "skalin",
            [
                "delivered",
                "unsupported",
                "delivered",
                "delivered",
                "delivered",
                "unsupported",
            ],
        ),
        ("webhook", ["delivered"; 6]),
    ];
    for (dest, outcomes) in expected {
        let o = run(home.path(), &["run", &tour, "--destination", dest]);
        let (out, err) = (text(&o.stdout), text(&o.stderr));
        assert_eq!(o.status.code(), Some(0), "{dest}\n{out}\n{err}");
        assert!(out.starts_with("#  event"), "{out}");
        for (i, outcome) in outcomes.iter().enumerate() {
            let r = row(&out, i);
            assert!(r.contains(&format!("  {outcome}  ")), "{dest} row {i}: {r}");
        }
        assert!(out.contains("6 events in"), "{out}");
        assert!(err.contains("6/6 done"), "{err}");
    }
    assert_eq!(history_entries(home.path()), 30);
    let label = row(
        &text(&run(home.path(), &["run", &tour, "-d", "webhook"]).stdout),
        1,
    );
    assert!(label.contains("group acc_acme"), "{label}");
}

#[test]
fn a_wrong_api_key_fails_the_run_and_the_junit_report_says_so() {
    let home = tempfile::tempdir().unwrap();
    let settings = write(
        home.path(),
        "wrong.json",
        r#"{"salesmachine": {"apiKey": "wrong-key-5f2e9a"}}"#,
    );
    let report = home.path().join("report.xml");
    let o = run(
        home.path(),
        &[
            "run",
            &asset("tour.json"),
            "-d",
            "salesmachine",
            "--settings",
            &settings,
            "--junit",
            report.to_str().unwrap(),
        ],
    );
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", text(&o.stderr));
    assert!(row(&out, 0).contains("  failed  "), "{out}");
    assert!(row(&out, 0).contains("401"), "{out}");
    assert!(row(&out, 3).contains("  unsupported  "), "{out}");
    assert!(out.contains("Not delivered:"), "{out}");
    let (suite, cases) = junit(&report);
    assert_eq!(suite["tests"], "6");
    assert_eq!(suite["failures"], "5");
    assert_eq!(suite["errors"], "0");
    assert_eq!(suite["skipped"], "1");
    assert_eq!(suite["name"], "tour.json -> salesmachine");
    let inner: Vec<Option<&str>> = cases.iter().map(|(_, i)| i.as_deref()).collect();
    assert_eq!(
        inner,
        [
            Some("failure"),
            Some("failure"),
            Some("failure"),
            Some("skipped"),
            Some("failure"),
            Some("failure")
        ]
    );
    assert_eq!(cases[5].0, "#5 alias anon_7d1e90b2 -> u_4f8a2c");
    // The wrong key is a secret: masked in the table, the report and the history.
    let xml = std::fs::read_to_string(&report).unwrap();
    assert!(xml.contains("HTTP 401"), "{xml}");
    assert!(!xml.contains("wrong-key-5f2e9a"));
    assert!(!out.contains("wrong-key-5f2e9a"));
    let db = std::fs::read(home.path().join("history.sqlite3")).unwrap();
    let wal = std::fs::read(home.path().join("history.sqlite3-wal")).unwrap_or_default();
    let needle = b"wrong-key-5f2e9a";
    assert!(!db.windows(needle.len()).any(|w| w == needle));
    assert!(!wal.windows(needle.len()).any(|w| w == needle));
    assert_eq!(history_entries(home.path()), 6);
}

#[test]
fn a_successful_run_writes_a_clean_junit_report() {
    let home = tempfile::tempdir().unwrap();
    let report = home.path().join("out/skalin.xml");
    std::fs::create_dir(home.path().join("out")).unwrap();
    let o = run(
        home.path(),
        &[
            "run",
            &asset("tour.json"),
            "-d",
            "skalin",
            "--junit",
            report.to_str().unwrap(),
            "--concurrency",
            "1",
            "--retries",
            "0",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let (suite, cases) = junit(&report);
    assert_eq!(
        (
            suite["tests"].as_str(),
            suite["failures"].as_str(),
            suite["errors"].as_str(),
            suite["skipped"].as_str()
        ),
        ("6", "0", "0", "2")
    );
    let names: Vec<&str> = cases.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "#0 identify u_4f8a2c",
            "#1 group acc_acme",
            "#2 page Pricing",
            "#3 screen Dashboard",
            "#4 track Order Completed",
            "#5 alias anon_7d1e90b2 -> u_4f8a2c"
        ]
    );
    assert_eq!(cases[1].1.as_deref(), Some("skipped"));
    assert_eq!(cases[0].1, None);
}

#[test]
fn a_rejected_event_fails_the_run() {
    let home = tempfile::tempdir().unwrap();
    let events = write(
        home.path(),
        "events.json",
        r#"[{"type": "identify", "anonymousId": "a1", "traits": {"email": "a@example.com"}},
            {"type": "track", "userId": "u1", "event": "Signed Up"}]"#,
    );
    let o = run(home.path(), &["run", &events, "-d", "salesmachine"]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(row(&out, 0).contains("  rejected  "), "{out}");
    assert!(row(&out, 1).contains("  delivered  "), "{out}");
    assert!(out.contains("$.userId"), "{out}");
    assert_eq!(history_entries(home.path()), 2);
}

#[test]
fn usage_errors_exit_2_before_anything_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let tour = asset("tour.json");
    let broken = write(home.path(), "broken.json", "{\"salesmachine\": ");
    let missing = home.path().join("nope.json");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["run", missing.to_str().unwrap(), "-d", "webhook"],
            "nope.json",
        ),
        (
            vec!["run", home.path().to_str().unwrap(), "-d", "webhook"],
            "cannot read",
        ),
        (
            vec!["run", &tour, "-d", "salesmachine", "--settings", &broken],
            "not valid JSON",
        ),
        (vec!["run", &tour, "-d", "nobody"], "unknown destination"),
        (
            vec!["run", &tour, "-d", "webhook", "--concurrency", "0"],
            "--concurrency",
        ),
        (
            vec!["run", &tour, "-d", "webhook", "--target", "ftp://x"],
            "ftp://x",
        ),
        (
            vec!["run", &tour, "-d", "skalin", "--mode", "fast"],
            "no mode",
        ),
        (
            vec!["run", &tour, "-d", "salesmachine", "--target", "live"],
            "API token is required",
        ),
        (
            vec![
                "run",
                &tour,
                "-d",
                "webhook",
                "--junit",
                "/no/such/dir/r.xml",
            ],
            "does not exist",
        ),
        (vec!["run", &tour, "-d", "webhook", "--retries", "99"], "99"),
    ];
    for (args, says) in cases {
        let o = run(home.path(), &args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(o.stdout.is_empty(), "{args:?}");
    }
    assert!(!home.path().join("history.sqlite3").exists());
}

/// "segment-console run: 120/3000 done (...)" -> 120.
fn done_of(line: &str) -> Option<usize> {
    let (head, _) = line.split_once(" done (")?;
    let (done, _) = head.rsplit_once(' ')?.1.split_once('/')?;
    done.parse().ok()
}

#[test]
fn a_run_killed_mid_batch_leaves_a_consistent_history_with_every_reported_event() {
    // A sandbox of the test's own, a little slow, so the run is surely mid-way when killed.
    let sb = Sandbox::start_blocking(SandboxConfig {
        faults: vec![("webhook".into(), Fault::Latency(Duration::from_millis(5)))],
        ..SandboxConfig::default()
    })
    .expect("sandbox starts");
    let home = tempfile::tempdir().unwrap();
    let url = format!("{}/webhook/in", sb.base_url());
    let settings = write(
        home.path(),
        "settings.json",
        &json!({"webhook": {"url": url}}).to_string(),
    );
    let events: Vec<Value> = (0..3000)
        .map(|i| json!({"type": "track", "userId": format!("u{}", i % 100), "event": "Tick", "properties": {"i": i}}))
        .collect();
    let file = write(home.path(), "big.json", &Value::Array(events).to_string());
    let mut child = bin(home.path())
        .args([
            "run",
            &file,
            "-d",
            "webhook",
            "--settings",
            &settings,
            "--target",
            &url,
        ])
        .args(["--concurrency", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut reported = 0;
    while reported < 50 {
        let line = rx
            .recv_timeout(Duration::from_secs(20))
            .expect("progress lines keep coming");
        reported = reported.max(done_of(&line).unwrap_or(0));
    }
    assert!(
        child.try_wait().expect("status").is_none(),
        "the run ended before it could be killed"
    );
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert!(!status.success());
    reader.join().expect("reader");
    // Lines printed before the kill count too: each reported only committed entries.
    for line in rx.try_iter() {
        reported = reported.max(done_of(&line).unwrap_or(0));
    }
    assert!(reported < 3000, "killed mid-batch, at {reported}");

    let path = home.path().join("history.sqlite3");
    let conn = rusqlite::Connection::open(&path).expect("the database opens");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check runs");
    assert_eq!(check, "ok");
    drop(conn);
    let h = History::open(&path).expect("history opens after the kill");
    let stored = h.count(&Filter::default()).unwrap();
    assert!(
        stored >= reported,
        "{stored} entries, but {reported} were reported done"
    );
    assert!(stored < 3000);
    for s in h.query(&Filter::default(), 0, 3000).unwrap() {
        let e = h.get(s.id).unwrap().expect("every entry reads back");
        assert_eq!(e.outcome, "requests");
        assert_eq!(e.exchanges.len(), 1);
        assert_eq!(e.exchanges[0].last().and_then(|a| a.status), Some(200));
    }
    // Nothing is in the history that the partner did not receive.
    let delivered = sb.state()["webhook"]["deliveries"]
        .as_array()
        .map_or(0, Vec::len);
    assert!(
        delivered >= stored,
        "{delivered} delivered, {stored} stored"
    );
}

#[test]
fn help_explains_retries() {
    let home = tempfile::tempdir().unwrap();
    let o = run(home.path(), &["run", "--help"]);
    let out = text(&o.stdout);
    assert!(o.status.success());
    assert!(out.contains("at most N+1 attempts"), "{out}");
}
