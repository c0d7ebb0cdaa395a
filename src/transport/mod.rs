//! Sends a translated event's requests, in order, with reqwest on tokio, and records each one:
//! the request as sent (masked), every attempt's status, headers, capped body and timing, and a
//! classified error. Retries, timeouts and the body cap are options; a [`Cancel`] stops a send
//! or a whole batch at once.

pub mod classify;
pub mod record;
pub mod retry;

pub use record::{
    Attempt, CapturedBody, Ending, ErrorKind, Exchange, HeaderPair, RequestRecord, SendReport,
    StatusClass, TransportError, find_header,
};

use crate::destinations::PartnerRequest;
use chrono::Utc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportOptions {
    /// The longest one attempt may take, reading the whole body included.
    pub timeout: Duration,
    /// Attempts per request, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The most response-body bytes kept; the true size is recorded beyond it.
    pub body_cap: usize,
    /// The most response-body bytes read at all; a longer body fails as `body-too-large`, so
    /// an endless reply cannot keep a send going forever.
    pub max_body: u64,
    /// The first backoff after a 5xx (or a 429 without `Retry-After`); doubled at each retry.
    pub backoff_base: Duration,
    /// The longest wait between two attempts, whatever the server asks.
    pub max_retry_after: Duration,
}

impl TransportOptions {
    pub const DEFAULT_BODY_CAP: usize = 1024 * 1024;

    /// One event sent by hand: a single attempt, the answer shown as it is.
    pub fn single() -> TransportOptions {
        TransportOptions {
            timeout: Duration::from_secs(30),
            max_attempts: 1,
            body_cap: Self::DEFAULT_BODY_CAP,
            max_body: 64 * 1024 * 1024,
            backoff_base: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(60),
        }
    }

    /// A batch run: up to three attempts per request.
    pub fn batch() -> TransportOptions {
        TransportOptions {
            max_attempts: 3,
            ..TransportOptions::single()
        }
    }
}

impl Default for TransportOptions {
    fn default() -> TransportOptions {
        TransportOptions::single()
    }
}

