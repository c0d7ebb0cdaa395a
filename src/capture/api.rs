//! The HTTP API for tests, in the style of Snowplow Micro (docs/capture.md):
//! `GET /_capture/events` (oldest first; filters `type`, `event`, `userId`, `valid`, `limit`),
//! `GET /_capture/summary`, `POST /_capture/reset`.

use super::record::Filter;
use super::server::{Shared, reply};
use crate::sandbox::lock;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_capture/events", get(events))
        .route("/_capture/summary", get(summary))
        .route("/_capture/reset", post(reset))
}

/// The query as a filter, or what is wrong with it.
pub fn filter(query: &HashMap<String, String>) -> Result<Filter, String> {
    let mut f = Filter::default();
    for (key, value) in query {
        match key.as_str() {
            "type" => f.call_type = Some(value.clone()),
            "event" => f.event = Some(value.clone()),
            "userId" => f.user_id = Some(value.clone()),
            "valid" => {
                f.valid = Some(match value.as_str() {
                    "true" => true,
                    "false" => false,
                    other => return Err(format!("valid must be true or false, not \"{other}\"")),
                })
            }
            "limit" => {
                f.limit = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("limit must be a whole number, not \"{value}\""))?,
                )
            }
            other => {
                return Err(format!(
                    "unknown filter \"{other}\"; use type, event, userId, valid or limit"
                ));
            }
        }
    }
    Ok(f)
}

async fn events(
    State(s): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let f = match filter(&query) {
        Ok(f) => f,
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({"error": e})),
    };
    let found = lock(&s.store).events(&f);
    let list: Vec<Value> = found
        .iter()
        .map(|e| serde_json::to_value(&**e).unwrap_or(Value::Null))
        .collect();
    reply(StatusCode::OK, Value::Array(list))
}

async fn summary(State(s): State<Arc<Shared>>) -> Response {
    let sum = lock(&s.store).summary();
    reply(
        StatusCode::OK,
        serde_json::to_value(&sum).unwrap_or(Value::Null),
    )
}

async fn reset(State(s): State<Arc<Shared>>) -> Response {
    lock(&s.store).reset();
    reply(StatusCode::OK, json!({"reset": true}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_read_into_filters_or_say_what_is_wrong() {
        let q = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let f = filter(&q(&[("type", "track"), ("valid", "false"), ("limit", "5")])).unwrap();
        assert_eq!(f.call_type.as_deref(), Some("track"));
        assert_eq!(f.valid, Some(false));
        assert_eq!(f.limit, Some(5));
        assert!(
            filter(&q(&[("valid", "yes")]))
                .unwrap_err()
                .contains("true or false")
        );
        assert!(
            filter(&q(&[("limit", "-1")]))
                .unwrap_err()
                .contains("whole number")
        );
        assert!(
            filter(&q(&[("user", "u")]))
                .unwrap_err()
                .contains("unknown filter")
        );
    }
}
