//! The partners the sandbox imitates, one file each, named by the destination's id. The table
//! below is the sandbox's one list of them: the router, the fault layer, the error shapes of
//! fault replies and the index page all read it, and a test holds it equal to the registry of
//! destinations.

mod freshmarketer;
mod salesmachine;
mod segment_webhook;
mod skalin;
mod startdeliver;
mod webhook;

pub use webhook::sign as webhook_signature;

use super::SharedRef;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, any};

/// One imitated partner.
pub(crate) struct Partner {
    /// The destination id, and the first segment of every path it serves.
    pub id: &'static str,
    /// The paths it serves, as the index page lists them.
    pub paths: &'static [&'static str],
    /// Answers every request under `/<id>/`.
    pub route: fn() -> MethodRouter<SharedRef>,
    /// The partner's own error body for a status, used by fault replies so that a client meets
    /// the same shape as in a real outage.
    pub error: fn(StatusCode, &str) -> Response,
}

pub(crate) static PARTNERS: [Partner; 5] = [
    Partner {
        id: "salesmachine",
        paths: &[
            "/salesmachine/v1/contact",
            "/salesmachine/v1/account",
            "/salesmachine/v1/track/event",
            "/salesmachine/v1/alias",
            "/salesmachine/v1/batch",
            "/salesmachine/v1/ping",
        ],
        route: || any(salesmachine::handle),
        error: |code, message| salesmachine::error(code, short_code(code), message),
    },
    Partner {
        id: "startdeliver",
        paths: &["/startdeliver/segment"],
        route: || any(startdeliver::handle),
        error: segment_webhook::error,
    },
    Partner {
        id: "freshmarketer",
        paths: &[
            "/freshmarketer/crm/sales/api/contacts/upsert",
            "/freshmarketer/crm/sales/api/sales_accounts/upsert",
            "/freshmarketer/segment",
        ],
        route: || any(freshmarketer::handle),
        error: |code, message| freshmarketer::error(code, &[message]),
    },
    Partner {
        id: "skalin",
        paths: &["/skalin/hit", "/skalin/hit/bulk", "/skalin/segment"],
        route: || any(skalin::handle),
        error: skalin::error,
    },
    Partner {
        id: "webhook",
        paths: &["/webhook/in"],
        route: || any(webhook::handle),
        error: segment_webhook::error,
    },
];

/// The partner serving `id`, if the sandbox has one.
pub(crate) fn find(id: &str) -> Option<&'static Partner> {
    PARTNERS.iter().find(|p| p.id == id)
}

/// The ids the sandbox serves, in the registry's order.
pub fn ids() -> impl Iterator<Item = &'static str> {
    PARTNERS.iter().map(|p| p.id)
}

/// "salesmachine, startdeliver, ..." for messages that list the choices.
pub fn ids_text() -> String {
    ids().collect::<Vec<_>>().join(", ")
}

/// Salesmachine's short error code for a status (its bodies carry one beside the message).
fn short_code(code: StatusCode) -> &'static str {
    match code.as_u16() {
        429 => "rate_limited",
        500 => "internal_error",
        503 => "unavailable",
        _ => "error",
    }
}

/// The body a partner gives with an error status, in that partner's own shape; used for fault
/// replies. `rest` is the path after `/<dest>/`: the Segment partner webhook (`segment`) has the
/// same shape at every partner.
pub(crate) fn error(dest: &str, rest: &str, code: StatusCode, message: &str) -> Response {
    match find(dest) {
        Some(p) if rest != "segment" => (p.error)(code, message),
        _ => segment_webhook::error(code, message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sandbox_serves_exactly_the_registry() {
        let registry: Vec<&str> = crate::destinations::registry()
            .iter()
            .map(|d| d.id())
            .collect();
        assert_eq!(ids().collect::<Vec<_>>(), registry);
        for p in &PARTNERS {
            assert!(
                p.paths
                    .iter()
                    .all(|path| path.starts_with(&format!("/{}/", p.id))),
                "{} lists a path outside /{}/",
                p.id,
                p.id
            );
        }
    }
}
