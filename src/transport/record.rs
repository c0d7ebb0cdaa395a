//! What a send leaves behind: plain, serializable records (the history stores them as JSON),
//! with every secret already masked, and the lifecycle of one send.

use crate::destinations::{Body, OutcomeKind, PartnerRequest};
use crate::json::mask::mask_secrets;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The class of a send, as the history filters and colours it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StatusClass {
    #[serde(rename = "2xx")]
    Success,
    #[serde(rename = "3xx")]
    Redirect,
    #[serde(rename = "4xx")]
    ClientError,
    #[serde(rename = "5xx")]
    ServerError,
    /// No HTTP reply: the transport failed (timeout, refused, ...).
    #[serde(rename = "error")]
    Error,
    #[serde(rename = "cancelled")]
    Cancelled,
    #[serde(rename = "skipped")]
    Skipped,
    #[serde(rename = "rejected")]
    Rejected,
    #[serde(rename = "unsupported")]
    Unsupported,
}

impl StatusClass {
    pub const ALL: [StatusClass; 9] = [
        StatusClass::Success,
        StatusClass::Redirect,
        StatusClass::ClientError,
        StatusClass::ServerError,
        StatusClass::Error,
        StatusClass::Cancelled,
        StatusClass::Skipped,
        StatusClass::Rejected,
        StatusClass::Unsupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StatusClass::Success => "2xx",
            StatusClass::Redirect => "3xx",
            StatusClass::ClientError => "4xx",
            StatusClass::ServerError => "5xx",
            StatusClass::Error => "error",
            StatusClass::Cancelled => "cancelled",
            StatusClass::Skipped => "skipped",
            StatusClass::Rejected => "rejected",
            StatusClass::Unsupported => "unsupported",
        }
    }

    pub fn parse(text: &str) -> Option<StatusClass> {
        StatusClass::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn of_status(status: u16) -> StatusClass {
        match status {
            0..=299 => StatusClass::Success,
            300..=399 => StatusClass::Redirect,
            400..=499 => StatusClass::ClientError,
            _ => StatusClass::ServerError,
        }
    }

    /// The class of an outcome with nothing to send; `None` for `requests`.
    pub fn of_outcome(kind: OutcomeKind) -> Option<StatusClass> {
        match kind {
            OutcomeKind::Requests => None,
            OutcomeKind::Skipped => Some(StatusClass::Skipped),
            OutcomeKind::Unsupported => Some(StatusClass::Unsupported),
            OutcomeKind::Rejected => Some(StatusClass::Rejected),
        }
    }

    /// How bad, so that a send of several requests takes the class of its worst one.
    fn rank(self) -> u8 {
        match self {
            StatusClass::Skipped | StatusClass::Unsupported | StatusClass::Rejected => 0,
            StatusClass::Success => 1,
            StatusClass::Redirect => 2,
            StatusClass::ClientError => 3,
            StatusClass::ServerError => 4,
            StatusClass::Error => 5,
            StatusClass::Cancelled => 6,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    Timeout,
    Refused,
    Dns,
    Tls,
    BodyTooLarge,
    /// The server closed or reset the connection before a complete reply.
    Closed,
    /// The request could not be built (a malformed URL, method or header).
    Invalid,
    Cancelled,
    Other,
}

impl ErrorKind {
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timed out",
            ErrorKind::Refused => "connection refused",
            ErrorKind::Dns => "host not found (DNS)",
            ErrorKind::Tls => "TLS failure",
            ErrorKind::BodyTooLarge => "response body too large",
            ErrorKind::Closed => "connection closed",
            ErrorKind::Invalid => "invalid request",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Other => "transport error",
        }
    }
}

/// A failure without a usable HTTP reply, classified, with the underlying message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {message}", kind.label())]
pub struct TransportError {
    pub kind: ErrorKind,
    pub message: String,
}

impl TransportError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> TransportError {
        TransportError {
            kind,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderPair {
    pub name: String,
    pub value: String,
}

/// A request as sent, safe to store: secrets masked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<HeaderPair>,
    /// The body text (masked), `None` when the request has no body.
    pub body: Option<String>,
    /// The size of the bytes actually sent (before masking).
    pub body_size: u64,
    pub description: String,
    pub basis: String,
}

impl RequestRecord {
    /// The request as stored: secrets masked.
    pub fn of(req: &PartnerRequest) -> RequestRecord {
        RequestRecord::shown(req, false)
    }

