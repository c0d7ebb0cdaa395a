//! The fixed panes of the window, each a function of the state it shows that pushes
//! `Command`s for what the user asks.

pub(crate) mod charts;
pub(crate) mod chrome;
pub(crate) mod composer;
pub(crate) mod destination_bar;
pub(crate) mod exchange;
pub(crate) mod history;
pub(crate) mod library;
pub mod live;
pub(crate) mod preview;
