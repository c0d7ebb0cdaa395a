//! The embedded sandbox over real HTTP: each partner's imitation (Salesmachine, Startdeliver,
//! Freshmarketer, Skalin with its pending features and bulk body, webhooks, the Segment partner
//! webhook), fault injection, the server itself (binding, limits, state endpoints, the `sandbox`
//! subcommand) and its hygiene as a server others could reach.

#[path = "../support/mod.rs"]
mod support;

mod faults;
mod hygiene;
mod partners;
mod salesmachine;
mod server;
mod skalin;
