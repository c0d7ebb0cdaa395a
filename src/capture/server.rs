//! The capture server: Segment's source paths, the settings path analytics.js fetches first,
//! CORS for browsers, the source faults, and the order that makes a 200 safe: read, validate,
//! translate, forward, commit, and only then answer.

use super::api::{self, reply};
use super::faults::{Action, FaultBook};
use super::pipeline::{Arrival, Pipeline, Processed, mask_key};
use super::record::{CapturedEvent, Filter, Store, Summary};
use super::wire::{self, MAX_REQUEST_BYTES};
use super::writer::Writer;
use super::{CaptureConfig, CaptureError, SourceFault, Tap};
use crate::sandbox::conn::{Conn, CuttableListener};
use crate::sandbox::task::ServerTask;
use crate::sandbox::{BasicAuth, BodyError, basic_auth, header_text, lock, read_body, same_secret};
use crate::transport::Transport;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, oneshot};

/// How long a shutdown waits for requests in flight before it abandons them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

struct Shared {
    addr: SocketAddr,
    write_keys: Vec<String>,
    pipeline: Pipeline,
    writer: Writer,
    store: Mutex<Store>,
    faults: Mutex<FaultBook>,
    events: broadcast::Sender<Arc<CapturedEvent>>,
    tap: Option<Tap>,
    started: Instant,
    /// Milliseconds from `started` to the last request on a source path.
    last_activity: AtomicU64,
}

type SharedRef = Arc<Shared>;

pub struct Capture;

impl Capture {
    /// Binds the port and starts serving on the current tokio runtime.
    pub async fn start(config: CaptureConfig) -> Result<CaptureHandle, CaptureError> {
        if !config.address.is_loopback() {
            return Err(CaptureError::NotLoopback(config.address));
        }
        let wanted = SocketAddr::new(config.address, config.port);
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(|source| CaptureError::Bind {
                addr: wanted,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| CaptureError::Bind {
            addr: wanted,
            source,
        })?;
        let transport = Transport::new().map_err(|e| CaptureError::Transport(e.to_string()))?;
        // The writer's thread ends by itself once the server (the last `Writer`) is gone.
        let (writer, _thread) = Writer::start(config.history).map_err(CaptureError::Thread)?;
        let mut book = FaultBook::default();
        for f in config.faults {
            book.set(f);
        }
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            addr,
            write_keys: config.write_keys,
            pipeline: Pipeline::new(config.destinations, config.plan, &config.forward, transport),
            writer,
            store: Mutex::new(Store::new(config.keep)),
            faults: Mutex::new(book),
            events,
            tap: config.tap,
            started: Instant::now(),
            last_activity: AtomicU64::new(0),
        });
        let app = router(shared.clone()).into_make_service_with_connect_info::<Conn>();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = axum::serve(CuttableListener(listener), app).with_graceful_shutdown(async {
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move {
            let _ = serving.await;
        });
        Ok(CaptureHandle {
            control: CaptureControl { shared },
            server: ServerTask::new(stop, task, SHUTDOWN_GRACE),
        })
    }
}

/// Steers a running capture and reads what it captured; cheap to clone, usable from any
/// thread (the window keeps one).
#[derive(Clone)]
pub struct CaptureControl {
    shared: SharedRef,
}

impl CaptureControl {
    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash: what SDKs are pointed at.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    pub fn summary(&self) -> Summary {
        lock(&self.shared.store).summary()
    }

    /// The kept events that match, oldest first.
    pub fn events(&self, filter: &Filter) -> Vec<Arc<CapturedEvent>> {
        lock(&self.shared.store).events(filter)
    }

    /// Kept events numbered after `seq`, oldest first: a window catching up after a lag.
    pub fn since(&self, seq: u64) -> Vec<Arc<CapturedEvent>> {
        lock(&self.shared.store).since(seq)
    }

    /// Forgets the kept events, the totals and the message ids seen (the history keeps all).
    pub fn reset(&self) {
        lock(&self.shared.store).reset();
    }

