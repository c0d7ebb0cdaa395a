use super::*;
use crate::destinations::{Mode, Outcome, OutcomeKind, PartnerRequest, Target};
use crate::event::Finding;
use crate::json::mask::MASK;
use crate::transport::{Attempt, CapturedBody, Exchange, RequestRecord, SendReport};
use chrono::{TimeZone, Utc};
use serde_json::json;

fn at(secs: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + secs, 0).single().unwrap()
}

fn reply(status: u16, body: &str) -> Attempt {
    Attempt {
        started: at(0),
        status: Some(status),
        status_text: "OK".into(),
        http_version: "HTTP/1.1".into(),
        headers: Vec::new(),
        body: Some(CapturedBody::capture(
            body.as_bytes(),
            body.len() as u64,
            &[],
        )),
        headers_ms: Some(3),
        elapsed_ms: 5,
        error: None,
        retry_after_ms: None,
        wait_ms: None,
    }
}

pub(super) fn entry(dest: &str, call: &str, name: &str, status: u16, reply_body: &str) -> Entry {
    let mut event = json!({"type": call, "userId": "u1", "properties": {"plan": "gold"}});
    match call {
        "track" => event["event"] = json!(name),
        "page" | "screen" => event["name"] = json!(name),
        _ => {}
    }
    let req = PartnerRequest::post("http://127.0.0.1:1/salesmachine/v1/track/event", "Track")
        .json(json!({"contact_uid": "u1", "event_uid": name}));
    let outcome = Outcome {
        kind: OutcomeKind::Requests,
        reason: None,
        findings: vec![Finding::warning("$.properties.account_uid", "no account")],
        requests: vec![req.clone()],
        notes: Vec::new(),
    };
    let report = SendReport {
        started: at(0),
        elapsed_ms: 7,
        elapsed_us: 7_250,
        exchanges: vec![Exchange {
            request: RequestRecord::of(&req),
            attempts: vec![reply(status, reply_body)],
            not_sent: None,
            cancelled: false,
        }],
    };
    Entry::record(
        dest,
        Mode::PartnerApi,
        &Target::Sandbox {
            base: "http://127.0.0.1:1".into(),
        },
        &event,
        &outcome,
        Some(&report),
        &[],
        at(0),
    )
}

pub(super) fn store() -> (tempfile::TempDir, History) {
    let dir = tempfile::tempdir().unwrap();
    let h = History::open(&dir.path().join("history.sqlite3")).unwrap();
    (dir, h)
}

/// Opens an older store read-write, which upgrades it, and checks that it is now of the
/// current layout.
pub(super) fn open_upgraded(path: &std::path::Path) -> History {
    let h = History::open(path).unwrap();
    assert_eq!(h.layout(), Layout::V4);
    let version: i64 = h
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
    h
}

pub(super) fn ids(rows: &[Summary]) -> Vec<i64> {
    rows.iter().map(|r| r.id).collect()
}

pub(super) fn text(t: &str) -> Filter {
    Filter {
        text: Some(t.into()),
        ..Filter::default()
    }
}

#[test]
fn an_entry_comes_back_as_stored() {
    let (_dir, mut h) = store();
    let e = entry(
        "salesmachine",
        "track",
        "Order Completed",
        201,
        r#"{"status":"success"}"#,
    );
    let id = h.append(&e).unwrap();
    let back = h.get(id).unwrap().unwrap();
    assert_eq!(back, Entry { id, ..e });
    assert_eq!(back.status_class, StatusClass::Success);
    assert_eq!(back.event_name, "Order Completed");
    assert_eq!(back.target, "sandbox");
    assert_eq!(h.get(id + 1).unwrap(), None);
    let rows = h.query(&Filter::default(), 0, 10).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status_text, "201");
    assert_eq!(rows[0].time, "2023-11-14T22:13:20.000Z");
    assert_eq!(rows[0].duration_ms, 7);
}

