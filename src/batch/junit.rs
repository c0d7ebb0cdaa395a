//! A batch's results as JUnit XML, the report CI systems read: one testsuite, one testcase per
//! event. Failed and rejected events are failures, skipped and unsupported ones are skipped,
//! cancelled and never-run ones are errors. Checks made beside the send (a tracking plan's
//! errors, a golden file that differs) make their event's case a failure too. Pure: the caller
//! passes the time stamp.

use super::{BatchSummary, EventResult, Verdict};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fmt::Write;

/// A check beside the send that failed for one event: `kind` is the failure's type in the
/// report (`tracking-plan`, `expectation`), `message` one line, `detail` the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckFailure {
    pub kind: String,
    pub message: String,
    pub detail: String,
}

/// Failed checks by event index.
pub type CheckFailures = BTreeMap<usize, Vec<CheckFailure>>;

/// The counts the `<testsuite>` element carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub tests: usize,
    pub failures: usize,
    pub errors: usize,
    pub skipped: usize,
}

pub fn counts(results: &[EventResult]) -> Counts {
    counts_with(results, &CheckFailures::new())
}

/// As [`counts`], with the failed checks: an event delivered or skipped whose check failed is
/// a failure.
pub fn counts_with(results: &[EventResult], checks: &CheckFailures) -> Counts {
    let mut c = Counts {
        tests: results.len(),
        ..Counts::default()
    };
    for r in results {
        let checked = checks.get(&r.index).is_some_and(|f| !f.is_empty());
        match r.verdict {
            Verdict::Failed | Verdict::Rejected => c.failures += 1,
            Verdict::Cancelled | Verdict::NotRun => c.errors += 1,
            _ if checked => c.failures += 1,
            Verdict::Skipped | Verdict::Unsupported => c.skipped += 1,
            Verdict::Delivered => {}
        }
    }
    c
}

/// The whole document. `suite` names the run (`tour.json -> salesmachine`); `class` groups the
/// cases in CI views (`segment-console.salesmachine`).
pub fn render(suite: &str, class: &str, summary: &BatchSummary, at: DateTime<Utc>) -> String {
    render_with(suite, class, summary, &CheckFailures::new(), at)
}

/// As [`render`], with the checks that failed beside the send.
pub fn render_with(
    suite: &str,
    class: &str,
    summary: &BatchSummary,
    checks: &CheckFailures,
    at: DateTime<Utc>,
) -> String {
    let c = counts_with(&summary.results, checks);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" \
         time=\"{}\" timestamp=\"{}\">",
        attr(suite),
        c.tests,
        c.failures,
        c.errors,
        c.skipped,
        seconds(summary.elapsed_ms),
        at.format("%Y-%m-%dT%H:%M:%S"),
    );
    if let Some(e) = &summary.history_error {
        let _ = writeln!(
            out,
            "  <system-err>{}</system-err>",
            text(&format!("the history could not store a result: {e}"))
        );
    }
    for r in &summary.results {
        let _ = write!(
            out,
            "  <testcase classname=\"{}\" name=\"{}\" time=\"{}\"",
            attr(class),
            attr(&format!("#{} {}", r.index, r.label)),
            seconds(r.duration_ms),
        );
        let why = r.error.as_deref().unwrap_or("");
        let failed_checks = checks.get(&r.index).filter(|f| !f.is_empty());
        // The checks' sentences follow the send's own detail in the element's body.
        let mut body = detail(r);
        for f in failed_checks.into_iter().flatten() {
            if !body.is_empty() {
                body.push_str("\n\n");
            }
            let _ = write!(body, "{}: {}\n{}", f.kind, f.message, f.detail);
        }
        let body = body.trim_end().to_string();
        let inner = match r.verdict {
            Verdict::Failed | Verdict::Rejected => Some(format!(
                "<failure message=\"{}\" type=\"{}\">{}</failure>",
                attr(why),
                r.verdict.as_str(),
                text(&body)
            )),
            Verdict::Cancelled | Verdict::NotRun => Some(format!(
                "<error message=\"{}\" type=\"{}\">{}</error>",
                attr(why),
                r.verdict.as_str().replace(' ', "-"),
                text(&body)
            )),
            _ if failed_checks.is_some() => {
                let fs = failed_checks.map(Vec::as_slice).unwrap_or_default();
                let message: Vec<&str> = fs.iter().map(|f| f.message.as_str()).collect();
                let kind = fs.first().map_or("check", |f| f.kind.as_str());
                Some(format!(
                    "<failure message=\"{}\" type=\"{}\">{}</failure>",
                    attr(&message.join("; ")),
                    attr(kind),
                    text(&body)
                ))
            }
            Verdict::Delivered => None,
            Verdict::Skipped | Verdict::Unsupported => Some(format!(
                "<skipped message=\"{}\"/>",
                attr(&format!("{}: {why}", r.verdict.as_str()))
            )),
        };
        match inner {
            None => out.push_str("/>\n"),
            Some(inner) => {
                let _ = writeln!(out, ">\n    {inner}\n  </testcase>");
            }
        }
    }
    out.push_str("</testsuite>\n");
    out
}

