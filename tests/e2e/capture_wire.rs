//! Capture's wire over real HTTP (docs/capture.md, "The wire"), with a plain client (reqwest):
//! analytics.js's settings fetch, CORS preflight and `text/plain` post to `/v1/t`; Segment's
//! limits and replies (400 for over 500 KB and invalid JSON, 200 with each dropped event
//! recorded); duplicate message ids; write keys (401); gzip; the source faults; and reset.

use crate::support::capture::{self, entries, events, summary};
use crate::support::sandbox::client;
use base64::Engine;
use segment_console::capture::SourceFault;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn basic(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

fn track(id: &str, user: &str) -> Value {
    json!({"type": "track", "event": "Clicked", "userId": user, "messageId": id,
           "timestamp": "2026-05-06T10:00:00Z", "properties": {"n": 1}})
}

async fn post(url: &str, body: &Value) -> (u16, Value) {
    let res = client().post(url).json(body).send().await.expect("a reply");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn analytics_js_wire_settings_preflight_and_text_plain() {
    let cap = capture::start(|c| c.write_keys = vec!["wk_browser_0042".into()]).await;
    let base = cap.url();
    let c = client();
    // 1. The settings fetch points the Segment.io integration back at the console.
    let res = c
        .get(format!("{base}/v1/projects/wk_browser_0042/settings"))
        .header("Origin", "http://localhost:3000")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap(),
        "*"
    );
    let settings: Value = res.json().await.unwrap();
    let sio = &settings["integrations"]["Segment.io"];
    assert_eq!(sio["apiHost"], format!("{}/v1", cap.handle.addr()));
    assert_eq!(sio["protocol"], "http");
    assert_eq!(sio["apiKey"], "wk_browser_0042");
    let wrong = c
        .get(format!("{base}/v1/projects/wk_other/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    // 2. A preflight, as a browser sends it before a post.
    let pre = c
        .request(reqwest::Method::OPTIONS, format!("{base}/v1/t"))
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success(), "{}", pre.status());
    let h = pre.headers();
    assert_eq!(h["access-control-allow-origin"].to_str().unwrap(), "*");
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed.contains("content-type") && allowed.contains("authorization"),
        "{allowed}"
    );
    assert!(
        h["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
            || h["access-control-allow-methods"].to_str().unwrap() == "*"
    );
    // 3. The post itself: text/plain, the key in the body, the one-letter path.
    let body = json!({"event": "Signed Up", "anonymousId": "anon-1", "writeKey": "wk_browser_0042",
                      "messageId": "ajs-1", "context": {"library": {"name": "analytics.js", "version": "next-1.70.0"}},
                      "properties": {"plan": "pro"}});
    let res = c
        .post(format!("{base}/v1/t"))
        .header("Content-Type", "text/plain")
        .header("Origin", "http://localhost:3000")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"]
            .to_str()
            .unwrap(),
        "*"
    );
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"success": true}));
    let list = events(&base, "").await;
    assert_eq!(list.len(), 1);
    let e = &list[0];
    assert_eq!(e["type"], "track", "the type comes from the path");
    assert_eq!(e["path"], "/v1/t");
    assert_eq!(e["library"]["name"], "analytics.js");
    assert_eq!(e["anonymousId"], "anon-1");
    assert!(e["event"].get("writeKey").is_none());
    assert!(!e.to_string().contains("wk_browser_0042"));
}

