//! The `capture` command end to end: the real binary on a free port, real HTTP posts, the
//! history in a temporary SEGMENT_CONSOLE_HOME, the stdout it prints, JUnit read back, the
//! exit codes, and a capture killed with SIGKILL right after its 200s.

use crate::support::sandbox::{raw_http, raw_http_with};
use segment_console::history::{Filter, History};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

fn bin(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_segment-console"));
    c.env("SEGMENT_CONSOLE_HOME", home);
    c
}

/// Starts `capture ARGS` and reads its first stdout line, the base URL.
fn start(home: &Path, args: &[&str]) -> (Child, BufReader<ChildStdout>, SocketAddr) {
    let mut child = bin(home)
        .arg("capture")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn capture");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    out.read_line(&mut first).expect("read the first line");
    let url = first.trim();
    let addr: SocketAddr = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("the first line is not the base URL: {first:?}"))
        .parse()
        .expect("host:port");
    assert!(addr.ip().is_loopback());
    (child, out, addr)
}

fn signal(child: &Child, sig: i32) {
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: kill(2) on our own child's pid, with a valid signal number.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill failed");
}

/// Waits for the child and returns its exit code, the rest of stdout and stderr.
fn finish(mut child: Child, mut out: BufReader<ChildStdout>) -> (i32, String, String) {
    let mut rest = String::new();
    out.read_to_string(&mut rest).expect("read stdout");
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    (status.code().unwrap_or(-1), rest, err)
}

fn history(home: &Path) -> History {
    History::open_read_only(&home.join("history.sqlite3")).expect("history opens")
}

fn batch(events: &[Value]) -> String {
    json!({"batch": events, "writeKey": "wk_cli_test_00001",
           "context": {"library": {"name": "cli-test", "version": "9"}}})
    .to_string()
}

fn ada_identify() -> Value {
    json!({"type": "identify", "userId": "ada", "messageId": "m-identify",
           "traits": {"email": "ada@example.com", "name": "Ada Lovelace"}})
}

fn ada_track() -> Value {
    json!({"type": "track", "userId": "ada", "event": "Report Exported", "messageId": "m-track",
           "properties": {"format": "csv"}})
}

