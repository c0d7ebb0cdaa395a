//! What the sandbox tests share: starting a sandbox on port 0 and sending real HTTP to it, with
//! the sandbox's credentials (`super::API_KEY`, `super::API_SECRET`).

use super::{API_KEY, API_SECRET};
use base64::Engine;
use reqwest::{Client, RequestBuilder};
use segment_console::sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;

pub async fn start() -> SandboxHandle {
    start_with(SandboxConfig::default()).await
}

pub async fn start_with(config: SandboxConfig) -> SandboxHandle {
    Sandbox::start(config).await.expect("sandbox starts")
}

/// A client that never goes through a proxy: tests talk to loopback only.
pub fn client() -> Client {
    Client::builder().no_proxy().build().expect("client")
}

/// Sends and returns the status, the body as JSON (or as a JSON string when it is not JSON)
/// and the Retry-After header.
pub async fn send(req: RequestBuilder) -> (u16, Value, Option<String>) {
    let res = req.send().await.expect("a reply");
    let status = res.status().as_u16();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = res.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, retry)
}

/// `X-Segment-Settings`: base64 of the settings JSON.
pub fn settings_header(settings: &Value) -> String {
    base64::engine::general_purpose::STANDARD.encode(settings.to_string())
}

/// A Segment partner-webhook delivery to `/<dest>/segment` with the sandbox key.
pub fn segment(
    c: &Client,
    base: &str,
    dest: &str,
    event: &Value,
    settings: &Value,
) -> RequestBuilder {
    c.post(format!("{base}/{dest}/segment"))
        .basic_auth(API_KEY, Some(""))
        .header("User-Agent", "Segment.io/1.0")
        .header("X-Segment-Settings", settings_header(settings))
        .json(event)
}

/// A Salesmachine call with the sandbox's token and secret.
pub fn salesmachine(c: &Client, base: &str, path: &str, body: &Value) -> RequestBuilder {
    c.post(format!("{base}/salesmachine{path}"))
        .basic_auth(API_KEY, Some(API_SECRET))
        .json(body)
}

/// One HTTP/1.1 exchange over a plain std socket, for tests without an async runtime.
/// Returns the status code and the body.
pub fn raw_http(addr: std::net::SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    raw_http_with(addr, method, path, "", body)
}

/// As `raw_http`, with `extra` header lines (each ending in CRLF).
pub fn raw_http_with(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    extra: &str,
    body: &str,
) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{extra}\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).expect("write");
    let mut reply = String::new();
    s.read_to_string(&mut reply).expect("read");
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let body = reply.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}
