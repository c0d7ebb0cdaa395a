//! The HTTP API for tests, in the style of Snowplow Micro (docs/capture.md):
//! `GET /_capture/events` (oldest first; filters `type`, `event`, `userId`, `valid`, `limit`),
//! `GET /_capture/summary`, `POST /_capture/reset`. The server routes them here.

use super::record::{Filter, Store};
use crate::sandbox::lock;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// A JSON reply; also the shape of every reply of the source paths.
pub fn reply(code: StatusCode, body: Value) -> Response {
    (code, axum::Json(body)).into_response()
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

/// `GET /_capture/events`: the kept events that match, oldest first.
pub fn events(store: &Mutex<Store>, query: &HashMap<String, String>) -> Response {
    let f = match filter(query) {
        Ok(f) => f,
        Err(e) => return reply(StatusCode::BAD_REQUEST, json!({"error": e})),
    };
    let found = lock(store).events(&f);
    let list: Vec<Value> = found
        .iter()
        .map(|e| serde_json::to_value(&**e).unwrap_or(Value::Null))
        .collect();
    reply(StatusCode::OK, Value::Array(list))
}

/// `GET /_capture/summary`.
pub fn summary(store: &Mutex<Store>) -> Response {
    let sum = lock(store).summary();
    reply(
        StatusCode::OK,
        serde_json::to_value(&sum).unwrap_or(Value::Null),
    )
}

/// `POST /_capture/reset`.
pub fn reset(store: &Mutex<Store>) -> Response {
    lock(store).reset();
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
