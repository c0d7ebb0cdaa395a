//! Segment events (the Segment Spec): the model of the six calls, their validation and the
//! helpers around them (docs/segment-spec.md).

pub mod audience;
pub mod fill;
pub mod finding;
pub mod integrations;
pub mod model;
pub mod path;
pub mod snake;
pub mod time;
pub mod validate;

pub use finding::{Finding, Severity, has_errors};
pub use model::{CallType, Event, Object, Payload, StrOrNum};
pub use snake::snake_case;
pub use validate::validate;
