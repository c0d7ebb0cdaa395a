use super::*;
use crate::event::Severity;
use serde_json::json;

fn plan(doc: Value) -> Plan {
    Plan::from_value(&doc).expect("plan reads")
}

/// (kind, path) of every finding, in order.
fn kinds(findings: &[Finding]) -> Vec<(String, String)> {
    findings
        .iter()
        .map(|f| (f.kind.clone().unwrap_or_default(), f.path.clone()))
        .collect()
}

fn order_completed_rule(version: u64, revenue_type: &str) -> Value {
    json!({
        "key": "Order Completed",
        "type": "TRACK",
        "version": version,
        "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "properties": {
                "properties": {
                    "type": "object",
                    "properties": {
                        "revenue": {"type": revenue_type, "id": "/properties/properties/properties/revenue"},
                        "currency": {"type": "string"}
                    },
                    "required": ["revenue"]
                },
                "context": {},
                "traits": {}
            },
            "required": ["properties"]
        }
    })
}

fn track(name: &str, properties: Value) -> Value {
    json!({"type": "track", "event": name, "userId": "u1", "properties": properties})
}

#[test]
fn public_api_rules_check_each_violation_kind() {
    let mut rule = order_completed_rule(1, "number");
    rule["jsonSchema"]["properties"]["properties"]["additionalProperties"] = json!(false);
    rule["jsonSchema"]["properties"]["properties"]["properties"]["currency"]["enum"] =
        json!(["USD", "EUR"]);
    let p = plan(json!({"rules": [rule]}));
    assert_eq!(p.format, PlanFormat::PublicApi);
    assert!(
        p.check(&track("Order Completed", json!({"revenue": 4.5})))
            .is_empty()
    );

    let f = p.check(&track("Order Completed", json!({"revenue": "4.5"})));
    assert_eq!(
        kinds(&f),
        [("Datatype-Mismatch".into(), "$.properties.revenue".into())]
    );
    assert_eq!(f[0].message, "properties.revenue must be number");
    assert_eq!(f[0].severity, Severity::Error);

    let f = p.check(&track("Order Completed", json!({"currency": "USD"})));
    assert_eq!(
        kinds(&f),
        [("Required-Missing".into(), "$.properties.revenue".into())]
    );
    assert_eq!(f[0].message, "properties.revenue is required");

    let f = p.check(&track(
        "Order Completed",
        json!({"revenue": 1, "coupon": "X"}),
    ));
    assert_eq!(
        kinds(&f),
        [("Additional-Properties".into(), "$.properties.coupon".into())]
    );
    assert_eq!(f[0].severity, Severity::Warning);

    let f = p.check(&track(
        "Order Completed",
        json!({"revenue": 1, "currency": "GBP"}),
    ));
    assert_eq!(
        kinds(&f),
        [("Unknown-Violation".into(), "$.properties.currency".into())]
    );
    assert!(
        f[0].message
            .starts_with("properties.currency must be one of")
    );

    let f = p.check(&track("Order Refunded", json!({})));
    assert_eq!(kinds(&f), [("Unplanned-Event".into(), "$.event".into())]);
    assert_eq!(f[0].severity, Severity::Warning);
    assert_eq!(
        f[0].message,
        "track \"Order Refunded\" is not in the tracking plan"
    );
}

#[test]
fn the_kind_is_serialized_beside_the_finding() {
    let p = plan(json!({"rules": [order_completed_rule(1, "number")]}));
    let f = p.check(&track("Order Completed", json!({"revenue": true})));
    let v = serde_json::to_value(&f).unwrap();
    assert_eq!(
        v,
        json!([{"severity": "error", "path": "$.properties.revenue",
                "message": "properties.revenue must be number", "kind": "Datatype-Mismatch"}])
    );
    // The Segment Spec's own findings keep their old shape.
    let spec = serde_json::to_value(Finding::error("$.userId", "x")).unwrap();
    assert!(spec.get("kind").is_none());
}

#[test]
fn versions_come_from_context_protocols_and_default_to_the_latest() {
    let p = plan(json!({"rules": [
        order_completed_rule(1, "string"),
        order_completed_rule(2, "number"),
    ]}));
    let mut ev = track("Order Completed", json!({"revenue": 3}));
    // Latest (v2: number) without a version.
    assert!(p.check(&ev).is_empty());
    ev["context"] = json!({"protocols": {"event_version": 1}});
    assert_eq!(
        kinds(&p.check(&ev)),
        [("Datatype-Mismatch".into(), "$.properties.revenue".into())]
    );
    ev["context"]["protocols"]["event_version"] = json!("2");
    assert!(p.check(&ev).is_empty());
    ev["context"]["protocols"]["event_version"] = json!(7);
    let f = p.check(&ev);
    assert_eq!(
        kinds(&f),
        [(
            "Unplanned-Event".into(),
            "$.context.protocols.event_version".into()
        )]
    );
    assert!(
        f[0].message.contains("it has version 1, 2"),
        "{}",
        f[0].message
    );
}

