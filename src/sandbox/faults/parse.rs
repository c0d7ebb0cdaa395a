//! The two ways to write a fault as text: the command line's `DEST:KIND[:ARG...]` and the JSON
//! body of `POST /_sandbox/faults`. Both read into the same [`Fault`], checked the same way.

use super::Fault;
use serde_json::Value;
use std::time::Duration;

/// Reads the command line's `DEST:KIND[:ARG...]`:
/// `salesmachine:status:503:3`, `salesmachine:status:429:2:30` (count 2, Retry-After 30),
/// `skalin:latency:200`, `webhook:drop:1`, `webhook:bigbody:104857600` (a 100 MiB reply),
/// `salesmachine:ratelimit`,
/// `freshmarketer:failrate:0.2` (status 500) or `freshmarketer:failrate:0.2:503`.
pub fn parse_fault_flag(flag: &str) -> Result<(String, Fault), String> {
    let parts: Vec<&str> = flag.split(':').collect();
    let (dest, kind, args) = match parts.as_slice() {
        [dest, kind, args @ ..] => (*dest, *kind, args),
        _ => {
            return Err(format!(
                "fault \"{flag}\" is not DEST:KIND[:ARG], for example salesmachine:status:503:3"
            ));
        }
    };
    let bad = |what: &str| format!("fault \"{flag}\": {what}");
    let num = |text: &str, what: &str| -> Result<u64, String> {
        text.parse::<u64>()
            .map_err(|_| bad(&format!("{what} \"{text}\" is not a whole number")))
    };
    let code = |text: &str| -> Result<u16, String> {
        text.parse::<u16>()
            .map_err(|_| bad(&format!("status \"{text}\" is not a status code")))
    };
    let count = |text: Option<&&str>| -> Result<u32, String> {
        match text {
            None => Ok(1),
            Some(t) => u32::try_from(num(t, "count")?).map_err(|_| bad("count is too large")),
        }
    };
    let fault = match (kind, args) {
        ("latency", [ms]) => Fault::Latency(Duration::from_millis(num(ms, "latency")?)),
        ("status", [c, rest @ ..]) if rest.len() <= 2 => Fault::Status {
            code: code(c)?,
            count: count(rest.first())?,
            retry_after: rest.get(1).map(|t| num(t, "Retry-After")).transpose()?,
        },
        ("failrate", [rate, rest @ ..]) if rest.len() <= 1 => Fault::FailureRate {
            rate: rate
                .parse::<f64>()
                .map_err(|_| bad(&format!("rate \"{rate}\" is not a number")))?,
            code: rest.first().map(|c| code(c)).transpose()?.unwrap_or(500),
        },
        ("drop", rest) if rest.len() <= 1 => Fault::Drop {
            count: count(rest.first())?,
        },
        ("bigbody", [bytes, rest @ ..]) if rest.len() <= 1 => Fault::LargeBody {
            bytes: num(bytes, "size")?,
            count: count(rest.first())?,
        },
        ("ratelimit", []) => Fault::RateLimit(true),
        ("ratelimit", ["on"]) => Fault::RateLimit(true),
        ("ratelimit", ["off"]) => Fault::RateLimit(false),
        ("latency" | "status" | "failrate" | "drop" | "bigbody" | "ratelimit", _) => {
            return Err(bad(
                "wrong arguments; use latency:MS, status:CODE[:COUNT[:RETRY_AFTER]], \
                 failrate:RATE[:CODE], drop[:COUNT], bigbody:BYTES[:COUNT] or ratelimit[:on|off]",
            ));
        }
        (other, _) => {
            return Err(bad(&format!(
                "unknown kind \"{other}\"; use latency, status, failrate, drop, bigbody or ratelimit"
            )));
        }
    };
    fault.check(dest).map_err(|e| bad(&e))?;
    Ok((dest.to_string(), fault))
}

