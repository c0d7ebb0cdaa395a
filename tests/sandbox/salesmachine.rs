//! Salesmachine's imitation over real HTTP: authentication (Basic auth and `?api_token=`), the
//! error body every error carries (`code`, `error`, `message`), and what each call and each
//! batch item the official clients send keeps (docs/destinations.md §2, §7).

use crate::support::sandbox::{client, salesmachine, send, start, start_with};
use crate::support::{API_KEY as KEY, API_SECRET as SECRET};
use segment_console::sandbox::{Credentials, Fault, SandboxConfig};
use serde_json::{Value, json};

#[tokio::test]
async fn contact_is_created_then_updated() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let first = json!({"contact_uid": "u1", "params": {"name": "Ann", "plan": "free"},
        "created_at": "2026-01-02T03:04:05Z"});
    assert_eq!(
        send(salesmachine(&c, &base, "/v1/contact", &first)).await,
        (201, json!({"status": "success"}), None)
    );
    let second = json!({"contact_uid": "u1", "params": {"plan": "pro"}});
    assert_eq!(
        send(salesmachine(&c, &base, "/v1/contact", &second)).await,
        (200, json!({"status": "success"}), None)
    );
    assert_eq!(
        sb.state()["salesmachine"]["contacts"],
        json!({"u1": {"params": {"name": "Ann", "plan": "pro"}, "created_at": "2026-01-02T03:04:05Z"}})
    );
}

#[tokio::test]
async fn credentials_are_checked_as_salesmachine_does() {
    let sb = start().await;
    let c = client();
    let url = format!("{}/salesmachine/v1/contact", sb.base_url());
    let body = json!({"contact_uid": "u1"});

    let (status, reply, _) = send(c.post(&url).json(&body)).await;
    assert_eq!(status, 400);
    assert_eq!(reply["error"], "missing_api_key");
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("API token is missing")
    );

    let (status, reply, _) = send(c.post(&url).basic_auth(KEY, Some("wrong")).json(&body)).await;
    assert_eq!(
        (status, reply),
        (
            401,
            json!({"code": "invalid_api_key", "error": "invalid_api_key",
                "message": "The API token or API secret is wrong"})
        )
    );
    let (status, _, _) = send(c.post(&url).basic_auth("other", Some(SECRET)).json(&body)).await;
    assert_eq!(status, 401);
    assert_eq!(sb.state()["salesmachine"]["contacts"], json!({}));
}

#[tokio::test]
async fn unknown_url_wrong_method_and_not_json() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/people", &json!({}))).await;
    assert_eq!((status, reply["error"].clone()), (404, json!("not_found")));

    let res = c
        .get(format!("{base}/salesmachine/v1/contact"))
        .basic_auth(KEY, Some(SECRET))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "POST");

    let res = c
        .post(format!("{base}/salesmachine/v1/contact"))
        .basic_auth(KEY, Some(SECRET))
        .header("content-type", "text/plain")
        .body("contact_uid=u1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 406);
    let res = c
        .post(format!("{base}/salesmachine/v1/contact"))
        .basic_auth(KEY, Some(SECRET))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 406);
    let reply: serde_json::Value = res.json().await.unwrap();
    assert_eq!(reply["error"], "not_json");
}

#[tokio::test]
async fn required_fields_give_400_with_the_field_named() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let cases = [
        (
            "/v1/contact",
            json!({"params": {}}),
            "missing_field",
            "contact_uid is required",
        ),
        (
            "/v1/account",
            json!({"account_uid": ""}),
            "missing_field",
            "account_uid must not be empty",
        ),
        (
            "/v1/track/event",
            json!({"contact_uid": "u1"}),
            "missing_field",
            "event_uid is required",
        ),
        (
            "/v1/alias",
            json!({"contact_uid": "u1"}),
            "missing_field",
            "previous_contact_uid is required",
        ),
        (
            "/v1/contact",
            json!({"contact_uid": "u1", "params": [1]}),
            "invalid_field",
            "params must be a JSON object",
        ),
        (
            "/v1/contact",
            json!({"contact_uid": "u1", "created_at": "yesterday"}),
            "invalid_field",
            "created_at must be an ISO-8601 timestamp or a Unix time",
        ),
    ];
    for (path, body, code, message) in cases {
        let (status, reply, _) = send(salesmachine(&c, &base, path, &body)).await;
        assert_eq!(
            (status, reply),
            (
                400,
                json!({"code": code, "error": code, "message": message})
            ),
            "{path} {body}"
        );
    }
    assert_eq!(sb.state()["salesmachine"]["contacts"], json!({}));
}

