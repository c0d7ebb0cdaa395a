//! The real transport against the sandbox's fault injection over loopback: latency past the
//! timeout, 429 with Retry-After, 503s until the attempts run out, a failure rate, a dropped
//! connection, a closed port and Salesmachine's rate limit. Every case checks the attempts the
//! SendReport recorded (count, status, error kind, the wait between them), and what the sandbox
//! saw.

use crate::support::scenarios::{self, BACKOFF_MS};
use crate::support::*;
use segment_console::destinations::Mode;
use segment_console::sandbox::Fault;
use segment_console::transport::TransportOptions;
use segment_console::transport::{Ending, ErrorKind, StatusClass};
use serde_json::json;
use std::time::Duration;

fn gap_ms(r: &segment_console::transport::SendReport, req: usize, from: usize) -> i64 {
    let a = &r.exchanges[req].attempts;
    (a[from + 1].started - a[from].started).num_milliseconds()
}

#[tokio::test]
async fn success_is_one_attempt() {
    let (sb, s) = scenarios::success().await;
    let r = &s.report;
    assert_eq!(attempt_statuses(r, 0), [Some(201)]);
    let a = last(r, 0);
    assert_eq!((a.wait_ms, a.retry_after_ms, &a.error), (None, None, &None));
    assert!(a.headers_ms.is_some_and(|h| h <= a.elapsed_ms));
    assert_eq!(a.status_text, "Created");
    assert_eq!(a.http_version, "HTTP/1.1");
    assert_eq!(r.class(), StatusClass::Success);
    assert_eq!(r.ending(), Ending::Answered);
    assert_eq!(
        sb.state()["counts"]["salesmachine"],
        json!({"requests": 1, "statuses": {"201": 1}, "dropped": 0})
    );
}

#[tokio::test]
async fn latency_beyond_the_timeout_is_a_timeout_not_retried() {
    let (sb, s) = scenarios::timeout().await;
    let r = &s.report;
    let ex = &r.exchanges[0];
    assert_eq!(
        ex.attempts.len(),
        1,
        "a POST that timed out is not sent again"
    );
    let a = last(r, 0);
    assert_eq!(a.status, None);
    let e = a.error.as_ref().expect("an error");
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert_eq!(e.message, "no complete reply within 150 ms");
    assert!(a.elapsed_ms >= 150, "{}", a.elapsed_ms);
    assert_eq!(r.class(), StatusClass::Error);
    match r.ending() {
        Ending::Failed(error) => assert_eq!(error.kind, ErrorKind::Timeout),
        other => panic!("{other:?}"),
    }
    // The same latency within a longer timeout is only slow. (Whether the abandoned first
    // attempt was applied is the server's business, so created or updated are both fine.)
    let slow = send(&s.outcome, &fast()).await;
    assert_eq!(slow.class(), StatusClass::Success);
    assert_eq!(slow.exchanges[0].attempts.len(), 1);
    assert!(last(&slow, 0).elapsed_ms >= 300);
    drop(sb);
}

#[tokio::test]
async fn a_429_with_retry_after_is_honoured_then_succeeds() {
    let (sb, s) = scenarios::retry_after().await;
    let r = &s.report;
    assert_eq!(attempt_statuses(r, 0), [Some(429), Some(429), Some(201)]);
    let ex = &r.exchanges[0];
    let asked: Vec<Option<u64>> = ex.attempts.iter().map(|a| a.retry_after_ms).collect();
    assert_eq!(asked, [Some(1000), Some(1000), None]);
    // Retry-After wins over the 50 ms backoff.
    let waited: Vec<Option<u64>> = ex.attempts.iter().map(|a| a.wait_ms).collect();
    assert_eq!(waited, [Some(1000), Some(1000), None]);
    assert!(gap_ms(r, 0, 0) >= 990, "{}", gap_ms(r, 0, 0));
    assert!(gap_ms(r, 0, 1) >= 990, "{}", gap_ms(r, 0, 1));
    assert!(r.elapsed_ms >= 2000, "{}", r.elapsed_ms);
    assert_eq!(
        body_json(&ex.attempts[0]),
        json!({"code": "rate_limited", "error": "rate_limited",
            "message": "Too Many Requests (sandbox fault); retry after 1 seconds"})
    );
    assert_eq!(ex.attempts[0].header("retry-after"), Some("1"));
    assert_eq!(r.class(), StatusClass::Success);
    assert_eq!(
        sb.state()["counts"]["salesmachine"],
        json!({"requests": 3, "statuses": {"201": 1, "429": 2}, "dropped": 0})
    );
    assert_eq!(sb.faults(), json!({}), "the fault is used up");
}

