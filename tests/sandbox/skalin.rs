//! Skalin's imitation over real HTTP (docs/destinations.md §5, §7, revised 2026-12): a feature of
//! a contact not identified yet is accepted and kept pending, then attached by the identify with
//! its id or email; `/skalin/hit/bulk` takes Skalin's documented `{"identities", "features"}` body.

use crate::support::CLIENT_ID;
use crate::support::sandbox::{client, send, start};
use reqwest::Client;
use serde_json::{Value, json};

const VISITOR: &str = "a1b2c3d4e5f60718";
const VISIT: &str = "0011223344556677";

fn hit(c: &Client, base: &str, params: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let mut all = vec![
        ("rec", "1"),
        ("client_id", CLIENT_ID),
        ("visitor_id", VISITOR),
        ("visit_id", VISIT),
    ];
    all.extend_from_slice(params);
    let url = reqwest::Url::parse_with_params(&format!("{base}/skalin/hit"), &all).unwrap();
    c.post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cache-Control", "no-cache")
}

fn bulk(c: &Client, base: &str, client_id: &str, body: &Value) -> reqwest::RequestBuilder {
    let url = reqwest::Url::parse_with_params(
        &format!("{base}/skalin/hit/bulk"),
        [("rec", "1"), ("client_id", client_id)],
    )
    .unwrap();
    c.post(url).header("Cache-Control", "no-cache").json(body)
}