#[tokio::test]
async fn events_accounts_and_alias() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let calls = [
        (
            "/v1/account",
            json!({"account_uid": "acme", "params": {"name": "Acme"}}),
            201,
        ),
        (
            "/v1/contact",
            json!({"contact_uid": "anon-1", "params": {"email": "a@x.io"}}),
            201,
        ),
        (
            "/v1/track/event",
            json!({"contact_uid": "anon-1", "event_uid": "pageview",
            "params": {"visit_url": "https://x.io"}}),
            200,
        ),
        (
            "/v1/contact",
            json!({"contact_uid": "u1", "params": {"name": "Ann"}}),
            201,
        ),
        (
            "/v1/alias",
            json!({"contact_uid": "u1", "previous_contact_uid": "anon-1"}),
            200,
        ),
    ];
    for (path, body, want) in calls {
        let (status, _, _) = send(salesmachine(&c, &base, path, &body)).await;
        assert_eq!(status, want, "{path}");
    }
    let sm = &sb.state()["salesmachine"];
    assert_eq!(
        sm["accounts"],
        json!({"acme": {"params": {"name": "Acme"}}})
    );
    assert_eq!(
        sm["contacts"],
        json!({"u1": {"params": {"name": "Ann", "email": "a@x.io"}}})
    );
    assert_eq!(
        sm["events"],
        json!([{"contact_uid": "u1", "event_uid": "pageview", "params": {"visit_url": "https://x.io"}}])
    );
    assert_eq!(
        sm["aliases"],
        json!([{"contact_uid": "u1", "previous_contact_uid": "anon-1"}])
    );
}

#[tokio::test]
async fn batch_applies_all_items_or_none() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let bad = json!([
        {"method": "contact", "contact_uid": "u1"},
        {"method": "event", "contact_uid": "u1"}
    ]);
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/batch", &bad)).await;
    assert_eq!(
        (status, reply),
        (
            400,
            json!({"code": "invalid_batch", "error": "invalid_batch",
                "message": "Item 1: event_uid is required"})
        )
    );
    assert_eq!(sb.state()["salesmachine"]["contacts"], json!({}));

    let good = json!([
        {"method": "contact", "contact_uid": "u1", "params": {"name": "Ann"}},
        {"method": "account", "account_uid": 42},
        {"method": "event", "contact_uid": "u1", "event_uid": "signed_up"},
        {"method": "track", "contact_uid": "u1", "event_uid": "logged_in"}
    ]);
    assert_eq!(
        send(salesmachine(&c, &base, "/v1/batch", &good)).await,
        (200, json!({"status": "success"}), None)
    );
    let sm = &sb.state()["salesmachine"];
    assert_eq!(sm["accounts"], json!({"42": {"params": {}}}));
    let events: Vec<&str> = sm["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_uid"].as_str().unwrap())
        .collect();
    assert_eq!(events, ["signed_up", "logged_in"]);

    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/batch", &json!({"a": 1}))).await;
    assert_eq!(
        (status, reply["error"].clone()),
        (400, json!("invalid_batch"))
    );
}

#[tokio::test]
async fn ping_checks_credentials_only() {
    let sb = start().await;
    let c = client();
    let url = format!("{}/salesmachine/v1/ping", sb.base_url());
    let (status, reply, _) = send(c.get(&url).basic_auth(KEY, Some(SECRET))).await;
    assert_eq!((status, reply), (200, json!({"status": "success"})));
    let (status, _, _) = send(c.get(&url).basic_auth(KEY, Some("nope"))).await;
    assert_eq!(status, 401);
}

/// Asserts a Salesmachine error body: exactly `code`, `error` (the same short code) and a
/// sentence in `message`.
fn assert_error_body(what: &str, reply: &Value, code: &str) {
    let keys: Vec<&str> = reply
        .as_object()
        .unwrap_or_else(|| panic!("{what}: the body is not an object: {reply}"))
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["code", "error", "message"], "{what}: {reply}");
    assert_eq!(reply["code"], code, "{what}: {reply}");
    assert_eq!(reply["error"], code, "{what}: {reply}");
    assert!(
        reply["message"].as_str().is_some_and(|m| m.len() > 10),
        "{what}: {reply}"
    );
}

