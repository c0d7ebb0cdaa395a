//! Sends against the sandbox's fault injection (latency past the timeout, 429 with Retry-After,
//! 503 until the attempts run out, a failure rate, a dropped connection, a refused port), each
//! on a sandbox of its own so they can run side by side. Each returns what was sent and the
//! transport's report, for the fault tests to check and the history tests to record.

use super::*;
use segment_console::destinations::Settings;
use segment_console::sandbox::Fault;

/// One event sent to one destination, and what came of it.
pub struct Sent {
    pub dest: &'static str,
    pub mode: Mode,
    pub target: Target,
    pub event: Value,
    pub settings: Settings,
    pub outcome: Outcome,
    pub report: SendReport,
}

impl Sent {
    /// The destination's secret settings, as the history masks them.
    pub fn secrets(&self) -> Vec<String> {
        let dest = destinations::find(self.dest).expect("destination");
        destinations::kit::settings::secrets(dest.settings_schema(), &self.settings)
    }
}

pub async fn sent(
    dest: &'static str,
    call: &str,
    mode: Mode,
    sb: &SandboxHandle,
    opts: &TransportOptions,
) -> Sent {
    let t = target(sb);
    sent_to(dest, call, mode, t, opts).await
}

pub async fn sent_to(
    dest: &'static str,
    call: &str,
    mode: Mode,
    t: Target,
    opts: &TransportOptions,
) -> Sent {
    let event = tour_event(call);
    let s = settings(dest);
    let outcome = translate(dest, &event, &s, mode, &t);
    let report = send(&outcome, opts).await;
    Sent {
        dest,
        mode,
        target: t,
        event,
        settings: s,
        outcome,
        report,
    }
}

pub fn retrying(max_attempts: u32) -> TransportOptions {
    TransportOptions {
        max_attempts,
        ..fast()
    }
}

fn set(sb: &SandboxHandle, dest: &str, fault: Fault) {
    sb.set_fault(dest, fault).expect("set the fault");
}

/// No fault: the identify is created at once.
pub async fn success() -> (SandboxHandle, Sent) {
    let sb = sandbox().await;
    let s = sent(
        "salesmachine",
        "identify",
        Mode::PartnerApi,
        &sb,
        &retrying(3),
    )
    .await;
    (sb, s)
}

/// 300 ms of latency against a 150 ms timeout.
pub async fn timeout() -> (SandboxHandle, Sent) {
    let sb = sandbox().await;
    set(
        &sb,
        "freshmarketer",
        Fault::Latency(Duration::from_millis(300)),
    );
    let opts = TransportOptions {
        timeout: Duration::from_millis(150),
        ..retrying(3)
    };
    let s = sent("freshmarketer", "identify", Mode::PartnerApi, &sb, &opts).await;
    (sb, s)
}

/// Two 429s with `Retry-After: 1`, three attempts allowed.
pub async fn retry_after() -> (SandboxHandle, Sent) {
    let sb = sandbox().await;
    set(
        &sb,
        "salesmachine",
        Fault::Status {
            code: 429,
            count: 2,
            retry_after: Some(1),
        },
    );
    let s = sent(
        "salesmachine",
        "identify",
        Mode::PartnerApi,
        &sb,
        &retrying(3),
    )
    .await;
    (sb, s)
}

pub const BACKOFF_MS: u64 = 100;

/// 503 for longer than the attempts last; the group's second request depends on the first.
pub async fn unavailable() -> (SandboxHandle, Sent) {
    let sb = sandbox().await;
    set(
        &sb,
        "salesmachine",
        Fault::Status {
            code: 503,
            count: 5,
            retry_after: None,
        },
    );
    let opts = TransportOptions {
        backoff_base: Duration::from_millis(BACKOFF_MS),
        ..retrying(3)
    };
    let s = sent("salesmachine", "group", Mode::PartnerApi, &sb, &opts).await;
    (sb, s)
}

/// Half the requests fail with 500 (every second one, exactly): a single send that passes, a
/// send whose failure the retry recovers from, and a single send that fails.
pub async fn failure_rate() -> (SandboxHandle, Vec<Sent>) {
    let sb = sandbox().await;
    set(
        &sb,
        "startdeliver",
        Fault::FailureRate {
            rate: 0.5,
            code: 500,
        },
    );
    let mut out = Vec::new();
    for attempts in [1, 2, 1] {
        out.push(
            sent(
                "startdeliver",
                "track",
                Mode::SegmentWebhook,
                &sb,
                &retrying(attempts),
            )
            .await,
        );
    }
    (sb, out)
}

/// The connection is dropped without a reply, then the next send goes through.
pub async fn dropped() -> (SandboxHandle, Vec<Sent>) {
    let sb = sandbox().await;
    set(&sb, "webhook", Fault::Drop { count: 1 });
    let first = sent("webhook", "identify", Mode::PartnerApi, &sb, &retrying(3)).await;
    let second = sent("webhook", "identify", Mode::PartnerApi, &sb, &retrying(3)).await;
    (sb, vec![first, second])
}

/// A port that was free a moment ago and is closed now.
pub async fn refused() -> Sent {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a port");
        l.local_addr().expect("its address").port()
    };
    let t = Target::Sandbox {
        base: format!("http://127.0.0.1:{port}"),
    };
    sent_to("skalin", "identify", Mode::PartnerApi, t, &retrying(3)).await
}
