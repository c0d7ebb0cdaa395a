//! What the preview shows, computed once per change of event, destination or settings (never per
//! frame): the outcome, the source event as path-tagged lines, and each request as lines.

use crate::app::model::json_lines::{Line, lines, within};
use crate::destinations::{Body, Outcome, PartnerRequest, Provenance};
use serde_json::Value;
use std::time::{Duration, Instant};

pub struct RequestView {
    pub request: PartnerRequest,
    /// Method and URL, headers, query parameters, then the body.
    pub lines: Vec<Line>,
}

pub struct PreviewModel {
    pub outcome: Outcome,
    pub source: Vec<Line>,
    pub requests: Vec<RequestView>,
    /// The event's tracking-plan violations (none without a plan); shown and marked, never
    /// blocking the send.
    pub plan: Vec<crate::event::Finding>,
}

impl PreviewModel {
    pub fn new(source: &Value, outcome: Outcome, show_secrets: bool) -> PreviewModel {
        let requests = outcome
            .requests
            .iter()
            .map(|r| {
                let shown = r.shown(show_secrets);
                RequestView {
                    lines: request_lines(&shown),
                    request: shown,
                }
            })
            .collect();
        PreviewModel {
            source: lines(source, "$"),
            outcome,
            requests,
            plan: Vec::new(),
        }
    }

    /// The model with the event's tracking-plan violations.
    pub fn with_plan(mut self, plan: Vec<crate::event::Finding>) -> PreviewModel {
        self.plan = plan;
        self
    }

    /// The most severe plan violation to mark on the source line at `path`: one at that path,
    /// or a required field missing from the object there (it has no line of its own).
    pub fn plan_mark(&self, path: &str) -> Option<&crate::event::Finding> {
        if path.is_empty() {
            return None;
        }
        self.plan
            .iter()
            .filter(|f| {
                f.path == path
                    || (f.kind.as_deref() == Some("Required-Missing")
                        && parent(&f.path) == Some(path))
            })
            .min_by_key(|f| f.severity)
    }
}

/// The path of the object holding `path`: `$.properties` for `$.properties.revenue` and for
/// `$.properties['a b']`.
fn parent(path: &str) -> Option<&str> {
    let cut = if path.ends_with("']") {
        path.rfind("['")?
    } else {
        path.rfind(['.', '['])?
    };
    path.get(..cut).filter(|p| !p.is_empty())
}

/// The request as lines with the output paths provenance uses (`url`, `header.X`, `query.k`,
/// `body...`).
pub fn request_lines(r: &PartnerRequest) -> Vec<Line> {
    let mut out = vec![Line {
        path: "url".into(),
        text: format!("{} {}", r.method, r.url),
    }];
    for h in &r.headers {
        out.push(Line {
            path: format!("header.{}", h.name),
            text: format!("{}: {}", h.name, h.value),
        });
    }
    if let Some((_, query)) = r.url.split_once('?') {
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(k);
            out.push(Line {
                path: format!("query.{key}"),
                text: format!("  ?{key} = {}", decode(v)),
            });
        }
    }
    match &r.body {
        Body::Json(v) => {
            out.push(Line {
                path: String::new(),
                text: String::new(),
            });
            out.extend(lines(v, "body"));
        }
        Body::Form(s) => {
            out.push(Line {
                path: String::new(),
                text: String::new(),
            });
            out.push(Line {
                path: "body".into(),
                text: s.clone(),
            });
        }
        Body::None => {}
    }
    out
}

/// Percent-decoding for display (`+` as space, `%xx`); anything malformed stays as it is.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What to highlight when the user points at a path on one side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    None,
    /// A source path (`$.traits.email`).
    Source(String),
    /// An output path of request `usize`.
    Output(usize, String),
}

/// The source paths and, per request, the output paths tied to the focus.
#[derive(Default, Debug, PartialEq, Eq)]
pub struct Highlight {
    pub sources: Vec<String>,
    pub outputs: Vec<(usize, String)>,
}

impl Highlight {
    pub fn source_line(&self, path: &str) -> bool {
        !path.is_empty() && self.sources.iter().any(|s| within(path, s))
    }

    pub fn output_line(&self, req: usize, path: &str) -> bool {
        !path.is_empty()
            && self
                .outputs
                .iter()
                .any(|(r, o)| *r == req && within(path, o))
    }
}