#[tokio::test]
async fn every_error_body_carries_code_error_and_message() {
    let sb = start_with(SandboxConfig {
        body_limit: 256,
        ..SandboxConfig::default()
    })
    .await;
    let c = client();
    let base = sb.base_url();
    let url = format!("{base}/salesmachine/v1/contact");
    let body = json!({"contact_uid": "u1"});
    let mut cases: Vec<(&str, u16, Value, &str)> = Vec::new();

    let (status, reply, _) = send(c.post(&url).json(&body)).await;
    cases.push(("no credentials", status, reply, "missing_api_key"));
    let (status, reply, _) = send(c.post(&url).basic_auth(KEY, Some("wrong")).json(&body)).await;
    cases.push(("wrong secret", status, reply, "invalid_api_key"));
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/people", &body)).await;
    cases.push(("unknown URL", status, reply, "not_found"));
    let (status, reply, _) = send(c.get(&url).basic_auth(KEY, Some(SECRET))).await;
    cases.push(("wrong method", status, reply, "method_not_allowed"));
    let (status, reply, _) = send(
        c.post(&url)
            .basic_auth(KEY, Some(SECRET))
            .header("content-type", "text/plain")
            .body("contact_uid=u1"),
    )
    .await;
    cases.push(("not JSON", status, reply, "not_json"));
    let big = json!({"contact_uid": "u1", "params": {"bio": "x".repeat(400)}});
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/contact", &big)).await;
    cases.push(("too large", status, reply, "payload_too_large"));
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/contact", &json!({}))).await;
    cases.push(("missing field", status, reply, "missing_field"));
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/batch", &json!({}))).await;
    cases.push(("bad batch", status, reply, "invalid_batch"));

    sb.set_fault(
        "salesmachine",
        Fault::Status {
            code: 429,
            count: 1,
            retry_after: Some(2),
        },
    )
    .unwrap();
    let (status, reply, retry) = send(salesmachine(&c, &base, "/v1/contact", &body)).await;
    assert_eq!(retry.as_deref(), Some("2"));
    cases.push(("429 fault", status, reply, "rate_limited"));
    sb.set_fault(
        "salesmachine",
        Fault::Status {
            code: 503,
            count: 1,
            retry_after: None,
        },
    )
    .unwrap();
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/batch", &json!([]))).await;
    cases.push(("503 fault", status, reply, "unavailable"));

    let statuses: Vec<u16> = cases.iter().map(|(_, s, _, _)| *s).collect();
    assert_eq!(statuses, [400, 401, 404, 405, 406, 413, 400, 400, 429, 503]);
    for (what, _, reply, code) in &cases {
        assert_error_body(what, reply, code);
    }
    assert_eq!(sb.state()["salesmachine"]["contacts"], json!({}));
}

