//! The Webhooks destination's receiver (docs/destinations.md §6): `/webhook/in`.
//!
//! With a shared secret configured, `X-Signature` must be the hex HMAC-SHA1 of the exact body
//! bytes keyed by the secret (401 when missing or wrong). The body must be JSON, as Segment's
//! generic destination always sends. Every delivery is kept with its headers (credentials
//! masked). Replies `{"status": "received", "delivery": n}` or `{"message": ...}` on error.

use crate::json::mask::MASK;
use crate::sandbox::state::Delivery;
use crate::sandbox::{
    BodyError, SharedRef, header_text, is_json, json_reply, lock, read_body, rest_of, with_header,
};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha1::Sha1;
use std::collections::BTreeMap;

fn error(code: StatusCode, message: &str) -> Response {
    json_reply(code, json!({ "message": message }))
}

pub(super) async fn handle(State(s): State<SharedRef>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let route = rest_of(parts.uri.path(), "webhook");
    if route != "in" {
        return error(
            StatusCode::NOT_FOUND,
            &format!("nothing at /webhook/{route}; webhooks are received at /webhook/in"),
        );
    }
    if parts.method != Method::POST {
        return with_header(
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("{} is not allowed; send POST", parts.method),
            ),
            header::ALLOW,
            "POST",
        );
    }
    let bytes = match read_body(body, s.body_limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("the body is larger than {} bytes", s.body_limit),
            );
        }
        Err(BodyError::Broken(e)) => return error(StatusCode::BAD_REQUEST, &e),
    };
    let signature = match &s.credentials.webhook_secret {
        None => "not checked",
        Some(secret) => match header_text(&parts.headers, "x-signature") {
            None => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    "X-Signature is missing; this webhook has a shared secret",
                );
            }
            Some(given) if signature_matches(secret, &bytes, given) => "valid",
            Some(_) => {
                return error(
                    StatusCode::UNAUTHORIZED,
                    "X-Signature is not the HMAC-SHA1 of the body with the shared secret",
                );
            }
        },
    };
    if !is_json(&parts.headers) {
        return error(
            StatusCode::BAD_REQUEST,
            "Content-Type must be application/json",
        );
    }
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("the body is not JSON: {e}"),
            );
        }
    };
    let mut state = lock(&s.state);
    let deliveries = &mut state.webhook.deliveries;
    deliveries.push(Delivery {
        headers: kept_headers(&parts.headers),
        body,
        signature,
    });
    json_reply(
        StatusCode::OK,
        json!({"status": "received", "delivery": deliveries.len()}),
    )
}

/// The lowercase hex HMAC-SHA1 of `body` keyed by `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; there is no failing case to report.
        Err(_) => String::new(),
    }
}

/// Checks a hex signature in constant time (either case of hex digits).
fn signature_matches(secret: &str, body: &[u8], given: &str) -> bool {
    let Ok(tag) = hex::decode(given.trim()) else {
        return false;
    };
    match Hmac::<Sha1>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            mac.verify_slice(&tag).is_ok()
        }
        Err(_) => false,
    }
}

/// Header names whose values are credentials, shown masked in the state.
fn is_credential(name: &str) -> bool {
    matches!(name, "authorization" | "proxy-authorization" | "cookie")
        || ["token", "secret", "key", "password"]
            .iter()
            .any(|w| name.contains(w))
}

fn kept_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|(name, _)| !matches!(name.as_str(), "host" | "content-length"))
        .map(|(name, value)| {
            let shown = if is_credential(name.as_str()) {
                MASK.to_string()
            } else {
                String::from_utf8_lossy(value.as_bytes()).into_owned()
            };
            (name.as_str().to_string(), shown)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha1() {
        // RFC 2202 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
        assert!(signature_matches(
            "Jefe",
            b"what do ya want for nothing?",
            "EFFCDF6AE5EB2FA2D27416D5F184DF9C259A7C79"
        ));
        assert!(!signature_matches(
            "Jefe",
            b"other",
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        ));
        assert!(!signature_matches("Jefe", b"x", "not hex"));
    }
}