    /// Every later committed event as it happens; a reader that falls behind misses some
    /// (it is told how many) rather than slowing capture down: read [`Self::since`] then.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<CapturedEvent>> {
        self.shared.events.subscribe()
    }

    pub fn set_fault(&self, fault: SourceFault) {
        lock(&self.shared.faults).set(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The destinations events are translated for.
    pub fn destinations(&self) -> Vec<&'static str> {
        self.shared.pipeline.destination_ids()
    }

    /// Time since the last request on a source path (since the start when none came yet).
    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.shared.last_activity.load(Ordering::Relaxed));
        self.shared.started.elapsed().saturating_sub(last)
    }
}

/// A capture running on the caller's runtime; dropping it stops the server too.
pub struct CaptureHandle {
    control: CaptureControl,
    server: ServerTask,
}

impl std::ops::Deref for CaptureHandle {
    type Target = CaptureControl;
    fn deref(&self) -> &CaptureControl {
        &self.control
    }
}

impl CaptureHandle {
    pub fn control(&self) -> CaptureControl {
        self.control.clone()
    }

    /// Stops accepting, lets requests in flight finish (they are committed and answered), and
    /// returns once the port is free.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

fn router(shared: SharedRef) -> Router {
    use tower_http::cors::{Any, CorsLayer};
    // Browsers post from the app's own origin: any origin, the headers analytics.js sends.
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::CONTENT_ENCODING,
        ])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/v1/projects/{key}/settings", get(settings))
        .route("/v1/{name}", post(ingest))
        .route(
            "/_capture/events",
            get(
                |State(s): State<SharedRef>, Query(q): Query<HashMap<String, String>>| async move {
                    api::events(&s.store, &q)
                },
            ),
        )
        .route(
            "/_capture/summary",
            get(|State(s): State<SharedRef>| async move { api::summary(&s.store) }),
        )
        .route(
            "/_capture/reset",
            post(|State(s): State<SharedRef>| async move { api::reset(&s.store) }),
        )
        .fallback(not_found)
        .layer(cors)
        .with_state(shared)
}

fn refuse(s: &Shared, code: StatusCode, message: String) -> Response {
    lock(&s.store).count_refusal(format!("{code}: {message}"));
    reply(code, json!({"success": false, "message": message}))
}

async fn not_found(req: Request) -> Response {
    reply(
        StatusCode::NOT_FOUND,
        json!({"success": false, "message": format!(
            "{} {} is not a Segment source path; post events to /v1/batch (or /v1/track, /v1/identify, ...) and read them at /_capture/events",
            req.method(), req.uri().path())}),
    )
}

/// True when the key may send (any key when none are configured).
fn key_allowed(s: &Shared, key: &str) -> bool {
    s.write_keys.is_empty() || s.write_keys.iter().any(|k| same_secret(k, key))
}

/// `GET /v1/projects/<writeKey>/settings`: what analytics.js fetches before anything else; the
/// Segment.io integration it describes points back here over plain HTTP.
async fn settings(State(s): State<SharedRef>, Path(key): Path<String>) -> Response {
    if !key_allowed(&s, &key) {
        return refuse(
            &s,
            StatusCode::UNAUTHORIZED,
            format!(
                "write key {} is not one this capture accepts",
                mask_key(&key)
            ),
        );
    }
    reply(
        StatusCode::OK,
        json!({
            "integrations": {
                "Segment.io": {
                    "apiKey": key,
                    "apiHost": format!("{}/v1", s.addr),
                    "protocol": "http",
                    "unbundledIntegrations": [],
                    "addBundledMetadata": true,
                    "maybeBundledConfigIds": {},
                }
            },
            "plan": {"track": {"__default": {"enabled": true, "integrations": {}}}},
            "edgeFunction": {},
            "analyticsNextEnabled": true,
            "middlewareSettings": {},
            "enabledMiddleware": {},
            "metrics": {"sampleRate": 0},
            "legacyVideoPluginsEnabled": false,
            "remotePlugins": [],
        }),
    )
}

