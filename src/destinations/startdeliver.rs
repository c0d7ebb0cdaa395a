//! Startdeliver (destinations.md). STUB: to be written.

use super::{Built, Ctx, Destination, Mode, SettingSpec, Settings};
use crate::spec::{CallType, Event, Finding};

pub struct Startdeliver;

impl Destination for Startdeliver {
    fn id(&self) -> &'static str {
        "startdeliver"
    }

    fn integration_name(&self) -> &'static str {
        "Startdeliver"
    }

    fn calls(&self) -> &'static [CallType] {
        &[CallType::Page, CallType::Track]
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::SegmentWebhook]
    }

    fn settings_schema(&self) -> &'static [SettingSpec] {
        &[]
    }

    fn live_base(&self, _settings: &Settings) -> Option<String> {
        None
    }

    fn check(&self, _event: &Event, _mode: Mode) -> Vec<Finding> {
        Vec::new()
    }

    fn build(&self, _ctx: &Ctx) -> Built {
        Built::default()
    }
}
