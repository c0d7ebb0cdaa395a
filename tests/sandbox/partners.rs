//! The imitations of Startdeliver, Freshmarketer, Skalin, Webhooks and the Segment partner
//! webhook, over real HTTP: what each keeps (users created then matched, upserts, identities and
//! features), what each refuses and how, and webhook signatures checked when a secret is set.
//! Skalin's pending features and bulk body have their own module, `skalin.rs`.

use crate::support::sandbox::{client, segment, send, start, start_with};
use crate::support::{API_KEY as KEY, CLIENT_ID};
use reqwest::Client;
use segment_console::sandbox::{Credentials, SandboxConfig, webhook_signature};
use serde_json::{Value, json};

fn sd_settings(by_email: bool) -> Value {
    json!({"startdeliverUserCustomFieldToMatchOn": "externalId",
        "syncUsingEmailInsteadOfCustomField": by_email})
}

#[tokio::test]
async fn startdeliver_creates_then_matches_users_and_records_usage() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let track = json!({"type": "track", "userId": "97980cfea0067", "event": "Report Exported",
        "messageId": "m1", "properties": {"format": "pdf"}});
    let (status, reply, _) = send(segment(
        &c,
        &base,
        "startdeliver",
        &track,
        &sd_settings(false),
    ))
    .await;
    assert_eq!(
        (status, reply),
        (
            200,
            json!({"result": "created", "matchedOn": "externalId", "value": "97980cfea0067",
            "user": {"id": 1, "customFields": {"externalId": "97980cfea0067"}}})
        )
    );
    let page = json!({"type": "page", "userId": "97980cfea0067", "name": "Dashboard"});
    let (status, reply, _) = send(segment(
        &c,
        &base,
        "startdeliver",
        &page,
        &sd_settings(false),
    ))
    .await;
    assert_eq!((status, reply["result"].clone()), (200, json!("matched")));
    let sd = &sb.state()["startdeliver"];
    assert_eq!(sd["users"].as_array().unwrap().len(), 1);
    assert_eq!(
        sd["usage"],
        json!([
            {"userId": 1, "type": "track", "name": "Report Exported", "messageId": "m1",
             "properties": {"format": "pdf"}},
            {"userId": 1, "type": "page", "name": "Dashboard", "properties": {}}
        ])
    );
}

