//! A batch's results as JUnit XML, the report CI systems read: one testsuite, one testcase per
//! event. Failed and rejected events are failures, skipped and unsupported ones are skipped,
//! cancelled and never-run ones are errors. Pure: the caller passes the time stamp.

use super::{BatchSummary, EventResult, Verdict};
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// The counts the `<testsuite>` element carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub tests: usize,
    pub failures: usize,
    pub errors: usize,
    pub skipped: usize,
}

pub fn counts(results: &[EventResult]) -> Counts {
    let mut c = Counts {
        tests: results.len(),
        ..Counts::default()
    };
    for r in results {
        match r.verdict {
            Verdict::Failed | Verdict::Rejected => c.failures += 1,
            Verdict::Cancelled | Verdict::NotRun => c.errors += 1,
            Verdict::Skipped | Verdict::Unsupported => c.skipped += 1,
            Verdict::Delivered => {}
        }
    }
    c
}

/// The whole document. `suite` names the run (`tour.json -> salesmachine`); `class` groups the
/// cases in CI views (`segment-console.salesmachine`).
pub fn render(suite: &str, class: &str, summary: &BatchSummary, at: DateTime<Utc>) -> String {
    let c = counts(&summary.results);
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
        let inner = match r.verdict {
            Verdict::Delivered => None,
            Verdict::Failed | Verdict::Rejected => Some(format!(
                "<failure message=\"{}\" type=\"{}\">{}</failure>",
                attr(why),
                r.verdict.as_str(),
                text(&detail(r))
            )),
            Verdict::Skipped | Verdict::Unsupported => Some(format!(
                "<skipped message=\"{}\"/>",
                attr(&format!("{}: {why}", r.verdict.as_str()))
            )),
            Verdict::Cancelled | Verdict::NotRun => Some(format!(
                "<error message=\"{}\" type=\"{}\">{}</error>",
                attr(why),
                r.verdict.as_str().replace(' ', "-"),
                text(&detail(r))
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
}
