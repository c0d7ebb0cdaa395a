//! Salesmachine's tracking API (docs/destinations.md §2), imitated under `/salesmachine/v1/...`.
//!
//! Checks, in the order a client meets them: unknown URL 404, wrong method 405, missing API
//! token 400, wrong token or secret 401, rate limit 429 (when switched on), not JSON 406, body too
//! large 413, missing or ill-typed fields 400. Errors are `{"code": short, "error": short,
//! "message": sentence}`: salesmachine-python reads `code` and `message`, salesmachine-ruby reads
//! `error`. Success is `{"status": "success"}`: 201 when a contact or account is created, 200
//! otherwise (the contract lists both as success, so clients meet both).
//!
//! The API token comes as the Basic auth user name (with the API secret as password) or as the
//! `api_token` query parameter (the token alone, as in Salesmachine's curl examples). Every
//! credential a request carries is checked (docs/destinations.md §7): a wrong one gives 401 even
//! when another is right, an Authorization header that is not Basic auth with a user name gives
//! 400, an empty `api_token=` counts as absent.
//!
//! `/v1/batch` takes what Salesmachine's own client libraries send there: a JSON array of items,
//! each the body of a single call plus `"method"`: `contact`, `account`, `event` (`track` is read
//! as `event` too) or `alias`. A pageview is an `event` item with `event_uid: "pageview"`. An
//! event item may name its event `event` (salesmachine-ruby 1.x) instead of `event_uid`; with
//! both, `event_uid` is read. Every item is checked before any is applied; one bad item refuses
//! the whole batch with 400 naming its index. A batch replies 200.

use crate::event::time::parse_iso8601;
use crate::sandbox::state::{SmAlias, SmEvent, SmRecord};
use crate::sandbox::{
    BasicAuth, BodyError, Shared, SharedRef, basic_auth, is_json, json_reply, lock, read_body,
    rest_of, same_secret, with_header,
};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::time::Instant;

/// Salesmachine's error body: the short code twice (`code` for salesmachine-python, `error` for
/// salesmachine-ruby) and a sentence (docs/destinations.md §2).
pub(crate) fn error(code: StatusCode, short: &str, message: &str) -> Response {
    json_reply(
        code,
        json!({"code": short, "error": short, "message": message}),
    )
}

fn success(code: StatusCode) -> Response {
    json_reply(code, json!({"status": "success"}))
}

#[derive(Clone, Copy, PartialEq)]
enum Endpoint {
    Contact,
    Account,
    Event,
    Alias,
    Batch,
    Ping,
}

pub(super) async fn handle(State(s): State<SharedRef>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let route = rest_of(parts.uri.path(), "salesmachine");
    let endpoint = match route {
        "v1/contact" => Endpoint::Contact,
        "v1/account" => Endpoint::Account,
        "v1/track/event" => Endpoint::Event,
        "v1/alias" => Endpoint::Alias,
        "v1/batch" => Endpoint::Batch,
        "v1/ping" => Endpoint::Ping,
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                &format!("There is no endpoint at /{route}"),
            );
        }
    };
    let allowed =
        parts.method == Method::POST || (endpoint == Endpoint::Ping && parts.method == Method::GET);
    if !allowed {
        let allow = if endpoint == Endpoint::Ping {
            "GET, POST"
        } else {
            "POST"
        };
        return with_header(
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                &format!("{} is not allowed on /{route}; use {allow}", parts.method),
            ),
            header::ALLOW,
            allow,
        );
    }
    let token = match authenticate(&s, &parts) {
        Ok(token) => token,
        Err(refused) => return refused.reply(),
    };
    let limited = lock(&s.faults).rate_limited(&token, Instant::now());
    if let Some(wait) = limited {
        return with_header(
            error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                &format!(
                    "More than 900 requests in 300 seconds for this API token; retry after \
                     {wait} seconds"
                ),
            ),
            header::RETRY_AFTER,
            &wait.to_string(),
        );
    }
    if endpoint == Endpoint::Ping {
        return success(StatusCode::OK);
    }
    if !is_json(&parts.headers) {
        return error(
            StatusCode::NOT_ACCEPTABLE,
            "not_json",
            "The request must be JSON with Content-Type: application/json",
        );
    }
    let bytes = match read_body(body, s.body_limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                &format!("The body is larger than {} bytes", s.body_limit),
            );
        }
        Err(BodyError::Broken(e)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &format!("The body could not be read: {e}"),
            );
        }
    };
    let doc: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::NOT_ACCEPTABLE,
                "not_json",
                &format!("The body is not JSON: {e}"),
            );
        }
    };
    let items = match endpoint {
        Endpoint::Batch => match batch(&doc) {
            Ok(items) => items,
            Err(msg) => return error(StatusCode::BAD_REQUEST, "invalid_batch", &msg),
        },
        single => match item(single, &doc, false) {
            Ok(i) => vec![i],
            Err((short, msg)) => return error(StatusCode::BAD_REQUEST, short, &msg),
        },
    };
    let mut state = lock(&s.state);
    let mut created = false;
    for i in items {
        created |= apply(&mut state.salesmachine, i);
    }
    if created && endpoint != Endpoint::Batch {
        success(StatusCode::CREATED)
    } else {
        success(StatusCode::OK)
    }
}