#[tokio::test]
async fn startdeliver_matches_on_email_when_asked_and_falls_back_to_user_id() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let by_email = sd_settings(true);
    let ev = json!({"type": "track", "userId": "u1", "event": "A",
        "context": {"traits": {"email": "Ann@X.io"}}});
    let (_, reply, _) = send(segment(&c, &base, "startdeliver", &ev, &by_email)).await;
    assert_eq!(reply["result"], "created");
    assert_eq!(reply["matchedOn"], "email");
    assert_eq!(
        reply["user"],
        json!({"id": 1, "email": "Ann@X.io", "customFields": {"externalId": "u1"}})
    );
    // Another user id, same email in another place: still the same user.
    let ev =
        json!({"type": "track", "userId": "u2", "event": "B", "properties": {"email": "ann@x.io"}});
    let (_, reply, _) = send(segment(&c, &base, "startdeliver", &ev, &by_email)).await;
    assert_eq!(
        (reply["result"].clone(), reply["user"]["id"].clone()),
        (json!("matched"), json!(1))
    );
    // No email anywhere: the custom field and userId decide.
    let ev = json!({"type": "track", "userId": "u1", "event": "C"});
    let (_, reply, _) = send(segment(&c, &base, "startdeliver", &ev, &by_email)).await;
    assert_eq!(
        (reply["result"].clone(), reply["matchedOn"].clone()),
        (json!("matched"), json!("externalId"))
    );
    let ev = json!({"type": "track", "anonymousId": "a1", "event": "D"});
    let (status, reply, _) = send(segment(&c, &base, "startdeliver", &ev, &by_email)).await;
    assert_eq!(status, 400);
    assert!(
        reply["message"].as_str().unwrap().starts_with("no email"),
        "{reply}"
    );
    assert_eq!(
        sb.state()["startdeliver"]["usage"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn segment_webhook_replies_as_section_one_says() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let url = format!("{base}/startdeliver/segment");
    let track = json!({"type": "track", "userId": "u1", "event": "A"});
    let settings = sd_settings(false);

    let (status, reply, _) = send(c.post(&url).json(&track)).await;
    assert_eq!(status, 401);
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .starts_with("missing Authorization")
    );
    let (status, reply, _) =
        send(c.post(&url).basic_auth("wrong-key", Some("")).json(&track)).await;
    assert_eq!(
        (status, reply),
        (401, json!({"message": "invalid API key"}))
    );
    let (status, _, _) = send(c.post(&url).basic_auth(KEY, Some("x")).json(&track)).await;
    assert_eq!(status, 401, "the password must be empty");

    let identify = json!({"type": "identify", "userId": "u1"});
    let (status, reply, _) = send(segment(&c, &base, "startdeliver", &identify, &settings)).await;
    assert_eq!(
        (status, reply),
        (
            501,
            json!({"message": "Startdeliver does not support identify calls (it takes page, track)"})
        )
    );
    let no_event = json!({"type": "track", "userId": "u1"});
    let (status, reply, _) = send(segment(&c, &base, "startdeliver", &no_event, &settings)).await;
    assert_eq!(
        (status, reply),
        (400, json!({"message": "event is required in a track call"}))
    );
    let (status, reply, _) = send(segment(&c, &base, "startdeliver", &track, &json!({}))).await;
    assert_eq!(status, 400);
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("startdeliverUserCustomFieldToMatchOn")
    );
    let (status, reply, _) = send(
        c.post(&url)
            .basic_auth(KEY, Some(""))
            .header("X-Segment-Settings", "***")
            .json(&track),
    )
    .await;
    assert_eq!(
        (status, reply),
        (400, json!({"message": "X-Segment-Settings is not base64"}))
    );
    let (status, _, _) = send(c.get(&url).basic_auth(KEY, Some(""))).await;
    assert_eq!(status, 405);
    assert_eq!(sb.state()["startdeliver"]["users"], json!([]));

    // Freshmarketer and Skalin take the same envelope, each with its own calls.
    let (status, reply, _) = send(segment(&c, &base, "freshmarketer", &track, &json!({}))).await;
    assert_eq!(
        (status, reply),
        (200, json!({"status": "received", "type": "track"}))
    );
    let group = json!({"type": "group", "userId": "u1", "groupId": "g1"});
    let (status, _, _) = send(segment(&c, &base, "skalin", &group, &json!({}))).await;
    assert_eq!(status, 501);
    let screen = json!({"type": "screen", "userId": "u1", "name": "Home"});
    let (status, _, _) = send(segment(&c, &base, "skalin", &screen, &json!({}))).await;
    assert_eq!(status, 200);
    let state = sb.state();
    assert_eq!(state["freshmarketer"]["segment"], json!([track]));
    assert_eq!(state["skalin"]["segment"], json!([screen]));
}

fn fw(c: &Client, base: &str, what: &str, body: &Value, token: &str) -> reqwest::RequestBuilder {
    c.post(format!("{base}/freshmarketer/crm/sales/api/{what}/upsert"))
        .header("Authorization", format!("Token token={token}"))
        .json(body)
}