#[test]
fn capture_prints_a_line_per_event_forwards_and_ends_cleanly_on_sigterm() {
    let home = tempfile::tempdir().unwrap();
    let junit = home.path().join("capture.xml");
    let (child, mut out, addr) = start(
        home.path(),
        &[
            "--port",
            "0",
            "-d",
            "salesmachine",
            "--forward",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    let (status, body) = raw_http(
        addr,
        "POST",
        "/v1/batch",
        &batch(&[ada_identify(), ada_track()]),
    );
    assert_eq!((status, body.as_str()), (200, "{\"success\":true}"));
    // The two event lines come as soon as the events are committed.
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        lines.push(l);
    }
    assert!(
        lines[0].contains("identify") && lines[0].contains("user ada"),
        "{lines:?}"
    );
    assert!(lines[0].contains("salesmachine: 201"), "{lines:?}");
    assert!(
        lines[1].contains("track") && lines[1].contains("\"Report Exported\""),
        "{lines:?}"
    );
    signal(&child, libc::SIGTERM);
    let (code, rest, err) = finish(child, out);
    assert_eq!(code, 0, "stdout:\n{rest}\nstderr:\n{err}");
    assert!(rest.contains("2 events in 1 request over"), "{rest}");
    assert!(rest.contains("salesmachine: 2 translated"), "{rest}");
    assert!(rest.contains("2 delivered, 0 failed"), "{rest}");
    let h = history(home.path());
    assert_eq!(h.count(&Filter::default()).unwrap(), 2);
    let rows = h.query(&Filter::default(), 0, 10).unwrap();
    let entry = h.get(rows[0].id).unwrap().unwrap();
    let captured = entry.captured.expect("marked captured");
    assert_eq!(captured.library["name"], "cli-test");
    assert!(captured.write_key.ends_with("0001") && !captured.write_key.contains("wk_cli"));
    assert_eq!(entry.destination, "salesmachine");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    assert!(xml.contains("tests=\"2\" failures=\"0\""), "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 2, "{xml}");
}

#[test]
fn an_invalid_event_exits_1_after_idle_exit_and_fails_its_testcase() {
    let home = tempfile::tempdir().unwrap();
    let junit = home.path().join("capture.xml");
    let (child, out, addr) = start(
        home.path(),
        &[
            "--port",
            "0",
            "--idle-exit",
            "1",
            "--junit",
            junit.to_str().unwrap(),
        ],
    );
    // A track without its event name breaks the Segment spec.
    let bad = json!({"type": "track", "userId": "ada", "messageId": "m-bad"});
    let (status, _) = raw_http(addr, "POST", "/v1/batch", &batch(&[ada_identify(), bad]));
    assert_eq!(status, 200, "Segment accepts it; the console flags it");
    let started = std::time::Instant::now();
    let (code, rest, err) = finish(child, out);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(code, 1, "stdout:\n{rest}\nstderr:\n{err}");
    assert!(rest.contains("INVALID: $.event"), "{rest}");
    assert!(rest.contains("(idle)"), "{rest}");
    assert!(rest.contains("1 valid, 1 invalid"), "{rest}");
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert!(xml.contains("type=\"rejected\""), "{xml}");
    assert_eq!(history(home.path()).count(&Filter::default()).unwrap(), 2);
}

#[test]
fn a_capture_killed_with_sigkill_right_after_its_200s_keeps_every_acknowledged_event() {
    let home = tempfile::tempdir().unwrap();
    let (child, mut out, addr) = start(home.path(), &["--port", "0", "-d", "salesmachine"]);
    // Its line per event is read as it comes: a full pipe would hold the replies up.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = out.read_to_string(&mut sink);
    });
    let mut acknowledged = 0;
    for r in 0..20 {
        let events: Vec<Value> = (0..50)
            .map(|i| {
                json!({"type": "track", "userId": format!("u{i}"), "event": "Tick",
                       "messageId": format!("r{r}-{i}"), "properties": {"i": i}})
            })
            .collect();
        let (status, _) = raw_http(addr, "POST", "/v1/batch", &batch(&events));
        assert_eq!(status, 200);
        acknowledged += events.len();
    }
    // Killed the instant the last 200 is read: no shutdown, no flush.
    signal(&child, libc::SIGKILL);
    let mut child = child;
    let _ = child.wait();
    let h = history(home.path());
    assert_eq!(h.count(&Filter::default()).unwrap(), acknowledged);
    let newest = h.query(&Filter::default(), 0, 1).unwrap();
    let e = h.get(newest[0].id).unwrap().unwrap();
    assert_eq!(e.event["messageId"], "r19-49");
}

#[test]
fn unknown_write_keys_are_refused_and_fail_the_exit_code() {
    let home = tempfile::tempdir().unwrap();
    let (child, out, addr) = start(
        home.path(),
        &[
            "--port",
            "0",
            "--write-key",
            "wk_right_000001",
            "--idle-exit",
            "1",
        ],
    );
    let auth = "Authorization: Basic d2tfd3Jvbmc6\r\n"; // base64("wk_wrong:")
    let (status, body) = raw_http_with(addr, "POST", "/v1/track", auth, &ada_track().to_string());
    assert_eq!(status, 401, "{body}");
    let (code, rest, _) = finish(child, out);
    assert_eq!(code, 1, "{rest}");
    assert!(rest.contains("1 request refused"), "{rest}");
    assert_eq!(history(home.path()).count(&Filter::default()).unwrap(), 0);
}

#[test]
fn a_taken_port_exits_2_and_says_how_to_pick_another() {
    let home = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = bin(home.path())
        .args(["capture", "--port", &port])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("port {port}")) && err.contains("already in use"),
        "{err}"
    );
    assert!(err.contains("--port 0"), "{err}");
    assert!(out.stdout.is_empty(), "no URL is printed");
}

#[test]
fn usage_errors_exit_2_before_listening() {
    let home = tempfile::tempdir().unwrap();
    for (args, says) in [
        (&["-d", "nope"][..], "unknown destination \"nope\""),
        (&["--forward", "ftp://x"][..], "is not none, sandbox, live"),
        (
            &["--forward", "sandbox"][..],
            "needs at least one --destination",
        ),
        (&["--fault", "status:200"][..], "not an error status"),
    ] {
        let out = bin(home.path())
            .args(["capture", "--port", "0"])
            .args(args)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// A plan in Segment's Public API shape: `Report Exported` must carry a string `format` and a
/// whole number of `rows`.
fn report_plan(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("plan.json");
    let plan = json!({"rules": [{
        "key": "Report Exported", "type": "TRACK", "version": 1,
        "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {"properties": {
                "type": "object",
                "properties": {"format": {"type": "string"}, "rows": {"type": "integer"}},
                "required": ["format", "rows"]
            }},
            "required": ["properties"]
        }
    }]});
    std::fs::write(&path, plan.to_string()).unwrap();
    path
}