#[tokio::test]
async fn repeated_503s_back_off_then_fail_when_attempts_run_out() {
    let (sb, s) = scenarios::unavailable().await;
    let r = &s.report;
    assert_eq!(attempt_statuses(r, 0), [Some(503), Some(503), Some(503)]);
    let ex = &r.exchanges[0];
    let waited: Vec<Option<u64>> = ex.attempts.iter().map(|a| a.wait_ms).collect();
    assert_eq!(waited, [Some(BACKOFF_MS), Some(2 * BACKOFF_MS), None]);
    assert!(gap_ms(r, 0, 0) >= 95, "{}", gap_ms(r, 0, 0));
    assert!(gap_ms(r, 0, 1) >= 195, "{}", gap_ms(r, 0, 1));
    assert_eq!(
        body_json(last(r, 0)),
        json!({"code": "unavailable", "error": "unavailable", "message": "Service Unavailable (sandbox fault)"})
    );
    // The user link depends on the account: it is not sent.
    let link = &r.exchanges[1];
    assert!(link.attempts.is_empty());
    assert_eq!(
        link.not_sent.as_deref(),
        Some("request 1 of 2 failed, so this one was not sent")
    );
    assert_eq!(r.class(), StatusClass::ServerError);
    // A reply of any status is a finished send, not a transport failure.
    assert_eq!(r.ending(), Ending::Answered);
    let state = sb.state();
    assert_eq!(state["salesmachine"]["accounts"], json!({}));
    assert_eq!(
        state["counts"]["salesmachine"],
        json!({"requests": 3, "statuses": {"503": 3}, "dropped": 0})
    );
    assert_eq!(
        sb.faults(),
        json!({"salesmachine": {"status": {"code": 503, "remaining": 2, "retryAfter": null}}})
    );
}

#[tokio::test]
async fn a_failure_rate_fails_every_second_request_and_a_retry_recovers() {
    let (sb, sends) = scenarios::failure_rate().await;
    let got: Vec<Vec<Option<u16>>> = sends
        .iter()
        .map(|s| attempt_statuses(&s.report, 0))
        .collect();
    assert_eq!(
        got,
        [vec![Some(200)], vec![Some(500), Some(200)], vec![Some(500)]]
    );
    assert_eq!(sends[1].report.exchanges[0].attempts[0].wait_ms, Some(50));
    assert_eq!(
        body_json(last(&sends[2].report, 0)),
        json!({"message": "Internal Server Error (sandbox fault)"})
    );
    let classes: Vec<StatusClass> = sends.iter().map(|s| s.report.class()).collect();
    assert_eq!(
        classes,
        [
            StatusClass::Success,
            StatusClass::Success,
            StatusClass::ServerError
        ]
    );
    let state = sb.state();
    assert_eq!(
        state["counts"]["startdeliver"],
        json!({"requests": 4, "statuses": {"200": 2, "500": 2}, "dropped": 0})
    );
    // Only what passed reached the partner: one user, two usage events.
    assert_eq!(
        state["startdeliver"]["usage"].as_array().map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn a_dropped_connection_is_closed_not_a_status() {
    let (sb, sends) = scenarios::dropped().await;
    let r = &sends[0].report;
    assert_eq!(r.exchanges[0].attempts.len(), 1, "not retried");
    let a = last(r, 0);
    assert_eq!(
        (a.status, a.body.as_ref(), a.headers_ms),
        (None, None, None)
    );
    assert_eq!(a.error.as_ref().map(|e| e.kind), Some(ErrorKind::Closed));
    assert_eq!(r.class(), StatusClass::Error);
    assert_eq!(attempt_statuses(&sends[1].report, 0), [Some(200)]);
    let state = sb.state();
    assert_eq!(
        state["counts"]["webhook"],
        json!({"requests": 2, "statuses": {"200": 1}, "dropped": 1})
    );
    assert_eq!(
        state["webhook"]["deliveries"].as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_closed_port_is_refused() {
    let s = scenarios::refused().await;
    let r = &s.report;
    assert_eq!(r.exchanges[0].attempts.len(), 1, "not retried");
    let a = last(r, 0);
    assert_eq!(a.status, None);
    assert_eq!(a.error.as_ref().map(|e| e.kind), Some(ErrorKind::Refused));
    assert_eq!(r.class(), StatusClass::Error);
}

#[tokio::test]
async fn salesmachine_rate_limit_switched_on_refuses_the_901st_request() {
    let sb = sandbox().await;
    sb.set_fault("salesmachine", Fault::RateLimit(true))
        .expect("switch the rate limit on");
    let t = target(&sb);
    let one = translate(
        "salesmachine",
        &tour_event("track"),
        &settings("salesmachine"),
        Mode::PartnerApi,
        &t,
    );
    let mut many = one.clone();
    many.requests = std::iter::repeat_n(one.requests[0].clone(), 901).collect();
    let r = send(&many, &fast()).await;
    let all = statuses(&r);
    assert_eq!(all.len(), 901);
    assert!(
        all[..900].iter().all(|s| *s == Some(200)),
        "the first 900 pass"
    );
    let a = last(&r, 900);
    assert_eq!(a.status, Some(429));
    let wait: u64 = a
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((290..=300).contains(&wait), "{wait}");
    assert_eq!(a.retry_after_ms, Some(wait * 1000));
    assert_eq!(
        body_json(a),
        json!({"code": "rate_limited", "error": "rate_limited", "message": format!(
            "More than 900 requests in 300 seconds for this API token; retry after {wait} seconds")})
    );
    assert_eq!(r.class(), StatusClass::ClientError);
    // With retries, the wait asked for is capped by the options, and the limit still holds.
    let capped = TransportOptions {
        max_attempts: 2,
        max_retry_after: Duration::from_millis(200),
        ..fast()
    };
    let again = send(&one, &capped).await;
    assert_eq!(attempt_statuses(&again, 0), [Some(429), Some(429)]);
    assert_eq!(again.exchanges[0].attempts[0].wait_ms, Some(200));
    // Switched off, the same token is served again.
    sb.set_fault("salesmachine", Fault::RateLimit(false))
        .expect("off");
    assert_eq!(statuses(&send(&one, &fast()).await), [Some(200)]);
    assert_eq!(
        sb.state()["salesmachine"]["events"]
            .as_array()
            .map(Vec::len),
        Some(901)
    );
}