#[tokio::test]
async fn freshworks_upserts_create_then_replace() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let first = json!({"unique_identifier": {"emails": "ann@x.io"},
        "contact": {"emails": "ann@x.io", "first_name": "Ann", "job_title": "CTO",
            "custom_field": {"plan": "pro"}}});
    let (status, reply, _) = send(fw(&c, &base, "contacts", &first, KEY)).await;
    assert_eq!(status, 201);
    assert_eq!(reply["contact"]["id"], 1);
    assert_eq!(reply["contact"]["job_title"], "CTO");
    let second = json!({"unique_identifier": {"emails": "ANN@x.io"},
        "contact": {"emails": "ann@x.io", "first_name": "Ann"}});
    let (status, reply, _) = send(fw(&c, &base, "contacts", &second, KEY)).await;
    assert_eq!(status, 200);
    assert_eq!(
        reply,
        json!({"contact": {"id": 1, "emails": "ann@x.io", "first_name": "Ann", "last_name": null,
            "work_number": null, "mobile_number": null, "job_title": null, "address": null,
            "city": null, "state": null, "zipcode": null, "country": null, "external_id": null,
            "custom_field": {}}})
    );
    let account = json!({"unique_identifier": {"name": "Acme"},
        "sales_account": {"name": "Acme", "number_of_employees": 40, "industry_type_id": 7,
            "custom_field": {"industry": "Software"}}});
    let (status, reply, _) = send(fw(&c, &base, "sales_accounts", &account, KEY)).await;
    assert_eq!(
        (status, reply["sales_account"]["id"].clone()),
        (201, json!(1))
    );
    let (status, _, _) = send(fw(&c, &base, "sales_accounts", &account, KEY)).await;
    assert_eq!(status, 200);
    let state = sb.state();
    assert_eq!(
        state["freshmarketer"]["contacts"].as_array().unwrap().len(),
        1
    );
    assert_eq!(
        state["freshmarketer"]["sales_accounts"][0]["number_of_employees"],
        40
    );
    assert_eq!(
        state["freshmarketer"]["sales_accounts"][0]["industry_type_id"],
        7
    );
}

#[tokio::test]
async fn freshworks_refuses_bad_tokens_and_fields() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let body =
        json!({"unique_identifier": {"emails": "ann@x.io"}, "contact": {"first_name": "Ann"}});
    let (status, reply, _) = send(fw(&c, &base, "contacts", &body, "wrong")).await;
    assert_eq!(
        (status, reply),
        (
            401,
            json!({"errors": {"code": 401, "message": ["Incorrect or expired API key"]}})
        )
    );
    let (status, reply, _) = send(
        c.post(format!(
            "{base}/freshmarketer/crm/sales/api/contacts/upsert"
        ))
        .json(&body),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(reply["errors"]["code"], 401);

    let bad = json!({"unique_identifier": {"emails": "ann@x.io"},
        "contact": {"first_name": "Ann", "favourite_colour": "teal"}});
    let (status, reply, _) = send(fw(&c, &base, "contacts", &bad, KEY)).await;
    assert_eq!(
        (status, reply),
        (
            400,
            json!({"errors": {"code": 400, "message": ["Invalid field: favourite_colour"]}})
        )
    );
    let (status, reply, _) = send(fw(&c, &base, "contacts", &json!({"contact": {}}), KEY)).await;
    assert_eq!(
        (status, reply),
        (
            400,
            json!({"errors": {"code": 400, "message": ["unique_identifier must be an object with emails"]}})
        )
    );
    let bad = json!({"unique_identifier": {"name": "Acme"}, "sales_account": {"number_of_employees": "many"}});
    let (status, reply, _) = send(fw(&c, &base, "sales_accounts", &bad, KEY)).await;
    assert_eq!(
        (status, reply["errors"]["message"].clone()),
        (400, json!(["number_of_employees must be a whole number"]))
    );
    // Freshworks' industry field is the id of an entry in the account's list, not a text.
    let bad = json!({"unique_identifier": {"name": "Acme"},
        "sales_account": {"industry_type_id": "Software", "industry_type": "Software"}});
    let (status, reply, _) = send(fw(&c, &base, "sales_accounts", &bad, KEY)).await;
    assert_eq!(
        (status, reply["errors"]["message"].clone()),
        (
            400,
            json!([
                "industry_type_id must be a whole number",
                "Invalid field: industry_type"
            ])
        )
    );
    // Custom fields hold one value each.
    let bad = json!({"unique_identifier": {"emails": "ann@x.io"},
        "contact": {"custom_field": {"company": {"name": "Acme"}}}});
    let (status, reply, _) = send(fw(&c, &base, "contacts", &bad, KEY)).await;
    assert_eq!(
        (status, reply["errors"]["message"].clone()),
        (
            400,
            json!(["custom_field values must be text, numbers, booleans or null"])
        )
    );
    let (status, reply, _) = send(fw(&c, &base, "deals", &body, KEY)).await;
    assert_eq!((status, reply["errors"]["code"].clone()), (404, json!(404)));
    assert_eq!(sb.state()["freshmarketer"]["contacts"], json!([]));
}

