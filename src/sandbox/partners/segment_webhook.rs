//! The receiving side of Segment's partner webhook (docs/destinations.md §1), shared by the
//! destinations that have that mode: `/<id>/segment`.
//!
//! Replies as section 1 lists them: 200 success; 400 malformed; 401 bad key; 405 wrong method;
//! 413 too large; 501 a call type the destination does not take. Errors are `{"message": ...}`.

use crate::event::CallType;
use crate::sandbox::{
    BasicAuth, BodyError, Shared, basic_auth, header_text, is_json, json_reply, read_body,
    same_secret, with_header,
};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use base64::Engine;
use serde_json::{Map, Value, json};

pub(crate) fn error(code: StatusCode, message: &str) -> Response {
    json_reply(code, json!({ "message": message }))
}

/// A delivery that passed every check section 1 implies.
pub(crate) struct Envelope {
    pub call: CallType,
    pub event: Map<String, Value>,
    /// The decoded `X-Segment-Settings` (empty when the header is absent).
    pub settings: Map<String, Value>,
}

/// Checks method, key, body and settings header; `accepts` are the calls the partner takes.
pub(crate) async fn open(
    s: &Shared,
    partner: &str,
    accepts: &[CallType],
    parts: &Parts,
    body: Body,
) -> Result<Envelope, Response> {
    if parts.method != Method::POST {
        return Err(with_header(
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("{} is not allowed here; send POST", parts.method),
            ),
            header::ALLOW,
            "POST",
        ));
    }
    match basic_auth(&parts.headers) {
        BasicAuth::Missing => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "missing Authorization: send Basic auth with the API key as user name",
            ));
        }
        BasicAuth::Malformed => {
            return Err(error(
                StatusCode::UNAUTHORIZED,
                "Authorization is not Basic base64(\"<apiKey>:\")",
            ));
        }
        BasicAuth::Given { user, password } => {
            if !same_secret(&user, &s.credentials.api_key) || !password.is_empty() {
                return Err(error(StatusCode::UNAUTHORIZED, "invalid API key"));
            }
        }
    }
    let bytes = match read_body(body, s.body_limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return Err(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than {} bytes", s.body_limit),
            ));
        }
        Err(BodyError::Broken(e)) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("the body could not be read: {e}"),
            ));
        }
    };
    if !is_json(&parts.headers) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "Content-Type must be application/json",
        ));
    }
    let event = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(o)) => o,
        Ok(_) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "the body must be one Segment event (a JSON object)",
            ));
        }
        Err(e) => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("the body is not JSON: {e}"),
            ));
        }
    };
    let settings = settings(header_text(&parts.headers, "x-segment-settings"))
        .map_err(|e| error(StatusCode::BAD_REQUEST, &e))?;
    let call = match event.get("type") {
        Some(Value::String(t)) => CallType::parse(t)
            .ok_or_else(|| error(StatusCode::BAD_REQUEST, &format!("unknown type \"{t}\"")))?,
        _ => return Err(error(StatusCode::BAD_REQUEST, "type is required")),
    };
    if !accepts.contains(&call) {
        let names: Vec<&str> = accepts.iter().map(|c| c.as_str()).collect();
        return Err(error(
            StatusCode::NOT_IMPLEMENTED,
            &format!(
                "{partner} does not support {} calls (it takes {})",
                call.as_str(),
                names.join(", ")
            ),
        ));
    }
    if text(&event, "userId").is_none() && text(&event, "anonymousId").is_none() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "userId or anonymousId is required",
        ));
    }
    if call == CallType::Track && text(&event, "event").is_none() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "event is required in a track call",
        ));
    }
    Ok(Envelope {
        call,
        event,
        settings,
    })
}

/// Decodes `X-Segment-Settings`: base64 of a JSON object.
fn settings(header: Option<&str>) -> Result<Map<String, Value>, String> {
    let Some(encoded) = header else {
        return Ok(Map::new());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| "X-Segment-Settings is not base64".to_string())?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(o)) => Ok(o),
        _ => Err("X-Segment-Settings is not base64 of a JSON object".into()),
    }
}

/// A non-empty text value (numbers count too: Segment ids are sometimes sent as numbers).
pub(crate) fn text(obj: &Map<String, Value>, key: &str) -> Option<String> {
    match obj.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The reply of a destination that just keeps what it receives.
pub(crate) fn received(env: &Envelope) -> Response {
    json_reply(
        StatusCode::OK,
        json!({"status": "received", "type": env.call.as_str()}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_header() {
        assert_eq!(settings(None).unwrap(), Map::new());
        // base64 of {"a":1}
        assert_eq!(
            settings(Some("eyJhIjoxfQ==")).unwrap().get("a"),
            Some(&json!(1))
        );
        assert!(settings(Some("%%%")).unwrap_err().contains("not base64"));
        // base64 of [1]
        assert!(settings(Some("WzFd")).unwrap_err().contains("JSON object"));
    }
}
