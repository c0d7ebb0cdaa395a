//! Tracking plans and expectations on the command line, end to end with the real binary:
//! `translate --plan` (violations in the findings, exit 1 on an error), `run --plan` (plan errors
//! fail the run and are JUnit failures), `run --expect DIR` (golden files that pass, fail with a
//! diff, and are updated), and `plan draft` (a plan the set it came from meets).

use super::run::{Element, asset, parse_xml, run, text, write};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn plan_fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The tour with the track event's revenue as a string (an error in the public-api plan) and
/// an unplanned track event (a warning) after it.
fn broken_tour(dir: &Path) -> String {
    let tour: Value =
        serde_json::from_str(&std::fs::read_to_string(asset("tour.json")).unwrap()).unwrap();
    let mut events = tour["events"].as_array().unwrap().clone();
    events[4]["properties"]["revenue"] = json!("2388.00");
    let mut unplanned = events[4].clone();
    unplanned["event"] = json!("Order Refunded");
    unplanned["properties"]["revenue"] = json!(10);
    unplanned["messageId"] = json!("tour-0007-refund");
    events.push(unplanned);
    write(dir, "broken.json", &Value::Array(events).to_string())
}

fn json_out(stdout: &[u8]) -> Vec<Value> {
    serde_json::from_slice(stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(stdout)))
}

