//! Every fault kind, observed by a real client, set through the Rust API and `/_sandbox/faults`.

use crate::support::sandbox::{client, salesmachine, send, start};
use crate::support::{API_KEY as KEY, API_SECRET as SECRET};
use segment_console::sandbox::{Fault, parse_fault_flag};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn latency_delays_the_reply() {
    let sb = start().await;
    sb.set_fault("skalin", Fault::Latency(Duration::from_millis(200)))
        .unwrap();
    let c = client();
    let started = Instant::now();
    let (status, _, _) = send(c.post(format!("{}/skalin/hit", sb.base_url()))).await;
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(status, 400, "the partner still answers after the delay");
    assert_eq!(sb.faults(), json!({"skalin": {"latencyMs": 200}}));
}

#[tokio::test]
async fn status_429_with_retry_after_for_the_next_n_requests() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let set = json!({"destination": "salesmachine", "kind": "status", "code": 429, "count": 2,
        "retryAfter": 1});
    let (status, reply, _) = send(c.post(format!("{base}/_sandbox/faults")).json(&set)).await;
    assert_eq!(
        (status, reply),
        (
            200,
            json!({"faults": {"salesmachine": {"status": {"code": 429, "remaining": 2, "retryAfter": 1}}}})
        )
    );
    let body = json!({"contact_uid": "u1"});
    for _ in 0..2 {
        assert_eq!(
            send(salesmachine(&c, &base, "/v1/contact", &body)).await,
            (
                429,
                json!({"code": "rate_limited", "error": "rate_limited",
                    "message": "Too Many Requests (sandbox fault); retry after 1 seconds"}),
                Some("1".into())
            )
        );
    }
    assert_eq!(
        send(salesmachine(&c, &base, "/v1/contact", &body)).await.0,
        201
    );
    assert_eq!(sb.faults(), json!({}));
}

