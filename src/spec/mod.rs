//! The Segment Spec: the event model, its validation and the helpers around it.

pub mod audience;
pub mod event;
pub mod fill;
pub mod finding;
pub mod integrations;
pub mod path;
pub mod snake;
pub mod time;
pub mod validate;

pub use event::{CallType, Event, Object, Payload, StrOrNum};
pub use finding::{Finding, Severity, has_errors};
pub use snake::snake_case;
pub use validate::validate;