    /// The request with its secrets masked unless `show_secrets` (an export the user asked to
    /// reveal; never what the history stores).
    pub fn shown(req: &PartnerRequest, show_secrets: bool) -> RequestRecord {
        let sent = req.body_bytes();
        let body = match &req.body {
            Body::None => None,
            _ if show_secrets => Some(String::from_utf8_lossy(&sent).into_owned()),
            _ => Some(String::from_utf8_lossy(&req.masked_body_bytes(&sent)).into_owned()),
        };
        let (url, headers) = if show_secrets {
            (req.url.clone(), req.headers.clone())
        } else {
            req.masked_head()
        };
        RequestRecord {
            method: req.method.clone(),
            url,
            headers: headers
                .into_iter()
                .map(|h| HeaderPair {
                    name: h.name,
                    value: h.value,
                })
                .collect(),
            body,
            body_size: sent.len() as u64,
            description: req.description.clone(),
            basis: req.basis.label().to_string(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

pub fn find_header<'a>(headers: &'a [HeaderPair], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// A response body as kept: at most the cap, with the true size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapturedBody {
    /// UTF-8 text, or base64 when `encoding` is `"base64"` (a body that is not text).
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Every byte received, also those beyond the cap.
    pub size: u64,
    pub truncated: bool,
}

impl CapturedBody {
    /// Keeps `kept` (the first bytes of a body of `size` bytes): as text when it is UTF-8 (a
    /// character cut by the cap is dropped), else as base64; secrets in text are masked.
    pub fn capture(kept: &[u8], size: u64, secrets: &[&str]) -> CapturedBody {
        let truncated = size > kept.len() as u64;
        let text = match std::str::from_utf8(kept) {
            Ok(t) => Some(t),
            // Only the last few bytes may be a character the cap cut in two.
            Err(e) if truncated && e.error_len().is_none() && kept.len() - e.valid_up_to() < 4 => {
                std::str::from_utf8(kept.get(..e.valid_up_to()).unwrap_or_default()).ok()
            }
            Err(_) => None,
        };
        match text {
            Some(t) => {
                let mut v = Value::String(t.to_string());
                mask_secrets(&mut v, secrets);
                CapturedBody {
                    text: v.as_str().unwrap_or_default().to_string(),
                    encoding: None,
                    size,
                    truncated,
                }
            }
            None => {
                use base64::Engine;
                CapturedBody {
                    text: base64::engine::general_purpose::STANDARD.encode(kept),
                    encoding: Some("base64".into()),
                    size,
                    truncated,
                }
            }
        }
    }
}

/// One try of one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub started: DateTime<Utc>,
    /// The HTTP status, when a reply's head arrived.
    pub status: Option<u16>,
    #[serde(default)]
    pub status_text: String,
    #[serde(default)]
    pub http_version: String,
    pub headers: Vec<HeaderPair>,
    pub body: Option<CapturedBody>,
    /// Time until the reply's head arrived.
    pub headers_ms: Option<u64>,
    /// Total time of this attempt, body included.
    pub elapsed_ms: u64,
    pub error: Option<TransportError>,
    /// What the server's `Retry-After` asked for, when it sent one.
    pub retry_after_ms: Option<u64>,
    /// How long the console waited before the next attempt (none when this was the last).
    pub wait_ms: Option<u64>,
}

impl Attempt {
    pub fn failed(started: DateTime<Utc>, elapsed_ms: u64, error: TransportError) -> Attempt {
        Attempt {
            started,
            status: None,
            status_text: String::new(),
            http_version: String::new(),
            headers: Vec::new(),
            body: None,
            headers_ms: None,
            elapsed_ms,
            error: Some(error),
            retry_after_ms: None,
            wait_ms: None,
        }
    }

    pub fn class(&self) -> StatusClass {
        match (&self.error, self.status) {
            (Some(e), _) if e.kind == ErrorKind::Cancelled => StatusClass::Cancelled,
            (Some(_), _) | (None, None) => StatusClass::Error,
            (None, Some(s)) => StatusClass::of_status(s),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// One request of an event and every attempt made to send it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: RequestRecord,
    pub attempts: Vec<Attempt>,
    /// Why nothing was sent (an earlier request failed, or the send was cancelled first).
    pub not_sent: Option<String>,
    /// Cancelled while in flight or while waiting to retry.
    pub cancelled: bool,
}

impl Exchange {
    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }

    /// The class of the final attempt; `None` when nothing was sent.
    pub fn class(&self) -> Option<StatusClass> {
        if self.cancelled {
            return Some(StatusClass::Cancelled);
        }
        self.last().map(Attempt::class)
    }

    /// A 2xx reply, complete.
    pub fn succeeded(&self) -> bool {
        self.class() == Some(StatusClass::Success)
    }
}

/// Everything one send of one event did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReport {
    pub started: DateTime<Utc>,
    pub elapsed_ms: u64,
    /// The same duration in microseconds: a loopback send takes well under a millisecond.
    /// 0 in reports saved before it existed (see [`SendReport::micros`]).
    #[serde(default)]
    pub elapsed_us: u64,
    pub exchanges: Vec<Exchange>,
}

/// How a finished send ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    /// Every request sent got a complete HTTP reply (of any status).
    Answered,
    /// A request got no complete reply: refused, dropped, timed out, cut off.
    Failed(TransportError),
    Cancelled,
}

impl SendReport {
    /// The send's duration in microseconds, from the milliseconds when that is all there is.
    pub fn micros(&self) -> u64 {
        if self.elapsed_us == 0 {
            self.elapsed_ms.saturating_mul(1000)
        } else {
            self.elapsed_us
        }
    }

    pub fn ending(&self) -> Ending {
        if self.cancelled() {
            return Ending::Cancelled;
        }
        match self.error() {
            Some(error) => Ending::Failed(error.clone()),
            None => Ending::Answered,
        }
    }

    pub fn cancelled(&self) -> bool {
        self.exchanges
            .iter()
            .any(|e| e.cancelled || e.class() == Some(StatusClass::Cancelled))
    }

    /// The worst class among the requests sent: cancelled, then error, 5xx, 4xx, 3xx, 2xx.
    pub fn class(&self) -> StatusClass {
        self.exchanges
            .iter()
            .filter_map(Exchange::class)
            .max_by_key(|c| c.rank())
            .unwrap_or(StatusClass::Skipped)
    }

    /// The transport error that ended the send, if one did.
    pub fn error(&self) -> Option<&TransportError> {
        self.exchanges
            .iter()
            .filter_map(|e| e.last())
            .find_map(|a| a.error.as_ref())
    }
}
