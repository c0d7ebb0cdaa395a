//! Webhooks (destinations.md). STUB: to be written.

use super::{Built, Ctx, Destination, Mode, SettingSpec, Settings};
use crate::spec::{CallType, Event, Finding};

pub struct Webhooks;

impl Destination for Webhooks {
    fn id(&self) -> &'static str {
        "webhook"
    }

    fn integration_name(&self) -> &'static str {
        "Webhooks"
    }

    fn calls(&self) -> &'static [CallType] {
        &[
            CallType::Identify,
            CallType::Track,
            CallType::Page,
            CallType::Screen,
            CallType::Group,
            CallType::Alias,
        ]
    }

    fn modes(&self) -> &'static [Mode] {
        &[Mode::PartnerApi]
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
