//! Fault injection, per destination: what the next request to a destination suffers before the
//! partner imitation sees it.
//!
//! Everything here is deterministic so tests can assert exact outcomes: counts go down one per
//! request, and the failure rate is an integer accumulator (request k fails exactly when
//! floor(k * rate) grows), never a random draw.

pub mod parse;

use super::partners;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// Salesmachine's documented limit: 900 requests per 300 seconds per token.
pub const RATE_LIMIT_REQUESTS: u32 = 900;
pub const RATE_LIMIT_WINDOW: Duration = Duration::from_secs(300);

const PPM: u32 = 1_000_000;

/// The largest reply body a fault may send: 64 GiB, far beyond any client's cap.
pub const MAX_LARGE_BODY: u64 = 64 * 1024 * 1024 * 1024;

/// One fault, as the Rust API, the command line and `POST /_sandbox/faults` set it. Setting a
/// fault replaces the destination's fault of the same kind; different kinds combine.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Every request waits this long before anything else happens.
    Latency(Duration),
    /// The next `count` requests get `code` (with `Retry-After: retry_after` when given).
    Status {
        code: u16,
        count: u32,
        retry_after: Option<u64>,
    },
    /// That share of requests (0.0 to 1.0) gets `code`, spread evenly.
    FailureRate { rate: f64, code: u16 },
    /// The next `count` requests have their connection closed without any reply.
    Drop { count: u32 },
    /// The next `count` requests get a 200 whose body is `bytes` long (made up as it is sent),
    /// to test a client's cap on replies.
    LargeBody { bytes: u64, count: u32 },
    /// Salesmachine only: enforce its rate limit (900 requests per 300 s per token) or stop.
    RateLimit(bool),
}

impl Fault {
    /// Checks the values a caller may get wrong; `dest` must be a sandbox destination id.
    pub fn check(&self, dest: &str) -> Result<(), String> {
        if partners::find(dest).is_none() {
            return Err(format!(
                "unknown destination \"{dest}\"; choose one of {}",
                partners::ids_text()
            ));
        }
        match self {
            Fault::Latency(d) if *d > Duration::from_secs(600) => {
                Err("latency must be at most 600000 ms".into())
            }
            Fault::Status { code, count, .. } => {
                check_code(*code)?;
                if *count == 0 {
                    return Err("a status fault needs a count of at least 1".into());
                }
                Ok(())
            }
            Fault::FailureRate { rate, code } => {
                check_code(*code)?;
                if !(rate.is_finite() && (0.0..=1.0).contains(rate)) {
                    return Err(format!("failure rate {rate} is not between 0 and 1"));
                }
                Ok(())
            }
            Fault::Drop { count } if *count == 0 => {
                Err("a drop fault needs a count of at least 1".into())
            }
            Fault::LargeBody { bytes, count } => {
                if *count == 0 {
                    Err("a bigbody fault needs a count of at least 1".into())
                } else if !(1..=MAX_LARGE_BODY).contains(bytes) {
                    Err(format!(
                        "a bigbody fault's size must be 1 to {MAX_LARGE_BODY} bytes, not {bytes}"
                    ))
                } else {
                    Ok(())
                }
            }
            Fault::RateLimit(_) if dest != "salesmachine" => Err(format!(
                "only salesmachine has a rate limit to switch on, not {dest}"
            )),
            _ => Ok(()),
        }
    }
}

fn check_code(code: u16) -> Result<(), String> {
    if (400..=599).contains(&code) {
        Ok(())
    } else {
        Err(format!(
            "status {code} is not an error status (use 400 to 599)"
        ))
    }
}

/// What the fault layer does with one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Pass,
    Drop,
    Status { code: u16, retry_after: Option<u64> },
    LargeBody { bytes: u64 },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub latency: Option<Duration>,
    pub action: Action,
}

#[derive(Debug, Default)]
struct StatusFault {
    code: u16,
    remaining: u32,
    retry_after: Option<u64>,
}

#[derive(Debug, Default)]
struct FailureFault {
    rate: f64,
    parts_per_million: u32,
    code: u16,
    carried: u32,
}

/// Per token: when its current window started and how many requests it holds.
type Windows = HashMap<String, (Instant, u32)>;

