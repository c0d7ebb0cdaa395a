//! The embedded sandbox (docs/destinations.md §7): one HTTP server on loopback that imitates
//! every partner under `/<destination-id>/...`, keeps what it receives in memory, and fails on
//! demand. Started in-process by the app and the tests, or alone by `segment-console sandbox`.

pub mod conn;
mod control;
pub mod faults;
mod padding;
pub mod partners;
mod server;
pub mod state;
pub mod task;

pub use faults::Fault;
pub use faults::parse::{parse_fault_flag, parse_json as parse_fault_json};
pub use partners::webhook_signature;
pub use server::{BlockingSandbox, Sandbox, SandboxControl, SandboxHandle};

use crate::destinations::kit::sandbox_credentials;
use crate::json::mask::MASK;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Serialize;
use serde_json::Value;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::broadcast;

/// The credentials the sandbox accepts; by default those of `kit::sandbox_credentials`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Every destination's `apiKey` (Salesmachine's API token, Freshworks' token, the Segment
    /// webhook's Basic user).
    pub api_key: String,
    /// Salesmachine's `apiSecret`.
    pub api_secret: String,
    /// Skalin's `clientId`.
    pub client_id: String,
    /// The Webhooks destination's `sharedSecret`; with none, signatures are not checked.
    pub webhook_secret: Option<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials {
            api_key: sandbox_credentials::API_KEY.into(),
            api_secret: sandbox_credentials::API_SECRET.into(),
            client_id: sandbox_credentials::CLIENT_ID.into(),
            webhook_secret: None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("api_key", &MASK)
            .field("api_secret", &MASK)
            .field("client_id", &self.client_id)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| MASK),
            )
            .finish()
    }
}

pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Must be a loopback address: the sandbox is never reachable from other machines.
    pub address: IpAddr,
    /// 0 picks any free port.
    pub port: u16,
    pub credentials: Credentials,
    /// Request bodies above this many bytes are refused with 413.
    pub body_limit: usize,
    /// Faults in force from the first request, as (destination id, fault).
    pub faults: Vec<(String, Fault)>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            credentials: Credentials::default(),
            body_limit: DEFAULT_BODY_LIMIT,
            faults: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the sandbox listens on loopback only, not on {0}")]
    NotLoopback(IpAddr),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("{0}")]
    Fault(String),
    #[error("cannot start the sandbox's own thread: {0}")]
    Thread(std::io::Error),
    #[error("the sandbox's thread stopped before it started serving")]
    ThreadGone,
}

/// One request the sandbox answered (or dropped), as told to `SandboxControl::subscribe`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Exchange {
    pub destination: String,
    pub method: String,
    pub path: String,
    /// `None` when the connection was dropped without a reply.
    pub status: Option<u16>,
    /// True when a fault decided the outcome (status, failure rate or drop).
    pub fault: bool,
    pub millis: u64,
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let outcome = match self.status {
            Some(code) => code.to_string(),
            None => "dropped".into(),
        };
        let fault = if self.fault { " (fault)" } else { "" };
        write!(
            f,
            "{} {} -> {outcome}{fault} in {} ms",
            self.method, self.path, self.millis
        )
    }
}

/// What every handler shares.
pub(crate) struct Shared {
    pub credentials: Credentials,
    pub body_limit: usize,
    pub state: Mutex<state::State>,
    pub faults: Mutex<faults::FaultBook>,
    pub exchanges: broadcast::Sender<Exchange>,
}

pub(crate) type SharedRef = Arc<Shared>;

/// A poisoned lock only means another request panicked mid-update; the data is still the best
/// record there is, so keep serving it rather than failing every later request.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn json_reply(code: StatusCode, body: Value) -> Response {
    (code, axum::Json(body)).into_response()
}

pub(crate) fn with_header(mut r: Response, name: header::HeaderName, value: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(value) {
        r.headers_mut().insert(name, v);
    }
    r
}

/// The path after `/<dest>/`, without a trailing slash.
pub(crate) fn rest_of<'a>(path: &'a str, dest: &str) -> &'a str {
    path.strip_prefix('/')
        .and_then(|p| p.strip_prefix(dest))
        .and_then(|p| p.strip_prefix('/'))
        .unwrap_or("")
        .trim_end_matches('/')
}

pub(crate) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// True for `application/json`, with or without parameters such as a charset.
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    header_text(headers, "content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

pub(crate) enum BodyError {
    TooLarge,
    Broken(String),
}

/// Reads a whole request body, refusing one above `limit` bytes.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    use http_body_util::{BodyExt, LengthLimitError, Limited};
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(e) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
            while let Some(s) = source {
                if s.downcast_ref::<LengthLimitError>().is_some() {
                    return Err(BodyError::TooLarge);
                }
                source = s.source();
            }
            Err(BodyError::Broken(e.to_string()))
        }
    }
}

pub(crate) enum BasicAuth {
    Missing,
    Malformed,
    Given { user: String, password: String },
}

/// Reads `Authorization: Basic base64(user:password)`.
pub(crate) fn basic_auth(headers: &HeaderMap) -> BasicAuth {
    let Some(value) = header_text(headers, "authorization") else {
        return if headers.contains_key("authorization") {
            BasicAuth::Malformed
        } else {
            BasicAuth::Missing
        };
    };
    let Some((scheme, encoded)) = value.trim().split_once(' ') else {
        return BasicAuth::Malformed;
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return BasicAuth::Malformed;
    }
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return BasicAuth::Malformed;
    };
    let Ok(text) = String::from_utf8(decoded) else {
        return BasicAuth::Malformed;
    };
    match text.split_once(':') {
        Some((user, password)) => BasicAuth::Given {
            user: user.to_string(),
            password: password.to_string(),
        },
        None => BasicAuth::Malformed,
    }
}

/// Compares secrets without stopping at the first different byte.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Text for a status a fault imposes.
pub(crate) fn fault_message(code: StatusCode, retry_after: Option<u64>) -> String {
    let reason = code.canonical_reason().unwrap_or("Error");
    match retry_after {
        Some(secs) => format!("{reason} (sandbox fault); retry after {secs} seconds"),
        None => format!("{reason} (sandbox fault)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_of_paths() {
        assert_eq!(
            rest_of("/salesmachine/v1/track/event", "salesmachine"),
            "v1/track/event"
        );
        assert_eq!(rest_of("/skalin/hit/", "skalin"), "hit");
        assert_eq!(rest_of("/skalin", "skalin"), "");
    }

    #[test]
    fn basic_auth_forms() {
        let mut h = HeaderMap::new();
        assert!(matches!(basic_auth(&h), BasicAuth::Missing));
        h.insert("authorization", HeaderValue::from_static("Bearer x"));
        assert!(matches!(basic_auth(&h), BasicAuth::Malformed));
        // base64("key:") -- an empty password keeps its colon.
        h.insert("authorization", HeaderValue::from_static("Basic a2V5Og=="));
        match basic_auth(&h) {
            BasicAuth::Given { user, password } => {
                assert_eq!((user.as_str(), password.as_str()), ("key", ""))
            }
            _ => panic!("expected credentials"),
        }
    }

    #[test]
    fn credentials_never_print_secrets() {
        let text = format!("{:?}", Credentials::default());
        assert!(!text.contains("sandbox-api-key"), "{text}");
        assert!(!text.contains("sandbox-api-secret"), "{text}");
        assert!(text.contains("sandbox-client"), "{text}");
    }

    #[test]
    fn secrets_compare() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