#[test]
fn newest_first_paged_and_counted() {
    let (_dir, mut h) = store();
    let mut all = Vec::new();
    for i in 0..7 {
        all.push(
            h.append(&entry("skalin", "track", &format!("E{i}"), 200, "ok"))
                .unwrap(),
        );
    }
    all.reverse();
    let f = Filter::default();
    assert_eq!(ids(&h.query(&f, 0, 3).unwrap()), all[0..3]);
    assert_eq!(ids(&h.query(&f, 1, 3).unwrap()), all[3..6]);
    assert_eq!(ids(&h.query(&f, 2, 3).unwrap()), all[6..7]);
    assert!(h.query(&f, 3, 3).unwrap().is_empty());
    assert_eq!(h.count(&f).unwrap(), 7);
}

#[test]
fn filters_narrow_the_list() {
    let (_dir, mut h) = store();
    let a = h
        .append(&entry("salesmachine", "track", "Signed Up", 200, "fine"))
        .unwrap();
    let b = h
        .append(&entry(
            "skalin",
            "page",
            "Pricing",
            400,
            r#"{"error":"bad client_id"}"#,
        ))
        .unwrap();
    let c = h
        .append(&entry("skalin", "identify", "", 500, "Internal Oops"))
        .unwrap();
    let by = |f: Filter| ids(&h.query(&f, 0, 50).unwrap());
    assert_eq!(
        by(Filter {
            destination: Some("skalin".into()),
            ..Filter::default()
        }),
        [c, b]
    );
    assert_eq!(
        by(Filter {
            call_type: Some("page".into()),
            ..Filter::default()
        }),
        [b]
    );
    assert_eq!(
        by(Filter {
            event_name: Some("Signed Up".into()),
            ..Filter::default()
        }),
        [a]
    );
    assert_eq!(
        by(Filter {
            status: vec![StatusClass::ClientError, StatusClass::ServerError],
            ..Filter::default()
        }),
        [c, b]
    );
    assert_eq!(
        by(Filter {
            destination: Some("skalin".into()),
            status: vec![StatusClass::ServerError],
            ..Filter::default()
        }),
        [c]
    );
    // Text: in a reply body, in the event, case-insensitive, a substring.
    assert_eq!(by(text("BAD CLIENT")), [b]);
    assert_eq!(by(text("oops")), [c]);
    assert_eq!(by(text("gold")), [c, b, a]);
    assert_eq!(by(text("igned u")), [a]);
    assert!(by(text("nowhere to be found")).is_empty());
    // Characters the query language would read are taken literally.
    assert!(by(text(r#"a"b OR c*"#)).is_empty());
    // One or two characters look at the event name only.
    assert_eq!(by(text("Pr")), [b]);
    assert!(by(text("%")).is_empty());
    assert_eq!(h.count(&text("gold")).unwrap(), 3);
    assert_eq!(h.count_at_most(&text("gold"), 2).unwrap(), 2);
    assert_eq!(h.count_at_most(&text("gold"), 10).unwrap(), 3);
}

#[test]
fn delete_clear_and_cap() {
    let (_dir, mut h) = store();
    let mut all = Vec::new();
    for i in 0..6 {
        all.push(
            h.append(&entry("webhook", "track", &format!("Ev{i}"), 200, "x"))
                .unwrap(),
        );
    }
    assert_eq!(h.delete(&[all[1], all[1], 9999]).unwrap(), 1);
    assert_eq!(h.get(all[1]).unwrap(), None);
    assert!(h.query(&text("Ev1"), 0, 10).unwrap().is_empty());

    assert_eq!(h.enforce_cap(3).unwrap(), 2);
    assert_eq!(
        ids(&h.query(&Filter::default(), 0, 10).unwrap()),
        [all[5], all[4], all[3]]
    );
    // The search index forgets what was dropped.
    let indexed: i64 = h
        .conn
        .query_row("SELECT count(*) FROM entries_text", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexed, 3);

    // A cap also holds on later appends.
    h.set_cap(2).unwrap();
    let newest = h
        .append(&entry("webhook", "track", "Last", 200, "x"))
        .unwrap();
    assert_eq!(
        ids(&h.query(&Filter::default(), 0, 10).unwrap()),
        [newest, all[5]]
    );

    assert_eq!(h.clear().unwrap(), 2);
    assert_eq!(h.count(&Filter::default()).unwrap(), 0);
    // Ids are never reused.
    let after = h
        .append(&entry("webhook", "track", "Again", 200, "x"))
        .unwrap();
    assert!(after > newest);
}

#[test]
fn entries_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    let id = {
        let mut h = History::open(&path).unwrap();
        h.append(&entry("skalin", "track", "Kept", 200, "x"))
            .unwrap()
    };
    let h = History::open(&path).unwrap();
    assert_eq!(h.get(id).unwrap().unwrap().event_name, "Kept");
    let mode: String = h
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn recording_masks_secrets_everywhere() {
    let secret = "sandbox-api-key".to_string();
    let req = PartnerRequest::post("http://127.0.0.1:1/x?key=sandbox-api-key", "Upsert")
        .secret_header("Authorization", "Token token=sandbox-api-key", &secret)
        .json(json!({"k": "sandbox-api-key"}));
    let mut attempt = reply(200, "");
    attempt.body = Some(CapturedBody {
        text: "echo sandbox-api-key".into(),
        encoding: None,
        size: 20,
        truncated: false,
    });
    let report = SendReport {
        started: at(0),
        elapsed_ms: 1,
        elapsed_us: 1_000,
        exchanges: vec![Exchange {
            request: RequestRecord::of(&req),
            attempts: vec![attempt],
            not_sent: None,
            cancelled: false,
        }],
    };
    let outcome = Outcome {
        kind: OutcomeKind::Requests,
        reason: None,
        findings: Vec::new(),
        requests: vec![req],
        notes: Vec::new(),
    };
    let event = json!({"type": "identify", "userId": "u", "traits": {"note": "sandbox-api-key"}});
    let e = Entry::record(
        "freshmarketer",
        Mode::PartnerApi,
        &Target::Live,
        &event,
        &outcome,
        Some(&report),
        &[secret],
        at(0),
    );
    let stored = serde_json::to_string(&e).unwrap();
    assert!(!stored.contains("sandbox-api-key"), "{stored}");
    assert_eq!(e.event["traits"]["note"], MASK);
    let ex = &e.exchanges[0];
    assert_eq!(ex.request.url, format!("http://127.0.0.1:1/x?key={MASK}"));
    assert_eq!(
        ex.request.header("authorization"),
        Some(format!("Token {MASK}").as_str())
    );
    assert_eq!(
        ex.attempts[0].body.as_ref().unwrap().text,
        format!("echo {MASK}")
    );
}

#[test]
fn an_outcome_with_nothing_sent_takes_its_class() {
    let outcome = Outcome {
        kind: OutcomeKind::Rejected,
        reason: Some("1 error must be fixed before this event can be sent.".into()),
        findings: vec![Finding::error("$.userId", "userId is required.")],
        requests: Vec::new(),
        notes: Vec::new(),
    };
    let e = Entry::record(
        "salesmachine",
        Mode::PartnerApi,
        &Target::Live,
        &json!({"type": "track", "event": "X"}),
        &outcome,
        None,
        &[],
        at(0),
    );
    assert_eq!(e.status_class, StatusClass::Rejected);
    assert_eq!(e.outcome, "rejected");
    assert_eq!(e.status_text(), "rejected");
    assert_eq!(e.findings.len(), 1);
    let (_dir, mut h) = store();
    let id = h.append(&e).unwrap();
    let only_rejected = Filter {
        status: vec![StatusClass::Rejected],
        ..Filter::default()
    };
    assert_eq!(ids(&h.query(&only_rejected, 0, 5).unwrap()), [id]);
}

const CHILD_ENV: &str = "SEGMENT_CONSOLE_HISTORY_CHILD";

/// Run as a child by `a_killed_writer_loses_nothing_it_reported`: appends entries until it is
/// killed, printing each id once `append` has returned.
#[test]
fn durability_child() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let mut h = History::open(Path::new(&path)).unwrap();
    for i in 0..100_000 {
        let id = h
            .append(&entry(
                "salesmachine",
                "track",
                &format!("Child {i}"),
                200,
                "ok",
            ))
            .unwrap();
        println!("stored {id} Child {i}");
    }
}

#[test]
fn a_killed_writer_loses_nothing_it_reported() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "history::tests::durability_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reported: Vec<(i64, String)> = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let Some(rest) = line.strip_prefix("stored ") else {
            continue;
        };
        let (id, name) = rest.split_once(' ').unwrap();
        reported.push((id.parse().unwrap(), name.to_string()));
        if reported.len() == 30 {
            // SIGKILL on Unix: no destructor, no flush, nothing of the child runs after this.
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    assert_eq!(reported.len(), 30);
    let h = History::open(&path).unwrap();
    for (id, name) in &reported {
        let e = h.get(*id).unwrap();
        assert_eq!(e.map(|e| e.event_name), Some(name.clone()), "entry {id}");
    }
    assert!(h.count(&Filter::default()).unwrap() >= 30);
}

/// `cargo test --lib history::tests::search_speed -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check: prints search times over 100,000 entries"]
fn search_speed() {
    let (_dir, mut h) = store();
    let started = std::time::Instant::now();
    for chunk in 0..100 {
        let batch: Vec<Entry> = (0..1000)
            .map(|i| {
                let n = chunk * 1000 + i;
                let body = format!(
                    r#"{{"status":"success","contact":{{"id":{n},"email":"user{n}@example.com"}}}}"#
                );
                entry(
                    ["salesmachine", "skalin", "freshmarketer"][n % 3],
                    ["track", "page", "identify"][n % 3],
                    &format!("Event number {n}"),
                    [200, 201, 400, 500][n % 4],
                    &body,
                )
            })
            .collect();
        h.append_all(&batch).unwrap();
    }
    println!("filled 100,000 entries in {:?}", started.elapsed());
    let cases = [
        ("rare text", text("user77777@")),
        ("common text", text("success")),
        ("absent text", text("zzzqqq")),
        (
            "destination",
            Filter {
                destination: Some("skalin".into()),
                ..Filter::default()
            },
        ),
        (
            "status + text",
            Filter {
                status: vec![StatusClass::ServerError],
                text: Some("number 9999".into()),
                ..Filter::default()
            },
        ),
    ];
    for (label, f) in cases {
        let t = std::time::Instant::now();
        let rows = h.query(&f, 0, 100).unwrap();
        let q = t.elapsed();
        let t = std::time::Instant::now();
        let n = h.count(&f).unwrap();
        let c = t.elapsed();
        let t = std::time::Instant::now();
        let m = h.count_at_most(&f, 1000).unwrap();
        println!(
            "{label}: first page of {} in {q:?}; count {n} in {c:?}; count up to 1000: {m} in {:?}",
            rows.len(),
            t.elapsed()
        );
    }
}

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_store_and_its_wal_files_are_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    let mut h = History::open(&path).unwrap();
    h.append(&entry("salesmachine", "identify", "", 201, "{}"))
        .unwrap();
    for suffix in ["", "-wal", "-shm"] {
        let p = dir.path().join(format!("history.sqlite3{suffix}"));
        assert!(p.exists(), "{} exists while the store is open", p.display());
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
}

#[cfg(unix)]
#[test]
fn an_older_world_readable_store_is_made_private_on_open() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    {
        let mut h = History::open(&path).unwrap();
        h.append(&entry("salesmachine", "identify", "", 201, "{}"))
            .unwrap();
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let h = History::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(h.count(&Filter::default()).unwrap(), 1, "nothing lost");
}

#[test]
fn times_read_in_the_local_zone_to_the_second() {
    let shown = crate::history::local_time("2026-12-01T06:23:39.420Z");
    // Whatever the machine's zone, the date and time are to the second, and the seconds are
    // those stored (zone offsets are whole minutes).
    assert_eq!(shown.len(), 19, "{shown}");
    assert!(shown.ends_with(":39"), "{shown}");
    assert_eq!(&shown[4..5], "-");
    assert_eq!(crate::history::local_time("not a time"), "not a time");
}