#[derive(Debug, Default)]
struct DestFaults {
    latency: Option<Duration>,
    status: Option<StatusFault>,
    failure: Option<FailureFault>,
    drops: u32,
    /// Size and remaining count of the bigbody fault.
    large_body: Option<(u64, u32)>,
    rate_limit: Option<Windows>,
}

impl DestFaults {
    fn is_empty(&self) -> bool {
        self.latency.is_none()
            && self.status.is_none()
            && self.failure.is_none()
            && self.drops == 0
            && self.large_body.is_none()
            && self.rate_limit.is_none()
    }

    fn to_json(&self) -> Value {
        let mut out = Map::new();
        if let Some(d) = self.latency {
            out.insert("latencyMs".into(), json!(d.as_millis() as u64));
        }
        if let Some(s) = &self.status {
            out.insert(
                "status".into(),
                json!({"code": s.code, "remaining": s.remaining, "retryAfter": s.retry_after}),
            );
        }
        if let Some(f) = &self.failure {
            out.insert(
                "failureRate".into(),
                json!({"rate": f.rate, "code": f.code}),
            );
        }
        if self.drops > 0 {
            out.insert("drop".into(), json!({"remaining": self.drops}));
        }
        if let Some((bytes, remaining)) = self.large_body {
            out.insert(
                "bigBody".into(),
                json!({"bytes": bytes, "remaining": remaining}),
            );
        }
        if self.rate_limit.is_some() {
            out.insert("rateLimit".into(), json!(true));
        }
        Value::Object(out)
    }
}

/// The faults of every destination.
#[derive(Debug, Default)]
pub struct FaultBook {
    by_dest: BTreeMap<String, DestFaults>,
}

impl FaultBook {
    pub fn set(&mut self, dest: &str, fault: Fault) -> Result<(), String> {
        fault.check(dest)?;
        let entry = self.by_dest.entry(dest.to_string()).or_default();
        match fault {
            Fault::Latency(d) => entry.latency = (!d.is_zero()).then_some(d),
            Fault::Status {
                code,
                count,
                retry_after,
            } => {
                entry.status = Some(StatusFault {
                    code,
                    remaining: count,
                    retry_after,
                })
            }
            Fault::FailureRate { rate, code } => {
                let parts_per_million = (rate * f64::from(PPM)).round() as u32;
                entry.failure = (parts_per_million > 0).then_some(FailureFault {
                    rate,
                    parts_per_million,
                    code,
                    carried: 0,
                });
            }
            Fault::Drop { count } => entry.drops = count,
            Fault::LargeBody { bytes, count } => entry.large_body = Some((bytes, count)),
            Fault::RateLimit(on) => entry.rate_limit = on.then(Windows::new),
        }
        if entry.is_empty() {
            self.by_dest.remove(dest);
        }
        Ok(())
    }

    /// Clears one destination's faults, or every destination's.
    pub fn clear(&mut self, dest: Option<&str>) -> Result<(), String> {
        match dest {
            None => self.by_dest.clear(),
            Some(d) if partners::find(d).is_some() => {
                self.by_dest.remove(d);
            }
            Some(d) => {
                return Err(format!(
                    "unknown destination \"{d}\"; choose one of {}",
                    partners::ids_text()
                ));
            }
        }
        Ok(())
    }