/// The body of a failure: the error, the statuses, and where the full record is.
fn detail(r: &EventResult) -> String {
    let mut d = r.error.clone().unwrap_or_default();
    if r.status_text != "-" {
        let _ = write!(d, "\nstatus: {}", r.status_text);
    }
    if r.attempts > 0 {
        let _ = write!(d, "\nattempts: {}", r.attempts);
    }
    if let Some(id) = r.history_id {
        let _ = write!(d, "\nhistory entry: {id}");
    }
    d
}

fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Characters XML 1.0 cannot hold at all (most control characters, U+FFFE, U+FFFF) become
/// U+FFFD; a report must stay parseable whatever a partner replied.
fn allowed(c: char) -> char {
    match c {
        '\t' | '\n' | '\r' => c,
        c if c < ' ' => '\u{fffd}',
        '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
        c => c,
    }
}

/// Escaped for element content.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(allowed) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Escaped for an attribute in double quotes; line breaks and tabs as character references,
/// since a parser turns literal ones into spaces.
pub fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().map(allowed) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::Progress;
    use crate::transport::StatusClass;

    fn result(index: usize, verdict: Verdict, error: Option<&str>) -> EventResult {
        EventResult {
            index,
            label: format!("track E{index}"),
            verdict,
            status: None,
            status_class: Some(StatusClass::Success),
            status_text: "-".into(),
            attempts: 0,
            duration_ms: 1234,
            error: error.map(str::to_string),
            history_id: None,
        }
    }

    #[test]
    fn escapes_markup_quotes_and_forbidden_characters() {
        assert_eq!(text("a<b>&c\"'"), "a&lt;b&gt;&amp;c\"'");
        assert_eq!(
            attr("say \"hi\" & 'bye'\n<x>\t"),
            "say &quot;hi&quot; &amp; &apos;bye&apos;&#10;&lt;x&gt;&#9;"
        );
        assert_eq!(
            text("nul\u{0}bell\u{7}\u{ffff}"),
            "nul\u{fffd}bell\u{fffd}\u{fffd}"
        );
        assert_eq!(text("ünïcødé ✓"), "ünïcødé ✓");
    }

    #[test]
    fn renders_one_case_per_event_with_the_right_element() {
        let mut failed = result(
            1,
            Verdict::Failed,
            Some("Upsert contact: HTTP 401 <bad key>"),
        );
        failed.status_text = "401".into();
        failed.attempts = 1;
        failed.history_id = Some(9);
        let summary = BatchSummary {
            results: vec![
                result(0, Verdict::Delivered, None),
                failed,
                result(2, Verdict::Unsupported, Some("no screen calls")),
                result(3, Verdict::Rejected, Some("$.userId: required")),
                result(4, Verdict::NotRun, Some("cancelled")),
            ],
            progress: Progress::default(),
            elapsed_ms: 61_005,
            cancelled: true,
            history_error: None,
        };
        let at = DateTime::parse_from_rfc3339("2026-05-04T09:12:03Z")
            .unwrap()
            .with_timezone(&Utc);
        let xml = render(
            "tour.json -> salesmachine",
            "segment-console.salesmachine",
            &summary,
            at,
        );
        let expected = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<testsuite name=\"tour.json -&gt; salesmachine\" tests=\"5\" failures=\"2\" errors=\"1\" skipped=\"1\" time=\"61.005\" timestamp=\"2026-05-04T09:12:03\">
  <testcase classname=\"segment-console.salesmachine\" name=\"#0 track E0\" time=\"1.234\"/>
  <testcase classname=\"segment-console.salesmachine\" name=\"#1 track E1\" time=\"1.234\">
    <failure message=\"Upsert contact: HTTP 401 &lt;bad key&gt;\" type=\"failed\">Upsert contact: HTTP 401 &lt;bad key&gt;
status: 401
attempts: 1
history entry: 9</failure>
  </testcase>
  <testcase classname=\"segment-console.salesmachine\" name=\"#2 track E2\" time=\"1.234\">
    <skipped message=\"unsupported: no screen calls\"/>
  </testcase>
  <testcase classname=\"segment-console.salesmachine\" name=\"#3 track E3\" time=\"1.234\">
    <failure message=\"$.userId: required\" type=\"rejected\">$.userId: required</failure>
  </testcase>
  <testcase classname=\"segment-console.salesmachine\" name=\"#4 track E4\" time=\"1.234\">
    <error message=\"cancelled\" type=\"not-run\">cancelled</error>
  </testcase>
</testsuite>
";
        assert_eq!(xml, expected);
        assert_eq!(
            counts(&summary.results),
            Counts {
                tests: 5,
                failures: 2,
                errors: 1,
                skipped: 1
            }
        );
    }

    #[test]
    fn failed_checks_make_their_case_a_failure() {
        let summary = BatchSummary {
            results: vec![
                result(0, Verdict::Delivered, None),
                result(1, Verdict::Skipped, Some("integrations")),
                result(2, Verdict::Failed, Some("HTTP 500")),
                result(3, Verdict::Delivered, None),
            ],
            progress: Progress::default(),
            elapsed_ms: 10,
            cancelled: false,
            history_error: None,
        };
        let plan = |m: &str| CheckFailure {
            kind: "tracking-plan".into(),
            message: m.into(),
            detail: format!("error at $.x: {m}"),
        };
        let checks = CheckFailures::from([
            (0, vec![plan("properties.revenue must be number")]),
            (1, vec![plan("properties.a is required")]),
            (2, vec![plan("properties.b is required")]),
            (3, Vec::new()),
        ]);
        let at = DateTime::parse_from_rfc3339("2026-05-04T09:12:03Z")
            .unwrap()
            .with_timezone(&Utc);
        let xml = render_with("s", "c", &summary, &checks, at);
        assert!(
            xml.contains("tests=\"4\" failures=\"3\" errors=\"0\" skipped=\"0\""),
            "{xml}"
        );
        assert!(xml.contains("<testcase classname=\"c\" name=\"#0 track E0\" time=\"1.234\">\n    <failure message=\"properties.revenue must be number\" type=\"tracking-plan\">tracking-plan: properties.revenue must be number\nerror at $.x: properties.revenue must be number</failure>"), "{xml}");
        // The send's own failure keeps its type; the check follows in the body.
        assert!(
            xml.contains("type=\"failed\">HTTP 500\n\ntracking-plan: properties.b is required"),
            "{xml}"
        );
        assert!(
            xml.contains("name=\"#3 track E3\" time=\"1.234\"/>"),
            "{xml}"
        );
    }
}