fn kinds(element: &Value) -> Vec<(String, String, String)> {
    element["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("kind").is_some())
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn translate_with_a_plan_adds_violations_with_their_kind_and_exits_1_on_an_error() {
    let home = tempfile::tempdir().unwrap();
    let plan = plan_fixture("public-api.json");
    let tour = asset("tour.json");
    let o = run(
        home.path(),
        &[
            "translate",
            &tour,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &plan,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(json_out(&o.stdout).iter().all(|e| kinds(e).is_empty()));

    let broken = broken_tour(home.path());
    let o = run(
        home.path(),
        &[
            "translate",
            &broken,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &plan,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = json_out(&o.stdout);
    assert_eq!(
        kinds(&out[4]),
        [(
            "Datatype-Mismatch".into(),
            "error".into(),
            "$.properties.revenue".into()
        )]
    );
    let f = out[4]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f.get("kind").is_some())
        .unwrap();
    assert_eq!(f["message"], "properties.revenue must be number");
    assert_eq!(
        kinds(&out[6]),
        [("Unplanned-Event".into(), "warning".into(), "$.event".into())]
    );
    // The requests are still translated: a plan does not change what a partner gets.
    assert_eq!(out[4]["outcome"], "requests");
    assert!(
        text(&o.stderr).contains("1 tracking-plan error"),
        "{}",
        text(&o.stderr)
    );

    // Severity from the command line: the error becomes a warning, the run passes.
    let o = run(
        home.path(),
        &[
            "translate",
            &broken,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &plan,
            "--severity",
            "Datatype-Mismatch=warning",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(kinds(&json_out(&o.stdout)[4])[0].1, "warning");

    // curl output: the violations go to stderr.
    let o = run(
        home.path(),
        &[
            "translate",
            &broken,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &plan,
            "--format",
            "curl",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains(
            "#4 error Datatype-Mismatch at $.properties.revenue: properties.revenue must be number"
        ),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn a_plan_that_cannot_be_read_stops_translate_and_run_with_its_position() {
    let home = tempfile::tempdir().unwrap();
    let bad = write(
        home.path(),
        "plan.json",
        "{\"rules\": [\n  {\"key\": 1,,}\n]}",
    );
    let tour = asset("tour.json");
    for cmd in ["translate", "run"] {
        let o = run(
            home.path(),
            &[
                cmd, &tour, "-d", "webhook", "--target", "sandbox", "--plan", &bad,
            ],
        );
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = text(&o.stderr);
        assert!(
            err.contains("plan.json: line 2, column 13:"),
            "{cmd}: {err}"
        );
    }
    let schema = plan_fixture("bad-schema.json");
    let o = run(
        home.path(),
        &[
            "translate",
            &tour,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &schema,
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("rules[1] (TRACK \"Signed Up\" v1)"),
        "{}",
        text(&o.stderr)
    );
    let o = run(
        home.path(),
        &[
            "translate",
            &tour,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--severity",
            "Unplanned-Event=error",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "--severity needs --plan");
}

/// The failure elements of a JUnit report: (case name, failure type, message).
fn failures(path: &Path) -> Vec<(String, String, String)> {
    let xml = std::fs::read_to_string(path).expect("the JUnit file exists");
    let elements = parse_xml(&xml);
    let mut out = Vec::new();
    let mut case: Option<&Element> = None;
    for e in &elements {
        match (e.depth, e.name.as_str()) {
            (1, "testcase") => case = Some(e),
            (2, "failure") => out.push((
                case.map(|c| c.attrs["name"].clone()).unwrap_or_default(),
                e.attrs["type"].clone(),
                e.attrs["message"].clone(),
            )),
            _ => {}
        }
    }
    out
}

#[test]
fn run_with_a_plan_sends_every_event_but_fails_on_plan_errors_in_junit() {
    let home = tempfile::tempdir().unwrap();
    let broken = broken_tour(home.path());
    let plan = plan_fixture("public-api.json");
    let report = home.path().join("junit.xml");
    let o = run(
        home.path(),
        &[
            "run",
            &broken,
            "-d",
            "webhook",
            "--plan",
            &plan,
            "--junit",
            report.to_str().unwrap(),
        ],
    );
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", text(&o.stderr));
    assert!(out.contains("Tracking plan:"), "{out}");
    assert!(
        out.contains("#4 error Datatype-Mismatch at $.properties.revenue"),
        "{out}"
    );
    assert!(
        out.contains("#6 warning Unplanned-Event at $.event"),
        "{out}"
    );
    assert!(
        out.contains("2 tracking-plan violations (1 error)."),
        "{out}"
    );
    // Every event was delivered: the plan judges, it does not stop a send.
    assert!(out.contains("7 events in"), "{out}");
    assert!(out.contains("7 delivered"), "{out}");
    assert_eq!(
        failures(&report),
        [(
            "#4 track Order Completed".into(),
            "tracking-plan".into(),
            "properties.revenue must be number".into()
        )]
    );
    // The history's plan column keeps each event's verdict, in the list and in the table.
    let o = run(home.path(), &["history", "--json", "--limit", "20"]);
    let mut verdicts: Vec<(String, String)> = json_out(&o.stdout)
        .iter()
        .map(|r| {
            (
                r["event"].as_str().unwrap().to_string(),
                r["plan"].as_str().unwrap_or("(none)").to_string(),
            )
        })
        .collect();
    verdicts.sort();
    let errors: Vec<&(String, String)> = verdicts.iter().filter(|(_, p)| p != "ok").collect();
    assert_eq!(
        errors,
        [
            &("Order Completed".to_string(), "1 error".to_string()),
            &("Order Refunded".to_string(), "1 warning".to_string())
        ],
        "{verdicts:?}"
    );
    assert_eq!(verdicts.len(), 7, "{verdicts:?}");
    let table = text(&run(home.path(), &["history"]).stdout);
    assert!(table.lines().next().unwrap().contains("plan"), "{table}");
    assert!(table.contains("1 warning"), "{table}");

    // Warnings alone pass.
    let o = run(
        home.path(),
        &[
            "run",
            &asset("tour.json"),
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &plan,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}

fn golden_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn golden_expectations_are_written_pass_fail_with_a_diff_and_update() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("expected");
    let dir_s = dir.to_string_lossy().into_owned();
    let tour = asset("tour.json");
    let report = home.path().join("junit.xml");
    let report_s = report.to_string_lossy().into_owned();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["run", &tour, "-d", "webhook", "--expect", &dir_s]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let go = |extra: &[&str]| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        run(home.path(), &refs)
    };

    // No folder yet: the run says how to make one.
    let o = go(&[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("run once with --update"),
        "{}",
        text(&o.stderr)
    );

    let o = go(&["--update"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert_eq!(
        golden_files(&dir),
        [
            "000-identify.json",
            "001-group.json",
            "002-pricing.json",
            "003-dashboard.json",
            "004-order-completed.json",
            "005-alias.json"
        ]
    );
    let file = dir.join("004-order-completed.json");
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(golden["outcome"], "requests");
    let keys: Vec<&String> = golden["requests"][0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["body", "headers", "method", "url"],
        "what the partner gets, no more"
    );
    assert!(
        golden["requests"][0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:7311/"),
        "a fixed sandbox address, not this run's port: {golden}"
    );

    // Unchanged: the run passes (a new sandbox port each run does not matter).
    let o = go(&["--junit", &report_s]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("6 as expected, 0 different or missing."));
    assert!(failures(&report).is_empty());

    // A changed golden file: the run fails with a readable diff and a JUnit failure.
    let mut changed = golden.clone();
    let body = &mut changed["requests"][0]["body"];
    let revenue_path = find_key(body, "revenue").expect("the webhook body carries the revenue");
    *body.pointer_mut(&revenue_path).unwrap() = json!(1.0);
    std::fs::write(&file, serde_json::to_string_pretty(&changed).unwrap()).unwrap();
    let o = go(&["--junit", &report_s]);
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("004-order-completed.json differs:"), "{out}");
    assert!(out.contains("\"revenue\": 1.0"), "{out}");
    assert!(out.contains("\"revenue\": 2388.0"), "{out}");
    let diff_minus = out
        .lines()
        .any(|l| l.contains(" - ") && l.contains("\"revenue\": 1.0"));
    let diff_plus = out
        .lines()
        .any(|l| l.contains(" + ") && l.contains("\"revenue\": 2388.0"));
    assert!(diff_minus && diff_plus, "{out}");
    let f = failures(&report);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].0, "#4 track Order Completed");
    assert_eq!(f[0].1, "expectation");

    // A golden file no event makes is stale: a failure, removed by --update.
    std::fs::write(dir.join("006-extra.json"), "{}").unwrap();
    let o = go(&[]);
    assert!(text(&o.stdout).contains("006-extra.json has no event in the set"));
    let o = go(&["--update"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    assert!(text(&o.stdout).contains("wrote 004-order-completed.json"));
    assert!(!dir.join("006-extra.json").exists());
    let o = go(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
}

/// The JSON pointer of the first key named `name` anywhere in `v`.
fn find_key(v: &Value, name: &str) -> Option<String> {
    match v {
        Value::Object(m) => m.iter().find_map(|(k, child)| {
            if k == name {
                Some(format!("/{k}"))
            } else {
                find_key(child, name).map(|p| format!("/{k}{p}"))
            }
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, child)| find_key(child, name).map(|p| format!("/{i}{p}"))),
        _ => None,
    }
}

#[test]
fn a_drafted_plan_is_met_by_the_set_it_came_from() {
    let home = tempfile::tempdir().unwrap();
    let tour = asset("tour.json");
    let out: PathBuf = home.path().join("drafted.json");
    let out_s = out.to_string_lossy().into_owned();
    let o = run(home.path(), &["plan", "draft", &tour, "--output", &out_s]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("5 rules from 6 events"),
        "{}",
        text(&o.stderr)
    );
    let drafted: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let keys: Vec<(&str, &Value)> = drafted["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["type"].as_str().unwrap(), &r["key"]))
        .collect();
    assert_eq!(
        keys,
        [
            ("IDENTIFY", &Value::Null),
            ("GROUP", &Value::Null),
            ("PAGE", &json!("Pricing")),
            ("SCREEN", &json!("Dashboard")),
            ("TRACK", &json!("Order Completed"))
        ]
    );
    let o = run(
        home.path(),
        &[
            "translate",
            &tour,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &out_s,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(json_out(&o.stdout).iter().all(|e| kinds(e).is_empty()));
    let broken = broken_tour(home.path());
    let o = run(
        home.path(),
        &[
            "translate",
            &broken,
            "-d",
            "webhook",
            "--target",
            "sandbox",
            "--plan",
            &out_s,
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let out = json_out(&o.stdout);
    assert_eq!(
        kinds(&out[4]),
        [(
            "Datatype-Mismatch".into(),
            "error".into(),
            "$.properties.revenue".into()
        )]
    );
    // Printed when no --output is given.
    let o = run(home.path(), &["plan", "draft", &tour]);
    assert_eq!(o.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(printed, drafted);
}