    /// Decides the fate of one request to `dest`, using up one unit of any counted fault.
    /// A drop comes before a fixed status, then a large body, then the failure rate.
    pub fn decide(&mut self, dest: &str) -> Decision {
        let Some(f) = self.by_dest.get_mut(dest) else {
            return Decision {
                latency: None,
                action: Action::Pass,
            };
        };
        let latency = f.latency;
        let action = if f.drops > 0 {
            f.drops -= 1;
            Action::Drop
        } else if let Some(s) = f.status.as_mut().filter(|s| s.remaining > 0) {
            s.remaining -= 1;
            let action = Action::Status {
                code: s.code,
                retry_after: s.retry_after,
            };
            if s.remaining == 0 {
                f.status = None;
            }
            action
        } else if let Some((bytes, remaining)) = f.large_body.as_mut() {
            let action = Action::LargeBody { bytes: *bytes };
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                f.large_body = None;
            }
            action
        } else if let Some(fr) = f.failure.as_mut() {
            fr.carried += fr.parts_per_million;
            if fr.carried >= PPM {
                fr.carried -= PPM;
                Action::Status {
                    code: fr.code,
                    retry_after: None,
                }
            } else {
                Action::Pass
            }
        } else {
            Action::Pass
        };
        if f.is_empty() {
            self.by_dest.remove(dest);
        }
        Decision { latency, action }
    }

    /// Salesmachine's rate limit, when switched on: counts this request against `token`'s
    /// window and returns the seconds to wait when the window is already full.
    pub fn rate_limited(&mut self, token: &str, now: Instant) -> Option<u64> {
        let windows = self.by_dest.get_mut("salesmachine")?.rate_limit.as_mut()?;
        let (start, count) = windows.entry(token.to_string()).or_insert((now, 0));
        if now.duration_since(*start) >= RATE_LIMIT_WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= RATE_LIMIT_REQUESTS {
            let left = RATE_LIMIT_WINDOW.saturating_sub(now.duration_since(*start));
            // Round up so a client that waits exactly this long finds the window open.
            return Some(left.as_secs() + u64::from(left.subsec_nanos() > 0));
        }
        *count += 1;
        None
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            self.by_dest
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pass() -> Decision {
        Decision {
            latency: None,
            action: Action::Pass,
        }
    }

    #[test]
    fn status_counts_down_then_passes() {
        let mut b = FaultBook::default();
        let (d, f) = crate::sandbox::parse_fault_flag("salesmachine:status:429:2:7").unwrap();
        b.set(&d, f).unwrap();
        let hit = Action::Status {
            code: 429,
            retry_after: Some(7),
        };
        assert_eq!(b.decide("salesmachine").action, hit);
        assert_eq!(b.decide("skalin"), pass());
        assert_eq!(b.decide("salesmachine").action, hit);
        assert_eq!(b.decide("salesmachine"), pass());
        assert_eq!(b.to_json(), json!({}));
    }

    #[test]
    fn failure_rate_is_exact_and_even() {
        let mut b = FaultBook::default();
        b.set(
            "skalin",
            Fault::FailureRate {
                rate: 0.2,
                code: 503,
            },
        )
        .unwrap();
        let failed: Vec<usize> = (1..=20)
            .filter(|_| b.decide("skalin").action != Action::Pass)
            .collect();
        assert_eq!(failed.len(), 4);
        let mut b = FaultBook::default();
        b.set(
            "skalin",
            Fault::FailureRate {
                rate: 0.2,
                code: 503,
            },
        )
        .unwrap();
        let which: Vec<usize> = (1..=10)
            .filter(|_| b.decide("skalin").action != Action::Pass)
            .collect();
        assert_eq!(which, vec![5, 10]);
    }

    #[test]
    fn drop_comes_first_and_latency_stays() {
        let mut b = FaultBook::default();
        b.set("webhook", Fault::Latency(Duration::from_millis(5)))
            .unwrap();
        b.set("webhook", Fault::Drop { count: 1 }).unwrap();
        b.set(
            "webhook",
            Fault::Status {
                code: 500,
                count: 1,
                retry_after: None,
            },
        )
        .unwrap();
        let lat = Some(Duration::from_millis(5));
        assert_eq!(
            b.decide("webhook"),
            Decision {
                latency: lat,
                action: Action::Drop
            }
        );
        assert_eq!(
            b.decide("webhook").action,
            Action::Status {
                code: 500,
                retry_after: None
            }
        );
        assert_eq!(
            b.decide("webhook"),
            Decision {
                latency: lat,
                action: Action::Pass
            }
        );
    }

    #[test]
    fn rate_limit_window() {
        let mut b = FaultBook::default();
        let t0 = Instant::now();
        assert_eq!(b.rate_limited("k", t0), None, "off: never limited");
        b.set("salesmachine", Fault::RateLimit(true)).unwrap();
        for _ in 0..RATE_LIMIT_REQUESTS {
            assert_eq!(b.rate_limited("k", t0), None);
        }
        assert_eq!(
            b.rate_limited("k", t0 + Duration::from_millis(100_500)),
            Some(200)
        );
        assert_eq!(b.rate_limited("other", t0), None, "per token");
        assert_eq!(b.rate_limited("k", t0 + RATE_LIMIT_WINDOW), None);
        b.set("salesmachine", Fault::RateLimit(false)).unwrap();
        assert_eq!(b.to_json(), json!({}));
    }
}
