//! The Tools menu's windows (compare, fan-out, audience sync) and the history charts, joined
//! to the app: their state, when their models are brought up to date (in `logic`, only when
//! their inputs changed), and the commands they send.

use crate::app::command::Action;
use crate::app::model::audience;
use crate::app::model::compare::CompareState;
use crate::app::model::fanout::FanOutState;

#[derive(Default)]
pub struct Tools {
    pub compare: CompareState,
    pub fanout: FanOutState,
    pub audience: audience::AudienceForm,
}

/// The Tools menu.
pub const MENU: (&str, &[Action]) = (
    "Tools",
    &[Action::Compare, Action::FanOut, Action::AudienceBuilder],
);
