//! The sandbox as a server: binding, limits, state endpoints, stopping, the blocking helper and
//! the `sandbox` subcommand of the real binary.

use crate::support::sandbox::{
    client, raw_http, raw_http_with, salesmachine, send, start, start_with,
};
use crate::support::{API_KEY as KEY, API_SECRET as SECRET};
use segment_console::sandbox::{Fault, Sandbox, SandboxConfig, SandboxError};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn port_zero_picks_a_free_loopback_port() {
    let a = start().await;
    let b = start().await;
    assert_ne!(a.addr().port(), 0);
    assert_ne!(a.addr().port(), b.addr().port());
    assert_eq!(
        a.base_url(),
        format!("http://127.0.0.1:{}", a.addr().port())
    );
}

#[tokio::test]
async fn other_addresses_and_bad_faults_are_refused() {
    let config = SandboxConfig {
        address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        ..SandboxConfig::default()
    };
    let err = Sandbox::start(config).await.err().expect("refused");
    assert!(matches!(err, SandboxError::NotLoopback(_)));
    assert_eq!(
        err.to_string(),
        "the sandbox listens on loopback only, not on 0.0.0.0"
    );

    let config = SandboxConfig {
        faults: vec![("skalin".into(), Fault::Drop { count: 0 })],
        ..SandboxConfig::default()
    };
    let err = Sandbox::start(config).await.err().expect("refused");
    assert_eq!(err.to_string(), "a drop fault needs a count of at least 1");
}

#[tokio::test]
async fn bodies_above_the_limit_get_413() {
    let sb = start_with(SandboxConfig {
        body_limit: 64,
        ..SandboxConfig::default()
    })
    .await;
    let c = client();
    let big = json!({"contact_uid": "u1", "params": {"bio": "x".repeat(100)}});
    let (status, reply, _) = send(salesmachine(&c, &sb.base_url(), "/v1/contact", &big)).await;
    assert_eq!(
        (status, reply),
        (
            413,
            json!({"code": "payload_too_large", "error": "payload_too_large", "message": "The body is larger than 64 bytes"})
        )
    );
    let small = json!({"contact_uid": "u1"});
    assert_eq!(
        send(salesmachine(&c, &sb.base_url(), "/v1/contact", &small))
            .await
            .0,
        201
    );

    let sb = start().await;
    let url = format!("{}/webhook/in", sb.base_url());
    let just_over = format!("\"{}\"", "x".repeat(1024 * 1024 - 1));
    let res = c
        .post(&url)
        .header("content-type", "application/json")
        .body(just_over)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 413, "1 MiB is the default limit");
    assert_eq!(sb.state()["webhook"]["deliveries"], json!([]));
}

#[tokio::test]
async fn state_reset_index_and_unknown_paths() {
    let sb = start().await;
    let c = client();
    let base = sb.base_url();
    send(salesmachine(
        &c,
        &base,
        "/v1/contact",
        &json!({"contact_uid": "u1"}),
    ))
    .await;
    let (status, state, _) = send(c.get(format!("{base}/_sandbox/state"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        state["salesmachine"]["contacts"]["u1"],
        json!({"params": {}})
    );
    assert_eq!(
        state["counts"]["salesmachine"]["statuses"],
        json!({"201": 1})
    );
    let (status, reply, _) = send(c.post(format!("{base}/_sandbox/reset"))).await;
    assert_eq!((status, reply), (200, json!({"status": "reset"})));
    assert_eq!(sb.state()["salesmachine"]["contacts"], json!({}));
    assert_eq!(sb.state()["counts"], json!({}));

    let (status, index, _) = send(c.get(format!("{base}/_sandbox"))).await;
    assert_eq!(status, 200);
    assert_eq!(
        index["destinations"]["startdeliver"],
        json!(["/startdeliver/segment"])
    );
    let (status, reply, _) = send(c.get(format!("{base}/hubspot/v1/contact"))).await;
    assert_eq!(status, 404);
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .starts_with("nothing at /hubspot/v1/contact")
    );
}

#[tokio::test]
async fn shutdown_frees_the_port() {
    let sb = start().await;
    let addr = sb.addr();
    let c = client();
    assert_eq!(
        send(c.get(format!("{}/_sandbox/state", sb.base_url())))
            .await
            .0,
        200
    );
    sb.shutdown().await;
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens after shutdown"
    );
}

#[test]
fn blocking_helper_serves_without_a_runtime() {
    let sb = Sandbox::start_blocking(SandboxConfig::default()).expect("starts");
    let addr = sb.addr();
    let (status, body) = raw_http(addr, "POST", "/salesmachine/v1/ping", "");
    assert_eq!(status, 400, "no credentials: {body}");
    sb.set_fault(
        "salesmachine",
        Fault::Status {
            code: 503,
            count: 1,
            retry_after: None,
        },
    )
    .unwrap();
    let (status, _) = raw_http(addr, "POST", "/salesmachine/v1/ping", "");
    assert_eq!(status, 503);
    let (status, body) = raw_http(addr, "GET", "/_sandbox/state", "");
    assert_eq!(status, 200);
    let state: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        state["counts"]["salesmachine"]["statuses"],
        json!({"400": 1, "503": 1})
    );
    sb.shutdown();
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens after shutdown"
    );
}

#[test]
fn the_sandbox_subcommand_prints_its_url_and_stops_cleanly_on_ctrl_c() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_segment-console"))
        .args([
            "sandbox",
            "--port",
            "0",
            "--fault",
            "salesmachine:status:503:1",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut first = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("a first line");
    let base = first.trim();
    let addr = base
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("first line is the base URL: {first:?}"));
    let (status, body) = raw_http(addr, "GET", "/salesmachine/v1/ping", "");
    assert_eq!(status, 503, "the --fault is in force: {body}");
    let auth = format!(
        "Authorization: Basic {}\r\n",
        base64_of(&format!("{KEY}:{SECRET}"))
    );
    let (status, body) = raw_http_with(addr, "GET", "/salesmachine/v1/ping", &auth, "");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"success"}"#));

    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(Instant::now() < deadline, "still running 10 s after Ctrl+C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}");
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err).unwrap();
    assert!(
        err.contains("GET /salesmachine/v1/ping -> 503 (fault)"),
        "{err}"
    );
    assert!(err.contains("GET /salesmachine/v1/ping -> 200 in"), "{err}");
    assert!(err.contains("stopped"), "{err}");
}

#[test]
fn the_sandbox_subcommand_explains_a_bad_fault() {
    let out = Command::new(env!("CARGO_BIN_EXE_segment-console"))
        .args(["sandbox", "--fault", "salesmachine:explode"])
        .output()
        .expect("the binary runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown kind \"explode\""), "{err}");
    assert!(out.stdout.is_empty());
}

fn base64_of(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}
