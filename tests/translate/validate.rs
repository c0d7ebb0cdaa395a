//! Every rule of docs/segment-spec.md, checked on Segment's published example shapes and on broken
//! variants of them.

use segment_console::event::{Event, Finding, Severity, validate};
use serde_json::{Value, json};
use std::path::Path;

fn example(name: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec")
        .join(format!("{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(p).expect("fixture")).expect("fixture JSON")
}

fn errors(v: &Value) -> Vec<Finding> {
    validate(v).into_iter().filter(|f| f.is_error()).collect()
}

/// The single error of a broken event, with its path.
fn only_error(v: &Value) -> Finding {
    let e = errors(v);
    assert_eq!(e.len(), 1, "expected one error, got {e:#?}");
    e.into_iter().next().expect("one")
}

fn has(v: &Value, severity: Severity, path: &str, words: &str) {
    let f = validate(v);
    assert!(
        f.iter()
            .any(|f| f.severity == severity && f.path == path && f.message.contains(words)),
        "no {severity:?} at {path} mentioning {words:?} in {f:#?}"
    );
}

#[test]
fn published_examples_are_valid() {
    for name in ["identify", "track", "page", "screen", "group", "alias"] {
        let v = example(name);
        assert_eq!(errors(&v), vec![], "{name}");
        let e = Event::from_value(&v).expect(name);
        assert_eq!(e.call().as_str(), name);
        assert_eq!(e.to_value(), v, "{name} survives the model");
    }
}

#[test]
fn type_rules() {
    let mut v = example("track");
    v.as_object_mut().unwrap().remove("type");
    assert_eq!(only_error(&v).path, "$.type");
    v["type"] = json!("Track");
    let f = only_error(&v);
    assert!(f.message.contains("did you mean \"track\""), "{f}");
    v["type"] = json!(3);
    assert!(only_error(&v).message.contains("must be a string"));
    assert_eq!(only_error(&json!([1])).path, "$");
}

#[test]
fn ids_are_required_and_strings() {
    let mut v = example("identify");
    let o = v.as_object_mut().unwrap();
    o.remove("userId");
    o.remove("anonymousId");
    let f = only_error(&v);
    assert_eq!(f.path, "$.userId");
    assert!(f.message.contains("userId or an anonymousId"));
    v["userId"] = json!(42);
    let f = only_error(&v);
    assert!(
        f.message.contains("must be a string") && f.message.contains("\"42\""),
        "{f}"
    );
    v["userId"] = json!("   ");
    assert_eq!(only_error(&v).path, "$.userId");
    v["anonymousId"] = json!("anon-1");
    assert_eq!(errors(&v), vec![]);
}

#[test]
fn per_call_required_fields() {
    let mut t = example("track");
    t.as_object_mut().unwrap().remove("event");
    assert_eq!(only_error(&t).path, "$.event");
    t["event"] = json!({"name": "x"});
    assert!(only_error(&t).message.contains("event must be a string"));

    let mut g = example("group");
    g.as_object_mut().unwrap().remove("groupId");
    assert_eq!(only_error(&g).path, "$.groupId");

    let mut a = example("alias");
    a.as_object_mut().unwrap().remove("previousId");
    assert_eq!(only_error(&a).path, "$.previousId");
    let mut a = example("alias");
    a.as_object_mut().unwrap().remove("userId");
    // The anonymousId does not stand in for userId on an alias.
    assert_eq!(only_error(&a).path, "$.userId");
}

#[test]
fn wrong_types_are_errors_with_paths() {
    let mut v = example("identify");
    v["traits"] = json!(["not", "an", "object"]);
    assert_eq!(only_error(&v).path, "$.traits");
    let mut v = example("track");
    v["properties"] = json!("x");
    assert_eq!(only_error(&v).path, "$.properties");
    v = example("track");
    v["context"] = json!(5);
    assert_eq!(only_error(&v).path, "$.context");
    v = example("track");
    v["context"]["page"] = json!("home");
    assert_eq!(only_error(&v).path, "$.context.page");
    v = example("track");
    v["context"]["ip"] = json!(127001);
    assert_eq!(only_error(&v).path, "$.context.ip");
    v = example("track");
    v["integrations"] = json!([]);
    assert_eq!(only_error(&v).path, "$.integrations");
    v = example("track");
    v["version"] = json!({"major": 1});
    assert_eq!(only_error(&v).path, "$.version");
}

#[test]
fn version_and_channel_as_numbers_or_strings() {
    let mut v = example("page");
    for (version, channel) in [(json!(2), json!("server")), (json!("2"), json!(1))] {
        v["version"] = version;
        v["channel"] = channel.clone();
        v["context"]["channel"] = channel;
        assert_eq!(errors(&v), vec![]);
        assert_eq!(Event::from_value(&v).unwrap().to_value(), v);
    }
}

#[test]
fn message_id_at_most_100_characters() {
    let mut v = example("track");
    v["messageId"] = json!("m".repeat(100));
    assert_eq!(errors(&v), vec![]);
    v["messageId"] = json!("m".repeat(101));
    let f = only_error(&v);
    assert_eq!(f.path, "$.messageId");
    assert!(f.message.contains("101 characters"));
    // Characters, not bytes: 100 accented letters are fine.
    v["messageId"] = json!("é".repeat(100));
    assert_eq!(errors(&v), vec![]);
}

#[test]
fn timestamps_must_be_iso8601_with_a_zone() {
    for key in ["timestamp", "sentAt", "originalTimestamp", "receivedAt"] {
        let mut v = example("track");
        v[key] = json!("2015-12-12 19:11:01");
        let f = only_error(&v);
        assert_eq!(f.path, format!("$.{key}"));
        assert!(f.message.contains("no time zone"), "{f}");
        v[key] = json!("last tuesday");
        assert!(only_error(&v).message.contains("not an ISO-8601"));
        v[key] = json!(1449947461);
        assert!(only_error(&v).message.contains("must be a string"));
        v[key] = json!("2015-12-12T19:11:01.249+01:00");
        assert_eq!(errors(&v), vec![]);
    }
}

#[test]
fn events_over_32_kb_are_refused() {
    let mut v = example("track");
    v["properties"]["blob"] = json!("x".repeat(32 * 1024));
    let f = only_error(&v);
    assert_eq!(f.path, "$");
    assert!(f.message.contains("32 KB"));
    v["properties"]["blob"] = json!("x".repeat(30 * 1024));
    assert_eq!(errors(&v), vec![]);
}

#[test]
fn reserved_fields_warn_but_do_not_block() {
    let mut v = example("identify");
    v["traits"]["email"] = json!("not-an-email");
    v["traits"]["age"] = json!("forty");
    v["traits"]["createdAt"] = json!("soon");
    assert_eq!(errors(&v), vec![]);
    has(
        &v,
        Severity::Warning,
        "$.traits.email",
        "does not look like an email",
    );
    has(&v, Severity::Warning, "$.traits.age", "should be a number");
    has(&v, Severity::Warning, "$.traits.createdAt", "ISO-8601 date");

    let mut t = example("track");
    t["properties"]["revenue"] = json!("12.00");
    t["properties"]["currency"] = json!("usd");
    assert_eq!(errors(&t), vec![]);
    has(
        &t,
        Severity::Warning,
        "$.properties.revenue",
        "should be a number",
    );
    has(&t, Severity::Warning, "$.properties.currency", "ISO 4217");

    let mut p = example("page");
    p["properties"]["url"] = json!(5);
    p["properties"]["keywords"] = json!("a, b");
    has(
        &p,
        Severity::Warning,
        "$.properties.url",
        "should be a string",
    );
    has(
        &p,
        Severity::Warning,
        "$.properties.keywords",
        "array of strings",
    );

    let mut g = example("group");
    g["traits"]["employees"] = json!(["many"]);
    has(
        &g,
        Severity::Warning,
        "$.traits.employees",
        "should be a number",
    );

    let mut i = example("track");
    i["integrations"]["Skalin"] = json!("yes");
    has(
        &i,
        Severity::Warning,
        "$.integrations.Skalin",
        "counts as on",
    );
}

#[test]
fn paths_quote_odd_keys() {
    let mut v = example("identify");
    v["context"]["traits"] = json!({"first name": 1, "email": ["x"]});
    has(
        &v,
        Severity::Warning,
        "$.context.traits.email",
        "should be a string",
    );
}

#[test]
fn unknown_fields_anywhere_survive_the_model() {
    let mut v = example("group");
    v["x-custom"] = json!({"nested": [1, 2, {"deep": null}]});
    v["traits"]["zzz"] = json!(null);
    v["context"]["personas"] = json!({"computation_class": "audience"});
    v["userId"] = json!(null);
    let e = Event::from_value(&v).unwrap();
    assert_eq!(e.to_value(), v);
    let text = serde_json::to_string(&e).unwrap();
    let back: Event = serde_json::from_str(&text).unwrap();
    assert_eq!(back, e);
}
