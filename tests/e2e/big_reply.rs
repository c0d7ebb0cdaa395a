//! A reply body far over the cap (the sandbox's `bigbody` fault, 4 GiB): the transport keeps
//! the first MiB, stops reading at its limit, says so in words, does not retry it, and the
//! next send goes through. Bounded in time and memory whatever the reply's size.

use crate::support::*;
use segment_console::destinations::Mode;
use segment_console::sandbox::Fault;
use segment_console::transport::{ErrorKind, StatusClass, TransportOptions};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_far_over_the_cap_is_cut_off_in_words() {
    let sb = sandbox().await;
    sb.set_fault(
        "webhook",
        Fault::LargeBody {
            bytes: 4 * 1024 * 1024 * 1024,
            count: 1,
        },
    )
    .unwrap();
    let ev = tour_event("track");
    let out = translate(
        "webhook",
        &ev,
        &settings("webhook"),
        Mode::PartnerApi,
        &target(&sb),
    );
    let opts = TransportOptions {
        max_body: 16 * 1024 * 1024,
        max_attempts: 3,
        ..fast()
    };
    let t0 = Instant::now();
    let r = send(&out, &opts).await;
    assert!(t0.elapsed() < Duration::from_secs(15), "{:?}", t0.elapsed());
    assert_eq!(
        r.exchanges[0].attempts.len(),
        1,
        "a cut-off reply is not retried"
    );
    let a = last(&r, 0);
    assert_eq!(a.status, Some(200));
    let e = a.error.as_ref().expect("an error");
    assert_eq!(e.kind, ErrorKind::BodyTooLarge);
    assert_eq!(
        e.to_string(),
        "response body too large: the reply's body passed 16777216 bytes, the most the console reads; it stopped reading"
    );
    let body = a.body.as_ref().expect("the start is kept");
    assert_eq!(body.text.len(), TransportOptions::DEFAULT_BODY_CAP);
    assert!(body.text.starts_with("{\"padding\":\"xxx"));
    assert!(body.truncated && body.size > 16 * 1024 * 1024 && body.size < 64 * 1024 * 1024);
    assert_eq!(r.class(), StatusClass::Error);
    // The fault was for one reply: the next send is delivered.
    let again = send(&out, &opts).await;
    assert_eq!(statuses(&again), [Some(200)]);
}