#[test]
fn the_common_rule_applies_to_every_event_type() {
    let p = plan(json!({"rules": [
        {"key": null, "type": "COMMON", "version": 1, "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "properties": {"context": {"type": "object", "required": ["locale"],
                "properties": {"locale": {"type": "string"}}}},
            "required": ["context"]
        }},
        {"key": "Home", "type": "PAGE", "version": 1, "jsonSchema": {
            "properties": {"properties": {"required": ["path"]}}
        }},
        {"type": "IDENTIFY", "version": 1, "jsonSchema": {
            "properties": {"traits": {"required": ["email"]}}, "required": ["traits"]
        }}
    ]}));
    let ok_ctx = json!({"locale": "en-US"});
    let page = json!({"type": "page", "name": "Home", "userId": "u", "context": ok_ctx,
                      "properties": {"path": "/"}});
    assert!(p.check(&page).is_empty());
    let mut no_ctx = page.clone();
    no_ctx.as_object_mut().unwrap().remove("context");
    assert_eq!(
        kinds(&p.check(&no_ctx)),
        [("Required-Missing".into(), "$.context".into())]
    );
    // Both COMMON and the event's own rule.
    let identify =
        json!({"type": "identify", "userId": "u", "context": {"locale": 5}, "traits": {}});
    assert_eq!(
        kinds(&p.check(&identify)),
        [
            ("Datatype-Mismatch".into(), "$.context.locale".into()),
            ("Required-Missing".into(), "$.traits.email".into())
        ]
    );
    // A page with no rule is not unplanned (only track events are).
    let other = json!({"type": "page", "name": "Elsewhere", "userId": "u", "context": ok_ctx});
    assert!(p.check(&other).is_empty());
    // COMMON applies to track events too, and an unplanned one is still reported.
    let t = json!({"type": "track", "event": "X", "userId": "u"});
    assert_eq!(
        kinds(&p.check(&t)),
        [
            ("Required-Missing".into(), "$.context".into()),
            ("Unplanned-Event".into(), "$.event".into())
        ]
    );
}

#[test]
fn typewriter_plans_are_unwrapped_schemas_over_the_properties() {
    let p = plan(json!({
        "id": "tp_1", "name": "App", "resourceSchemaId": "rs_1",
        "rules": [{
            "key": "Signed Up", "type": "TRACK", "version": 1,
            "jsonSchema": {
                "$schema": "http://json-schema.org/draft-07/schema#",
                "eventMetadata": {"name": "Signed Up", "type": "TRACK"},
                "labels": {},
                "properties": {"plan": {"id": "/properties/plan", "type": "string"}},
                "required": ["plan"],
                "type": "object"
            }
        }]
    }));
    assert_eq!(p.format, PlanFormat::Typewriter);
    assert!(
        p.check(&track("Signed Up", json!({"plan": "pro"})))
            .is_empty()
    );
    assert_eq!(
        kinds(&p.check(&track("Signed Up", json!({"plan": 3})))),
        [("Datatype-Mismatch".into(), "$.properties.plan".into())]
    );
    assert_eq!(
        kinds(&p.check(&json!({"type": "track", "event": "Signed Up", "userId": "u"}))),
        [("Required-Missing".into(), "$.properties".into())]
    );
}

#[test]
fn the_legacy_v1_shape_reads_global_events_identify_and_group() {
    let p = plan(json!({"rules": {
        "global": {"properties": {"context": {"required": ["ip"]}}},
        "events": [{"name": "Viewed", "version": 1, "rules": {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "properties": {"properties": {"properties": {"n": {"type": "integer"}}}}
        }}],
        "identify": {"properties": {"traits": {"properties": {"age": {"type": "integer"}}}}},
        "group": {},
        "identify_traits": [],
        "group_traits": []
    }}));
    assert_eq!(p.format, PlanFormat::LegacyV1);
    let ctx = json!({"ip": "1.2.3.4"});
    let mut ev = track("Viewed", json!({"n": 2}));
    ev["context"] = ctx.clone();
    assert!(p.check(&ev).is_empty());
    ev["properties"]["n"] = json!(2.5);
    assert_eq!(
        kinds(&p.check(&ev)),
        [("Datatype-Mismatch".into(), "$.properties.n".into())]
    );
    let id = json!({"type": "identify", "userId": "u", "traits": {"age": "x"}, "context": {}});
    assert_eq!(
        kinds(&p.check(&id)),
        [
            ("Required-Missing".into(), "$.context.ip".into()),
            ("Datatype-Mismatch".into(), "$.traits.age".into())
        ]
    );
    // `group: {}` is no rule, so a group event meets only the global rule.
    let g = json!({"type": "group", "groupId": "g", "userId": "u", "context": ctx});
    assert!(p.check(&g).is_empty());
}

