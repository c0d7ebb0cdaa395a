//! Skalin (docs/destinations.md §5): the server-side tracking hit at `/skalin/hit`, a bulk form
//! at `/skalin/hit/bulk`, and Segment's partner webhook at `/skalin/segment`.
//!
//! A hit carries its parameters in the query string. `client_id` must be the configured client
//! id (400 otherwise). `action=ui` records an identity from `identity` (`{"email", "id"}`);
//! `action=ev` records a feature for a known identity (found by id, then email, then a visitor id
//! seen in an earlier `ui`), and an unknown one is refused with 400 `unknown contact`, since
//! Skalin records events only for contacts it knows. A repeated `event_id` is accepted but kept
//! once. Replies are short plain text: 200 `ok`, 400 with the reason.
//!
//! `/hit/bulk` is not documented; the sandbox takes a JSON array of objects, each the
//! parameters of one hit (values as text, or `identity`/`event` as JSON objects), applied in order
//! (`client_id` may come once in the query string). It replies 200 `{"accepted": n, "refused": []}`
//! when every hit was accepted, else 400 with the same body listing `{"index", "message"}` of each
//! refused one (the accepted ones stay recorded).

use super::segment_webhook;
use crate::event::CallType;
use crate::sandbox::state::{SkFeature, SkIdentity, Skalin};
use crate::sandbox::{BodyError, SharedRef, json_reply, lock, read_body, rest_of, with_header};
use axum::extract::{Query, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub(crate) fn error(code: StatusCode, message: &str) -> Response {
    (code, message.to_string()).into_response()
}

type Params = BTreeMap<String, String>;

pub(super) async fn handle(State(s): State<SharedRef>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let route = rest_of(parts.uri.path(), "skalin").to_string();
    if route == "segment" {
        let accepts = [
            CallType::Identify,
            CallType::Track,
            CallType::Page,
            CallType::Screen,
        ];
        return match segment_webhook::open(&s, "Skalin", &accepts, &parts, body).await {
            Ok(env) => {
                let reply = segment_webhook::received(&env);
                lock(&s.state).skalin.segment.push(Value::Object(env.event));
                reply
            }
            Err(reply) => reply,
        };
    }
    if route != "hit" && route != "hit/bulk" {
        return error(
            StatusCode::NOT_FOUND,
            &format!("not found: /skalin/{route}"),
        );
    }
    if parts.method != Method::POST {
        return with_header(
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("{} is not allowed; use POST", parts.method),
            ),
            header::ALLOW,
            "POST",
        );
    }
    let query = match Query::<Params>::try_from_uri(&parts.uri) {
        Ok(Query(q)) => q,
        Err(_) => return error(StatusCode::BAD_REQUEST, "the query string cannot be read"),
    };
    let client_id = s.credentials.client_id.as_str();
    if route == "hit" {
        // The hit has no body; any sent is ignored, as the tracker ignores it.
        return match hit(&mut lock(&s.state).skalin, client_id, &query) {
            Ok(()) => (StatusCode::OK, "ok").into_response(),
            Err(msg) => error(StatusCode::BAD_REQUEST, &msg),
        };
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
    let items = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Array(items)) => items,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "a bulk body must be a JSON array of hits",
            );
        }
    };
    let mut state = lock(&s.state);
    let mut accepted = 0;
    let mut refused = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let result = bulk_params(item, &query).and_then(|p| hit(&mut state.skalin, client_id, &p));
        match result {
            Ok(()) => accepted += 1,
            Err(message) => refused.push(json!({"index": index, "message": message})),
        }
    }
    let code = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    json_reply(code, json!({"accepted": accepted, "refused": refused}))
}

/// One bulk item as hit parameters; the query string supplies what the item lacks.
fn bulk_params(item: &Value, query: &Params) -> Result<Params, String> {
    let Value::Object(o) = item else {
        return Err("a hit must be a JSON object of parameters".into());
    };
    let mut params = query.clone();
    for (k, v) in o {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Null => continue,
            other => other.to_string(),
        };
        params.insert(k.clone(), text);
    }
    Ok(params)
}

fn required<'a>(p: &'a Params, key: &str) -> Result<&'a str, String> {
    match p.get(key).map(|v| v.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("missing {key}")),
    }
}

