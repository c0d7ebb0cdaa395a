//! Salesmachine's imitation over real HTTP: authentication, errors, and what each call keeps.

use crate::support::sandbox::{client, salesmachine, send, start};
use crate::support::{API_KEY as KEY, API_SECRET as SECRET};
use serde_json::json;

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
            json!({"error": "invalid_api_key", "message": "The API token or API secret is wrong"})
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
            (400, json!({"error": code, "message": message})),
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
            json!({"error": "invalid_batch", "message": "Item 1: event_uid is required"})
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
