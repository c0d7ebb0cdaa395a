//! Freshmarketer (destinations.md). STUB: to be written.

use super::{Built, Ctx, Destination, Mode, SettingSpec, Settings};
use crate::spec::{CallType, Event, Finding};

pub struct Freshmarketer;

impl Destination for Freshmarketer {
    fn id(&self) -> &'static str {
        "freshmarketer"
    }

    fn integration_name(&self) -> &'static str {
        "Freshmarketer"
    }

    fn calls(&self) -> &'static [CallType] {
        &[
            CallType::Identify,
            CallType::Track,
            CallType::Page,
            CallType::Group,
            CallType::Alias,
        ]
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::PartnerApi, Mode::SegmentWebhook]
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