/// Applies one hit to the state, or says why Skalin refuses it.
fn hit(sk: &mut Skalin, client_id: &str, p: &Params) -> Result<(), String> {
    match p.get("client_id") {
        Some(c) if c == client_id => {}
        Some(_) => return Err("bad client_id".into()),
        None => return Err("missing client_id".into()),
    }
    if required(p, "rec")? != "1" {
        return Err("rec must be 1".into());
    }
    let action = required(p, "action")?;
    let visitor_id = required(p, "visitor_id")?.to_string();
    required(p, "visit_id")?;
    let identity = identity(p)?;
    let customer_id = p
        .get("customer_id")
        .filter(|c| !c.trim().is_empty())
        .cloned();
    match action {
        "ui" => {
            let (email, id) = identity;
            if email.is_none() && id.is_none() {
                return Err("missing identity: a ui hit needs an email or an id".into());
            }
            let at = find(sk, &email, &id, None);
            let entry = match at {
                Some(i) => sk.identities.get_mut(i),
                None => {
                    sk.identities.push(SkIdentity::default());
                    sk.identities.last_mut()
                }
            };
            if let Some(who) = entry {
                who.email = email.or(who.email.take());
                who.id = id.or(who.id.take());
                who.customer_id = customer_id.or(who.customer_id.take());
                if !who.visitor_ids.contains(&visitor_id) {
                    who.visitor_ids.push(visitor_id);
                }
            }
            Ok(())
        }
        "ev" => {
            let (name, event_name) = event(p)?;
            let (email, id) = identity;
            let Some(at) = find(sk, &email, &id, Some(&visitor_id)) else {
                return Err("unknown contact".into());
            };
            let event_id = p.get("event_id").filter(|e| !e.is_empty());
            let seen = event_id.is_some_and(|e| {
                sk.features
                    .iter()
                    .any(|f| f.params.get("event_id") == Some(e))
            });
            if seen {
                sk.duplicates += 1;
            } else {
                sk.features.push(SkFeature {
                    identity: at,
                    name,
                    event_name,
                    params: p.clone(),
                });
            }
            Ok(())
        }
        other => Err(format!("unknown action \"{other}\" (use ui or ev)")),
    }
}

/// `identity`: JSON `{"email": ..., "id": ...}`, both optional.
fn identity(p: &Params) -> Result<(Option<String>, Option<String>), String> {
    let Some(raw) = p.get("identity") else {
        return Ok((None, None));
    };
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(raw) else {
        return Err("identity must be a JSON object".into());
    };
    Ok((field(&o, "email"), field(&o, "id")))
}

fn field(o: &Map<String, Value>, key: &str) -> Option<String> {
    match o.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// `event`: JSON `{"name": <feature>, "event_name": ...}` with a name.
fn event(p: &Params) -> Result<(String, String), String> {
    let raw = required(p, "event")?;
    let Ok(Value::Object(o)) = serde_json::from_str::<Value>(raw) else {
        return Err("event must be a JSON object".into());
    };
    let name = field(&o, "name").ok_or("event.name is required")?;
    let event_name = field(&o, "event_name").unwrap_or_else(|| "feature".into());
    Ok((name, event_name))
}

/// The identity an id, an email (without regard to case) or a known visitor id points to.
fn find(
    sk: &Skalin,
    email: &Option<String>,
    id: &Option<String>,
    visitor: Option<&String>,
) -> Option<usize> {
    let ids = sk.identities.iter();
    id.as_ref()
        .and_then(|id| sk.identities.iter().position(|w| w.id.as_ref() == Some(id)))
        .or_else(|| {
            email.as_ref().and_then(|e| {
                ids.clone().position(|w| {
                    w.email
                        .as_deref()
                        .is_some_and(|we| we.eq_ignore_ascii_case(e))
                })
            })
        })
        .or_else(|| visitor.and_then(|v| ids.clone().position(|w| w.visitor_ids.contains(v))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn base(action: &str) -> Vec<(&'static str, String)> {
        vec![
            ("rec", "1".into()),
            ("client_id", "c".into()),
            ("action", action.into()),
            ("visitor_id", "v1".into()),
            ("visit_id", "s1".into()),
        ]
    }

    fn with(action: &str, extra: &[(&str, &str)]) -> Params {
        let mut p: Params = base(action)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        p.extend(params(extra));
        p
    }

    #[test]
    fn events_need_a_known_contact() {
        let mut sk = Skalin::default();
        let ev = with(
            "ev",
            &[
                ("identity", r#"{"id":"u1"}"#),
                ("event", r#"{"name":"Export"}"#),
            ],
        );
        assert_eq!(hit(&mut sk, "c", &ev), Err("unknown contact".into()));
        let ui = with("ui", &[("identity", r#"{"email":"a@x.io","id":"u1"}"#)]);
        assert_eq!(hit(&mut sk, "c", &ui), Ok(()));
        assert_eq!(hit(&mut sk, "c", &ev), Ok(()));
        assert_eq!(sk.features.len(), 1);
        assert_eq!(sk.features.first().map(|f| f.name.as_str()), Some("Export"));
        assert_eq!(hit(&mut sk, "wrong", &ev), Err("bad client_id".into()));
    }

    #[test]
    fn a_repeated_event_id_is_kept_once() {
        let mut sk = Skalin::default();
        let ui = with("ui", &[("identity", r#"{"email":"a@x.io"}"#)]);
        hit(&mut sk, "c", &ui).unwrap();
        let ev = with(
            "ev",
            &[
                ("identity", r#"{"email":"A@x.io"}"#),
                ("event", r#"{"name":"Export"}"#),
                ("event_id", "e1"),
            ],
        );
        hit(&mut sk, "c", &ev).unwrap();
        hit(&mut sk, "c", &ev).unwrap();
        assert_eq!((sk.features.len(), sk.duplicates), (1, 1));
    }
}