/// A contact whose traits hold objects and arrays, translated as the console does in partner-api
/// mode: those traits are left out with warnings (docs/destinations.md §4, revised 2026-12), and
/// what is sent is accepted.
#[tokio::test]
async fn freshworks_accepts_a_contact_with_object_and_array_traits_as_translated() {
    use segment_console::destinations::{self, Mode, OutcomeKind, Target};
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let dest = destinations::find("freshmarketer").expect("freshmarketer");
    let target = Target::Sandbox { base: base.clone() };
    let identify = json!({"type": "identify", "userId": "u1",
        "traits": {"email": "ann@x.io", "firstName": "Ann", "plan": "pro",
            "company": {"name": "Acme", "plan": "enterprise"}, "tags": ["beta", "vip"],
            "mobile": ["+1 415 555 0199"], "address": {"city": "Oslo", "country": {"code": "NO"}}}});
    let group = json!({"type": "group", "userId": "u1", "groupId": "acc_acme",
        "traits": {"name": "Acme", "industry": "Software", "regions": ["emea"],
            "billing": {"seats": 40}}});
    for (event, what) in [(&identify, "contacts"), (&group, "sales_accounts")] {
        let out = destinations::translate(
            dest,
            event,
            &dest.sandbox_settings(),
            Mode::PartnerApi,
            &target,
            chrono::Utc::now(),
        );
        assert_eq!(out.kind, OutcomeKind::Requests, "{:?}", out.findings);
        let req = &out.requests[0];
        assert!(req.url.ends_with(&format!("/{what}/upsert")));
        let body: Value = serde_json::from_slice(&req.body_bytes()).expect("JSON body");
        let (status, reply, _) = send(fw(&c, &base, what, &body, KEY)).await;
        assert_eq!(status, 201, "{what}: {reply}");
    }
    let state = sb.state();
    let contact = &state["freshmarketer"]["contacts"][0];
    assert_eq!(contact["city"], "Oslo");
    assert_eq!(contact["country"], Value::Null);
    assert_eq!(contact["mobile_number"], Value::Null);
    assert_eq!(contact["custom_field"], json!({"plan": "pro"}));
    let account = &state["freshmarketer"]["sales_accounts"][0];
    assert_eq!(account["custom_field"], json!({"industry": "Software"}));
    assert_eq!(account["industry_type_id"], Value::Null);
}

fn hit(c: &Client, base: &str, params: &[(&str, &str)]) -> reqwest::RequestBuilder {
    let url = reqwest::Url::parse_with_params(&format!("{base}/skalin/hit"), params).unwrap();
    c.post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Cache-Control", "no-cache")
}

