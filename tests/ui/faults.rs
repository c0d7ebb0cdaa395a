//! The window against the sandbox's faults: frames keep coming while a slow send is under
//! way, Cancel stops it, and every fault ends as words in the status bar. Frame times are
//! checked against a generous bound only: the point is "never blocked", not a benchmark.

use crate::support::ui::{Ui, open};
use egui_kittest::kittest::Queryable;
use segment_console::app::SandboxState;
use segment_console::app::command::{Action, Command};
use segment_console::app::model::destination::TargetChoice;
use segment_console::sandbox::{Fault, SandboxControl};
use std::time::{Duration, Instant};

/// Far above a frame of this window (a few ms), far below a frozen one.
const FRAME_BOUND: Duration = Duration::from_millis(750);

fn sandbox(ui: &Ui) -> SandboxControl {
    match &ui.harness.state().sandbox {
        SandboxState::Ready(h) => h.control(),
        _ => panic!("the sandbox is not running"),
    }
}

fn status(ui: &Ui) -> String {
    ui.harness
        .state()
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// Steps frames until the status bar says something containing `want`, checking that no
/// frame takes long; returns the slowest frame.
fn step_until_status(ui: &mut Ui, want: &str, within: Duration) -> Duration {
    let deadline = Instant::now() + within;
    let mut slowest = Duration::ZERO;
    loop {
        let t0 = Instant::now();
        ui.harness.step();
        let took = t0.elapsed();
        slowest = slowest.max(took);
        assert!(took < FRAME_BOUND, "a frame took {took:?} while sending");
        if status(ui).contains(want) {
            return slowest;
        }
        assert!(
            Instant::now() < deadline,
            "waited for \"{want}\"; the status says \"{}\"",
            status(ui)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn ready() -> Ui {
    let mut ui = open();
    ui.wait_sandbox();
    ui.click("1. identify u_4f8a2c");
    ui
}

#[test]
fn a_slow_reply_keeps_frames_coming_and_cancel_stops_it() {
    let mut ui = ready();
    let sb = sandbox(&ui);
    sb.set_fault("salesmachine", Fault::Latency(Duration::from_secs(2)))
        .unwrap();
    let sent_at = Instant::now();
    ui.click("Send");
    // Half a second of frames while the reply is pending: each one quick, the spinner up.
    let (mut slowest, mut frames) = (Duration::ZERO, 0);
    while sent_at.elapsed() < Duration::from_millis(500) {
        let t0 = Instant::now();
        ui.harness.step();
        slowest = slowest.max(t0.elapsed());
        frames += 1;
        assert!(
            t0.elapsed() < FRAME_BOUND,
            "a frame took {:?}",
            t0.elapsed()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    println!(
        "RELIABILITY ui frames_while_pending={frames} slowest_frame_ms={}",
        slowest.as_millis()
    );
    assert!(ui.harness.state().send.is_busy());
    assert!(
        ui.harness.query_by_label("Cancel").is_some(),
        "Cancel is offered"
    );
    ui.click("Cancel");
    step_until_status(&mut ui, "Not delivered: cancelled", Duration::from_secs(5));
    println!(
        "RELIABILITY ui cancelled_after_ms={}",
        sent_at.elapsed().as_millis()
    );
    assert!(
        sent_at.elapsed() < Duration::from_millis(1900),
        "the cancel did not wait for the slow reply: {:?}",
        sent_at.elapsed()
    );
    assert!(!ui.harness.state().send.is_busy());
    assert!(ui.harness.state().status.as_ref().is_some_and(|s| s.error));
}

#[test]
fn every_fault_is_reported_in_words() {
    let mut ui = ready();
    let sb = sandbox(&ui);
    let cases: Vec<(Fault, &str)> = vec![
        (
            Fault::Status {
                code: 429,
                count: 1,
                retry_after: Some(7),
            },
            "Not delivered: 429 Too Many Requests (the partner is rate limiting); it asks to retry after 7 s",
        ),
        (
            Fault::Status {
                code: 503,
                count: 1,
                retry_after: None,
            },
            "Not delivered: 503 Service Unavailable (the partner failed)",
        ),
        (
            Fault::Drop { count: 1 },
            "Not delivered: connection closed: ",
        ),
        (
            Fault::LargeBody {
                bytes: 200 * 1024 * 1024,
                count: 1,
            },
            "Not delivered: response body too large: the reply's body passed 67108864 bytes",
        ),
    ];
    for (fault, says) in cases {
        sb.set_fault("salesmachine", fault.clone()).unwrap();
        ui.click("Send");
        let slowest = step_until_status(&mut ui, says, Duration::from_secs(20));
        assert!(slowest < FRAME_BOUND, "{fault:?}");
        sb.clear_faults(None).unwrap();
    }
    // What a body far over the cap left: the first MiB, and its size as far as it was read.
    let kept = ui
        .harness
        .state()
        .last_sent
        .as_ref()
        .and_then(|e| e.exchanges[0].last().and_then(|a| a.body.clone()));
    let kept = kept.expect("the reply's start is kept");
    assert_eq!(kept.text.len(), 1024 * 1024);
    assert!(
        kept.truncated && kept.size > 64 * 1024 * 1024,
        "{}",
        kept.size
    );

    // A timeout: the reply is slower than the send's limit.
    ui.harness.state_mut().send_options.timeout = Duration::from_millis(300);
    sb.set_fault("salesmachine", Fault::Latency(Duration::from_secs(2)))
        .unwrap();
    ui.click("Send");
    step_until_status(
        &mut ui,
        "Not delivered: timed out: no complete reply within 300 ms",
        Duration::from_secs(10),
    );
    sb.clear_faults(None).unwrap();

    // A port with nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/in", closed.local_addr().unwrap());
    drop(closed);
    let app = ui.harness.state_mut();
    let dest = segment_console::destinations::find("salesmachine").unwrap();
    let mut config = app.settings.config(dest);
    config.target = TargetChoice::Custom { url };
    app.commands.push(Command::SetConfig {
        destination: dest.id(),
        config: Box::new(config),
    });
    ui.click("Send");
    step_until_status(
        &mut ui,
        "Not delivered: connection refused",
        Duration::from_secs(10),
    );
}

#[test]
fn a_200_mb_file_chosen_in_the_window_is_refused_in_words() {
    let mut ui = open();
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(200 * 1024 * 1024)
        .unwrap();
    ui.picker.set(&big);
    ui.harness
        .state_mut()
        .commands
        .push(Command::Run(Action::Open));
    step_until_status(
        &mut ui,
        "the file is 209715200 bytes; event sets larger than 67108864 bytes are refused",
        Duration::from_secs(10),
    );
    assert!(status(&ui).starts_with(&format!("Could not open {}", big.display())));
    // The tour is still there, untouched.
    assert!(ui.has_label_containing("1. identify u_4f8a2c"));
}
