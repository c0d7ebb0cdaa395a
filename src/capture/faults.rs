//! Faults on the source side (docs/capture.md): what the next requests of an SDK suffer, so its
//! retries can be watched. The spelling follows the sandbox's faults without the destination:
//! `status:503[:COUNT]`, `status:429:COUNT:RETRY_AFTER`, `latency:MS`, `drop[:COUNT]`.
//! Deterministic like the sandbox's: counts go down one per request.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceFault {
    /// The next `count` requests get `code` (with `Retry-After` when given); their events are
    /// not accepted, as with Segment.
    Status {
        code: u16,
        count: u32,
        retry_after: Option<u64>,
    },
    /// Every request waits this long before it is read.
    Latency(Duration),
    /// The next `count` requests have their connection closed without any reply.
    Drop { count: u32 },
}

/// Reads `KIND[:ARG...]` as the command line's `--fault` gives it.
pub fn parse_fault(flag: &str) -> Result<SourceFault, String> {
    let bad = |what: &str| format!("fault \"{flag}\": {what}");
    let parts: Vec<&str> = flag.split(':').collect();
    let num = |text: &str, what: &str| -> Result<u64, String> {
        text.parse::<u64>()
            .map_err(|_| bad(&format!("{what} \"{text}\" is not a whole number")))
    };
    let count = |text: Option<&&str>| -> Result<u32, String> {
        let n = match text {
            None => 1,
            Some(t) => u32::try_from(num(t, "count")?).map_err(|_| bad("count is too large"))?,
        };
        if n == 0 {
            return Err(bad("the count must be at least 1"));
        }
        Ok(n)
    };
    let fault = match parts.as_slice() {
        ["status", code, rest @ ..] if rest.len() <= 2 => {
            let code = code
                .parse::<u16>()
                .ok()
                .filter(|c| (400..=599).contains(c))
                .ok_or_else(|| {
                    bad(&format!(
                        "status \"{code}\" is not an error status (400 to 599)"
                    ))
                })?;
            SourceFault::Status {
                code,
                count: count(rest.first())?,
                retry_after: rest.get(1).map(|t| num(t, "Retry-After")).transpose()?,
            }
        }
        ["latency", ms] => {
            let ms = num(ms, "latency")?;
            if ms > 600_000 {
                return Err(bad("latency must be at most 600000 ms"));
            }
            SourceFault::Latency(Duration::from_millis(ms))
        }
        ["drop", rest @ ..] if rest.len() <= 1 => SourceFault::Drop {
            count: count(rest.first())?,
        },
        [kind, ..] if ["status", "latency", "drop"].contains(kind) => {
            return Err(bad(
                "wrong arguments; use status:CODE[:COUNT[:RETRY_AFTER]], latency:MS or drop[:COUNT]",
            ));
        }
        [kind, ..] => {
            return Err(bad(&format!(
                "unknown kind \"{kind}\"; use status, latency or drop"
            )));
        }
        [] => return Err(bad("empty")),
    };
    Ok(fault)
}

/// What happens to one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Pass,
    Drop,
    Status { code: u16, retry_after: Option<u64> },
}

/// The faults in force. Setting a fault replaces the one of the same kind.
#[derive(Debug, Default)]
pub struct FaultBook {
    latency: Option<Duration>,
    status: Option<(u16, u32, Option<u64>)>,
    drops: u32,
}

impl FaultBook {
    pub fn set(&mut self, fault: SourceFault) {
        match fault {
            SourceFault::Latency(d) => self.latency = (!d.is_zero()).then_some(d),
            SourceFault::Status {
                code,
                count,
                retry_after,
            } => self.status = Some((code, count, retry_after)),
            SourceFault::Drop { count } => self.drops = count,
        }
    }

    pub fn clear(&mut self) {
        *self = FaultBook::default();
    }

    /// Decides one request: its wait, then a drop before a status.
    pub fn decide(&mut self) -> (Option<Duration>, Action) {
        if self.drops > 0 {
            self.drops -= 1;
            return (self.latency, Action::Drop);
        }
        if let Some((code, remaining, retry_after)) = self.status.as_mut() {
            let action = Action::Status {
                code: *code,
                retry_after: *retry_after,
            };
            *remaining -= 1;
            if *remaining == 0 {
                self.status = None;
            }
            return (self.latency, action);
        }
        (self.latency, Action::Pass)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_into_faults() {
        assert_eq!(
            parse_fault("status:429:2:30"),
            Ok(SourceFault::Status {
                code: 429,
                count: 2,
                retry_after: Some(30)
            })
        );
        assert_eq!(
            parse_fault("status:503"),
            Ok(SourceFault::Status {
                code: 503,
                count: 1,
                retry_after: None
            })
        );
        assert_eq!(
            parse_fault("latency:250"),
            Ok(SourceFault::Latency(Duration::from_millis(250)))
        );
        assert_eq!(parse_fault("drop"), Ok(SourceFault::Drop { count: 1 }));
        assert_eq!(parse_fault("drop:3"), Ok(SourceFault::Drop { count: 3 }));
        for (flag, says) in [
            ("status:200", "not an error status"),
            ("status:503:0", "at least 1"),
            ("latency", "wrong arguments"),
            ("latency:fast", "not a whole number"),
            ("boom", "unknown kind \"boom\""),
        ] {
            let e = parse_fault(flag).unwrap_err();
            assert!(e.contains(says) && e.contains(flag), "{flag}: {e}");
        }
    }

    #[test]
    fn counts_go_down_one_per_request_drops_first() {
        let mut book = FaultBook::default();
        book.set(SourceFault::Status {
            code: 429,
            count: 2,
            retry_after: Some(1),
        });
        book.set(SourceFault::Drop { count: 1 });
        book.set(SourceFault::Latency(Duration::from_millis(5)));
        let wait = Some(Duration::from_millis(5));
        let status = Action::Status {
            code: 429,
            retry_after: Some(1),
        };
        assert_eq!(book.decide(), (wait, Action::Drop));
        assert_eq!(book.decide(), (wait, status.clone()));
        assert_eq!(book.decide(), (wait, status));
        assert_eq!(book.decide(), (wait, Action::Pass));
        book.clear();
        assert_eq!(book.decide(), (None, Action::Pass));
    }
}
