//! Any event and any settings, through every destination, mode and target: the pipeline never
//! panics, every URL it builds is absolute, Skalin's query string is fully encoded, and the
//! masked rendering never shows a secret setting.

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use segment_console::destinations::{self, Mode, OutcomeKind, Target};
use serde_json::{Map, Value, json};

const KEYS: &[&str] = &[
    "type",
    "userId",
    "anonymousId",
    "event",
    "name",
    "traits",
    "properties",
    "context",
    "email",
    "groupId",
    "timestamp",
    "messageId",
    "page",
    "url",
    "path",
    "title",
    "ip",
    "address",
    "street",
    "city",
    "postalCode",
    "firstName",
    "lastName",
    "first_name",
    "phone",
    "mobile",
    "employees",
    "industry",
    "integrations",
    "All",
    "Skalin",
    "Freshmarketer",
    "Webhooks",
    "previousId",
    "plan",
    "Seats Bought",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("u_4f8a2c".to_string()),
        Just("maya@example.com".to_string()),
        Just("2026-05-14T09:21:07Z".to_string()),
        Just("2026-05-14T01:15:42.318+02:00".to_string()),
        Just("Maya van der Berg".to_string()),
        Just("it's \"quoted\" & =?#/%".to_string()),
        "[a-zA-Z0-9 é'\"&=?/%:\\n]{0,12}",
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1.0e6f64..1.0e6).prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

/// A valid event of each call, with random fields laid over it (often breaking it).
fn event() -> impl Strategy<Value = Value> {
    let base = prop::sample::select(vec![
        json!({"type": "identify", "userId": "u_4f8a2c", "traits": {"email": "maya@example.com"}}),
        json!({"type": "track", "anonymousId": "anon-1", "event": "Signed In", "context": {"traits": {"email": "maya@example.com"}}}),
        json!({"type": "page", "userId": "u_4f8a2c", "name": "Pricing"}),
        json!({"type": "screen", "userId": "u_4f8a2c", "properties": {"title": "Home"}}),
        json!({"type": "group", "userId": "u_4f8a2c", "groupId": "acc_acme", "traits": {"name": "Acme"}}),
        json!({"type": "alias", "userId": "u_4f8a2c", "previousId": "anon-1"}),
        json!({"type": "Track"}),
    ]);
    (
        base,
        prop::collection::vec((prop::sample::select(KEYS), value()), 0..5),
    )
        .prop_map(|(mut ev, fields)| {
            if let Value::Object(m) = &mut ev {
                for (k, v) in fields {
                    if k != "type" {
                        m.insert(k.to_string(), v);
                    }
                }
            }
            ev
        })
}

/// Secrets long enough and odd enough never to appear by chance in hex, base64 or the event.
fn secret() -> impl Strategy<Value = String> {
    "sec_[g-z]{10}"
}

/// Mostly a complete, valid set of every destination's settings; sometimes anything at all.
fn settings() -> impl Strategy<Value = (Map<String, Value>, Vec<String>)> {
    let valid = (secret(), secret()).prop_map(|(key, shared)| {
        let m = json!({
            "apiKey": key, "domain": "acme.myfreshworks.com", "clientId": "acme-cs",
            "webhookEndpoint": "https://hooks.example.com/segment", "url": "https://hooks.example.com/in",
            "headers": {"X-Team": "growth", "Authorization": "Bearer tok"}, "sharedSecret": shared,
        });
        (m.as_object().cloned().unwrap_or_default(), vec![key, shared])
    });
    let any_text = prop::option::of(prop_oneof![
        text(),
        Just("https://hooks.example.com/segment".to_string()),
        Just("acme.myfreshworks.com".to_string()),
        Just("https://acme.myfreshworks.com/x".to_string()),
    ]);
    let anything = (
        prop::option::of(secret()),
        any_text.clone(),
        any_text.clone(),
        any_text.clone(),
        any_text,
        prop::option::of(value()),
        prop::option::of(secret()),
    )
        .prop_map(|(key, domain, endpoint, client, url, headers, shared)| {
            let mut m = Map::new();
            let mut secrets = Vec::new();
            if let Some(k) = key {
                secrets.push(k.clone());
                m.insert("apiKey".into(), json!(k));
            }
            for (name, v) in [
                ("domain", domain),
                ("webhookEndpoint", endpoint),
                ("clientId", client),
                ("url", url),
            ] {
                if let Some(v) = v {
                    m.insert(name.into(), json!(v));
                }
            }
            if let Some(h) = headers {
                m.insert("headers".into(), h);
            }
            if let Some(s) = shared {
                secrets.push(s.clone());
                m.insert("sharedSecret".into(), json!(s));
            }
            (m, secrets)
        });
    prop_oneof![3 => valid, 1 => anything]
}

fn now() -> DateTime<Utc> {
    "2026-06-01T12:00:00Z".parse().unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn translation_is_total_and_safe(ev in event(), (s, secrets) in settings()) {
        let targets = [
            Target::Live,
            Target::Sandbox { base: "http://127.0.0.1:7311".into() },
            Target::Custom { url: "http://127.0.0.1:9000/bin".into() },
        ];
        for dest in destinations::registry() {
            for mode in [Mode::PartnerApi, Mode::SegmentWebhook] {
                for target in &targets {
                    let out = destinations::translate(*dest, &ev, &s, mode, target, now());
                    if out.kind != OutcomeKind::Requests {
                        prop_assert!(out.requests.is_empty());
                        continue;
                    }
                    for r in &out.requests {
                        prop_assert!(
                            r.url.starts_with("http://") || r.url.starts_with("https://"),
                            "{} built a relative URL {:?}", dest.id(), r.url
                        );
                        if dest.id() == "skalin" && mode == Mode::PartnerApi {
                            let query = r.url.split_once('?').map(|q| q.1).unwrap_or("");
                            prop_assert!(
                                query.bytes().all(|b| b.is_ascii_alphanumeric()
                                    || b"-._~%=&".contains(&b)),
                                "unencoded query {query:?}"
                            );
                        }
                    }
                    let shown = out.to_json(0, false).to_string();
                    for sec in &secrets {
                        prop_assert!(!shown.contains(sec.as_str()), "{} showed a secret", dest.id());
                    }
                }
            }
        }
    }
}
