//! The transport against real HTTP over loopback: a small axum server started in each test on
//! 127.0.0.1:0, raw TCP listeners for replies axum will not give (a stalled body, a dropped
//! connection), and a refused port.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use segment_console::destinations::PartnerRequest;
use segment_console::json::mask::MASK;
use segment_console::transport::{
    Cancel, Ending, ErrorKind, StatusClass, Transport, TransportOptions,
};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server received: path, body bytes, Authorization header.
type Hit = (String, Vec<u8>, Option<String>);

#[derive(Clone, Default)]
struct Seen {
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Seen {
    fn record(&self, path: &str, body: &[u8], headers: &HeaderMap) {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if let Ok(mut h) = self.hits.lock() {
            h.push((path.to_string(), body.to_vec(), auth));
        }
    }

    fn count(&self, path: &str) -> usize {
        self.hits
            .lock()
            .map(|h| h.iter().filter(|(p, _, _)| p == path).count())
            .unwrap_or(0)
    }

    fn all(&self) -> Vec<Hit> {
        self.hits.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

async fn server() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route(
            "/ok",
            post(
                |State(s): State<Seen>, headers: HeaderMap, body: axum::body::Bytes| async move {
                    s.record("/ok", &body, &headers);
                    (
                        StatusCode::OK,
                        [("content-type", "application/json"), ("x-reply", "yes")],
                        r#"{"status":"success"}"#,
                    )
                },
            ),
        )
        .route(
            "/echo-auth",
            post(
                |State(s): State<Seen>, headers: HeaderMap, body: axum::body::Bytes| async move {
                    s.record("/echo-auth", &body, &headers);
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    (
                        StatusCode::UNAUTHORIZED,
                        [("x-seen-auth", auth.clone())],
                        auth,
                    )
                },
            ),
        )
        .route(
            "/limited",
            post(|State(s): State<Seen>, headers: HeaderMap| async move {
                s.record("/limited", b"", &headers);
                if s.count("/limited") < 3 {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [("retry-after", "1")],
                        "slow down",
                    )
                        .into_response()
                } else {
                    (StatusCode::OK, "ok").into_response()
                }
            }),
        )
        .route(
            "/fail",
            post(|State(s): State<Seen>, headers: HeaderMap| async move {
                s.record("/fail", b"", &headers);
                (StatusCode::INTERNAL_SERVER_ERROR, "boom")
            }),
        )
        .route(
            "/not-implemented",
            post(|State(s): State<Seen>, headers: HeaderMap| async move {
                s.record("/not-implemented", b"", &headers);
                (StatusCode::NOT_IMPLEMENTED, r#"{"message":"no alias"}"#)
            }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route("/huge", get(|| async { vec![b'x'; 3 * 1024 * 1024] }))
        .route(
            "/binary",
            get(|| async {
                (
                    [("content-type", "application/octet-stream")],
                    (0u8..=255).collect::<Vec<u8>>(),
                )
            }),
        )
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), seen)
}

/// A raw server that answers each connection with `reply` and then holds or drops it.
async fn raw_server(reply: &'static [u8], hold: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(reply).await;
                if hold {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                drop(sock);
            });
        }
    });
    format!("http://{addr}")
}

fn opts() -> TransportOptions {
    TransportOptions {
        timeout: Duration::from_secs(10),
        backoff_base: Duration::from_millis(20),
        ..TransportOptions::single()
    }
}

fn request(url: String) -> PartnerRequest {
    PartnerRequest::post(url, "Upsert contact")
        .header("Content-Type", "application/json")
        .secret_header("Authorization", "Basic c2VjcmV0LWtleTo=", "secret-key")
        .json(json!({"contact_uid": "u1", "params": {"name": "Zoë", "token": "secret-key"}}))
}