#[tokio::test]
async fn fixed_status_uses_each_partners_error_body() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let (dest, fault) = parse_fault_flag("freshmarketer:status:503:2").unwrap();
    sb.set_fault(&dest, fault).unwrap();
    let (status, reply, retry) = send(
        c.post(format!(
            "{base}/freshmarketer/crm/sales/api/contacts/upsert"
        ))
        .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, reply, retry),
        (
            503,
            json!({"errors": {"code": 503, "message": ["Service Unavailable (sandbox fault)"]}}),
            None
        )
    );
    let (status, reply, _) = send(
        c.post(format!("{base}/freshmarketer/segment"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, reply),
        (
            503,
            json!({"message": "Service Unavailable (sandbox fault)"})
        )
    );
    // Used up: the partner answers again (here: no token).
    let (status, _, _) = send(
        c.post(format!(
            "{base}/freshmarketer/crm/sales/api/contacts/upsert"
        ))
        .json(&json!({})),
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn failure_rate_fails_an_exact_share() {
    let sb = start().await;
    sb.set_fault(
        "webhook",
        Fault::FailureRate {
            rate: 0.5,
            code: 500,
        },
    )
    .unwrap();
    let c = client();
    let url = format!("{}/webhook/in", sb.base_url());
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(send(c.post(&url).json(&json!({"n": 1}))).await.0);
    }
    assert_eq!(statuses, [200, 500, 200, 500, 200, 500]);
    assert_eq!(
        sb.state()["webhook"]["deliveries"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_reply() {
    let sb = start().await;
    let mut exchanges = sb.subscribe();
    sb.set_fault("webhook", Fault::Drop { count: 1 }).unwrap();
    let c = client();
    let url = format!("{}/webhook/in", sb.base_url());
    let err = c
        .post(&url)
        .json(&json!({"n": 1}))
        .send()
        .await
        .unwrap_err();
    assert!(
        !err.is_status(),
        "no HTTP status, a broken connection: {err:?}"
    );
    assert!(err.status().is_none());
    // The next request is served normally (on a new connection).
    assert_eq!(send(c.post(&url).json(&json!({"n": 2}))).await.0, 200);
    let counts = &sb.state()["counts"]["webhook"];
    assert_eq!(
        *counts,
        json!({"requests": 2, "statuses": {"200": 1}, "dropped": 1})
    );
    let first = exchanges.recv().await.unwrap();
    assert_eq!(
        (first.status, first.fault, first.path.as_str()),
        (None, true, "/webhook/in")
    );
    let second = exchanges.recv().await.unwrap();
    assert_eq!((second.status, second.fault), (Some(200), false));
}

#[tokio::test]
async fn salesmachine_rate_limit_allows_900_per_window() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let on = json!({"destination": "salesmachine", "kind": "ratelimit"});
    assert_eq!(
        send(c.post(format!("{base}/_sandbox/faults")).json(&on))
            .await
            .0,
        200
    );
    let ping = format!("{base}/salesmachine/v1/ping");
    for i in 0..900 {
        let res = c
            .get(&ping)
            .basic_auth(KEY, Some(SECRET))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "request {i}");
    }
    let (status, reply, retry) = send(c.get(&ping).basic_auth(KEY, Some(SECRET))).await;
    assert_eq!(
        (status, reply["code"].clone(), reply["error"].clone()),
        (429, json!("rate_limited"), json!("rate_limited"))
    );
    let wait: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!((1..=300).contains(&wait), "{wait}");
    // Switched off (here by clearing Salesmachine's faults), the limit is gone.
    let (status, reply, _) =
        send(c.delete(format!("{base}/_sandbox/faults?destination=salesmachine"))).await;
    assert_eq!((status, reply), (200, json!({"faults": {}})));
    assert_eq!(
        send(c.get(&ping).basic_auth(KEY, Some(SECRET))).await.0,
        200
    );
}

#[tokio::test]
async fn faults_are_per_destination_and_cleared_on_demand() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    let faults = json!([
        {"destination": "skalin", "kind": "status", "code": 500, "count": 5},
        {"destination": "webhook", "kind": "drop", "count": 3}
    ]);
    assert_eq!(
        send(c.post(format!("{base}/_sandbox/faults")).json(&faults))
            .await
            .0,
        200
    );
    assert_eq!(send(c.post(format!("{base}/skalin/hit"))).await.0, 500);
    // Salesmachine has no fault.
    let (status, _, _) = send(
        c.get(format!("{base}/salesmachine/v1/ping"))
            .basic_auth(KEY, Some(SECRET)),
    )
    .await;
    assert_eq!(status, 200);
    let (status, listed, _) = send(c.get(format!("{base}/_sandbox/faults"))).await;
    assert_eq!(
        (status, listed),
        (
            200,
            json!({"faults": {"skalin": {"status": {"code": 500, "remaining": 4, "retryAfter": null}},
            "webhook": {"drop": {"remaining": 3}}}})
        )
    );
    assert_eq!(
        send(c.delete(format!("{base}/_sandbox/faults"))).await.1,
        json!({"faults": {}})
    );
    assert_eq!(
        send(c.post(format!("{base}/webhook/in")).json(&json!({})))
            .await
            .0,
        200
    );

    let bad = [
        (
            json!({"destination": "nowhere", "kind": "drop"}),
            "unknown destination \"nowhere\"; choose one of salesmachine, startdeliver, freshmarketer, skalin, webhook",
        ),
        (
            json!({"destination": "skalin", "kind": "ratelimit"}),
            "only salesmachine has a rate limit to switch on, not skalin",
        ),
        (
            json!({"destination": "skalin", "kind": "failrate", "rate": 2.0}),
            "failure rate 2 is not between 0 and 1",
        ),
        (
            json!({"destination": "skalin", "kind": "latency"}),
            "\"ms\" is required for a latency fault",
        ),
    ];
    for (fault, message) in bad {
        let (status, reply, _) = send(c.post(format!("{base}/_sandbox/faults")).json(&fault)).await;
        assert_eq!(
            (status, reply),
            (400, json!({"message": message})),
            "{fault}"
        );
    }
    assert_eq!(sb.faults(), json!({}));
}