#[test]
fn paged_and_enveloped_public_api_listings_read_as_one_plan() {
    let pages = json!([
        {"data": {"rules": [order_completed_rule(1, "number")], "pagination": {"next": "MQ=="}}},
        {"rules": [{"key": "Signed Up", "type": "TRACK", "version": 1, "jsonSchema": {}}]}
    ]);
    let p = plan(pages);
    assert_eq!(p.event_rules(), 2);
    assert!(p.check(&track("Signed Up", json!({}))).is_empty());
    let enveloped = plan(json!({"data": {"rules": [order_completed_rule(1, "number")]}}));
    assert_eq!(enveloped.event_rules(), 1);
}

/// One schema per draft, each using what that draft (and not the others) spells its way.
#[test]
fn drafts_04_06_07_and_2019_09_are_each_applied_by_their_own_rules() {
    let rule = |schema: Value| {
        plan(json!({"rules": [{"key": "E", "type": "TRACK", "version": 1, "jsonSchema": schema}]}))
    };
    // draft-04: exclusiveMaximum is a boolean beside maximum.
    let d4 = rule(json!({
        "$schema": "http://json-schema.org/draft-04/schema#",
        "properties": {"properties": {"properties": {"n": {"maximum": 10, "exclusiveMaximum": true}}}}
    }));
    assert!(d4.check(&track("E", json!({"n": 9}))).is_empty());
    assert_eq!(
        kinds(&d4.check(&track("E", json!({"n": 10})))),
        [("Unknown-Violation".into(), "$.properties.n".into())]
    );
    // draft-06: const and a numeric exclusiveMinimum.
    let d6 = rule(json!({
        "$schema": "http://json-schema.org/draft-06/schema#",
        "properties": {"properties": {"properties": {
            "kind": {"const": "a"}, "n": {"exclusiveMinimum": 0}
        }}}
    }));
    assert!(
        d6.check(&track("E", json!({"kind": "a", "n": 1})))
            .is_empty()
    );
    assert_eq!(d6.check(&track("E", json!({"kind": "b", "n": 0}))).len(), 2);
    // draft-07: if/then.
    let d7 = rule(json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "properties": {"properties": {
            "if": {"properties": {"paid": {"const": true}}, "required": ["paid"]},
            "then": {"required": ["amount"]}
        }}
    }));
    assert!(d7.check(&track("E", json!({"paid": false}))).is_empty());
    assert_eq!(
        kinds(&d7.check(&track("E", json!({"paid": true})))),
        [("Required-Missing".into(), "$.properties.amount".into())]
    );
    // 2019-09: unevaluatedProperties and dependentRequired.
    let d2019 = rule(json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "properties": {"properties": {
            "properties": {"a": {}, "b": {}},
            "unevaluatedProperties": false,
            "dependentRequired": {"a": ["b"]}
        }}
    }));
    assert!(d2019.check(&track("E", json!({"a": 1, "b": 2}))).is_empty());
    assert_eq!(
        kinds(&d2019.check(&track("E", json!({"b": 1, "z": 2})))),
        [("Additional-Properties".into(), "$.properties.z".into())]
    );
    assert_eq!(
        kinds(&d2019.check(&track("E", json!({"a": 1})))),
        [("Required-Missing".into(), "$.properties.b".into())]
    );
}

