//! The floating windows: the command palette, compare, fan-out, the audience builder and the
//! questions asked before work is lost.

pub(crate) mod audience;
pub(crate) mod compare;
pub(crate) mod dialogs;
pub(crate) mod fanout;
pub(crate) mod palette;