#[tokio::test]
async fn sends_exact_bytes_and_records_everything_masked() {
    let (base, seen) = server().await;
    let t = Transport::new().unwrap();
    let req = request(format!("{base}/ok"));
    let report = t
        .send_event(std::slice::from_ref(&req), &opts(), &Cancel::new())
        .await;

    let hits = seen.all();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].1, req.body_bytes());
    assert_eq!(hits[0].2.as_deref(), Some("Basic c2VjcmV0LWtleTo="));

    assert_eq!(report.class(), StatusClass::Success);
    let ex = &report.exchanges[0];
    assert_eq!(ex.request.method, "POST");
    assert_eq!(ex.request.url, format!("{base}/ok"));
    assert_eq!(
        ex.request.header("Authorization"),
        Some(format!("Basic {MASK}").as_str())
    );
    assert_eq!(
        ex.request.body.as_deref(),
        Some(
            format!(r#"{{"contact_uid":"u1","params":{{"name":"Zoë","token":"{MASK}"}}}}"#)
                .as_str()
        )
    );
    assert_eq!(ex.request.body_size, req.body_bytes().len() as u64);
    let text = serde_json::to_string(&report).unwrap();
    assert!(
        !text.contains("secret-key") && !text.contains("c2VjcmV0LWtleTo"),
        "{text}"
    );

    assert_eq!(ex.attempts.len(), 1);
    let a = &ex.attempts[0];
    assert_eq!(a.status, Some(200));
    assert_eq!(a.status_text, "OK");
    assert_eq!(a.http_version, "HTTP/1.1");
    assert_eq!(a.header("x-reply"), Some("yes"));
    let body = a.body.as_ref().unwrap();
    assert_eq!(body.text, r#"{"status":"success"}"#);
    assert_eq!(
        (body.size, body.truncated, body.encoding.as_deref()),
        (20, false, None)
    );
    assert!(a.error.is_none());
    assert!(a.headers_ms.unwrap() <= a.elapsed_ms);
    assert_eq!(report.ending(), Ending::Answered);
}

#[tokio::test]
async fn secrets_echoed_in_a_reply_are_masked_too() {
    let (base, _seen) = server().await;
    let t = Transport::new().unwrap();
    let report = t
        .send_event(
            &[request(format!("{base}/echo-auth"))],
            &opts(),
            &Cancel::new(),
        )
        .await;
    let a = &report.exchanges[0].attempts[0];
    assert_eq!(a.status, Some(401));
    // The echo holds the encoded key (the header's token), masked as well as the raw key.
    assert_eq!(a.body.as_ref().unwrap().text, format!("Basic {MASK}"));
    assert_eq!(
        a.header("x-seen-auth"),
        Some(format!("Basic {MASK}").as_str())
    );
    let with_raw = PartnerRequest::post(format!("{base}/echo-auth"), "raw").secret_header(
        "Authorization",
        "Token token=secret-key",
        "secret-key",
    );
    let report = t.send_event(&[with_raw], &opts(), &Cancel::new()).await;
    let a = &report.exchanges[0].attempts[0];
    assert_eq!(a.body.as_ref().unwrap().text, format!("Token {MASK}"));
    assert_eq!(
        a.header("x-seen-auth"),
        Some(format!("Token {MASK}").as_str())
    );
    assert_eq!(report.class(), StatusClass::ClientError);
}

#[tokio::test]
async fn a_failed_request_stops_the_event() {
    let (base, seen) = server().await;
    let t = Transport::new().unwrap();
    let reqs = [
        request(format!("{base}/echo-auth")),
        request(format!("{base}/ok")),
    ];
    let report = t.send_event(&reqs, &opts(), &Cancel::new()).await;
    assert_eq!(seen.count("/ok"), 0);
    assert_eq!(report.exchanges.len(), 2);
    assert!(report.exchanges[1].attempts.is_empty());
    assert_eq!(
        report.exchanges[1].not_sent.as_deref(),
        Some("request 1 of 2 failed, so this one was not sent")
    );
    assert_eq!(report.class(), StatusClass::ClientError);
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_capped() {
    let (base, seen) = server().await;
    let t = Transport::new().unwrap();
    let o = TransportOptions {
        max_retry_after: Duration::from_millis(300),
        ..TransportOptions::batch()
    };
    let started = Instant::now();
    let report = t
        .send_event(&[request(format!("{base}/limited"))], &o, &Cancel::new())
        .await;
    let spent = started.elapsed();
    let ex = &report.exchanges[0];
    let statuses: Vec<Option<u16>> = ex.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(429), Some(429), Some(200)]);
    assert_eq!(ex.attempts[0].retry_after_ms, Some(1000));
    assert_eq!(ex.attempts[0].wait_ms, Some(300));
    assert_eq!(ex.attempts[1].wait_ms, Some(300));
    assert_eq!(ex.attempts[2].wait_ms, None);
    assert!(spent >= Duration::from_millis(600), "{spent:?}");
    assert_eq!(seen.count("/limited"), 3);
    assert_eq!(report.class(), StatusClass::Success);
}