fn related(a: &str, b: &str) -> bool {
    within(a, b) || within(b, a)
}

pub fn highlight(focus: &Focus, provenance: &[&[Provenance]]) -> Highlight {
    let mut h = Highlight::default();
    match focus {
        Focus::None => {}
        Focus::Output(req, out) => {
            h.outputs.push((*req, out.clone()));
            if let Some(prov) = provenance.get(*req) {
                for p in prov.iter().filter(|p| related(out, &p.output)) {
                    h.sources
                        .extend(p.source.paths().into_iter().map(str::to_string));
                }
            }
        }
        Focus::Source(src) => {
            h.sources.push(src.clone());
            for (i, prov) in provenance.iter().enumerate() {
                for p in prov.iter() {
                    if p.source.paths().iter().any(|s| related(src, s)) {
                        h.outputs.push((i, p.output.clone()));
                    }
                }
            }
        }
    }
    h
}

/// Events larger than this (as JSON text) are previewed once typing pauses.
pub const LARGE_EVENT: usize = 256 * 1024;
/// How long typing must pause before a large event is previewed again.
pub const TYPING_PAUSE: Duration = Duration::from_millis(300);

/// The preview as the window keeps it: the last model, the inputs it was made from (as a
/// hash), and since when the document has been as it is.
#[derive(Default)]
pub struct PreviewCache {
    model: Option<PreviewModel>,
    key: Option<u64>,
    /// The document revision last seen, and since when.
    seen: Option<(u64, Instant)>,
}

/// What to do about the preview this frame.
#[derive(Debug, PartialEq)]
pub enum Refresh {
    /// It is up to date.
    Keep,
    /// A large event is being typed: look again after this long.
    Wait(Duration),
    /// Translate the event again (the inputs are taken as computed from now on).
    Compute,
}

impl PreviewCache {
    pub fn model(&self) -> Option<&PreviewModel> {
        self.model.as_ref()
    }

    pub fn set(&mut self, model: PreviewModel) {
        self.model = Some(model);
    }

    /// Whether to compute again for inputs hashed to `key`, the document being at `revision`
    /// and `len` bytes long. A large event costs tens of milliseconds to translate and to turn
    /// into preview lines: while it is being typed in, that waits for a pause, so that every
    /// keystroke stays cheap; the last preview stays meanwhile.
    /// A command is about to use the preview (copy as curl, export): computed now when it is
    /// not up to date, whether typing has paused or not.
    pub fn refresh_now(&mut self, key: u64) -> Refresh {
        if self.model.is_some() && self.key == Some(key) {
            return Refresh::Keep;
        }
        self.key = Some(key);
        Refresh::Compute
    }