#[test]
fn ids_from_exports_neither_break_refs_nor_move_the_base() {
    // A pointer-like `id` over a `$ref` to the root's definitions: taken as an identifier it
    // would move the base and the reference would not resolve.
    let p = plan(
        json!({"rules": [{"key": "E", "type": "TRACK", "version": 1, "jsonSchema": {
            "$schema": "http://json-schema.org/draft-04/schema#",
            "definitions": {"money": {"type": "number"}},
            "properties": {"properties": {"id": "/properties/properties",
                "properties": {"revenue": {"id": "/properties/properties/properties/revenue",
                                           "$ref": "#/definitions/money"}}}}
        }}]}),
    );
    assert_eq!(
        kinds(&p.check(&track("E", json!({"revenue": "1"})))),
        [("Datatype-Mismatch".into(), "$.properties.revenue".into())]
    );
    // An absolute `id` in a draft-07 schema is what `$id` means: a `$ref` to it resolves.
    let p = plan(
        json!({"rules": [{"key": "E", "type": "TRACK", "version": 1, "jsonSchema": {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "definitions": {"sku": {"id": "urn:shop:sku", "type": "string"}},
            "properties": {"properties": {"properties": {
                "sku": {"$ref": "urn:shop:sku"},
                "id": {"type": "string"}
            }}}
        }}]}),
    );
    assert!(
        p.check(&track("E", json!({"sku": "a", "id": "x"})))
            .is_empty()
    );
    assert_eq!(
        kinds(&p.check(&track("E", json!({"sku": 1, "id": 2})))),
        [
            ("Datatype-Mismatch".into(), "$.properties.sku".into()),
            ("Datatype-Mismatch".into(), "$.properties.id".into())
        ]
    );
}

#[test]
fn severities_change_per_plan_and_off_drops_a_kind() {
    let mut p = plan(json!({"rules": [order_completed_rule(1, "number")]}));
    let unplanned = track("Other", json!({}));
    assert_eq!(p.check(&unplanned)[0].severity, Severity::Warning);
    p.severities = Severities::from_settings(&json!({"severity": {
        "Unplanned-Event": "error", "datatype-mismatch": "off"}}))
    .unwrap();
    assert_eq!(p.check(&unplanned)[0].severity, Severity::Error);
    assert!(
        p.check(&track("Order Completed", json!({"revenue": "x"})))
            .is_empty()
    );
    p.severities
        .apply_assignment("Unplanned-Event=warning")
        .unwrap();
    assert_eq!(p.check(&unplanned)[0].severity, Severity::Warning);
    let bad = Severities::from_settings(&json!({"severity": {"Typo": "error"}})).unwrap_err();
    assert!(bad.contains("\"Typo\" is not a violation kind"), "{bad}");
    let bad = Severities::default()
        .apply_assignment("Unplanned-Event=fatal")
        .unwrap_err();
    assert!(bad.contains("\"fatal\" is not a level"), "{bad}");
}

#[test]
fn an_unreadable_plan_says_where() {
    let e = Plan::parse("{\"rules\": [\n  {\"key\": \"A\",\n  }\n]}").unwrap_err();
    assert!(matches!(e, PlanError::Syntax { line: 3, .. }), "{e:?}");
    assert!(e.to_string().starts_with("line 3, column 3: "), "{e}");

    let e = Plan::parse("{\"events\": []}").unwrap_err();
    assert!(e.to_string().contains("not a tracking plan"), "{e}");

    let e = Plan::from_value(&json!({"rules": [
        {"key": "A", "type": "TRACK", "jsonSchema": {}},
        {"key": "B", "type": "TRACK", "version": 2, "jsonSchema": {"type": "numbr"}}
    ]}))
    .unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with("rules[1] (TRACK \"B\" v2): the jsonSchema is not a valid JSON Schema"),
        "{text}"
    );

    let e = Plan::from_value(&json!({"rules": [{"type": "TRACK", "jsonSchema": {}}]})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rules[0]: a TRACK rule needs a \"key\" (the event name)"
    );
    let e = Plan::from_value(&json!({"rules": [{"key": "A", "type": "ALIAS"}]})).unwrap_err();
    assert!(e.to_string().contains("\"type\" is \"ALIAS\""), "{e}");
    let e = Plan::from_value(&json!({"rules": [{"key": "A", "type": "TRACK",
        "jsonSchema": {"$schema": "http://example.com/my-draft"}}]}))
    .unwrap_err();
    assert!(e.to_string().contains("drafts 04, 06, 07, 2019-09"), "{e}");
    let e = Plan::from_value(&json!({"rules": [{"key": "A", "type": "TRACK", "version": -1}]}))
        .unwrap_err();
    assert!(e.to_string().contains("\"version\" is -1"), "{e}");
    let e = Plan::from_value(&json!({"rules": {"events": [{"version": 1}]}})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "rules.events[0]: \"name\" (the event name) is missing"
    );
    // A remote reference is never fetched: it is a clear error.
    let e = Plan::from_value(&json!({"rules": [{"key": "A", "type": "TRACK",
        "jsonSchema": {"$ref": "https://example.com/schema.json"}}]}))
    .unwrap_err();
    assert!(
        e.to_string().starts_with("rules[0] (TRACK \"A\" v1)"),
        "{e}"
    );
}