fn names(features: &Value) -> Vec<(u64, String)> {
    features
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["identity"].as_u64().unwrap_or(99),
                f["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_feature_before_its_contact_is_pending_then_attached_by_id() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let early = [
        ("action", "ev"),
        ("identity", r#"{"id":"u1"}"#),
        ("event", r#"{"name":"Export","event_name":"feature"}"#),
        ("event_id", "e1"),
        ("customer_id", "acc_acme"),
    ];
    assert_eq!(send(hit(&c, &base, &early)).await, (200, json!("ok"), None));
    let sk = &sb.state()["skalin"];
    assert_eq!(sk["identities"], json!([]));
    assert_eq!(sk["features"], json!([]));
    assert_eq!(
        sk["pending"],
        json!([{"id": "u1", "visitor_id": VISITOR, "name": "Export", "event_name": "feature",
            "params": {"rec": "1", "client_id": CLIENT_ID, "visitor_id": VISITOR, "visit_id": VISIT,
                "action": "ev", "identity": "{\"id\":\"u1\"}",
                "event": "{\"name\":\"Export\",\"event_name\":\"feature\"}", "event_id": "e1",
                "customer_id": "acc_acme"}}])
    );
    // The same event again while pending: accepted, kept once.
    assert_eq!(send(hit(&c, &base, &early)).await.0, 200);
    assert_eq!(sb.state()["skalin"]["duplicates"], 1);

    // Someone else's identify attaches nothing.
    let other = [("action", "ui"), ("identity", r#"{"id":"u2"}"#)];
    assert_eq!(send(hit(&c, &base, &other)).await.0, 200);
    assert_eq!(
        sb.state()["skalin"]["pending"].as_array().map(Vec::len),
        Some(1)
    );

    let ui = [
        ("action", "ui"),
        ("identity", r#"{"email":"ann@x.io","id":"u1"}"#),
    ];
    assert_eq!(send(hit(&c, &base, &ui)).await, (200, json!("ok"), None));
    let sk = &sb.state()["skalin"];
    assert_eq!(sk["pending"], json!([]), "moved out of pending");
    assert_eq!(names(&sk["features"]), [(1, "Export".to_string())]);
    assert_eq!(sk["features"][0]["params"]["event_id"], "e1");
    assert_eq!(sk["identities"][1]["email"], "ann@x.io");
}

#[tokio::test]
async fn a_pending_feature_is_attached_by_email_without_regard_to_case() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    for (email, name) in [("Ann@X.io", "Export"), ("bob@x.io", "Import")] {
        let identity = format!(r#"{{"email":"{email}"}}"#);
        let event = format!(r#"{{"name":"{name}"}}"#);
        let ev = [
            ("action", "ev"),
            ("identity", identity.as_str()),
            ("event", event.as_str()),
        ];
        assert_eq!(send(hit(&c, &base, &ev)).await, (200, json!("ok"), None));
    }
    let ui = [("action", "ui"), ("identity", r#"{"email":"ann@x.io"}"#)];
    assert_eq!(send(hit(&c, &base, &ui)).await.0, 200);
    let sk = &sb.state()["skalin"];
    assert_eq!(names(&sk["features"]), [(0, "Export".to_string())]);
    assert_eq!(sk["pending"].as_array().map(Vec::len), Some(1));
    assert_eq!(sk["pending"][0]["email"], "bob@x.io");
    assert_eq!(sk["pending"][0]["event_name"], "feature");
}

#[tokio::test]
async fn bulk_takes_skalins_documented_body() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    // Skalin's documented form: identities first, then features; features of a contact
    // identified in the same body are attached at once, the others wait.
    let body = json!({
        "identities": [
            {"eventId": "i1", "identity": {"email": "ann@x.io", "id": "u1"}, "customerId": "acc_acme",
             "visitId": VISIT, "ts": "2026-05-05T08:02:11", "localtime": "08:02:11",
             "url": "https://app.example.com/", "cip": "203.0.113.24"}
        ],
        "features": [
            {"eventId": "f1", "name": "Export", "identity": {"email": "ann@x.io", "id": "u1"},
             "customerId": "acc_acme", "visitId": VISIT, "ts": "2026-05-05T08:03:00",
             "localtime": "08:03:00", "url": "https://app.example.com/export", "cip": "203.0.113.24"},
            {"eventId": "f2", "name": "Import", "identity": {"id": "u9"}, "visitId": VISIT}
        ]
    });
    let (status, reply, _) = send(bulk(&c, &base, CLIENT_ID, &body)).await;
    assert_eq!(
        (status, reply),
        (200, json!({"accepted": 3, "pending": 1, "refused": []}))
    );
    let sk = &sb.state()["skalin"];
    assert_eq!(
        sk["identities"],
        json!([{"email": "ann@x.io", "id": "u1", "customer_id": "acc_acme", "visitor_ids": []}])
    );
    assert_eq!(names(&sk["features"]), [(0, "Export".to_string())]);
    // Kept in the single hit's spelling, so both forms read alike.
    assert_eq!(
        sk["features"][0]["params"],
        json!({"rec": "1", "client_id": CLIENT_ID, "action": "ev", "event_id": "f1",
            "customer_id": "acc_acme", "visit_id": VISIT, "ts": "2026-05-05T08:03:00",
            "localtime": "08:03:00", "url": "https://app.example.com/export", "cip": "203.0.113.24",
            "identity": "{\"email\":\"ann@x.io\",\"id\":\"u1\"}",
            "event": "{\"name\":\"Export\",\"event_name\":\"feature\"}"})
    );
    assert_eq!(sk["pending"][0]["id"], "u9");

    // The waiting feature is attached by a later identities-only body.
    let later = json!({"identities": [{"identity": {"id": "u9"}, "visitId": VISIT}]});
    let (status, reply, _) = send(bulk(&c, &base, CLIENT_ID, &later)).await;
    assert_eq!(
        (status, reply),
        (200, json!({"accepted": 1, "pending": 0, "refused": []}))
    );
    let sk = &sb.state()["skalin"];
    assert_eq!(
        names(&sk["features"]),
        [(0, "Export".to_string()), (1, "Import".to_string())]
    );
    assert_eq!(sk["pending"], json!([]));
}

#[tokio::test]
async fn bulk_refuses_each_bad_element_and_keeps_the_others() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let body = json!({
        "identities": [
            {"identity": {"id": "u1"}, "visitId": VISIT},
            {"visitId": VISIT},
            {"identity": "u2", "visitId": VISIT}
        ],
        "features": [
            {"identity": {"id": "u1"}, "visitId": VISIT},
            {"name": "Export", "identity": {"id": "u1"}},
            {"name": "Export", "visitId": VISIT},
            {"name": "Export", "identity": {"id": "u1"}, "visitId": VISIT}
        ]
    });
    let (status, reply, _) = send(bulk(&c, &base, CLIENT_ID, &body)).await;
    assert_eq!(
        (status, reply),
        (
            400,
            json!({"accepted": 2, "pending": 0, "refused": [
                {"list": "identities", "index": 1, "message": "missing identity: a ui hit needs an email or an id"},
                {"list": "identities", "index": 2, "message": "identity must be a JSON object"},
                {"list": "features", "index": 0, "message": "name is required: the feature's name"},
                {"list": "features", "index": 1, "message": "missing visitId"},
                {"list": "features", "index": 2, "message": "missing identity: a feature needs an email or an id"}
            ]})
        )
    );
    let sk = &sb.state()["skalin"];
    assert_eq!(sk["identities"].as_array().map(Vec::len), Some(1));
    assert_eq!(names(&sk["features"]), [(0, "Export".to_string())]);
}

#[tokio::test]
async fn bulk_refuses_a_wrong_client_and_any_other_body_as_a_whole() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let body = json!({"identities": [{"identity": {"id": "u1"}, "visitId": VISIT}]});
    assert_eq!(
        send(bulk(&c, &base, "someone-else", &body)).await,
        (400, json!("bad client_id"), None)
    );
    let no_client = c.post(format!("{base}/skalin/hit/bulk?rec=1")).json(&body);
    assert_eq!(
        send(no_client).await,
        (400, json!("missing client_id"), None)
    );
    // The array of hits the sandbox once took is not Skalin's form.
    let old = json!([{"rec": "1", "action": "ui", "visitor_id": "v1", "visit_id": "s1",
        "identity": {"id": "u1"}}]);
    assert_eq!(
        send(bulk(&c, &base, CLIENT_ID, &old)).await,
        (
            400,
            json!("a bulk body must be a JSON object {\"identities\": [...], \"features\": [...]}"),
            None
        )
    );
    assert_eq!(
        send(bulk(&c, &base, CLIENT_ID, &json!({}))).await,
        (
            400,
            json!("a bulk body needs identities or features (or both)"),
            None
        )
    );
    assert_eq!(
        send(bulk(
            &c,
            &base,
            CLIENT_ID,
            &json!({"features": {"name": "A"}})
        ))
        .await,
        (400, json!("features must be an array"), None)
    );
    assert_eq!(sb.state()["skalin"]["identities"], json!([]));
}
