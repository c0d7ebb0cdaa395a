//! Starting, steering and stopping the sandbox server, and the fault layer every partner path
//! goes through.

use super::conn::{Conn, CuttableListener};
use super::faults::{Action, FaultBook};
use super::partners::{self, PARTNERS};
use super::state::State;
use super::task::ServerTask;
use super::{
    Exchange, Fault, SandboxConfig, SandboxError, Shared, SharedRef, control, fault_message, lock,
    rest_of, with_header,
};
use axum::Router;
use axum::extract::{ConnectInfo, Request, State as AxState};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, oneshot};

/// How long a shutdown waits for requests in flight (a latency fault, a slow client) before it
/// abandons them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);

pub struct Sandbox;

impl Sandbox {
    /// Binds the port and starts serving on the current tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle, SandboxError> {
        if !config.address.is_loopback() {
            return Err(SandboxError::NotLoopback(config.address));
        }
        let mut book = FaultBook::default();
        for (dest, fault) in &config.faults {
            book.set(dest, fault.clone()).map_err(SandboxError::Fault)?;
        }
        let wanted = SocketAddr::new(config.address, config.port);
        let listener = tokio::net::TcpListener::bind(wanted)
            .await
            .map_err(|source| SandboxError::Bind {
                addr: wanted,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
            addr: wanted,
            source,
        })?;
        let (exchanges, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            credentials: config.credentials,
            body_limit: config.body_limit,
            state: Mutex::new(State::default()),
            faults: Mutex::new(book),
            exchanges,
        });
        let app = router(shared.clone()).into_make_service_with_connect_info::<Conn>();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = axum::serve(CuttableListener(listener), app).with_graceful_shutdown(async {
            // A dropped sender means the handle is gone: stop as well.
            let _ = stopped.await;
        });
        let task = tokio::spawn(async move {
            // Accept errors are retried inside the listener; serve returns only on shutdown.
            let _ = serving.await;
        });
        Ok(SandboxHandle {
            control: SandboxControl { addr, shared },
            server: ServerTask::new(stop, task, SHUTDOWN_GRACE),
        })
    }

    /// Starts the sandbox on a thread of its own with its own runtime, for callers without tokio.
    pub fn start_blocking(config: SandboxConfig) -> Result<BlockingSandbox, SandboxError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sandbox".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(SandboxError::Thread(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Sandbox::start(config).await {
                        Ok(handle) => {
                            let _ = ready_tx.send(Ok(handle.control.clone()));
                            let _ = stop_rx.await;
                            handle.shutdown().await;
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(SandboxError::Thread)?;
        match ready_rx.recv() {
            Ok(Ok(control)) => Ok(BlockingSandbox {
                control,
                stop: Some(stop_tx),
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(SandboxError::ThreadGone)
            }
        }
    }
}

/// Steers a running sandbox; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct SandboxControl {
    addr: SocketAddr,
    shared: SharedRef,
}

impl SandboxControl {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_fault(&self, dest: &str, fault: Fault) -> Result<(), SandboxError> {
        lock(&self.shared.faults)
            .set(dest, fault)
            .map_err(SandboxError::Fault)
    }

    /// Clears one destination's faults, or every destination's with `None`.
    pub fn clear_faults(&self, dest: Option<&str>) -> Result<(), SandboxError> {
        lock(&self.shared.faults)
            .clear(dest)
            .map_err(SandboxError::Fault)
    }

    /// The faults in force, as `GET /_sandbox/faults` shows them.
    pub fn faults(&self) -> Value {
        lock(&self.shared.faults).to_json()
    }

    /// Everything received so far, as `GET /_sandbox/state` shows it.
    pub fn state(&self) -> Value {
        lock(&self.shared.state).to_json()
    }

    /// Forgets everything received (faults stay).
    pub fn reset(&self) {
        *lock(&self.shared.state) = State::default();
    }

    /// Every later exchange, as it happens (a slow reader misses some rather than slowing the
    /// sandbox down).
    pub fn subscribe(&self) -> broadcast::Receiver<Exchange> {
        self.shared.exchanges.subscribe()
    }
}

/// A sandbox running on the caller's runtime; dropping it stops the server too.
pub struct SandboxHandle {
    control: SandboxControl,
    server: ServerTask,
}

impl std::ops::Deref for SandboxHandle {
    type Target = SandboxControl;
    fn deref(&self) -> &SandboxControl {
        &self.control
    }
}

impl SandboxHandle {
    pub fn control(&self) -> SandboxControl {
        self.control.clone()
    }

    /// Stops accepting, lets requests in flight finish (for a few seconds at most), and returns
    /// once the port is free.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

/// A sandbox on its own thread; dropping it stops the server and waits for the thread.
pub struct BlockingSandbox {
    control: SandboxControl,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl std::ops::Deref for BlockingSandbox {
    type Target = SandboxControl;
    fn deref(&self) -> &SandboxControl {
        &self.control
    }
}

impl BlockingSandbox {
    pub fn control(&self) -> SandboxControl {
        self.control.clone()
    }

    /// Stops the server and waits until its thread has ended.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BlockingSandbox {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn router(shared: SharedRef) -> Router {
    let partners = PARTNERS
        .iter()
        .fold(Router::new(), |r, p| {
            r.route(&format!("/{}/{{*rest}}", p.id), (p.route)())
        })
        .route_layer(middleware::from_fn_with_state(shared.clone(), fault_layer));
    control::routes()
        .merge(partners)
        .fallback(control::not_found)
        .with_state(shared)
}

/// Applies the destination's faults, then lets the partner answer; counts and reports every
/// exchange either way.
async fn fault_layer(AxState(s): AxState<SharedRef>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let path = req.uri().path().to_string();
    let method = req.method().to_string();
    let dest = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("")
        .to_string();
    let decision = lock(&s.faults).decide(&dest);
    if let Some(wait) = decision.latency {
        tokio::time::sleep(wait).await;
    }
    let mut by_fault = true;
    let response = match decision.action {
        Action::Drop => match req.extensions().get::<ConnectInfo<Conn>>() {
            Some(ConnectInfo(conn)) => {
                conn.switch.cut();
                None
            }
            // Only reachable when the router is served without the cuttable listener.
            None => Some(partners::error(
                &dest,
                rest_of(&path, &dest),
                StatusCode::INTERNAL_SERVER_ERROR,
                "this sandbox cannot drop connections",
            )),
        },
        Action::Status { code, retry_after } => {
            let code = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let reply = partners::error(
                &dest,
                rest_of(&path, &dest),
                code,
                &fault_message(code, retry_after),
            );
            Some(match retry_after {
                Some(secs) => with_header(reply, header::RETRY_AFTER, &secs.to_string()),
                None => reply,
            })
        }
        Action::LargeBody { bytes } => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                axum::body::Body::new(super::padding::Padding::new(bytes)),
            )
                .into_response(),
        ),
        Action::Pass => {
            by_fault = false;
            Some(next.run(req).await)
        }
    };
    let status = response.as_ref().map(|r| r.status().as_u16());
    lock(&s.state).count(&dest, status);
    let _ = s.exchanges.send(Exchange {
        destination: dest,
        method,
        path,
        status,
        fault: by_fault,
        millis: started.elapsed().as_millis() as u64,
    });
    // A cut connection fails before anything of this reply is written.
    response.unwrap_or_else(|| StatusCode::SERVICE_UNAVAILABLE.into_response())
}