#[tokio::test]
async fn skalin_records_identities_and_features() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let common = [
        ("rec", "1"),
        ("client_id", CLIENT_ID),
        ("visitor_id", "a1b2c3d4e5f60718"),
        ("visit_id", "0011223344556677"),
    ];
    let ev = [
        &common[..],
        &[
            ("action", "ev"),
            ("identity", r#"{"id":"u1"}"#),
            ("event", r#"{"name":"Export","event_name":"feature"}"#),
            ("event_id", "e1"),
        ],
    ]
    .concat();
    assert_eq!(
        send(hit(&c, &base, &ev)).await,
        (200, json!("ok"), None),
        "a contact not identified yet is kept pending, not refused"
    );

    let ui = [
        &common[..],
        &[
            ("action", "ui"),
            ("identity", r#"{"email":"ann@x.io","id":"u1"}"#),
            ("customer_id", "g1"),
        ],
    ]
    .concat();
    assert_eq!(send(hit(&c, &base, &ui)).await, (200, json!("ok"), None));
    assert_eq!(
        send(hit(&c, &base, &ev)).await.0,
        200,
        "a repeat is accepted"
    );

    let wrong = [&ui[..], &[("client_id", "someone-else")]].concat();
    assert_eq!(
        send(hit(&c, &base, &wrong)).await,
        (400, json!("bad client_id"), None)
    );
    let no_event = [
        &common[..],
        &[("action", "ev"), ("identity", r#"{"id":"u1"}"#)],
    ]
    .concat();
    assert_eq!(
        send(hit(&c, &base, &no_event)).await,
        (400, json!("missing event"), None)
    );

    let sk = &sb.state()["skalin"];
    assert_eq!(
        sk["identities"],
        json!([{"email": "ann@x.io", "id": "u1", "customer_id": "g1",
            "visitor_ids": ["a1b2c3d4e5f60718"]}])
    );
    assert_eq!(sk["features"].as_array().unwrap().len(), 1);
    assert_eq!(sk["pending"], json!([]), "attached by the identify");
    assert_eq!(sk["features"][0]["identity"], 0);
    assert_eq!(sk["features"][0]["name"], "Export");
    assert_eq!(sk["features"][0]["params"]["event_id"], "e1");
    assert_eq!(sk["duplicates"], 1);
}

#[tokio::test]
async fn webhook_checks_the_signature_when_a_secret_is_set() {
    let config = SandboxConfig {
        credentials: Credentials {
            webhook_secret: Some("s3cret".into()),
            ..Credentials::default()
        },
        ..SandboxConfig::default()
    };
    let sb = start_with(config).await;
    let c = client();
    let url = format!("{}/webhook/in", sb.base_url());
    let body = br#"{"type":"track","event":"A","userId":"u1"}"#;
    let post = |sig: Option<String>| {
        let r = c
            .post(&url)
            .header("content-type", "application/json")
            .header("x-api-key", "do-not-show")
            .body(&body[..]);
        match sig {
            Some(s) => r.header("X-Signature", s),
            None => r,
        }
    };
    let (status, reply, _) = send(post(Some(webhook_signature("s3cret", body)))).await;
    assert_eq!(
        (status, reply),
        (200, json!({"status": "received", "delivery": 1}))
    );
    let (status, reply, _) = send(post(Some(webhook_signature("other", body)))).await;
    assert_eq!(
        (status, reply),
        (
            401,
            json!({"message": "X-Signature is not the HMAC-SHA1 of the body with the shared secret"})
        )
    );
    let (status, _, _) = send(post(None)).await;
    assert_eq!(status, 401);
    let deliveries = &sb.state()["webhook"]["deliveries"];
    assert_eq!(deliveries.as_array().unwrap().len(), 1);
    assert_eq!(deliveries[0]["signature"], "valid");
    assert_eq!(deliveries[0]["body"]["event"], "A");
    assert_eq!(deliveries[0]["headers"]["x-api-key"], "••••••••");
}

#[tokio::test]
async fn webhook_without_a_secret_keeps_every_json_delivery() {
    let sb = start().await;
    let c = client();
    let url = format!("{}/webhook/in", sb.base_url());
    let (status, _, _) = send(c.post(&url).json(&json!({"type": "identify"}))).await;
    assert_eq!(status, 200);
    let (status, reply, _) = send(
        c.post(&url)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .starts_with("the body is not JSON")
    );
    let (status, _, _) = send(
        c.post(format!("{}/webhook/out", sb.base_url()))
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        sb.state()["webhook"]["deliveries"][0]["signature"],
        "not checked"
    );
}
