//! The window, driven as a person would through egui_kittest on the real `App`: the main screen,
//! event sets, the Tools windows, faults, large events, image snapshots, and where the API keys
//! end up across the window's and the command line's flows.

#[path = "../support/mod.rs"]
mod support;

mod app;
mod capture;
mod compare;
mod faults;
mod large;
mod layout;
mod plans;
mod secrets;
mod sets;
mod snapshots;
