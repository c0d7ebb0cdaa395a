//! When to try again: on 429, honouring `Retry-After`; on 5xx with exponential backoff. Never
//! on 501 (section 1: "call type not supported" will not change) or on a transport error, since a
//! POST that timed out may have been applied and sending it again could duplicate it.

use super::TransportOptions;
use super::record::Attempt;
use std::time::{Duration, SystemTime};

/// `Retry-After` as seconds or as an HTTP date; a date in the past means now.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `base`, doubled for every attempt already made after the first (1 -> base, 2 -> 2 base, ...).
pub fn backoff(base: Duration, attempt_number: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt_number.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.saturating_mul(factor)
}

/// The wait before retrying after attempt number `attempt_number` (1-based), or `None` when the
/// attempt should not be retried. Every wait is capped by `max_retry_after`.
pub fn wait_before_retry(
    attempt: &Attempt,
    attempt_number: u32,
    opts: &TransportOptions,
) -> Option<Duration> {
    if attempt.error.is_some() {
        return None;
    }
    let status = attempt.status?;
    let asked = attempt.retry_after_ms.map(Duration::from_millis);
    let wait = match status {
        429 => asked.unwrap_or_else(|| backoff(opts.backoff_base, attempt_number)),
        501 => return None,
        500..=599 => asked.unwrap_or_else(|| backoff(opts.backoff_base, attempt_number)),
        _ => return None,
    };
    Some(wait.min(opts.max_retry_after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn reply(status: u16, retry_after_ms: Option<u64>) -> Attempt {
        let mut a = Attempt::failed(
            Utc::now(),
            1,
            super::super::TransportError::new(super::super::ErrorKind::Other, ""),
        );
        a.error = None;
        a.status = Some(status);
        a.retry_after_ms = retry_after_ms;
        a
    }

    fn opts() -> TransportOptions {
        TransportOptions {
            backoff_base: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(5),
            ..TransportOptions::batch()
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn backoff_doubles_and_saturates() {
        let base = Duration::from_millis(100);
        assert_eq!(backoff(base, 1), Duration::from_millis(100));
        assert_eq!(backoff(base, 2), Duration::from_millis(200));
        assert_eq!(backoff(base, 3), Duration::from_millis(400));
        assert_eq!(backoff(base, 60), base.saturating_mul(u32::MAX));
    }

    #[test]
    fn which_replies_are_retried() {
        let o = opts();
        assert_eq!(
            wait_before_retry(&reply(429, Some(2000)), 1, &o),
            Some(Duration::from_secs(2))
        );
        // The server's wish is capped.
        assert_eq!(
            wait_before_retry(&reply(429, Some(60_000)), 1, &o),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            wait_before_retry(&reply(429, None), 2, &o),
            Some(Duration::from_millis(200))
        );
        assert_eq!(
            wait_before_retry(&reply(503, None), 1, &o),
            Some(Duration::from_millis(100))
        );
        assert_eq!(
            wait_before_retry(&reply(503, Some(1000)), 3, &o),
            Some(Duration::from_secs(1))
        );
        assert_eq!(wait_before_retry(&reply(501, None), 1, &o), None);
        assert_eq!(wait_before_retry(&reply(400, None), 1, &o), None);
        assert_eq!(wait_before_retry(&reply(200, None), 1, &o), None);
        let mut broken = reply(500, None);
        broken.error = Some(super::super::TransportError::new(
            super::super::ErrorKind::Closed,
            "reset",
        ));
        assert_eq!(wait_before_retry(&broken, 1, &o), None);
    }
}
