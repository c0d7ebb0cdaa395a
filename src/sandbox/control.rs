//! The sandbox's own endpoints under `/_sandbox`: state, reset and faults.

use super::faults::parse as fault_parse;
use super::partners::{self, PARTNERS};
use super::{BodyError, SharedRef, json_reply, lock, read_body};
use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;

pub(super) fn routes() -> Router<SharedRef> {
    Router::new()
        .route("/_sandbox", get(index))
        .route("/_sandbox/state", get(state))
        .route("/_sandbox/reset", post(reset))
        .route(
            "/_sandbox/faults",
            get(list_faults).post(set_faults).delete(clear_faults),
        )
}

fn message(code: StatusCode, text: &str) -> Response {
    json_reply(code, json!({ "message": text }))
}

/// What a person opening the base URL in a browser needs to find their way.
async fn index() -> Response {
    json_reply(
        StatusCode::OK,
        json!({
            "destinations": PARTNERS
                .iter()
                .map(|p| (p.id.to_string(), json!(p.paths)))
                .collect::<serde_json::Map<_, _>>(),
            "control": ["GET /_sandbox/state", "POST /_sandbox/reset", "GET /_sandbox/faults",
                "POST /_sandbox/faults", "DELETE /_sandbox/faults[?destination=ID]"]
        }),
    )
}

pub(super) async fn not_found(req: Request) -> Response {
    message(
        StatusCode::NOT_FOUND,
        &format!(
            "nothing at {}; the sandbox serves {} and /_sandbox",
            req.uri().path(),
            partners::ids()
                .map(|id| format!("/{id}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    )
}

async fn state(State(s): State<SharedRef>) -> Response {
    json_reply(StatusCode::OK, lock(&s.state).to_json())
}

async fn reset(State(s): State<SharedRef>) -> Response {
    *lock(&s.state) = Default::default();
    json_reply(StatusCode::OK, json!({"status": "reset"}))
}

async fn list_faults(State(s): State<SharedRef>) -> Response {
    json_reply(StatusCode::OK, json!({"faults": lock(&s.faults).to_json()}))
}

/// Takes one fault object or an array of them; all are checked before any is set.
async fn set_faults(State(s): State<SharedRef>, req: Request) -> Response {
    let bytes = match read_body(req.into_body(), s.body_limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return message(StatusCode::PAYLOAD_TOO_LARGE, "the body is too large");
        }
        Err(BodyError::Broken(e)) => return message(StatusCode::BAD_REQUEST, &e),
    };
    let doc: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return message(
                StatusCode::BAD_REQUEST,
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let items = match doc {
        Value::Array(items) => items,
        one => vec![one],
    };
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match fault_parse::parse_json(item) {
            Ok(f) => parsed.push(f),
            Err(e) if items.len() == 1 => return message(StatusCode::BAD_REQUEST, &e),
            Err(e) => return message(StatusCode::BAD_REQUEST, &format!("fault {i}: {e}")),
        }
    }
    let mut book = lock(&s.faults);
    for (dest, fault) in parsed {
        if let Err(e) = book.set(&dest, fault) {
            return message(StatusCode::BAD_REQUEST, &e);
        }
    }
    json_reply(StatusCode::OK, json!({"faults": book.to_json()}))
}

async fn clear_faults(
    State(s): State<SharedRef>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut book = lock(&s.faults);
    match book.clear(q.get("destination").map(String::as_str)) {
        Ok(()) => json_reply(StatusCode::OK, json!({"faults": book.to_json()})),
        Err(e) => message(StatusCode::BAD_REQUEST, &e),
    }
}