/// Reads the body of `POST /_sandbox/faults`:
/// `{"destination": "salesmachine", "kind": "status", "code": 429, "count": 2, "retryAfter": 1}`,
/// `{"kind": "latency", "ms": 200}`, `{"kind": "failrate", "rate": 0.2, "code": 500}`,
/// `{"kind": "drop", "count": 1}`, `{"kind": "bigbody", "bytes": 104857600, "count": 1}`,
/// `{"kind": "ratelimit", "on": true}`.
/// `count` defaults to 1, a failure rate's `code` to 500, `on` to true.
pub fn parse_json(v: &Value) -> Result<(String, Fault), String> {
    let Value::Object(o) = v else {
        return Err("a fault must be a JSON object with destination and kind".into());
    };
    let text = |k: &str| -> Result<&str, String> {
        o.get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("\"{k}\" must be given as text"))
    };
    let uint = |k: &str| -> Result<Option<u64>, String> {
        match o.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| format!("\"{k}\" must be a whole number")),
        }
    };
    let code = |default: Option<u16>| -> Result<u16, String> {
        match (uint("code")?, default) {
            (Some(c), _) => u16::try_from(c).map_err(|_| format!("status {c} is too large")),
            (None, Some(d)) => Ok(d),
            (None, None) => Err("\"code\" is required for a status fault".into()),
        }
    };
    let count = || -> Result<u32, String> {
        let c = uint("count")?.unwrap_or(1);
        u32::try_from(c).map_err(|_| format!("count {c} is too large"))
    };
    let dest = text("destination")?;
    let fault = match text("kind")? {
        "latency" => Fault::Latency(Duration::from_millis(
            uint("ms")?.ok_or("\"ms\" is required for a latency fault")?,
        )),
        "status" => Fault::Status {
            code: code(None)?,
            count: count()?,
            retry_after: uint("retryAfter")?,
        },
        "failrate" => Fault::FailureRate {
            rate: o
                .get("rate")
                .and_then(Value::as_f64)
                .ok_or("\"rate\" must be a number between 0 and 1")?,
            code: code(Some(500))?,
        },
        "drop" => Fault::Drop { count: count()? },
        "bigbody" => Fault::LargeBody {
            bytes: uint("bytes")?.ok_or("\"bytes\" is required for a bigbody fault")?,
            count: count()?,
        },
        "ratelimit" => Fault::RateLimit(match o.get("on") {
            None => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("\"on\" must be true or false".into()),
        }),
        other => {
            return Err(format!(
                "unknown kind \"{other}\"; use latency, status, failrate, drop, bigbody or ratelimit"
            ));
        }
    };
    fault.check(dest)?;
    Ok((dest.to_string(), fault))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn specs_and_json_read_the_same_faults() {
        assert_eq!(
            parse_fault_flag("freshmarketer:failrate:0.2").unwrap(),
            (
                "freshmarketer".into(),
                Fault::FailureRate {
                    rate: 0.2,
                    code: 500
                }
            )
        );
        assert_eq!(
            parse_fault_flag("webhook:drop").unwrap().1,
            Fault::Drop { count: 1 }
        );
        assert_eq!(
            parse_json(
                &json!({"destination": "salesmachine", "kind": "status", "code": 429,
                "count": 2, "retryAfter": 1})
            )
            .unwrap(),
            parse_fault_flag("salesmachine:status:429:2:1").unwrap()
        );
        assert_eq!(
            parse_json(&json!({"destination": "skalin", "kind": "latency", "ms": 200})).unwrap(),
            parse_fault_flag("skalin:latency:200").unwrap()
        );
        assert_eq!(
            parse_json(&json!({"destination": "webhook", "kind": "bigbody", "bytes": 5000}))
                .unwrap(),
            parse_fault_flag("webhook:bigbody:5000:1").unwrap()
        );
        assert_eq!(
            parse_fault_flag("webhook:bigbody:0").unwrap_err(),
            "fault \"webhook:bigbody:0\": a bigbody fault's size must be 1 to 68719476736 bytes, not 0"
        );
    }

    #[test]
    fn bad_faults_are_explained() {
        let cases = [
            ("salesmachine", "is not DEST:KIND"),
            ("nowhere:drop", "unknown destination \"nowhere\""),
            ("skalin:ratelimit", "only salesmachine"),
            ("skalin:status:200", "not an error status"),
            ("skalin:status:500:0", "count of at least 1"),
            ("skalin:failrate:1.5", "not between 0 and 1"),
            ("skalin:latency:soon", "is not a whole number"),
            ("skalin:explode", "unknown kind"),
            ("skalin:latency", "wrong arguments"),
        ];
        for (flag, want) in cases {
            let err = parse_fault_flag(flag).unwrap_err();
            assert!(err.contains(want), "{flag}: {err}");
        }
        assert!(
            parse_json(&json!({"destination": "skalin", "kind": "status"}))
                .unwrap_err()
                .contains("\"code\" is required")
        );
    }
}
