//! The tracking plan the window checks events against (File > Load tracking plan…): where it
//! came from, the plan itself or why it could not be read. Its path is remembered across
//! restarts (`Persisted::plan_path`). Violations are shown beside the Segment Spec's findings
//! but never block a send: users test how a partner takes a bad event (docs/tracking-plans.md).

use crate::event::Finding;
use crate::files::plan_file;
use crate::plan::Plan;
use serde_json::Value;
use std::path::{Path, PathBuf};

#[derive(Default)]
pub struct PlanState {
    pub path: Option<PathBuf>,
    plan: Option<Plan>,
    /// Why the plan at `path` could not be read.
    pub error: Option<String>,
    /// Changes whenever the plan does, so the preview knows to check again.
    pub revision: u64,
}

impl PlanState {
    /// Reads the plan at `path` (and its `.severity.json`); on failure the previous plan is
    /// dropped and the error kept, so nothing is checked against a plan the user replaced.
    /// Returns the sentence for the status bar.
    pub fn load(&mut self, path: &Path) -> Result<String, String> {
        self.revision += 1;
        self.path = Some(path.to_path_buf());
        match plan_file::load(path) {
            Ok(plan) => {
                let words = format!(
                    "Tracking plan {} loaded ({}, {} event rules).",
                    path.display(),
                    plan.format.describe(),
                    plan.event_rules()
                );
                self.plan = Some(plan);
                self.error = None;
                Ok(words)
            }
            Err(e) => {
                self.plan = None;
                self.error = Some(e.clone());
                Err(format!("The tracking plan could not be read: {e}"))
            }
        }
    }

    pub fn unload(&mut self) {
        *self = PlanState {
            revision: self.revision + 1,
            ..PlanState::default()
        };
    }

    /// The event's check against the plan, as its history entry keeps it; `None` without one.
    pub fn verdict(&self, event: &Value) -> Option<crate::plan::verdict::PlanCheck> {
        self.plan.as_ref().map(|p| p.verdict(event))
    }

    /// The plan for another thread to check against (a capture running in the background).
    pub fn shared(&self) -> Option<std::sync::Arc<Plan>> {
        self.plan.clone().map(std::sync::Arc::new)
    }

    pub fn loaded(&self) -> bool {
        self.plan.is_some()
    }

    /// The event's violations; none without a plan.
    pub fn check(&self, event: &Value) -> Vec<Finding> {
        self.plan
            .as_ref()
            .map(|p| p.check(event))
            .unwrap_or_default()
    }

    /// The file name, for the composer's heading.
    pub fn name(&self) -> Option<String> {
        self.path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_plan_loads_checks_and_a_bad_one_replaces_it_with_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("plan.json");
        std::fs::write(
            &good,
            r#"{"rules": [{"key": "E", "type": "TRACK", "version": 1, "jsonSchema":
                {"properties": {"properties": {"required": ["n"]}}}}]}"#,
        )
        .unwrap();
        let mut s = PlanState::default();
        let event = json!({"type": "track", "event": "E", "userId": "u", "properties": {}});
        assert!(s.check(&event).is_empty());
        let words = s.load(&good).unwrap();
        assert!(
            words.contains("Segment Public API rules, 1 event rules"),
            "{words}"
        );
        assert_eq!(s.check(&event)[0].kind.as_deref(), Some("Required-Missing"));
        let r = s.revision;
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{\"rules\": [").unwrap();
        let e = s.load(&bad).unwrap_err();
        assert!(e.contains("bad.json: line 1, column 11"), "{e}");
        assert!(!s.loaded() && s.check(&event).is_empty());
        assert!(s.revision > r);
        assert_eq!(s.name().as_deref(), Some("bad.json"));
        s.unload();
        assert!(s.path.is_none() && s.error.is_none());
    }
}
