//! The partners' refusals end to end: wrong credentials and missing required fields, sent by the
//! real transport to the real sandbox, get each partner's own error status and body, are not
//! retried, leave no trace in the sandbox's state, and never leak a key into the report.

use crate::support::*;
use segment_console::destinations::{Body, Mode, Outcome, Settings};
use serde_json::{Value, json};

fn sm() -> Settings {
    settings("salesmachine")
}

fn sd(by_email: bool) -> Settings {
    with(
        settings("startdeliver"),
        "syncUsingEmailInsteadOfCustomField",
        json!(by_email),
    )
}

#[tokio::test]
async fn wrong_credentials_get_each_partners_error() {
    let sb = sandbox().await;
    let t = target(&sb);
    let wrong = |id: &str| with(settings(id), "apiKey", json!("wrong-api-key-123"));
    let identify = tour_event("identify");

    let (_, r) = deliver(
        "salesmachine",
        &identify,
        &wrong("salesmachine"),
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&r), [Some(401)]);
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"code": "invalid_api_key", "error": "invalid_api_key",
            "message": "The API token or API secret is wrong"})
    );
    let secret = with(sm(), "apiSecret", json!("wrong-secret"));
    let (_, r) = deliver("salesmachine", &identify, &secret, Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&r), [Some(401)]);

    let (_, r) = deliver(
        "freshmarketer",
        &identify,
        &wrong("freshmarketer"),
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&r), [Some(401)]);
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"errors": {"code": 401, "message": ["Incorrect or expired API key"]}})
    );

    let (_, r) = deliver(
        "startdeliver",
        &tour_event("track"),
        &wrong("startdeliver"),
        Mode::SegmentWebhook,
        &t,
    )
    .await;
    assert_eq!(statuses(&r), [Some(401)]);
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"message": "invalid API key"})
    );

    let (_, r) = deliver(
        "skalin",
        &identify,
        &wrong("skalin"),
        Mode::SegmentWebhook,
        &t,
    )
    .await;
    assert_eq!(statuses(&r), [Some(401)]);
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"message": "invalid API key"})
    );

    // No key at all (the translator refuses to build that, so the header is taken out by
    // hand): Salesmachine's 400.
    let mut keyless = translate("salesmachine", &identify, &sm(), Mode::PartnerApi, &t);
    for req in &mut keyless.requests {
        req.headers
            .retain(|h| !h.name.eq_ignore_ascii_case("authorization"));
    }
    let r = send(&keyless, &fast()).await;
    assert_eq!(statuses(&r), [Some(400)]);
    assert_eq!(body_json(last(&r, 0))["error"], "missing_api_key");

    // The hit endpoint takes no key; its credential is the client id, and a bad one is a 400.
    let bad_client = with(settings("skalin"), "clientId", json!("someone-else"));
    let (_, r) = deliver("skalin", &identify, &bad_client, Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&r), [Some(400)]);
    assert_eq!(body_text(last(&r, 0)), "bad client_id");

    // Nothing was recorded, and no wrong key leaks into a report.
    let state = sb.state();
    assert_eq!(state["salesmachine"]["contacts"], json!({}));
    assert_eq!(state["freshmarketer"]["contacts"], json!([]));
    assert_eq!(state["startdeliver"]["users"], json!([]));
    assert_eq!(state["skalin"]["identities"], json!([]));
}

#[tokio::test]
async fn a_wrong_key_never_appears_in_the_report() {
    let sb = sandbox().await;
    let t = target(&sb);
    let key = "wrong-api-key-123";
    for (id, mode, call) in [
        ("salesmachine", Mode::PartnerApi, "identify"),
        ("freshmarketer", Mode::PartnerApi, "identify"),
        ("startdeliver", Mode::SegmentWebhook, "track"),
    ] {
        let s = with(settings(id), "apiKey", json!(key));
        let (_, r) = deliver(id, &tour_event(call), &s, mode, &t).await;
        let text = serde_json::to_string(&r).unwrap_or_default();
        assert!(!text.contains(key), "{id}: {text}");
        assert!(
            text.contains("••••") || text.contains("\\u2022"),
            "{id}: masked marker"
        );
    }
}