#[tokio::test]
async fn segments_limits_and_replies() {
    let cap = capture::start(|_| {}).await;
    let base = cap.url();
    // Invalid JSON: 400, in words.
    let res = client()
        .post(format!("{base}/v1/batch"))
        .header("Content-Type", "application/json")
        .body("{\"batch\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let said: Value = res.json().await.unwrap();
    assert_eq!(said["success"], false);
    assert!(
        said["message"].as_str().unwrap().contains("not valid JSON"),
        "{said}"
    );
    // Over 500 KB: 400.
    let huge = json!({"batch": [{"type": "track", "event": "X", "userId": "u",
                      "properties": {"blob": "y".repeat(510 * 1024)}}]});
    let (status, said) = post(&format!("{base}/v1/batch"), &huge).await;
    assert_eq!(status, 400);
    assert!(
        said["message"].as_str().unwrap().contains("500 KB"),
        "{said}"
    );
    // 2,501 events, one of them over 32 KB: 200, and the two Segment would drop are recorded.
    let mut batch: Vec<Value> = (0..2500).map(|i| track(&format!("m{i}"), "u")).collect();
    batch[7]["properties"]["blob"] = json!("z".repeat(33 * 1024));
    batch.push(track("m-last", "u"));
    let (status, said) = post(&format!("{base}/v1/batch"), &json!({ "batch": batch })).await;
    assert_eq!((status, said), (200, json!({"success": true})));
    let sum = summary(&base).await;
    assert_eq!(sum["received"], 2501, "{sum:#}");
    assert_eq!(sum["dropped"], 2);
    assert_eq!(sum["valid"], 2499);
    assert_eq!(sum["refused"], 2, "the invalid JSON and the 500 KB request");
    let dropped: Vec<Value> = events(&base, "")
        .await
        .into_iter()
        .filter(|e| !e["dropped"].is_null())
        .collect();
    assert_eq!(dropped.len(), 2);
    assert!(
        dropped[0]["dropped"]
            .as_str()
            .unwrap()
            .contains("over 32 KB")
    );
    assert!(dropped[1]["dropped"].as_str().unwrap().contains("2500"));
    assert_eq!(dropped[1]["event"]["messageId"], "m-last");
    assert_eq!(dropped[0]["valid"], false);
    // In the history too, loudly: outcome "dropped" with the reason.
    let stored = entries(&cap.history_path);
    assert_eq!(stored.len(), 2501);
    let in_history: Vec<_> = stored.iter().filter(|e| e.outcome == "dropped").collect();
    assert_eq!(in_history.len(), 2);
    assert!(in_history[0].reason.as_deref().unwrap().contains("32 KB"));
    assert!(in_history[0].captured.as_ref().unwrap().dropped.is_some());
    // An unknown path is not a source path.
    let (status, _) = post(&format!("{base}/v1/unknown"), &json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn duplicate_message_ids_are_flagged_per_source() {
    let cap = capture::start(|_| {}).await;
    let base = cap.url();
    let c = client();
    for key in ["wk_a_123456789", "wk_a_123456789", "wk_b_987654321"] {
        let res = c
            .post(format!("{base}/v1/track"))
            .header("Authorization", basic(key))
            .json(&track("same-id", "u1"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);
    }
    let list = events(&base, "").await;
    let dups: Vec<bool> = list.iter().map(|e| e["duplicate"] == true).collect();
    assert_eq!(dups, vec![false, true, false]);
    assert_eq!(summary(&base).await["duplicates"], 1);
    let stored = entries(&cap.history_path);
    assert!(stored[1].captured.as_ref().unwrap().duplicate);
    // After a reset the ids are forgotten, and the list and totals start again (the history
    // keeps everything).
    let res = c
        .post(format!("{base}/_capture/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(events(&base, "").await.is_empty());
    assert_eq!(summary(&base).await["received"], 0);
    c.post(format!("{base}/v1/track"))
        .header("Authorization", basic("wk_a_123456789"))
        .json(&track("same-id", "u1"))
        .send()
        .await
        .unwrap();
    assert_eq!(events(&base, "").await[0]["duplicate"], false);
    assert_eq!(entries(&cap.history_path).len(), 4);
}

#[tokio::test]
async fn unknown_write_keys_get_401_and_nothing_is_recorded() {
    let cap = capture::start(|c| c.write_keys = vec!["wk_good_0000001".into()]).await;
    let base = cap.url();
    let c = client();
    let wrong = c
        .post(format!("{base}/v1/batch"))
        .header("Authorization", basic("wk_evil_0000666"))
        .json(&json!({"batch": [track("m1", "u")]}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let said: Value = wrong.json().await.unwrap();
    assert!(!said.to_string().contains("wk_evil_0000666"), "{said}");
    let (status, _) = post(
        &format!("{base}/v1/batch"),
        &json!({"batch": [track("m2", "u")]}),
    )
    .await;
    assert_eq!(status, 401, "no key at all");
    // The right key, in the body this time.
    let (status, _) = post(
        &format!("{base}/v1/batch"),
        &json!({"batch": [track("m3", "u")], "writeKey": "wk_good_0000001"}),
    )
    .await;
    assert_eq!(status, 200);
    let list = events(&base, "").await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["messageId"], "m3");
    let sum = summary(&base).await;
    assert_eq!(sum["refused"], 2);
    assert_eq!(entries(&cap.history_path).len(), 1);
}

#[tokio::test]
async fn gzip_bodies_are_read_and_broken_ones_refused() {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;
    let cap = capture::start(|_| {}).await;
    let base = cap.url();
    let body = json!({"batch": [track("g1", "u"), track("g2", "u")],
                      "context": {"library": {"name": "gz-test", "version": "1"}}});
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(body.to_string().as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let c = client();
    let res = c
        .post(format!("{base}/v1/batch"))
        .header("Content-Type", "application/json")
        .header("Content-Encoding", "gzip")
        .body(gz)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let list = events(&base, "").await;
    assert_eq!(list.len(), 2);
    assert_eq!(
        list[1]["library"]["name"], "gz-test",
        "batch context merged"
    );
    let res = c
        .post(format!("{base}/v1/batch"))
        .header("Content-Encoding", "gzip")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    let said: Value = res.json().await.unwrap();
    assert!(said["message"].as_str().unwrap().contains("gzip"), "{said}");
}

#[tokio::test]
async fn source_faults_answer_before_anything_is_recorded() {
    let cap = capture::start(|c| {
        c.faults = vec![SourceFault::Status {
            code: 429,
            count: 1,
            retry_after: Some(7),
        }]
    })
    .await;
    let base = cap.url();
    let c = client();
    let batch = json!({"batch": [track("f1", "u")]});
    let res = c
        .post(format!("{base}/v1/batch"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    assert_eq!(res.headers()["retry-after"].to_str().unwrap(), "7");
    assert!(events(&base, "").await.is_empty());
    let (status, _) = post(&format!("{base}/v1/batch"), &batch).await;
    assert_eq!(status, 200, "the fault's count is spent");
    // A 503, a dropped connection, then latency.
    cap.handle.set_fault(SourceFault::Status {
        code: 503,
        count: 1,
        retry_after: None,
    });
    let (status, _) = post(&format!("{base}/v1/batch"), &batch).await;
    assert_eq!(status, 503);
    cap.handle.set_fault(SourceFault::Drop { count: 1 });
    let dropped = c.post(format!("{base}/v1/batch")).json(&batch).send().await;
    assert!(
        dropped.is_err(),
        "the connection closes without a reply: {dropped:?}"
    );
    cap.handle
        .set_fault(SourceFault::Latency(Duration::from_millis(300)));
    let t0 = Instant::now();
    let (status, _) = post(&format!("{base}/v1/batch"), &batch).await;
    assert_eq!(status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(300));
    cap.handle.clear_faults();
    let sum = summary(&base).await;
    assert_eq!(sum["faulted"], 3, "{sum:#}");
    assert_eq!(sum["received"], 2);
    assert_eq!(sum["duplicates"], 1, "the SDK's retry of f1 is flagged");
    assert_eq!(entries(&cap.history_path).len(), 2);
}