    pub fn refresh(&mut self, key: u64, revision: u64, len: usize, now: Instant) -> Refresh {
        if self.model.is_some() && self.key == Some(key) {
            return Refresh::Keep;
        }
        let since = match self.seen {
            Some((r, at)) if r == revision => at,
            _ => {
                self.seen = Some((revision, now));
                now
            }
        };
        if self.model.is_some() && len > LARGE_EVENT {
            let typed = now.saturating_duration_since(since);
            if typed < TYPING_PAUSE {
                return Refresh::Wait(TYPING_PAUSE - typed);
            }
        }
        self.key = Some(key);
        Refresh::Compute
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_event_is_previewed_once_typing_pauses() {
        let mut c = PreviewCache::default();
        let t0 = Instant::now();
        assert_eq!(c.refresh(1, 1, LARGE_EVENT + 1, t0), Refresh::Compute);
        let event = serde_json::json!({"type": "track", "userId": "u", "event": "E"});
        let dest = crate::destinations::find("webhook").expect("webhook");
        let outcome = crate::destinations::translate(
            dest,
            &event,
            &dest.sandbox_settings(),
            dest.default_mode(),
            &crate::destinations::Target::Sandbox {
                base: "http://127.0.0.1:1".into(),
            },
            chrono::Utc::now(),
        );
        c.set(PreviewModel::new(&event, outcome, false));
        assert_eq!(c.refresh(1, 1, LARGE_EVENT + 1, t0), Refresh::Keep);
        // Typed into: a small event is computed at once, a large one waits for the pause.
        assert_eq!(c.refresh(2, 2, 10, t0), Refresh::Compute);
        assert_eq!(
            c.refresh(3, 3, LARGE_EVENT + 1, t0),
            Refresh::Wait(TYPING_PAUSE)
        );
        assert_eq!(
            c.refresh(3, 3, LARGE_EVENT + 1, t0 + TYPING_PAUSE),
            Refresh::Compute
        );
        assert_eq!(
            c.refresh(3, 3, LARGE_EVENT + 1, t0 + TYPING_PAUSE),
            Refresh::Keep
        );
        // A command about to use the preview does not wait for the pause.
        assert_eq!(
            c.refresh(4, 4, LARGE_EVENT + 1, t0 + TYPING_PAUSE),
            Refresh::Wait(TYPING_PAUSE)
        );
        assert_eq!(c.refresh_now(4), Refresh::Compute);
        assert_eq!(c.refresh_now(4), Refresh::Keep);
    }
    use crate::destinations::{Source, Trace};
    use serde_json::json;

    #[test]
    fn plan_violations_mark_their_line_or_the_object_missing_a_field() {
        let event = json!({"type": "track", "event": "E", "properties": {"revenue": "1"}});
        let dest = crate::destinations::find("webhook").expect("webhook");
        let outcome = crate::destinations::translate(
            dest,
            &event,
            &dest.sandbox_settings(),
            dest.default_mode(),
            &crate::destinations::Target::Sandbox {
                base: "http://127.0.0.1:1".into(),
            },
            chrono::Utc::now(),
        );
        let mut missing = crate::event::Finding::error("$.properties.currency", "required");
        missing.kind = Some("Required-Missing".into());
        let mut mistyped = crate::event::Finding::warning("$.properties.revenue", "number");
        mistyped.kind = Some("Datatype-Mismatch".into());
        let m = PreviewModel::new(&event, outcome, false).with_plan(vec![missing, mistyped]);
        assert_eq!(
            m.plan_mark("$.properties").map(|f| f.message.as_str()),
            Some("required")
        );
        assert_eq!(
            m.plan_mark("$.properties.revenue")
                .map(|f| f.message.as_str()),
            Some("number")
        );
        assert!(m.plan_mark("$.event").is_none());
        assert_eq!(parent("$.a['b c']"), Some("$.a"));
        assert_eq!(parent("$.a[3]"), Some("$.a"));
        assert_eq!(parent("$"), None);
    }

    #[test]
    fn request_lines_carry_output_paths() {
        let r = PartnerRequest::post(
            "https://x.example/hit?rec=1&event=%7B%22a%22%7D&n=a+b",
            "Hit",
        )
        .header("Content-Type", "application/json")
        .json(json!({"params": {"email": "a@b.co"}}));
        let ls = request_lines(&r);
        assert_eq!(
            ls[0].text,
            "POST https://x.example/hit?rec=1&event=%7B%22a%22%7D&n=a+b"
        );
        assert!(
            ls.iter()
                .any(|l| l.path == "query.event" && l.text.ends_with("{\"a\"}"))
        );
        assert!(
            ls.iter()
                .any(|l| l.path == "query.n" && l.text.ends_with("a b"))
        );
        assert!(ls.iter().any(|l| l.path == "body.params.email"));
        assert!(ls.iter().any(|l| l.path == "header.Content-Type"));
    }

    #[test]
    fn highlight_both_ways() {
        let mut t = Trace::new();
        t.path("body.params.email", "$.traits.email");
        t.computed("body.event_uid", "snake_case", &["$.event"]);
        t.constant("header.Content-Type");
        let prov = t.take();
        let all: Vec<&[Provenance]> = vec![&prov];
        let h = highlight(&Focus::Output(0, "body.params".into()), &all);
        assert_eq!(h.sources, vec!["$.traits.email".to_string()]);
        let h = highlight(&Focus::Source("$.event".into()), &all);
        assert_eq!(h.outputs, vec![(0, "body.event_uid".to_string())]);
        assert!(h.output_line(0, "body.event_uid"));
        assert!(!h.output_line(1, "body.event_uid"));
        let h = highlight(&Focus::Source("$.traits".into()), &all);
        assert_eq!(h.outputs, vec![(0, "body.params.email".to_string())]);
        assert!(matches!(prov[2].source, Source::Constant));
    }
}