/// Why a request is not authenticated: its status, short code and sentence.
enum Refused {
    /// 400 `missing_api_key`, with why.
    Missing(&'static str),
    /// 401 `invalid_api_key`, with what is wrong.
    Wrong(&'static str),
}

impl Refused {
    fn reply(self) -> Response {
        match self {
            Refused::Missing(why) => error(
                StatusCode::BAD_REQUEST,
                "missing_api_key",
                &format!("The API token is missing: {why}"),
            ),
            Refused::Wrong(what) => error(StatusCode::UNAUTHORIZED, "invalid_api_key", what),
        }
    }
}

/// The API token a request authenticates with (docs/destinations.md §7): Basic auth (token as
/// user name, secret as password) or the `api_token` query parameter (the token alone). Every
/// credential given is checked; none at all gives 400.
fn authenticate(s: &Shared, parts: &Parts) -> Result<String, Refused> {
    let basic = match basic_auth(&parts.headers) {
        BasicAuth::Missing => None,
        BasicAuth::Malformed => {
            return Err(Refused::Missing(
                "the Authorization header is not Basic auth; send the API token as user name \
                 and the API secret as password, or the api_token query parameter",
            ));
        }
        BasicAuth::Given { user, .. } if user.is_empty() => {
            return Err(Refused::Missing("the Basic auth user name is empty"));
        }
        BasicAuth::Given { user, password } => {
            if !same_secret(&user, &s.credentials.api_key)
                || !same_secret(&password, &s.credentials.api_secret)
            {
                return Err(Refused::Wrong("The API token or API secret is wrong"));
            }
            Some(user)
        }
    };
    let query: Vec<String> =
        url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .filter(|(k, v)| k == "api_token" && !v.is_empty())
            .map(|(_, v)| v.into_owned())
            .collect();
    if query
        .iter()
        .any(|t| !same_secret(t, &s.credentials.api_key))
    {
        return Err(Refused::Wrong("The API token in api_token is wrong"));
    }
    basic
        .or_else(|| query.into_iter().next())
        .ok_or(Refused::Missing(
            "send Basic auth with the API token as user name and the API secret as password, or \
         the api_token query parameter",
        ))
}

enum Item {
    Contact(String, Map<String, Value>, Option<Value>),
    Account(String, Map<String, Value>, Option<Value>),
    Event(SmEvent),
    Alias(SmAlias),
}

type ItemError = (&'static str, String);

/// One call's body; `in_batch` for a `/v1/batch` item, where salesmachine-ruby's `event` is read
/// when `event_uid` is absent.
fn item(endpoint: Endpoint, doc: &Value, in_batch: bool) -> Result<Item, ItemError> {
    let Value::Object(o) = doc else {
        return Err(("invalid_body", "The body must be a JSON object".into()));
    };
    let params = params(o)?;
    let created_at = created_at(o)?;
    Ok(match endpoint {
        Endpoint::Contact => Item::Contact(uid(o, "contact_uid")?, params, created_at),
        Endpoint::Account => Item::Account(uid(o, "account_uid")?, params, created_at),
        Endpoint::Event => Item::Event(SmEvent {
            contact_uid: uid(o, "contact_uid")?,
            event_uid: uid(o, event_key(o, in_batch))?,
            params,
            created_at,
        }),
        Endpoint::Alias => {
            let contact_uid = uid(o, "contact_uid")?;
            let previous_contact_uid = uid(o, "previous_contact_uid")?;
            if contact_uid == previous_contact_uid {
                return Err((
                    "invalid_field",
                    "previous_contact_uid must differ from contact_uid".into(),
                ));
            }
            Item::Alias(SmAlias {
                contact_uid,
                previous_contact_uid,
            })
        }
        Endpoint::Batch | Endpoint::Ping => {
            unreachable!("batch and ping bodies are not single items")
        }
    })
}

fn batch(doc: &Value) -> Result<Vec<Item>, String> {
    let Value::Array(items) = doc else {
        return Err("A batch must be a JSON array of items, each with a method".into());
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let endpoint = match v.get("method").and_then(Value::as_str) {
                Some("contact") => Endpoint::Contact,
                Some("account") => Endpoint::Account,
                Some("event" | "track") => Endpoint::Event,
                Some("alias") => Endpoint::Alias,
                Some(other) => {
                    return Err(format!(
                        "Item {i}: method \"{other}\" is not contact, account, event or alias"
                    ));
                }
                None => return Err(format!("Item {i}: method is required")),
            };
            item(endpoint, v, true).map_err(|(_, msg)| format!("Item {i}: {msg}"))
        })
        .collect()
}

/// Where an event item names its event: `event_uid`, or salesmachine-ruby 1.x's `event` in a
/// batch item without `event_uid` (docs/destinations.md §2).
fn event_key(o: &Map<String, Value>, in_batch: bool) -> &'static str {
    let given = |k: &str| o.get(k).is_some_and(|v| !v.is_null());
    if in_batch && !given("event_uid") && given("event") {
        "event"
    } else {
        "event_uid"
    }
}

/// An identifier: non-empty text, or a number (Salesmachine's clients accept both).
fn uid(o: &Map<String, Value>, key: &str) -> Result<String, ItemError> {
    match o.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        None | Some(Value::Null) => Err(("missing_field", format!("{key} is required"))),
        Some(Value::String(_)) => Err(("missing_field", format!("{key} must not be empty"))),
        Some(_) => Err(("invalid_field", format!("{key} must be text"))),
    }
}