/// Every source path: faults, the body, the write key, the pipeline, the commit, the reply.
async fn ingest(
    State(s): State<SharedRef>,
    Path(name): Path<String>,
    ConnectInfo(conn): ConnectInfo<Conn>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let since_start = u64::try_from(s.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    s.last_activity.store(since_start, Ordering::Relaxed);
    let path = format!("/v1/{name}");
    let Some(endpoint) = wire::endpoint(&path) else {
        return reply(
            StatusCode::NOT_FOUND,
            json!({"success": false, "message": format!("{path} is not a Segment source path")}),
        );
    };
    let (wait, action) = lock(&s.faults).decide();
    if let Some(wait) = wait {
        tokio::time::sleep(wait).await;
    }
    match action {
        Action::Pass => {}
        Action::Drop => {
            lock(&s.store).count_fault();
            conn.switch.cut();
            // The cut connection fails before any of this is written.
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
        Action::Status { code, retry_after } => {
            lock(&s.store).count_fault();
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reason = code.canonical_reason().unwrap_or("Error");
            let mut r = reply(
                code,
                json!({"success": false, "message": format!("{reason} (capture fault)")}),
            );
            if let Some(secs) = retry_after
                && let Ok(v) = secs.to_string().parse()
            {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
    }
    let raw = match read_body(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return refuse(
                &s,
                StatusCode::BAD_REQUEST,
                wire::WireError::TooLarge(None).to_string(),
            );
        }
        Err(BodyError::Broken(e)) => {
            return refuse(
                &s,
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            );
        }
    };
    let decoded = match wire::decode(&raw, header_text(&headers, "content-encoding")) {
        Ok(d) => d,
        Err(e) => return refuse(&s, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let received_at = chrono::Utc::now();
    let posted = match wire::read(endpoint, &decoded, received_at) {
        Ok(p) => p,
        Err(e) => return refuse(&s, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let header_key = match basic_auth(&headers) {
        BasicAuth::Given { user, .. } if !user.is_empty() => Some(user),
        _ => None,
    };
    let write_key = header_key.or(posted.write_key).unwrap_or_default();
    if !key_allowed(&s, &write_key) {
        let shown = if write_key.is_empty() {
            "no write key (send it as Basic auth or in the body's writeKey)".to_string()
        } else {
            format!(
                "write key {} is not one this capture accepts",
                mask_key(&write_key)
            )
        };
        return refuse(&s, StatusCode::UNAUTHORIZED, shown);
    }
    lock(&s.store).count_request();
    // Duplicates are judged per source (write key), as Segment does.
    let mut remembered = Vec::new();
    let duplicates: Vec<bool> = {
        let mut store = lock(&s.store);
        posted
            .events
            .iter()
            .map(|e| match e.event.get("messageId").and_then(Value::as_str) {
                Some(id) if e.dropped.is_none() => {
                    let dup = store.seen_before(&write_key, id);
                    if !dup {
                        remembered.push((write_key.clone(), id.to_string()));
                    }
                    dup
                }
                _ => false,
            })
            .collect()
    };
    let arrival = Arrival {
        path: &path,
        write_key: &write_key,
        received_at,
    };
    let mut processed: Vec<Processed> = Vec::with_capacity(posted.events.len());
    for (incoming, dup) in posted.events.into_iter().zip(duplicates) {
        processed.push(s.pipeline.process(incoming, &arrival, dup).await);
    }
    let entries: Vec<_> = processed
        .iter_mut()
        .flat_map(|p| std::mem::take(&mut p.entries))
        .collect();
    let ids = match s.writer.commit(entries).await {
        Ok(ids) => ids,
        Err(e) => {
            lock(&s.store).forget(&remembered);
            // Not a 200: the SDK keeps the events and sends them again.
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"success": false, "message": format!("the console could not store the events: {e}")}),
            );
        }
    };
    let mut next_id = ids.into_iter();
    let mut views = Vec::with_capacity(processed.len());
    for p in processed {
        let n = p.entry_of.len().max(1);
        let these: Vec<i64> = next_id.by_ref().take(n).collect();
        let mut view = p.view;
        for (d, &i) in view.destinations.iter_mut().zip(&p.entry_of) {
            d.history_id = these.get(i).copied();
        }
        views.push(view);
    }
    let shared: Vec<Arc<CapturedEvent>> = {
        let mut store = lock(&s.store);
        views.into_iter().map(|v| store.push(v)).collect()
    };
    for e in shared {
        let _ = s.events.send(e.clone());
        if let Some(tap) = &s.tap {
            let _ = tap.send(e).await;
        }
    }
    reply(StatusCode::OK, json!({"success": true}))
}
