//! Every destination end to end: the tour, translated by the real translators, sent by the real
//! transport to the real sandbox over loopback, then the sandbox's state checked against what
//! each partner would have recorded (contacts created then updated, accounts linked, users
//! matched by custom field or email, Skalin features kept until their contact is identified,
//! webhooks signed with the shared secret or not), and the preview's sentence about matching
//! agreeing with the sandbox's reply.

use crate::support::*;
use segment_console::destinations::{Mode, OutcomeKind, Target};
use segment_console::sandbox::Credentials;
use serde_json::{Value, json};

const USER: &str = "u_4f8a2c";
const EMAIL: &str = "dana.reyes@acme-robotics.example.com";

fn sm() -> segment_console::destinations::Settings {
    settings("salesmachine")
}

/// The outcome kind of every tour event for one destination and mode.
fn kinds(id: &str, mode: Mode, t: &Target) -> Vec<OutcomeKind> {
    let dest = segment_console::destinations::find(id).expect("destination");
    tour()
        .iter()
        .map(|e| segment_console::destinations::translate(dest, e, &settings(id), mode, t, now()))
        .map(|o| o.kind)
        .collect()
}

#[tokio::test]
async fn salesmachine_contact_created_then_updated_account_linked() {
    let sb = sandbox().await;
    let t = target(&sb);
    let identify = tour_event("identify");
    let (_, first) = deliver("salesmachine", &identify, &sm(), Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&first), [Some(201)]);
    assert_eq!(body_json(last(&first, 0)), json!({"status": "success"}));
    let (_, again) = deliver("salesmachine", &identify, &sm(), Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&again), [Some(200)]);

    // group: the account is created, then the user is linked to it.
    let (out, group) = deliver(
        "salesmachine",
        &tour_event("group"),
        &sm(),
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(out.requests.len(), 2);
    assert_eq!(statuses(&group), [Some(201), Some(200)]);
    assert_all_2xx("group", &group);

    // page has a name, so a pageview and a named event.
    let (_, page) = deliver(
        "salesmachine",
        &tour_event("page"),
        &sm(),
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&page), [Some(200), Some(200)]);
    let (_, track) = deliver(
        "salesmachine",
        &tour_event("track"),
        &sm(),
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&track), [Some(200)]);
    let (_, alias) = deliver(
        "salesmachine",
        &tour_event("alias"),
        &sm(),
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&alias), [Some(200)]);
    assert_eq!(
        kinds("salesmachine", Mode::PartnerApi, &t),
        [
            OutcomeKind::Requests,
            OutcomeKind::Requests,
            OutcomeKind::Requests,
            OutcomeKind::Unsupported,
            OutcomeKind::Requests,
            OutcomeKind::Requests
        ]
    );

    let state = sb.state();
    let s = &state["salesmachine"];
    let contacts = s["contacts"].as_object().expect("contacts");
    assert_eq!(contacts.keys().collect::<Vec<_>>(), [USER]);
    let contact = &s["contacts"][USER];
    assert_eq!(contact["params"]["email"], EMAIL);
    assert_eq!(contact["params"]["name"], "Dana Reyes");
    assert_eq!(
        contact["params"]["account_uid"], "acc_acme",
        "linked by group"
    );
    assert_eq!(contact["created_at"], "2026-05-04T09:12:04.000Z");
    let account = &s["accounts"]["acc_acme"];
    assert_eq!(account["params"]["name"], "Acme Robotics");
    assert_eq!(account["params"]["employees"], 420);
    let events: Vec<(&str, &str)> = s["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["contact_uid"].as_str().unwrap_or_default(),
                e["event_uid"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            (USER, "pageview"),
            (USER, "pricing"),
            (USER, "order_completed")
        ]
    );
    assert_eq!(
        s["events"][0]["params"],
        json!({"visit_url": "https://app.acme-cloud.example.com/pricing",
            "visit_ip": "203.0.113.24",
            "visit_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "account_uid": "acc_acme"})
    );
    assert_eq!(s["events"][2]["params"]["display_name"], "Order Completed");
    assert_eq!(
        s["aliases"],
        json!([{"contact_uid": USER, "previous_contact_uid": "anon_7d1e90b2"}])
    );
    assert_eq!(
        state["counts"]["salesmachine"],
        json!({"requests": 8, "statuses": {"200": 6, "201": 2}, "dropped": 0})
    );
}

fn sd(by_email: bool) -> segment_console::destinations::Settings {
    with(
        settings("startdeliver"),
        "syncUsingEmailInsteadOfCustomField",
        json!(by_email),
    )
}

#[tokio::test]
async fn startdeliver_creates_the_user_then_matches_it_by_custom_field() {
    let sb = sandbox().await;
    let t = target(&sb);
    let (_, track) = deliver(
        "startdeliver",
        &tour_event("track"),
        &sd(false),
        Mode::SegmentWebhook,
        &t,
    )
    .await;
    assert_eq!(statuses(&track), [Some(200)]);
    assert_eq!(
        body_json(last(&track, 0)),
        json!({"result": "created", "matchedOn": "externalId", "value": USER,
            "user": {"id": 1, "customFields": {"externalId": USER}}})
    );
    let (_, page) = deliver(
        "startdeliver",
        &tour_event("page"),
        &sd(false),
        Mode::SegmentWebhook,
        &t,
    )
    .await;
    assert_eq!(statuses(&page), [Some(200)]);
    let reply = body_json(last(&page, 0));
    assert_eq!(
        (reply["result"].as_str(), reply["user"]["id"].as_u64()),
        (Some("matched"), Some(1))
    );
    assert_eq!(
        kinds("startdeliver", Mode::SegmentWebhook, &t),
        [
            OutcomeKind::Unsupported,
            OutcomeKind::Unsupported,
            OutcomeKind::Requests,
            OutcomeKind::Unsupported,
            OutcomeKind::Requests,
            OutcomeKind::Unsupported
        ]
    );
    let state = sb.state();
    let s = &state["startdeliver"];
    assert_eq!(
        s["users"],
        json!([{"id": 1, "customFields": {"externalId": USER}}])
    );
    let usage: Vec<(u64, &str, &str)> = s["usage"]
        .as_array()
        .expect("usage")
        .iter()
        .map(|u| {
            (
                u["userId"].as_u64().unwrap_or(0),
                u["type"].as_str().unwrap_or_default(),
                u["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        usage,
        [(1, "track", "Order Completed"), (1, "page", "Pricing")]
    );
    assert_eq!(s["usage"][0]["messageId"], "tour-0005-track");
    assert_eq!(s["usage"][0]["properties"]["revenue"], 2388.0);
}

#[tokio::test]
async fn startdeliver_matches_by_email_when_asked() {
    let sb = sandbox().await;
    let t = target(&sb);
    let (out, track) = deliver(
        "startdeliver",
        &tour_event("track"),
        &sd(true),
        Mode::SegmentWebhook,
        &t,
    )
    .await;
    assert!(
        out.notes.iter().any(|n| n.contains(EMAIL)),
        "the preview names the email: {:?}",
        out.notes
    );
    assert_eq!(
        body_json(last(&track, 0)),
        json!({"result": "created", "matchedOn": "email", "value": EMAIL,
            "user": {"id": 1, "email": EMAIL, "customFields": {"externalId": USER}}})
    );
    // Another userId with the same email is still the same Startdeliver user.
    let mut page = tour_event("page");
    page["userId"] = json!("u_someone_else");
    let (_, reply) = deliver("startdeliver", &page, &sd(true), Mode::SegmentWebhook, &t).await;
    let r = body_json(last(&reply, 0));
    assert_eq!(
        (
            r["result"].as_str(),
            r["matchedOn"].as_str(),
            r["user"]["id"].as_u64()
        ),
        (Some("matched"), Some("email"), Some(1))
    );
    let state = sb.state();
    assert_eq!(
        state["startdeliver"]["users"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        state["startdeliver"]["usage"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn freshmarketer_partner_api_upserts_contact_and_sales_account() {
    let sb = sandbox().await;
    let t = target(&sb);
    let fm = settings("freshmarketer");
    let identify = tour_event("identify");
    let (_, first) = deliver("freshmarketer", &identify, &fm, Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&first), [Some(201)]);
    let created = body_json(last(&first, 0));
    assert_eq!(created["contact"]["id"], 1);
    assert_eq!(created["contact"]["emails"], EMAIL);
    assert_eq!(created["contact"]["first_name"], "Dana");
    assert_eq!(created["contact"]["external_id"], USER);
    assert_eq!(created["contact"]["custom_field"]["plan"], "trial");
    let (_, second) = deliver("freshmarketer", &identify, &fm, Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&second), [Some(200)]);
    assert_eq!(body_json(last(&second, 0))["contact"]["id"], 1);

    let (out, group) = deliver(
        "freshmarketer",
        &tour_event("group"),
        &fm,
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&group), [Some(201)]);
    let account = body_json(last(&group, 0));
    assert_eq!(account["sales_account"]["name"], "Acme Robotics");
    assert_eq!(account["sales_account"]["number_of_employees"], 420);
    // The preview says what is not sent and where industry went (§4, revised 2026-12).
    assert!(
        out.notes[0].starts_with("groupId `acc_acme` is not sent"),
        "{:?}",
        out.notes
    );
    assert!(out.notes[1].contains("industry_type_id"), "{:?}", out.notes);
    // Upserted again: the same record, 200.
    let (_, group2) = deliver(
        "freshmarketer",
        &tour_event("group"),
        &fm,
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&group2), [Some(200)]);

    // page, track and alias go as the Segment partner webhook even in this mode.
    for call in ["page", "track", "alias"] {
        let (out, r) = deliver(
            "freshmarketer",
            &tour_event(call),
            &fm,
            Mode::PartnerApi,
            &t,
        )
        .await;
        assert_eq!(out.requests[0].basis.label(), "inferred", "{call}");
        assert_eq!(statuses(&r), [Some(200)], "{call}");
        assert_eq!(
            body_json(last(&r, 0)),
            json!({"status": "received", "type": call})
        );
    }
    let state = sb.state();
    let s = &state["freshmarketer"];
    assert_eq!(s["contacts"].as_array().map(Vec::len), Some(1));
    assert_eq!(s["contacts"][0]["job_title"], "Head of Operations");
    assert_eq!(s["contacts"][0]["city"], "San Francisco");
    assert_eq!(s["sales_accounts"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        s["sales_accounts"][0]["custom_field"],
        json!({"industry": "Manufacturing", "plan": "business"})
    );
    assert_eq!(s["sales_accounts"][0]["industry_type_id"], Value::Null);
    let types: Vec<&str> = s["segment"]
        .as_array()
        .expect("segment")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types, ["page", "track", "alias"]);
    assert_eq!(
        s["segment"][1],
        tour_event("track"),
        "the event arrives untouched"
    );
}

#[tokio::test]
async fn freshmarketer_segment_webhook_mode_delivers_every_accepted_call() {
    let sb = sandbox().await;
    let t = target(&sb);
    let fm = settings("freshmarketer");
    let mut sent = Vec::new();
    for event in tour() {
        let dest = segment_console::destinations::find("freshmarketer").expect("dest");
        let out = segment_console::destinations::translate(
            dest,
            &event,
            &fm,
            Mode::SegmentWebhook,
            &t,
            now(),
        );
        if out.kind != OutcomeKind::Requests {
            assert_eq!(
                (out.kind, event["type"].as_str()),
                (OutcomeKind::Unsupported, Some("screen"))
            );
            continue;
        }
        let r = send(&out, &fast()).await;
        assert_all_2xx("freshmarketer segment-webhook", &r);
        sent.push(event);
    }
    assert_eq!(sent.len(), 5);
    let state = sb.state();
    assert_eq!(state["freshmarketer"]["segment"], Value::Array(sent));
    assert_eq!(state["freshmarketer"]["contacts"], json!([]));
}

#[tokio::test]
async fn skalin_keeps_a_feature_before_its_contact_then_attaches_it_on_identify() {
    let sb = sandbox().await;
    let t = target(&sb);
    let sk = settings("skalin");
    let track = tour_event("track");
    let (_, early) = deliver("skalin", &track, &sk, Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&early), [Some(200)]);
    assert_eq!(body_text(last(&early, 0)), "ok");
    let state = sb.state();
    assert_eq!(state["skalin"]["features"], json!([]));
    assert_eq!(state["skalin"]["pending"][0]["name"], "Order Completed");
    assert_eq!(state["skalin"]["pending"][0]["id"], USER);

    let (_, identify) = deliver("skalin", &tour_event("identify"), &sk, Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&identify), [Some(200)]);
    assert_eq!(body_text(last(&identify, 0)), "ok");
    assert_eq!(sb.state()["skalin"]["pending"], json!([]));
    for call in ["page", "screen"] {
        let (_, r) = deliver("skalin", &tour_event(call), &sk, Mode::PartnerApi, &t).await;
        assert_eq!(
            statuses(&r),
            [Some(200)],
            "{call}: {}",
            body_text(last(&r, 0))
        );
    }
    let state = sb.state();
    let s = &state["skalin"];
    assert_eq!(s["identities"].as_array().map(Vec::len), Some(1));
    assert_eq!(s["identities"][0]["email"], EMAIL);
    assert_eq!(s["identities"][0]["id"], USER);
    let features: Vec<(u64, &str)> = s["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            (
                f["identity"].as_u64().unwrap_or(9),
                f["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        features,
        [(0, "Order Completed"), (0, "Pricing"), (0, "Dashboard")]
    );
    assert_eq!(s["features"][0]["params"]["client_id"], CLIENT_ID);
    assert_eq!(s["features"][0]["params"]["ts"], "2026-05-05T08:02:11");
    assert_eq!(s["features"][2]["params"]["customer_id"], "acc_acme");
    assert_eq!(s["duplicates"], 0);
}

/// The whole tour, as the translators send it in partner-api mode, is accepted by the sandbox for
/// Freshmarketer and Skalin, in the tour's order and backwards (Skalin then meets features before
/// the identify of their contact: kept, then attached, never refused).
#[tokio::test]
async fn the_tour_in_partner_api_mode_is_accepted_in_any_order() {
    for backwards in [false, true] {
        let sb = sandbox().await;
        let t = target(&sb);
        let mut events = tour();
        if backwards {
            events.reverse();
        }
        for id in ["freshmarketer", "skalin"] {
            let dest = segment_console::destinations::find(id).expect("destination");
            for event in &events {
                let out = segment_console::destinations::translate(
                    dest,
                    event,
                    &settings(id),
                    Mode::PartnerApi,
                    &t,
                    now(),
                );
                if out.kind != OutcomeKind::Requests {
                    assert_eq!(out.kind, OutcomeKind::Unsupported, "{id} {}", event["type"]);
                    continue;
                }
                let r = send(&out, &fast()).await;
                assert_all_2xx(
                    &format!("{id} {} (backwards: {backwards})", event["type"]),
                    &r,
                );
            }
        }
        let state = sb.state();
        assert_eq!(
            state["freshmarketer"]["contacts"].as_array().map(Vec::len),
            Some(1)
        );
        assert_eq!(
            state["freshmarketer"]["sales_accounts"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        let sk = &state["skalin"];
        assert_eq!(sk["identities"].as_array().map(Vec::len), Some(1));
        assert_eq!(sk["features"].as_array().map(Vec::len), Some(3));
        assert_eq!(sk["pending"], json!([]));
        assert_eq!(state["counts"]["skalin"]["statuses"], json!({"200": 4}));
    }
}

#[tokio::test]
async fn skalin_segment_webhook_mode_delivers_every_accepted_call() {
    let sb = sandbox().await;
    let t = target(&sb);
    let sk = settings("skalin");
    let mut delivered = Vec::new();
    for call in ["identify", "page", "screen", "track"] {
        let (out, r) = deliver("skalin", &tour_event(call), &sk, Mode::SegmentWebhook, &t).await;
        assert!(out.requests[0].url.ends_with("/skalin/segment"));
        assert_all_2xx(call, &r);
        delivered.push(call);
    }
    let state = sb.state();
    let types: Vec<&str> = state["skalin"]["segment"]
        .as_array()
        .expect("segment")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types, delivered);
    assert_eq!(state["skalin"]["identities"], json!([]));
}

#[tokio::test]
async fn webhooks_without_a_secret_deliver_every_call_unsigned() {
    let sb = sandbox().await;
    let t = target(&sb);
    let wh = settings("webhook");
    for event in tour() {
        let (out, r) = deliver("webhook", &event, &wh, Mode::PartnerApi, &t).await;
        assert_eq!(out.requests[0].header_value("X-Signature"), None);
        assert_all_2xx("webhook", &r);
    }
    let state = sb.state();
    let deliveries = state["webhook"]["deliveries"]
        .as_array()
        .expect("deliveries");
    assert_eq!(deliveries.len(), 6);
    for (d, e) in deliveries.iter().zip(tour()) {
        assert_eq!(d["body"], e);
        assert_eq!(d["signature"], "not checked");
    }
}

#[tokio::test]
async fn webhooks_with_the_shared_secret_are_signed_and_checked() {
    let sb = sandbox_with(Credentials {
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        ..Credentials::default()
    })
    .await;
    let t = target(&sb);
    let wh = with(settings("webhook"), "sharedSecret", json!(WEBHOOK_SECRET));
    for event in tour() {
        let (out, r) = deliver("webhook", &event, &wh, Mode::PartnerApi, &t).await;
        let req = &out.requests[0];
        assert_eq!(
            req.header_value("X-Signature").map(str::to_string),
            Some(segment_console::sandbox::webhook_signature(
                WEBHOOK_SECRET,
                &req.body_bytes()
            ))
        );
        assert_all_2xx("signed webhook", &r);
        assert!(
            !serde_json::to_string(&r)
                .unwrap_or_default()
                .contains(WEBHOOK_SECRET)
        );
    }
    let state = sb.state();
    let deliveries = state["webhook"]["deliveries"]
        .as_array()
        .expect("deliveries");
    assert_eq!(deliveries.len(), 6);
    assert!(deliveries.iter().all(|d| d["signature"] == "valid"));
    assert_eq!(deliveries[0]["headers"]["content-type"], "application/json");

    // No secret, or another one: the receiver refuses with its 401 and records nothing.
    let identify = tour_event("identify");
    let (_, unsigned) = deliver(
        "webhook",
        &identify,
        &settings("webhook"),
        Mode::PartnerApi,
        &t,
    )
    .await;
    assert_eq!(statuses(&unsigned), [Some(401)]);
    assert_eq!(
        body_json(last(&unsigned, 0)),
        json!({"message": "X-Signature is missing; this webhook has a shared secret"})
    );
    let other = with(settings("webhook"), "sharedSecret", json!("not-the-secret"));
    let (_, wrong) = deliver("webhook", &identify, &other, Mode::PartnerApi, &t).await;
    assert_eq!(statuses(&wrong), [Some(401)]);
    assert_eq!(
        body_json(last(&wrong, 0)),
        json!({"message": "X-Signature is not the HMAC-SHA1 of the body with the shared secret"})
    );
    assert_eq!(
        sb.state()["webhook"]["deliveries"].as_array().map(Vec::len),
        Some(6)
    );
}

/// The preview's sentence about matching and the sandbox's reply must name the same user field
/// and value, whatever the event carries in the places an email is looked for.
#[tokio::test]
async fn startdeliver_sandbox_matches_as_the_preview_says() {
    let sb = sandbox().await;
    let t = target(&sb);
    let cases = [
        (
            json!({"type": "page", "userId": "u1", "name": "Home",
                "traits": {"email": "not an email"},
                "context": {"traits": {"email": "ctx@example.com"}}}),
            ("email", "ctx@example.com"),
        ),
        (
            json!({"type": "track", "userId": "u2", "event": "Signed In",
                "properties": {"email": "@example.com"}}),
            ("externalId", "u2"),
        ),
        (
            json!({"type": "track", "userId": "u3", "event": "Signed In",
                "email": " root@example.com ", "traits": {"email": "other@example.com"}}),
            ("email", "root@example.com"),
        ),
        (
            json!({"type": "track", "userId": "u4", "event": "Signed In"}),
            ("externalId", "u4"),
        ),
    ];
    for (event, (field, value)) in cases {
        let out = translate("startdeliver", &event, &sd(true), Mode::SegmentWebhook, &t);
        let note = out.notes.first().cloned().unwrap_or_default();
        assert!(
            note.contains(&format!("`{value}`")),
            "preview for {event}: {note}"
        );
        let r = send(&out, &fast()).await;
        assert_eq!(
            statuses(&r),
            [Some(200)],
            "{event}: {}",
            body_text(last(&r, 0))
        );
        let reply = body_json(last(&r, 0));
        assert_eq!(
            (reply["matchedOn"].as_str(), reply["value"].as_str()),
            (Some(field), Some(value)),
            "sandbox for {event}"
        );
    }
}
