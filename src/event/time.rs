//! ISO-8601 timestamps as Segment takes them: a date, a time and a time zone.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

/// Why a timestamp text was refused, in words.
pub fn parse_iso8601(text: &str) -> Result<DateTime<FixedOffset>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is empty; write a time such as 2026-01-31T09:30:00Z".into());
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt);
    }
    // Offsets without a colon (+0100) and fractions of any length are common in exports.
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S%.f%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
            return Ok(dt);
        }
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if NaiveDateTime::parse_from_str(t, fmt).is_ok() {
            return Err(format!(
                "\"{t}\" has no time zone; add Z for UTC or an offset such as +01:00"
            ));
        }
    }
    Err(format!(
        "\"{t}\" is not an ISO-8601 time; write it as 2026-01-31T09:30:00Z or with an offset such as +01:00"
    ))
}

/// The UTC form used by translators.
pub fn to_utc(text: &str) -> Option<DateTime<Utc>> {
    parse_iso8601(text).ok().map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_shapes() {
        for ok in [
            "2026-01-31T09:30:00Z",
            "2026-01-31T09:30:00.123Z",
            "2026-01-31T09:30:00+01:00",
            "2026-01-31T09:30:00.123456+0100",
            "2026-01-31 09:30:00Z",
        ] {
            assert!(parse_iso8601(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_with_a_reason() {
        assert!(
            parse_iso8601("2026-01-31T09:30:00")
                .unwrap_err()
                .contains("no time zone")
        );
        assert!(
            parse_iso8601("yesterday")
                .unwrap_err()
                .contains("not an ISO-8601")
        );
        assert!(parse_iso8601("2026-13-01T00:00:00Z").is_err());
        assert!(parse_iso8601("").is_err());
    }

    #[test]
    fn utc_conversion() {
        let u = to_utc("2026-01-31T00:30:00+01:00").unwrap();
        assert_eq!(u.to_rfc3339(), "2026-01-30T23:30:00+00:00");
    }
}