fn expectations(dir: &Path, extra: Option<Value>) -> std::path::PathBuf {
    let path = dir.join("expect.json");
    let mut list = vec![
        json!({"type": "identify"}),
        json!({"type": "track", "event": "Report Exported", "properties": {"format": "csv"}}),
    ];
    list.extend(extra);
    std::fs::write(&path, json!({"expect": list}).to_string()).unwrap();
    path
}

fn run_capture_with(home: &Path, args: &[&str], events: &[Value]) -> (i32, String, String) {
    let mut all = vec!["--port", "0", "--idle-exit", "1"];
    all.extend_from_slice(args);
    let (child, out, addr) = start(home, &all);
    let (status, _) = raw_http(addr, "POST", "/v1/batch", &batch(events));
    assert_eq!(status, 200, "a plan never changes Segment's reply");
    finish(child, out)
}

#[test]
fn a_plan_and_the_expected_events_pass_when_the_app_sends_what_was_planned() {
    let home = tempfile::tempdir().unwrap();
    let plan = report_plan(home.path());
    let expect = expectations(home.path(), None);
    let mut track = ada_track();
    track["properties"]["rows"] = json!(120);
    let (code, out, err) = run_capture_with(
        home.path(),
        &[
            "--plan",
            plan.to_str().unwrap(),
            "--expect",
            expect.to_str().unwrap(),
        ],
        &[ada_identify(), track],
    );
    assert_eq!(code, 0, "stdout:\n{out}\nstderr:\n{err}");
    assert!(out.contains("Expected events: 2 of 2 arrived"), "{out}");
    assert!(!out.contains("INVALID"), "{out}");
}

#[test]
fn a_plan_violation_and_an_event_that_never_arrived_fail_capture_and_its_junit() {
    let home = tempfile::tempdir().unwrap();
    let junit = home.path().join("capture.xml");
    let plan = report_plan(home.path());
    let expect = expectations(
        home.path(),
        Some(json!({"type": "track", "event": "Dashboard Shared"})),
    );
    // `rows` is missing from the track: Required-Missing, an error.
    let (code, out, err) = run_capture_with(
        home.path(),
        &[
            "--plan",
            plan.to_str().unwrap(),
            "--expect",
            expect.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        &[ada_identify(), ada_track()],
    );
    assert_eq!(code, 1, "stdout:\n{out}\nstderr:\n{err}");
    assert!(
        out.contains("INVALID: Required-Missing at $.properties.rows"),
        "{out}"
    );
    assert!(out.contains("Expected events: 2 of 3 arrived"), "{out}");
    assert!(
        out.contains("MISSING") && out.contains("Dashboard Shared"),
        "{out}"
    );
    let xml = std::fs::read_to_string(&junit).expect("the JUnit report is written");
    assert!(xml.contains("tests=\"3\" failures=\"2\""), "{xml}");
    assert!(xml.contains("Required-Missing"), "{xml}");
    assert!(xml.contains("never arrived"), "{xml}");
    // The history keeps the violation with the event.
    let h = history(home.path());
    let rows = h.query(&Filter::default(), 0, 10).unwrap();
    let kinds: Vec<Option<String>> = rows
        .iter()
        .flat_map(|r| h.get(r.id).unwrap().unwrap().findings)
        .map(|f| f.kind)
        .collect();
    assert!(
        kinds.contains(&Some("Required-Missing".into())),
        "{kinds:?}"
    );
    // And the plan column says which event broke the plan, as the Live pane did.
    let mut verdicts: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.call_type.clone(), r.plan.clone()))
        .collect();
    verdicts.sort();
    assert_eq!(
        verdicts,
        [
            ("identify".to_string(), "ok".to_string()),
            ("track".to_string(), "1 error".to_string())
        ]
    );
    let track = rows.iter().find(|r| r.call_type == "track").unwrap();
    let check = h.get(track.id).unwrap().unwrap().plan.unwrap();
    assert_eq!((check.plan.as_str(), check.errors), ("plan.json", 1));
}

