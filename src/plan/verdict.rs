//! What an event's check against a tracking plan comes to, in the few words a list column has
//! room for: "ok", "1 error", "2 errors, 1 warning". The Live pane, the history (its `plan`
//! column and each entry's record), `history` on the command line and the exports all say it
//! the same way (docs/tracking-plans.md).

use crate::event::Finding;
use serde::{Deserialize, Serialize};

/// The most severe thing a plan found in an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Ok,
    Warnings,
    Errors,
}

/// An event checked against a tracking plan: which plan, and its violations counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanCheck {
    /// The plan's file name (`plan.json`).
    pub plan: String,
    pub errors: u32,
    pub warnings: u32,
}

impl PlanCheck {
    /// Counts the plan's violations among an event's findings: those with a violation kind
    /// (the Segment Spec's own findings have none and are not the plan's).
    pub fn of(plan: &str, findings: &[Finding]) -> PlanCheck {
        let mut check = PlanCheck {
            plan: plan.to_string(),
            errors: 0,
            warnings: 0,
        };
        for f in findings.iter().filter(|f| f.kind.is_some()) {
            if f.is_error() {
                check.errors += 1;
            } else {
                check.warnings += 1;
            }
        }
        check
    }

    pub fn verdict(&self) -> Verdict {
        match (self.errors, self.warnings) {
            (0, 0) => Verdict::Ok,
            (0, _) => Verdict::Warnings,
            _ => Verdict::Errors,
        }
    }

    /// "ok", or the violations counted, errors first.
    pub fn text(&self) -> String {
        let count = |n: u32, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        let mut parts = Vec::new();
        if self.errors > 0 {
            parts.push(count(self.errors, "error"));
        }
        if self.warnings > 0 {
            parts.push(count(self.warnings, "warning"));
        }
        if parts.is_empty() {
            "ok".into()
        } else {
            parts.join(", ")
        }
    }
}

/// The column's text for an entry or event that may not have been checked: "-" without a plan.
pub fn column_text(check: Option<&PlanCheck>) -> String {
    check.map_or_else(|| "-".to_string(), PlanCheck::text)
}

/// The verdict a column text stands for (the history keeps the text): `None` for "-" or "".
pub fn verdict_of_text(text: &str) -> Option<Verdict> {
    if text == "ok" {
        Some(Verdict::Ok)
    } else if text.contains("error") {
        Some(Verdict::Errors)
    } else if text.contains("warning") {
        Some(Verdict::Warnings)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(error: bool, kind: &str) -> Finding {
        let mut f = if error {
            Finding::error("$.properties.x", "x")
        } else {
            Finding::warning("$.properties.x", "x")
        };
        f.kind = Some(kind.into());
        f
    }

    #[test]
    fn only_violations_count_and_errors_come_first() {
        let spec = Finding::error("$.userId", "userId or anonymousId is required");
        let ok = PlanCheck::of("plan.json", std::slice::from_ref(&spec));
        assert_eq!((ok.verdict(), ok.text()), (Verdict::Ok, "ok".to_string()));
        let found = [
            violation(false, "Additional-Properties"),
            spec,
            violation(true, "Required-Missing"),
            violation(true, "Datatype-Mismatch"),
        ];
        let check = PlanCheck::of("plan.json", &found);
        assert_eq!((check.errors, check.warnings), (2, 1));
        assert_eq!(check.text(), "2 errors, 1 warning");
        assert_eq!(check.verdict(), Verdict::Errors);
        let warned = PlanCheck::of("p", &found[..1]);
        assert_eq!(
            (warned.text().as_str(), warned.verdict()),
            ("1 warning", Verdict::Warnings)
        );
    }

    #[test]
    fn the_column_text_reads_back_as_its_verdict() {
        assert_eq!(column_text(None), "-");
        assert_eq!(verdict_of_text("-"), None);
        assert_eq!(verdict_of_text(""), None);
        for (e, w, v) in [
            (0, 0, Verdict::Ok),
            (0, 3, Verdict::Warnings),
            (1, 3, Verdict::Errors),
        ] {
            let c = PlanCheck {
                plan: "p".into(),
                errors: e,
                warnings: w,
            };
            assert_eq!(verdict_of_text(&column_text(Some(&c))), Some(v));
        }
    }
}