/// Replaces a translated JSON body by `edit` of it: the way to send what a translator refuses
/// to build.
fn edited(out: &Outcome, edit: impl Fn(&mut Value)) -> Outcome {
    let mut out = out.clone();
    for r in &mut out.requests {
        if let Body::Json(v) = &mut r.body {
            edit(v);
        }
    }
    out
}

#[tokio::test]
async fn a_missing_required_field_gets_the_partners_400() {
    let sb = sandbox().await;
    let t = target(&sb);
    // Three attempts allowed: a 400 must still be tried once only.
    let opts = segment_console::transport::TransportOptions {
        max_attempts: 3,
        ..fast()
    };

    let out = translate(
        "salesmachine",
        &tour_event("identify"),
        &sm(),
        Mode::PartnerApi,
        &t,
    );
    let bad = edited(&out, |v| {
        v.as_object_mut().map(|o| o.remove("contact_uid"));
    });
    let r = send(&bad, &opts).await;
    assert_eq!(attempt_statuses(&r, 0), [Some(400)]);
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"code": "missing_field", "error": "missing_field",
            "message": "contact_uid is required"})
    );

    let track = translate(
        "salesmachine",
        &tour_event("track"),
        &sm(),
        Mode::PartnerApi,
        &t,
    );
    let bad = edited(&track, |v| {
        v.as_object_mut().map(|o| o.remove("event_uid"));
    });
    let r = send(&bad, &opts).await;
    assert_eq!(
        (statuses(&r), body_json(last(&r, 0))),
        (
            vec![Some(400)],
            json!({"code": "missing_field", "error": "missing_field",
                "message": "event_uid is required"})
        )
    );

    let fm = settings("freshmarketer");
    let out = translate(
        "freshmarketer",
        &tour_event("identify"),
        &fm,
        Mode::PartnerApi,
        &t,
    );
    let bad = edited(&out, |v| v["unique_identifier"] = json!({}));
    let r = send(&bad, &opts).await;
    assert_eq!(attempt_statuses(&r, 0), [Some(400)]);
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"errors": {"code": 400, "message": ["unique_identifier.emails is required"]}})
    );
    let out = translate(
        "freshmarketer",
        &tour_event("group"),
        &fm,
        Mode::PartnerApi,
        &t,
    );
    let bad = edited(&out, |v| {
        v.as_object_mut().map(|o| o.remove("unique_identifier"));
    });
    let r = send(&bad, &opts).await;
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"errors": {"code": 400, "message": ["unique_identifier must be an object with name"]}})
    );

    let out = translate(
        "startdeliver",
        &tour_event("track"),
        &sd(false),
        Mode::SegmentWebhook,
        &t,
    );
    let bad = edited(&out, |v| {
        v.as_object_mut().map(|o| o.remove("event"));
    });
    let r = send(&bad, &opts).await;
    assert_eq!(attempt_statuses(&r, 0), [Some(400)]);
    assert_eq!(
        body_json(last(&r, 0)),
        json!({"message": "event is required in a track call"})
    );

    // Skalin's hit carries its fields in the query string: drop visitor_id from the URL.
    let mut hit = translate(
        "skalin",
        &tour_event("identify"),
        &settings("skalin"),
        Mode::PartnerApi,
        &t,
    );
    for r in &mut hit.requests {
        let (base, query) = r.url.split_once('?').expect("a query");
        let kept: Vec<&str> = query
            .split('&')
            .filter(|p| !p.starts_with("visitor_id="))
            .collect();
        r.url = format!("{base}?{}", kept.join("&"));
    }
    let r = send(&hit, &opts).await;
    assert_eq!(attempt_statuses(&r, 0), [Some(400)]);
    assert_eq!(body_text(last(&r, 0)), "missing visitor_id");

    let state = sb.state();
    assert_eq!(state["salesmachine"]["contacts"], json!({}));
    assert_eq!(state["salesmachine"]["events"], json!([]));
    assert_eq!(state["freshmarketer"]["contacts"], json!([]));
    assert_eq!(state["startdeliver"]["users"], json!([]));
    assert_eq!(state["skalin"]["identities"], json!([]));
}