/// Cancels every send it is given to: clone it into each task of a batch.
#[derive(Clone, Debug)]
pub struct Cancel {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Cancel {
    fn default() -> Cancel {
        Cancel::new()
    }
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel {
            tx: Arc::new(watch::Sender::new(false)),
        }
    }

    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once cancelled.
    pub async fn cancelled(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives as long as `self`, so waiting cannot fail; if it somehow did,
        // waiting forever is the safe reading (never cancel by accident).
        if rx.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// The HTTP clients: the sandbox and other loopback targets are reached directly, everything
/// else through the proxies of the environment (`HTTPS_PROXY`, ...), which would otherwise
/// swallow requests meant for 127.0.0.1.
#[derive(Clone, Debug)]
pub struct Transport {
    direct: reqwest::Client,
    proxied: reqwest::Client,
}

impl Transport {
    pub fn new() -> Result<Transport, TransportError> {
        let build = |direct: bool| {
            // Redirects are not followed: the record shows exactly what the partner replied.
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("segment-console/", env!("CARGO_PKG_VERSION")));
            if direct {
                b = b.no_proxy();
            }
            b.build()
                .map_err(|e| TransportError::new(ErrorKind::Other, classify::chain_text(&e)))
        };
        Ok(Transport {
            direct: build(true)?,
            proxied: build(false)?,
        })
    }

    fn client_for(&self, url: &reqwest::Url) -> &reqwest::Client {
        let loopback = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        if loopback {
            &self.direct
        } else {
            &self.proxied
        }
    }

    /// Sends the requests of one event in order. The first request that finally fails (no
    /// 2xx) ends the send: the later ones are recorded as not sent, since they usually depend
    /// on it (Salesmachine links a user to the account it has just created).
    pub async fn send_event(
        &self,
        requests: &[PartnerRequest],
        opts: &TransportOptions,
        cancel: &Cancel,
    ) -> SendReport {
        let started = Utc::now();
        let t0 = Instant::now();
        let mut exchanges = Vec::with_capacity(requests.len());
        let mut stop: Option<String> = None;
        for (i, req) in requests.iter().enumerate() {
            let record = RequestRecord::of(req);
            if stop.is_none() && cancel.is_cancelled() {
                stop = Some("the send was cancelled before this request".into());
            }
            if let Some(reason) = &stop {
                exchanges.push(Exchange {
                    request: record,
                    attempts: Vec::new(),
                    not_sent: Some(reason.clone()),
                    cancelled: false,
                });
                continue;
            }
            let ex = self.exchange(req, record, opts, cancel).await;
            if ex.cancelled {
                stop = Some("the send was cancelled before this request".into());
            } else if !ex.succeeded() {
                stop = Some(format!(
                    "request {} of {} failed, so this one was not sent",
                    i + 1,
                    requests.len()
                ));
            }
            exchanges.push(ex);
        }
        let elapsed = t0.elapsed();
        SendReport {
            started,
            elapsed_ms: millis(elapsed),
            elapsed_us: u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            exchanges,
        }
    }

    /// One request with its retries.
    async fn exchange(
        &self,
        req: &PartnerRequest,
        record: RequestRecord,
        opts: &TransportOptions,
        cancel: &Cancel,
    ) -> Exchange {
        let texts = secret_texts(req);
        let secrets: Vec<&str> = texts.iter().map(String::as_str).collect();
        let max = opts.max_attempts.max(1);
        let mut attempts = Vec::new();
        let mut cancelled = false;
        for number in 1..=max {
            let mut attempt = self.attempt(req, opts, cancel, &secrets).await;
            if attempt.class() == StatusClass::Cancelled {
                cancelled = true;
                attempts.push(attempt);
                break;
            }
            let wait = if number < max {
                retry::wait_before_retry(&attempt, number, opts)
            } else {
                None
            };
            let Some(wait) = wait else {
                attempts.push(attempt);
                break;
            };
            attempt.wait_ms = Some(millis(wait));
            attempts.push(attempt);
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    cancelled = true;
                    break;
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        Exchange {
            request: record,
            attempts,
            not_sent: None,
            cancelled,
        }
    }

    async fn attempt(
        &self,
        req: &PartnerRequest,
        opts: &TransportOptions,
        cancel: &Cancel,
        secrets: &[&str],
    ) -> Attempt {
        let started = Utc::now();
        let t0 = Instant::now();
        let (client, request) = match self.build(req) {
            Ok(built) => built,
            Err(e) => return Attempt::failed(started, 0, e),
        };
        let mut partial = Partial::default();
        let end = {
            let work = read_reply(client, request, &mut partial, opts, t0);
            tokio::select! {
                biased;
                _ = cancel.cancelled() => Err(TransportError::new(
                    ErrorKind::Cancelled,
                    format!("cancelled after {} ms", millis(t0.elapsed())),
                )),
                r = tokio::time::timeout(opts.timeout, work) => match r {
                    Ok(r) => r,
                    Err(_) => Err(TransportError::new(
                        ErrorKind::Timeout,
                        format!("no complete reply within {} ms", millis(opts.timeout)),
                    )),
                },
            }
        };
        let error = end.err().map(|mut e| {
            e.message = mask(e.message, secrets);
            e
        });
        partial.finish(started, millis(t0.elapsed()), error, secrets)
    }

    fn build(
        &self,
        req: &PartnerRequest,
    ) -> Result<(&reqwest::Client, reqwest::Request), TransportError> {
        let invalid = |what: String| TransportError::new(ErrorKind::Invalid, what);
        let url = reqwest::Url::parse(&req.url).map_err(|e| {
            invalid(format!(
                "the URL \"{}\" is not valid: {e}",
                req.masked().url
            ))
        })?;
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| invalid(format!("\"{}\" is not an HTTP method", req.method)))?;
        let client = self.client_for(&url);
        let mut rb = client.request(method, url);
        for h in &req.headers {
            rb = rb.header(h.name.as_str(), h.value.as_str());
        }
        // Exactly these bytes: signatures (Webhooks' X-Signature) are computed over them.
        let body = req.body_bytes();
        if !body.is_empty() {
            rb = rb.body(body);
        }
        let request = rb.build().map_err(|e| {
            let texts = secret_texts(req);
            let secrets: Vec<&str> = texts.iter().map(String::as_str).collect();
            let text = mask(classify::chain_text(&e), &secrets);
            invalid(format!("the request could not be built: {text}"))
        })?;
        Ok((client, request))
    }
}

/// What arrived of a reply so far, kept outside the future so a timeout or a cancel still
/// records the status and the bytes that came before it.
#[derive(Default)]
struct Partial {
    status: Option<u16>,
    status_text: String,
    http_version: String,
    headers: Vec<HeaderPair>,
    headers_ms: Option<u64>,
    kept: Vec<u8>,
    size: u64,
    retry_after_ms: Option<u64>,
}

impl Partial {
    fn finish(
        self,
        started: chrono::DateTime<Utc>,
        elapsed_ms: u64,
        error: Option<TransportError>,
        secrets: &[&str],
    ) -> Attempt {
        let body = self
            .status
            .map(|_| CapturedBody::capture(&self.kept, self.size, secrets));
        let headers = self
            .headers
            .into_iter()
            .map(|h| HeaderPair {
                name: h.name,
                value: mask(h.value, secrets),
            })
            .collect();
        Attempt {
            started,
            status: self.status,
            status_text: self.status_text,
            http_version: self.http_version,
            headers,
            body,
            headers_ms: self.headers_ms,
            elapsed_ms,
            error,
            retry_after_ms: self.retry_after_ms,
            wait_ms: None,
        }
    }
}

async fn read_reply(
    client: &reqwest::Client,
    request: reqwest::Request,
    p: &mut Partial,
    opts: &TransportOptions,
    t0: Instant,
) -> Result<(), TransportError> {
    let mut resp = client
        .execute(request)
        .await
        .map_err(|e| classify::error(&e))?;
    let status = resp.status();
    p.status = Some(status.as_u16());
    p.status_text = status.canonical_reason().unwrap_or_default().to_string();
    p.http_version = format!("{:?}", resp.version());
    p.headers = resp
        .headers()
        .iter()
        .map(|(name, value)| HeaderPair {
            name: name.as_str().to_string(),
            value: String::from_utf8_lossy(value.as_bytes()).into_owned(),
        })
        .collect();
    p.headers_ms = Some(millis(t0.elapsed()));
    p.retry_after_ms = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
        .map(millis);
    while let Some(chunk) = resp.chunk().await.map_err(|e| classify::error(&e))? {
        p.size = p.size.saturating_add(chunk.len() as u64);
        let room = opts.body_cap.saturating_sub(p.kept.len());
        p.kept
            .extend_from_slice(chunk.get(..room.min(chunk.len())).unwrap_or_default());
        if p.size > opts.max_body {
            return Err(TransportError::new(
                ErrorKind::BodyTooLarge,
                format!(
                    "the reply's body passed {} bytes, the most the console reads; it stopped reading",
                    opts.max_body
                ),
            ));
        }
    }
    Ok(())
}

/// What a reply could echo of this request's secrets: the raw values, and the encoded token
/// of each secret header (the `c2Vj...` of `Basic c2Vj...`), longest first so that a longer
/// secret is masked whole before a shorter one inside it.
fn secret_texts(req: &PartnerRequest) -> Vec<String> {
    let mut out: Vec<String> = req.secrets.clone();
    for h in req.headers.iter().filter(|h| h.secret) {
        let token = h.value.split_once(' ').map_or(h.value.as_str(), |(_, t)| t);
        out.push(token.trim().to_string());
    }
    // Very short values would mask ordinary text everywhere (event_set uses the same floor).
    out.retain(|s| s.chars().count() >= 4);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn mask(text: String, secrets: &[&str]) -> String {
    let mut v = serde_json::Value::String(text);
    crate::json::mask::mask_secrets(&mut v, secrets);
    match v {
        serde_json::Value::String(s) => s,
        _ => String::new(),
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