#[tokio::test]
async fn a_5xx_is_retried_with_backoff_up_to_max_attempts() {
    let (base, seen) = server().await;
    let t = Transport::new().unwrap();
    let o = TransportOptions {
        backoff_base: Duration::from_millis(20),
        ..TransportOptions::batch()
    };
    let report = t
        .send_event(&[request(format!("{base}/fail"))], &o, &Cancel::new())
        .await;
    let waits: Vec<Option<u64>> = report.exchanges[0]
        .attempts
        .iter()
        .map(|a| a.wait_ms)
        .collect();
    assert_eq!(waits, [Some(20), Some(40), None]);
    assert_eq!(seen.count("/fail"), 3);
    assert_eq!(report.class(), StatusClass::ServerError);
    assert_eq!(report.ending(), Ending::Answered);

    // A single send tries once; a 501 is never retried.
    let report = t
        .send_event(&[request(format!("{base}/fail"))], &opts(), &Cancel::new())
        .await;
    assert_eq!(report.exchanges[0].attempts.len(), 1);
    let report = t
        .send_event(
            &[request(format!("{base}/not-implemented"))],
            &o,
            &Cancel::new(),
        )
        .await;
    assert_eq!(report.exchanges[0].attempts.len(), 1);
    assert_eq!(seen.count("/not-implemented"), 1);
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let (base, _seen) = server().await;
    let t = Transport::new().unwrap();
    let o = TransportOptions {
        timeout: Duration::from_millis(200),
        ..TransportOptions::batch()
    };
    let report = t
        .send_event(&[request(format!("{base}/slow"))], &o, &Cancel::new())
        .await;
    let ex = &report.exchanges[0];
    // A timed-out POST may have been applied: it is not sent again.
    assert_eq!(ex.attempts.len(), 1);
    let a = &ex.attempts[0];
    assert_eq!(a.error.as_ref().unwrap().kind, ErrorKind::Timeout);
    assert_eq!(
        a.error.as_ref().unwrap().message,
        "no complete reply within 200 ms"
    );
    assert!(
        a.elapsed_ms >= 200 && a.elapsed_ms < 2000,
        "{}",
        a.elapsed_ms
    );
    assert_eq!(report.class(), StatusClass::Error);
    match report.ending() {
        Ending::Failed(error) => assert_eq!(error.kind, ErrorKind::Timeout),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_stalled_body_times_out_keeping_what_arrived() {
    let base = raw_server(
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nContent-Type: text/plain\r\n\r\nabc",
        true,
    )
    .await;
    let t = Transport::new().unwrap();
    let o = TransportOptions {
        timeout: Duration::from_millis(300),
        ..opts()
    };
    let report = t
        .send_event(&[request(format!("{base}/x"))], &o, &Cancel::new())
        .await;
    let a = &report.exchanges[0].attempts[0];
    assert_eq!(a.status, Some(200));
    assert_eq!(a.header("content-type"), Some("text/plain"));
    let body = a.body.as_ref().unwrap();
    assert_eq!((body.text.as_str(), body.size), ("abc", 3));
    assert_eq!(a.error.as_ref().unwrap().kind, ErrorKind::Timeout);
    assert_eq!(report.class(), StatusClass::Error);
}

#[tokio::test]
async fn a_huge_body_is_capped_with_its_true_size() {
    let (base, _seen) = server().await;
    let t = Transport::new().unwrap();
    let mut req = request(format!("{base}/huge"));
    req.method = "GET".into();
    let report = t.send_event(&[req.clone()], &opts(), &Cancel::new()).await;
    let a = &report.exchanges[0].attempts[0];
    let body = a.body.as_ref().unwrap();
    assert_eq!(body.text.len(), 1024 * 1024);
    assert_eq!(body.size, 3 * 1024 * 1024);
    assert!(body.truncated);
    assert_eq!(report.class(), StatusClass::Success);

    let small = TransportOptions {
        body_cap: 10,
        max_body: 2 * 1024 * 1024,
        ..opts()
    };
    let report = t.send_event(&[req], &small, &Cancel::new()).await;
    let a = &report.exchanges[0].attempts[0];
    assert_eq!(a.status, Some(200));
    assert_eq!(a.error.as_ref().unwrap().kind, ErrorKind::BodyTooLarge);
    let body = a.body.as_ref().unwrap();
    assert_eq!(body.text, "xxxxxxxxxx");
    assert!(body.size > 2 * 1024 * 1024 && body.truncated);
    assert_eq!(report.class(), StatusClass::Error);
}

#[tokio::test]
async fn a_binary_body_is_kept_as_base64() {
    use base64::Engine;
    let (base, _seen) = server().await;
    let t = Transport::new().unwrap();
    let mut req = request(format!("{base}/binary"));
    req.method = "GET".into();
    let report = t.send_event(&[req], &opts(), &Cancel::new()).await;
    let body = report.exchanges[0].attempts[0].body.clone().unwrap();
    assert_eq!(body.encoding.as_deref(), Some("base64"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.text)
        .unwrap();
    assert_eq!(bytes, (0u8..=255).collect::<Vec<u8>>());
}

#[tokio::test]
async fn a_refused_port_is_classified() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let t = Transport::new().unwrap();
    let report = t
        .send_event(
            &[request(format!("http://127.0.0.1:{port}/v1/contact"))],
            &TransportOptions::batch(),
            &Cancel::new(),
        )
        .await;
    let ex = &report.exchanges[0];
    assert_eq!(ex.attempts.len(), 1);
    let e = ex.attempts[0].error.as_ref().unwrap();
    assert_eq!(e.kind, ErrorKind::Refused, "{}", e.message);
    assert!(!e.message.is_empty());
}

#[tokio::test]
async fn a_dropped_connection_is_classified() {
    let base = raw_server(b"", false).await;
    let t = Transport::new().unwrap();
    let report = t
        .send_event(&[request(format!("{base}/x"))], &opts(), &Cancel::new())
        .await;
    let e = report.exchanges[0].attempts[0].error.clone().unwrap();
    assert_eq!(e.kind, ErrorKind::Closed, "{}", e.message);
}

#[tokio::test]
async fn tls_to_a_plain_server_is_classified() {
    let (base, _seen) = server().await;
    let t = Transport::new().unwrap();
    let url = base.replace("http://", "https://") + "/ok";
    let report = t.send_event(&[request(url)], &opts(), &Cancel::new()).await;
    let e = report.exchanges[0].attempts[0].error.clone().unwrap();
    assert_eq!(e.kind, ErrorKind::Tls, "{}", e.message);
}

#[tokio::test]
async fn an_unbuildable_request_is_invalid_and_masked() {
    let t = Transport::new().unwrap();
    let bad_url = request("http://exa mple.com/secret-key".into());
    let report = t.send_event(&[bad_url], &opts(), &Cancel::new()).await;
    let e = report.exchanges[0].attempts[0].error.clone().unwrap();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(
        e.message.contains(MASK) && !e.message.contains("secret-key"),
        "{}",
        e.message
    );

    let mut bad_header = request("http://127.0.0.1:9/x".into());
    bad_header
        .headers
        .push(segment_console::destinations::Header {
            name: "X-Bad".into(),
            value: "line\nbreak".into(),
            secret: false,
        });
    let report = t.send_event(&[bad_header], &opts(), &Cancel::new()).await;
    let e = report.exchanges[0].attempts[0].error.clone().unwrap();
    assert_eq!(e.kind, ErrorKind::Invalid, "{}", e.message);
}

#[tokio::test]
async fn cancelling_stops_the_request_in_flight_and_the_rest() {
    let (base, seen) = server().await;
    let t = Transport::new().unwrap();
    let cancel = Cancel::new();
    let reqs = [
        request(format!("{base}/slow")),
        request(format!("{base}/ok")),
    ];
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(150)).await;
        c.cancel();
    });
    let started = Instant::now();
    let report = t.send_event(&reqs, &opts(), &cancel).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(report.class(), StatusClass::Cancelled);
    assert!(report.exchanges[0].cancelled);
    assert_eq!(
        report.exchanges[0].attempts[0].error.as_ref().unwrap().kind,
        ErrorKind::Cancelled
    );
    assert_eq!(
        report.exchanges[1].not_sent.as_deref(),
        Some("the send was cancelled before this request")
    );
    assert_eq!(seen.count("/ok"), 0);
    assert_eq!(report.ending(), Ending::Cancelled);

    // A cancelled token stops every later send of a batch before it starts.
    let report = t
        .send_event(&[request(format!("{base}/ok"))], &opts(), &cancel)
        .await;
    assert!(report.exchanges[0].attempts.is_empty());
    assert_eq!(seen.count("/ok"), 0);
}

#[tokio::test]
async fn cancelling_during_a_retry_wait_ends_the_wait() {
    let (base, seen) = server().await;
    let t = Transport::new().unwrap();
    let o = TransportOptions {
        backoff_base: Duration::from_secs(20),
        ..TransportOptions::batch()
    };
    let cancel = Cancel::new();
    let c = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        c.cancel();
    });
    let started = Instant::now();
    let report = t
        .send_event(&[request(format!("{base}/fail"))], &o, &cancel)
        .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    let ex = &report.exchanges[0];
    assert_eq!(ex.attempts.len(), 1);
    assert_eq!(ex.attempts[0].wait_ms, Some(20_000));
    assert!(ex.cancelled);
    assert_eq!(seen.count("/fail"), 1);
    assert_eq!(report.class(), StatusClass::Cancelled);
}