fn params(o: &Map<String, Value>) -> Result<Map<String, Value>, ItemError> {
    match o.get("params") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(p)) => Ok(p.clone()),
        Some(_) => Err(("invalid_field", "params must be a JSON object".into())),
    }
}

fn created_at(o: &Map<String, Value>) -> Result<Option<Value>, ItemError> {
    match o.get("created_at") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(Value::Number(n.clone()))),
        Some(Value::String(t)) if parse_iso8601(t).is_ok() => Ok(Some(Value::String(t.clone()))),
        Some(_) => Err((
            "invalid_field",
            "created_at must be an ISO-8601 timestamp or a Unix time".into(),
        )),
    }
}

/// Applies one item; true when it created a contact or an account.
fn apply(sm: &mut crate::sandbox::state::Salesmachine, item: Item) -> bool {
    match item {
        Item::Contact(uid, params, created_at) => upsert(&mut sm.contacts, uid, params, created_at),
        Item::Account(uid, params, created_at) => upsert(&mut sm.accounts, uid, params, created_at),
        Item::Event(e) => {
            sm.events.push(e);
            false
        }
        Item::Alias(a) => {
            // The previous contact merges into the new one: its params fill the gaps and its
            // events move over.
            if let Some(old) = sm.contacts.remove(&a.previous_contact_uid) {
                let target = sm.contacts.entry(a.contact_uid.clone()).or_default();
                for (k, v) in old.params {
                    target.params.entry(k).or_insert(v);
                }
                if target.created_at.is_none() {
                    target.created_at = old.created_at;
                }
            }
            for e in sm
                .events
                .iter_mut()
                .filter(|e| e.contact_uid == a.previous_contact_uid)
            {
                e.contact_uid = a.contact_uid.clone();
            }
            sm.aliases.push(a);
            false
        }
    }
}

fn upsert(
    records: &mut std::collections::BTreeMap<String, SmRecord>,
    uid: String,
    params: Map<String, Value>,
    created_at: Option<Value>,
) -> bool {
    let created = !records.contains_key(&uid);
    let record = records.entry(uid).or_default();
    record.params.extend(params);
    if record.created_at.is_none() {
        record.created_at = created_at;
    }
    created
}
