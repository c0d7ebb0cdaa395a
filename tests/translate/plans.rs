//! Tracking plans read from files in each format (tests/fixtures/plans/, written from the
//! published shapes) and applied to the tour: it meets them, and each change to it is the
//! violation it should be. Also the settings file beside a plan and unreadable plans.

use segment_console::event::{Finding, Severity};
use segment_console::files::event_set;
use segment_console::files::plan_file;
use segment_console::plan::{Plan, PlanFormat};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plans")
        .join(name)
}

fn tour() -> Vec<Value> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tour.json");
    event_set::open(&p).expect("the tour opens").set.events
}

fn kinds(f: &[Finding]) -> Vec<(&str, &str)> {
    f.iter()
        .map(|f| (f.kind.as_deref().unwrap_or(""), f.path.as_str()))
        .collect()
}

fn load(name: &str) -> Plan {
    plan_file::load(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn the_public_api_export_checks_every_call_of_the_tour() {
    let plan = load("public-api.json");
    assert_eq!(plan.format, PlanFormat::PublicApi);
    let events = tour();
    for ev in &events {
        assert_eq!(plan.check(ev), Vec::new(), "{ev}");
    }
    let (identify, group, page, screen, track, alias) = (
        &events[0], &events[1], &events[2], &events[3], &events[4], &events[5],
    );
    let mut e = identify.clone();
    e["traits"]["plan"] = json!("enterprise");
    e["traits"].as_object_mut().unwrap().remove("email");
    assert_eq!(
        kinds(&plan.check(&e)),
        [
            ("Required-Missing", "$.traits.email"),
            ("Unknown-Violation", "$.traits.plan")
        ]
    );
    let mut e = group.clone();
    e["traits"]["employees"] = json!("420");
    assert_eq!(
        kinds(&plan.check(&e)),
        [("Datatype-Mismatch", "$.traits.employees")]
    );
    let mut e = page.clone();
    e["properties"].as_object_mut().unwrap().remove("path");
    assert_eq!(
        kinds(&plan.check(&e)),
        [("Required-Missing", "$.properties.path")]
    );
    let mut e = screen.clone();
    e["properties"]["widgets"] = json!(6.5);
    let f = plan.check(&e);
    assert_eq!(kinds(&f), [("Datatype-Mismatch", "$.properties.widgets")]);
    assert_eq!(f[0].message, "properties.widgets must be integer");
    // Version 2 (the latest) wants a number; version 1 a string.
    let mut e = track.clone();
    e["properties"]["revenue"] = json!("2388.00");
    e["properties"]["products"][0]
        .as_object_mut()
        .unwrap()
        .remove("product_id");
    assert_eq!(
        kinds(&plan.check(&e)),
        [
            ("Datatype-Mismatch", "$.properties.revenue"),
            ("Required-Missing", "$.properties.products[0].product_id")
        ]
    );
    e["context"]["protocols"] = json!({"event_version": 1});
    assert_eq!(plan.check(&e), Vec::new());
    // COMMON reaches the alias call too.
    let mut e = alias.clone();
    e["context"]["ip"] = json!(203);
    assert_eq!(
        kinds(&plan.check(&e)),
        [("Datatype-Mismatch", "$.context.ip")]
    );
}

#[test]
fn typewriter_plan_json_reads_with_its_unwrapped_schemas() {
    let plan = load("typewriter-plan.json");
    assert_eq!(plan.format, PlanFormat::Typewriter);
    let track = &tour()[4];
    assert_eq!(plan.check(track), Vec::new());
    let mut e = track.clone();
    e["properties"].as_object_mut().unwrap().remove("seats");
    assert_eq!(
        kinds(&plan.check(&e)),
        [("Required-Missing", "$.properties.seats")]
    );
    e["event"] = json!("Order Refunded");
    let f = plan.check(&e);
    assert_eq!(kinds(&f), [("Unplanned-Event", "$.event")]);
    assert_eq!(f[0].severity, Severity::Warning);
}

#[test]
fn the_config_api_v1_shape_reads_in_draft_04() {
    let plan = load("legacy-v1.json");
    assert_eq!(plan.format, PlanFormat::LegacyV1);
    let events = tour();
    for ev in &events {
        assert_eq!(plan.check(ev), Vec::new(), "{ev}");
    }
    let mut e = events[4].clone();
    // draft-04's boolean exclusiveMaximum: 100 is out.
    e["properties"]["seats"] = json!(100);
    e["properties"]["revenue"] = json!(-1);
    assert_eq!(
        kinds(&plan.check(&e)),
        [
            ("Unknown-Violation", "$.properties.revenue"),
            ("Unknown-Violation", "$.properties.seats")
        ]
    );
}

#[test]
fn the_settings_beside_a_plan_change_its_severities() {
    let dir = tempfile::tempdir().unwrap();
    let plan_path = dir.path().join("plan.json");
    std::fs::copy(fixture("typewriter-plan.json"), &plan_path).unwrap();
    assert_eq!(
        plan_file::settings_path(&plan_path),
        dir.path().join("plan.severity.json")
    );
    std::fs::write(
        dir.path().join("plan.severity.json"),
        r#"{"severity": {"Unplanned-Event": "error", "Required-Missing": "off"}}"#,
    )
    .unwrap();
    let plan = plan_file::load(&plan_path).unwrap();
    let mut e = tour()[4].clone();
    e["properties"].as_object_mut().unwrap().remove("seats");
    assert_eq!(plan.check(&e), Vec::new());
    e["event"] = json!("Order Refunded");
    assert_eq!(plan.check(&e)[0].severity, Severity::Error);

    std::fs::write(
        dir.path().join("plan.severity.json"),
        r#"{"severity": {"Unplanned-Event": "fatal"}}"#,
    )
    .unwrap();
    let e = plan_file::load(&plan_path).unwrap_err();
    assert!(
        e.contains("plan.severity.json: severity.Unplanned-Event: \"fatal\" is not a level"),
        "{e}"
    );
}

#[test]
fn unreadable_plans_name_the_file_and_the_place() {
    let e = plan_file::load(&fixture("bad-schema.json")).unwrap_err();
    assert!(
        e.contains("bad-schema.json: rules[1] (TRACK \"Signed Up\" v1): the jsonSchema is not a valid JSON Schema"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        "{\"rules\": [\n  {\"key\": \"A\" \"type\": \"TRACK\"}\n]}",
    )
    .unwrap();
    let e = plan_file::load(&broken).unwrap_err();
    assert!(e.contains("broken.json: line 2, column 15:"), "{e}");
    let e = plan_file::load(&dir.path().join("absent.json")).unwrap_err();
    assert!(e.starts_with("cannot read the tracking plan"), "{e}");
}

mod never_panics {
    use proptest::prelude::*;
    use segment_console::plan::{Plan, arrival, draft};
    use serde_json::{Map, Value, json};

    const KEYS: &[&str] = &[
        "rules",
        "data",
        "key",
        "type",
        "version",
        "jsonSchema",
        "properties",
        "required",
        "items",
        "id",
        "$id",
        "$ref",
        "$schema",
        "events",
        "global",
        "identify",
        "group",
        "name",
        "eventMetadata",
        "additionalProperties",
        "enum",
        "context",
        "protocols",
        "event_version",
        "event",
        "traits",
        "revenue",
        "allOf",
        "not",
        "expect",
        "count",
    ];
    const WORDS: &[&str] = &[
        "TRACK",
        "COMMON",
        "IDENTIFY",
        "PAGE",
        "track",
        "identify",
        "page",
        "Order Completed",
        "number",
        "string",
        "object",
        "integer",
        "http://json-schema.org/draft-04/schema#",
        "http://json-schema.org/draft-07/schema#",
        "https://json-schema.org/draft/2019-09/schema",
        "#/definitions/x",
        "/properties/x",
        "urn:x",
        "",
        "revenue",
    ];

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-3i64..5).prop_map(|n| json!(n)),
            Just(json!(2.5)),
            prop::sample::select(WORDS).prop_map(|w| json!(w)),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(
                    |pairs| Value::Object(
                        pairs
                            .into_iter()
                            .map(|(k, v)| (k.to_string(), v))
                            .collect::<Map<_, _>>()
                    )
                ),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Whatever the file holds, reading it is a plan or a message, checking any event
        /// against a plan is a list of findings, and drafting and matching never panic.
        #[test]
        fn any_plan_and_event_is_read_checked_or_refused_in_words(
            plan in value(), event in value(), expect in value()
        ) {
            match Plan::from_value(&plan) {
                Ok(p) => {
                    for f in p.check(&event) {
                        prop_assert!(f.path.starts_with('$'));
                        prop_assert!(f.kind.is_some());
                    }
                }
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            let drafted = draft::draft(std::slice::from_ref(&event));
            let p = Plan::from_value(&drafted.plan);
            prop_assert!(p.is_ok(), "a draft always reads: {:?}", p.err());
            prop_assert!(p.unwrap().check(&event).is_empty(), "the draft is met by its event");
            if let Ok(list) = arrival::parse(&expect) {
                let _ = arrival::unmet(&list, std::slice::from_ref(&event));
            }
        }
    }
}