#[test]
fn an_unreadable_plan_or_expectation_file_stops_capture_before_it_listens() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.json");
    std::fs::write(&bad, "{\"rules\": [").unwrap();
    for flag in ["--plan", "--expect"] {
        let out = bin(home.path())
            .args(["capture", "--port", "0", flag, bad.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        assert!(err.contains("bad.json"), "{flag}: {err}");
        assert!(out.stdout.is_empty(), "{flag}: nothing listened");
    }
}

/// Salesmachine's keys for the sandbox, as a user would give their own: a URL or `live` target
/// never takes the sandbox's values by itself.
fn salesmachine_settings(dir: &Path) -> std::path::PathBuf {
    use segment_console::destinations::kit::sandbox_credentials::{API_KEY, API_SECRET};
    let path = dir.join("settings.json");
    std::fs::write(
        &path,
        json!({"salesmachine": {"apiKey": API_KEY, "apiSecret": API_SECRET}}).to_string(),
    )
    .unwrap();
    path
}

#[test]
fn capture_forwards_to_a_url_with_the_users_settings_and_fails_when_it_cannot() {
    use segment_console::sandbox::{Sandbox, SandboxConfig};
    let home = tempfile::tempdir().unwrap();
    let settings = salesmachine_settings(home.path());
    // The user's own server standing in for Salesmachine's API root: a sandbox, here.
    let server = Sandbox::start_blocking(SandboxConfig::default()).expect("sandbox starts");
    let url = format!("{}/salesmachine", server.base_url());
    let (child, mut out, addr) = start(
        home.path(),
        &[
            "--port",
            "0",
            "-d",
            "salesmachine",
            "--forward",
            &url,
            "--settings",
            settings.to_str().unwrap(),
        ],
    );
    let (status, _) = raw_http(
        addr,
        "POST",
        "/v1/batch",
        &batch(&[ada_identify(), ada_track()]),
    );
    assert_eq!(status, 200);
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    assert!(first.contains("salesmachine: 201"), "{first}");
    signal(&child, libc::SIGTERM);
    let (code, rest, err) = finish(child, out);
    assert_eq!(code, 0, "stdout:\n{rest}\nstderr:\n{err}");
    assert!(rest.contains("2 delivered, 0 failed"), "{rest}");
    assert!(
        server.state()["salesmachine"]["contacts"]["ada"].is_object(),
        "the server at the URL got the contact: {}",
        server.state()
    );
    let h = history(home.path());
    let rows = h.query(&Filter::default(), 0, 10).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.target == url), "{rows:?}");

    // Nothing listens at this URL: the SDK still gets its 200 (as from Segment), the event's
    // line says the forward failed, and the run exits 1.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/salesmachine", closed.local_addr().unwrap());
    drop(closed);
    let (child, mut out, addr) = start(
        home.path(),
        &[
            "--port",
            "0",
            "-d",
            "salesmachine",
            "--forward",
            &dead,
            "--settings",
            settings.to_str().unwrap(),
            "--idle-exit",
            "1",
        ],
    );
    let (status, _) = raw_http(addr, "POST", "/v1/batch", &batch(&[ada_identify()]));
    assert_eq!(
        status, 200,
        "a failed forward never changes Segment's reply"
    );
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert!(
        line.contains("salesmachine:") && !line.contains("201"),
        "{line}"
    );
    let (code, rest, err) = finish(child, out);
    assert_eq!(code, 1, "stdout:\n{line}{rest}\nstderr:\n{err}");
    assert!(rest.contains("0 delivered, 1 failed"), "{rest}");
}

#[test]
fn capture_to_live_needs_the_partners_keys_and_never_borrows_the_sandboxs() {
    let home = tempfile::tempdir().unwrap();
    // Nothing is contacted: the check comes before the port opens.
    let o = bin(home.path())
        .args([
            "capture",
            "--port",
            "0",
            "-d",
            "salesmachine",
            "--forward",
            "live",
        ])
        .output()
        .expect("run capture");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid settings for salesmachine"), "{err}");
    assert!(err.contains("apiKey") || err.contains("API key"), "{err}");
    assert!(o.stdout.is_empty(), "no base URL: it never listened");
    // A --forward that is none of its forms says what it takes, before anything else.
    let settings = salesmachine_settings(home.path());
    let o = bin(home.path())
        .args([
            "capture",
            "--port",
            "0",
            "-d",
            "salesmachine",
            "--forward",
            "bogus",
            "--settings",
            settings.to_str().unwrap(),
        ])
        .output()
        .expect("run capture");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--forward \"bogus\" is not none, sandbox, live or an http(s):// URL"),
        "{err}"
    );
}
