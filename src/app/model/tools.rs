//! The state of the Tools menu's windows: compare, fan-out and audience sync.

use crate::app::model::audience;
use crate::app::model::compare::CompareState;
use crate::app::model::fanout::FanOutState;

#[derive(Default)]
pub struct Tools {
    pub compare: CompareState,
    pub fanout: FanOutState,
    pub audience: audience::AudienceForm,
}