#[tokio::test]
async fn the_api_token_query_parameter_authenticates_alone() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let body = json!({"contact_uid": "u1", "params": {"name": "Ann"}});
    let (status, reply, _) = send(
        c.post(format!("{base}/salesmachine/v1/contact?api_token={KEY}"))
            .json(&body),
    )
    .await;
    assert_eq!((status, reply), (201, json!({"status": "success"})));
    // With Basic auth as well, both are right: accepted.
    let (status, _, _) = send(
        c.post(format!(
            "{base}/salesmachine/v1/track/event?api_token={KEY}"
        ))
        .basic_auth(KEY, Some(SECRET))
        .json(&json!({"contact_uid": "u1", "event_uid": "signed_up"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, _) = send(c.get(format!(
        "{base}/salesmachine/v1/ping?other=1&api_token={KEY}"
    )))
    .await;
    assert_eq!(status, 200);
    let sm = &sb.state()["salesmachine"];
    assert_eq!(sm["contacts"], json!({"u1": {"params": {"name": "Ann"}}}));
    assert_eq!(sm["events"][0]["event_uid"], "signed_up");

    // The value is percent-decoded as any query parameter.
    let odd = start_with(SandboxConfig {
        credentials: Credentials {
            api_key: "tok en/+&=1".into(),
            ..Credentials::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let (status, _, _) = send(c.get(format!(
        "{}/salesmachine/v1/ping?api_token=tok%20en%2F%2B%26%3D1",
        odd.base_url()
    )))
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_wrong_api_token_gives_401_like_a_wrong_basic_token() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let contact = |q: &str| format!("{base}/salesmachine/v1/contact{q}");
    let body = json!({"contact_uid": "u1"});

    let (status, reply, _) = send(c.post(contact("?api_token=wrong-token")).json(&body)).await;
    assert_eq!(
        (status, reply),
        (
            401,
            json!({"code": "invalid_api_key", "error": "invalid_api_key",
                "message": "The API token in api_token is wrong"})
        )
    );
    // A wrong credential is never outweighed by a right one.
    let (status, reply, _) = send(
        c.post(contact("?api_token=wrong-token"))
            .basic_auth(KEY, Some(SECRET))
            .json(&body),
    )
    .await;
    assert_eq!(
        (status, reply["code"].clone()),
        (401, json!("invalid_api_key"))
    );
    let (status, reply, _) = send(
        c.post(contact(&format!("?api_token={KEY}")))
            .basic_auth(KEY, Some("wrong"))
            .json(&body),
    )
    .await;
    assert_eq!(
        (status, reply["code"].clone()),
        (401, json!("invalid_api_key"))
    );
    let (status, _, _) = send(
        c.post(contact(&format!("?api_token={KEY}&api_token=other")))
            .json(&body),
    )
    .await;
    assert_eq!(status, 401, "every api_token given is checked");
    // The secret is not a token.
    let (status, _, _) = send(c.post(contact(&format!("?api_token={SECRET}"))).json(&body)).await;
    assert_eq!(status, 401);

    // An empty api_token is no token: 400 as with no credentials at all.
    let (status, reply, _) = send(c.post(contact("?api_token=")).json(&body)).await;
    assert_eq!(
        (status, reply["code"].clone()),
        (400, json!("missing_api_key"))
    );
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("api_token query parameter"),
        "{reply}"
    );
    // An Authorization header that is not Basic auth is refused even beside a right api_token.
    let (status, reply, _) = send(
        c.post(contact(&format!("?api_token={KEY}")))
            .bearer_auth(KEY)
            .json(&body),
    )
    .await;
    assert_eq!(
        (status, reply["code"].clone()),
        (400, json!("missing_api_key"))
    );
    assert_eq!(sb.state()["salesmachine"]["contacts"], json!({}));
}

#[tokio::test]
async fn batch_takes_the_items_the_official_clients_send() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    // What salesmachine-python 1.0.1 sends: set_contact, set_account, track_event and
    // track_pageview, each with its method, and nothing else.
    let python = json!([
        {"method": "contact", "contact_uid": "u1", "params": {"name": "Ann", "email": "ann@x.io"}},
        {"method": "account", "account_uid": "acme", "params": {"name": "Acme"}},
        {"method": "event", "contact_uid": "u1", "event_uid": "signed_up",
            "params": {"plan": "pro"}},
        {"method": "event", "contact_uid": "u1", "event_uid": "pageview",
            "params": {"visit_url": "https://x.io/pricing"}}
    ]);
    assert_eq!(
        send(salesmachine(&c, &base, "/v1/batch", &python)).await,
        (200, json!({"status": "success"}), None)
    );
    // What salesmachine-ruby 1.x sends: `event` for the event's name, a messageId, a
    // created_at with milliseconds and an offset, and a pageview without params.
    let ruby = json!([
        {"method": "event", "event": "logged_in", "contact_uid": "u1", "params": {"via": "sso"},
            "created_at": "2026-01-02T03:04:05.123+01:00",
            "messageId": "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"},
        {"method": "event", "event": "pageview", "contact_uid": "u1", "params": null,
            "created_at": "2026-01-02T03:04:06.000Z",
            "messageId": "1f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"}
    ]);
    assert_eq!(
        send(salesmachine(&c, &base, "/v1/batch", &ruby)).await,
        (200, json!({"status": "success"}), None)
    );
    let sm = &sb.state()["salesmachine"];
    assert_eq!(
        sm["contacts"],
        json!({"u1": {"params": {"name": "Ann", "email": "ann@x.io"}}})
    );
    assert_eq!(
        sm["accounts"],
        json!({"acme": {"params": {"name": "Acme"}}})
    );
    assert_eq!(
        sm["events"],
        json!([
            {"contact_uid": "u1", "event_uid": "signed_up", "params": {"plan": "pro"}},
            {"contact_uid": "u1", "event_uid": "pageview",
                "params": {"visit_url": "https://x.io/pricing"}},
            {"contact_uid": "u1", "event_uid": "logged_in", "params": {"via": "sso"},
                "created_at": "2026-01-02T03:04:05.123+01:00"},
            {"contact_uid": "u1", "event_uid": "pageview", "params": {},
                "created_at": "2026-01-02T03:04:06.000Z"}
        ])
    );
}

#[tokio::test]
async fn event_uid_wins_over_event_and_event_is_read_only_in_a_batch() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let both = json!([{"method": "event", "contact_uid": "u1", "event_uid": "signed_up",
        "event": "ignored"}]);
    assert_eq!(
        send(salesmachine(&c, &base, "/v1/batch", &both)).await.0,
        200
    );
    assert_eq!(
        sb.state()["salesmachine"]["events"][0]["event_uid"],
        "signed_up"
    );

    let empty = json!([{"method": "event", "contact_uid": "u1", "event": " "}]);
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/batch", &empty)).await;
    assert_eq!(
        (status, reply["message"].clone()),
        (400, json!("Item 0: event must not be empty"))
    );
    let pageview_method = json!([{"method": "pageview", "contact_uid": "u1"}]);
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/batch", &pageview_method)).await;
    assert_eq!(
        (status, reply["code"].clone()),
        (400, json!("invalid_batch"))
    );

    // The single endpoint is the translator's: it takes event_uid only.
    let single = json!({"contact_uid": "u1", "event": "logged_in"});
    let (status, reply, _) = send(salesmachine(&c, &base, "/v1/track/event", &single)).await;
    assert_eq!(
        (status, reply["message"].clone()),
        (400, json!("event_uid is required"))
    );
    assert_eq!(
        sb.state()["salesmachine"]["events"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}
