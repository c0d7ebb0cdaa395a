//! Skalin (docs/destinations.md §5, §7): the server-side tracking hit at `/skalin/hit`, the
//! documented bulk form at `/skalin/hit/bulk`, and Segment's partner webhook at `/skalin/segment`.
//!
//! A hit carries its parameters in the query string. `client_id` must be the configured client
//! id (400 otherwise). `action=ui` records an identity from `identity` (`{"email", "id"}`);
//! `action=ev` records a feature for a known identity (found by id, then email, then a visitor id
//! seen in an earlier `ui`). A feature of a contact not identified yet is accepted all the same
//! and kept as `pending` until a `ui` with that id or email arrives (by its visitor id when it
//! named neither), then attached: Skalin keeps tracking sent before a contact is imported
//! (§5, revised 2026-12). A repeated `event_id` is accepted but kept once. Replies are short plain
//! text: 200 `ok`, 400 with the reason.
//!
//! `/hit/bulk` takes Skalin's documented body `{"identities": [...], "features": [...]}` with
//! `rec` and `client_id` in the query string. Each element is one hit's parameters in Skalin's
//! bulk spelling (`eventId`, `identity` as an object, `customerId`, `visitId`, `ts`, `localtime`,
//! `url`, `cip`; a feature also its `name`; `visitorId` optional): identities are applied first,
//! then features, each in order. It replies 200 `{"accepted": n, "pending": m, "refused": []}` when
//! every element was accepted (`pending`: the features among them kept for a contact not
//! identified yet), else 400 with the same body listing `{"list", "index", "message"}` of each
//! refused one (the accepted ones stay recorded). The former body, a JSON array of hits, is
//! refused with a 400 that names the documented shape.

use super::segment_webhook;
use crate::event::CallType;
use crate::sandbox::state::{SkFeature, SkIdentity, SkPending, Skalin};
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
        let result =
            read(&query, client_id, Source::Hit).map(|h| apply(&mut lock(&s.state).skalin, h));
        return match result {
            Ok(_) => (StatusCode::OK, "ok").into_response(),
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
    if let Err(msg) = client(&query, client_id) {
        return error(StatusCode::BAD_REQUEST, &msg);
    }
    let lists = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(doc)) => match bulk_lists(doc) {
            Ok(lists) => lists,
            Err(msg) => return error(StatusCode::BAD_REQUEST, &msg),
        },
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "a bulk body must be a JSON object {\"identities\": [...], \"features\": [...]}",
            );
        }
    };
    let mut state = lock(&s.state);
    let (mut accepted, mut pending) = (0, 0);
    let mut refused = Vec::new();
    for (list, items) in lists {
        for (index, item) in items.iter().enumerate() {
            let result = bulk_params(list, item, &query)
                .and_then(|p| read(&p, client_id, Source::Bulk))
                .map(|h| apply(&mut state.skalin, h));
            match result {
                Ok(applied) => {
                    accepted += 1;
                    pending += usize::from(applied == Applied::Pending);
                }
                Err(message) => refused.push(json!({
                    "list": list.key(), "index": index, "message": message
                })),
            }
        }
    }
    let code = if refused.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    json_reply(
        code,
        json!({"accepted": accepted, "pending": pending, "refused": refused}),
    )
}

/// The two lists of Skalin's bulk body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum List {
    Identities,
    Features,
}

impl List {
    fn key(self) -> &'static str {
        match self {
            List::Identities => "identities",
            List::Features => "features",
        }
    }

    /// The single hit's `action` an element of this list stands for.
    fn action(self) -> &'static str {
        match self {
            List::Identities => "ui",
            List::Features => "ev",
        }
    }
}

/// The body's lists, identities first so that a feature of a contact identified in the same
/// body is attached at once. At least one must be there; both must be arrays.
fn bulk_lists(mut doc: Map<String, Value>) -> Result<Vec<(List, Vec<Value>)>, String> {
    let mut out = Vec::new();
    for list in [List::Identities, List::Features] {
        match doc.remove(list.key()) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => out.push((list, items)),
            Some(_) => return Err(format!("{} must be an array", list.key())),
        }
    }
    if out.is_empty() {
        return Err("a bulk body needs identities or features (or both)".into());
    }
    Ok(out)
}

/// Skalin's bulk keys and the hit parameters they stand for.
const BULK_KEYS: &[(&str, &str)] = &[
    ("eventId", "event_id"),
    ("customerId", "customer_id"),
    ("visitorId", "visitor_id"),
    ("visitId", "visit_id"),
    ("ts", "ts"),
    ("localtime", "localtime"),
    ("url", "url"),
    ("cip", "cip"),
];

/// One bulk element as the parameters of the hit it stands for: `rec` and `client_id` from the
/// query string, `action` from its list, a feature's `name` as the hit's `event`. Keys Skalin's
/// bulk form does not have are ignored, as the hit ignores unknown parameters.
fn bulk_params(list: List, item: &Value, query: &Params) -> Result<Params, String> {
    let Value::Object(o) = item else {
        return Err(format!(
            "an element of {} must be a JSON object",
            list.key()
        ));
    };
    let mut p = Params::new();
    for key in ["rec", "client_id"] {
        if let Some(v) = query.get(key) {
            p.insert(key.into(), v.clone());
        }
    }
    p.insert("action".into(), list.action().into());
    for (from, to) in BULK_KEYS {
        match o.get(*from) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                p.insert((*to).into(), text.clone());
            }
            Some(Value::Number(n)) => {
                p.insert((*to).into(), n.to_string());
            }
            Some(_) => return Err(format!("{from} must be text")),
        }
    }
    match o.get("identity") {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => {
            p.insert("identity".into(), v.to_string());
        }
        Some(_) => return Err("identity must be a JSON object".into()),
    }
    if list == List::Features {
        let name = field(o, "name").ok_or("name is required: the feature's name")?;
        let event = json!({"name": name, "event_name": "feature"});
        p.insert("event".into(), event.to_string());
    }
    if p.get("visit_id").is_none_or(|v| v.trim().is_empty()) {
        return Err("missing visitId".into());
    }
    Ok(p)
}

fn required<'a>(p: &'a Params, key: &str) -> Result<&'a str, String> {
    match p.get(key).map(|v| v.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(format!("missing {key}")),
    }
}

/// `client_id` and `rec`, which every hit and every bulk request carries in its query string.
fn client(p: &Params, client_id: &str) -> Result<(), String> {
    match p.get("client_id") {
        Some(c) if c == client_id => {}
        Some(_) => return Err("bad client_id".into()),
        None => return Err("missing client_id".into()),
    }
    if required(p, "rec")? != "1" {
        return Err("rec must be 1".into());
    }
    Ok(())
}

/// Where a hit's parameters came from: a single hit needs its visitor id; a bulk element has
/// none in Skalin's form, so it is found by its identity alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Hit,
    Bulk,
}

/// One hit as the state needs it.
struct Hit {
    visitor_id: Option<String>,
    email: Option<String>,
    id: Option<String>,
    customer_id: Option<String>,
    /// For `ev`: the feature's name and event name.
    feature: Option<(String, String)>,
    params: Params,
}

/// Reads one hit's parameters, or says why Skalin refuses it.
fn read(p: &Params, client_id: &str, source: Source) -> Result<Hit, String> {
    client(p, client_id)?;
    let action = required(p, "action")?;
    let visitor_id = match source {
        Source::Hit => Some(required(p, "visitor_id")?.to_string()),
        Source::Bulk => p
            .get("visitor_id")
            .filter(|v| !v.trim().is_empty())
            .cloned(),
    };
    required(p, "visit_id")?;
    let (email, id) = identity(p)?;
    let customer_id = p
        .get("customer_id")
        .filter(|c| !c.trim().is_empty())
        .cloned();
    let anonymous = email.is_none() && id.is_none();
    let feature = match action {
        "ui" if anonymous => {
            return Err("missing identity: a ui hit needs an email or an id".into());
        }
        "ui" => None,
        "ev" => {
            let feature = event(p)?;
            if anonymous && visitor_id.is_none() {
                return Err("missing identity: a feature needs an email or an id".into());
            }
            Some(feature)
        }
        other => return Err(format!("unknown action \"{other}\" (use ui or ev)")),
    };
    Ok(Hit {
        visitor_id,
        email,
        id,
        customer_id,
        feature,
        params: p.clone(),
    })
}

/// What a hit did to the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Applied {
    Identity,
    Feature,
    /// A feature kept for a contact not identified yet.
    Pending,
    /// A feature whose `event_id` was already recorded: accepted, kept once.
    Duplicate,
}

/// Applies one hit to the state.
fn apply(sk: &mut Skalin, h: Hit) -> Applied {
    let Some((name, event_name)) = h.feature else {
        identify(sk, h.email, h.id, h.customer_id, h.visitor_id);
        return Applied::Identity;
    };
    let event_id = h.params.get("event_id").filter(|e| !e.is_empty());
    let seen = event_id.is_some_and(|e| {
        sk.features
            .iter()
            .any(|f| f.params.get("event_id") == Some(e))
            || sk
                .pending
                .iter()
                .any(|f| f.params.get("event_id") == Some(e))
    });
    if seen {
        sk.duplicates += 1;
        return Applied::Duplicate;
    }
    match find(sk, &h.email, &h.id, h.visitor_id.as_ref()) {
        Some(at) => {
            sk.features.push(SkFeature {
                identity: at,
                name,
                event_name,
                params: h.params,
            });
            Applied::Feature
        }
        None => {
            sk.pending.push(SkPending {
                email: h.email,
                id: h.id,
                visitor_id: h.visitor_id,
                name,
                event_name,
                params: h.params,
            });
            Applied::Pending
        }
    }
}

/// Records or completes an identity, then attaches the pending features that waited for it.
fn identify(
    sk: &mut Skalin,
    email: Option<String>,
    id: Option<String>,
    customer_id: Option<String>,
    visitor_id: Option<String>,
) {
    let at = match find(sk, &email, &id, None) {
        Some(i) => i,
        None => {
            sk.identities.push(SkIdentity::default());
            sk.identities.len() - 1
        }
    };
    let Some(who) = sk.identities.get_mut(at) else {
        return;
    };
    who.email = email.or(who.email.take());
    who.id = id.or(who.id.take());
    who.customer_id = customer_id.or(who.customer_id.take());
    if let Some(v) = visitor_id
        && !who.visitor_ids.contains(&v)
    {
        who.visitor_ids.push(v);
    }
    let who = who.clone();
    let (ready, waiting): (Vec<SkPending>, Vec<SkPending>) = std::mem::take(&mut sk.pending)
        .into_iter()
        .partition(|p| waits_for(p, &who));
    sk.pending = waiting;
    sk.features.extend(ready.into_iter().map(|p| SkFeature {
        identity: at,
        name: p.name,
        event_name: p.event_name,
        params: p.params,
    }));
}

/// Whether a pending feature belongs to this identity: by the id or the email it named (the
/// email without regard to case), or by its visitor id when it named neither.
fn waits_for(p: &SkPending, who: &SkIdentity) -> bool {
    let by_id = p.id.is_some() && p.id == who.id;
    let by_email =
        matches!((&p.email, &who.email), (Some(a), Some(b)) if a.eq_ignore_ascii_case(b));
    let by_visitor = p.id.is_none()
        && p.email.is_none()
        && p.visitor_id
            .as_ref()
            .is_some_and(|v| who.visitor_ids.contains(v));
    by_id || by_email || by_visitor
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

    fn with(action: &str, extra: &[(&str, &str)]) -> Params {
        let mut p = params(&[
            ("rec", "1"),
            ("client_id", "c"),
            ("action", action),
            ("visitor_id", "v1"),
            ("visit_id", "s1"),
        ]);
        p.extend(params(extra));
        p
    }

    fn hit(sk: &mut Skalin, client_id: &str, p: &Params) -> Result<Applied, String> {
        read(p, client_id, Source::Hit).map(|h| apply(sk, h))
    }

    #[test]
    fn a_feature_of_an_unknown_contact_waits_for_its_identify() {
        let mut sk = Skalin::default();
        let ev = with(
            "ev",
            &[
                ("identity", r#"{"id":"u1"}"#),
                ("event", r#"{"name":"Export"}"#),
            ],
        );
        assert_eq!(hit(&mut sk, "c", &ev), Ok(Applied::Pending));
        assert_eq!((sk.features.len(), sk.pending.len()), (0, 1));
        let ui = with("ui", &[("identity", r#"{"email":"a@x.io","id":"u1"}"#)]);
        assert_eq!(hit(&mut sk, "c", &ui), Ok(Applied::Identity));
        assert_eq!((sk.features.len(), sk.pending.len()), (1, 0));
        assert_eq!(sk.features.first().map(|f| f.identity), Some(0));
        assert_eq!(hit(&mut sk, "c", &ev), Ok(Applied::Feature));
        assert_eq!(sk.features.len(), 2);
        assert_eq!(sk.features.first().map(|f| f.name.as_str()), Some("Export"));
        assert_eq!(hit(&mut sk, "wrong", &ev), Err("bad client_id".into()));
    }

    #[test]
    fn pending_features_attach_by_id_or_email_and_wait_otherwise() {
        let mut sk = Skalin::default();
        let by_email = with(
            "ev",
            &[
                ("visitor_id", "v2"),
                ("identity", r#"{"email":"Ann@X.io"}"#),
                ("event", r#"{"name":"A"}"#),
            ],
        );
        let other = with(
            "ev",
            &[
                ("visitor_id", "v3"),
                ("identity", r#"{"id":"u9"}"#),
                ("event", r#"{"name":"B"}"#),
            ],
        );
        let anonymous = with("ev", &[("visitor_id", "v4"), ("event", r#"{"name":"C"}"#)]);
        for p in [&by_email, &other, &anonymous] {
            assert_eq!(hit(&mut sk, "c", p), Ok(Applied::Pending));
        }
        // Identified by email (another case) and another visitor: only the first attaches.
        let ui = with(
            "ui",
            &[
                ("visitor_id", "v5"),
                ("identity", r#"{"email":"ann@x.io"}"#),
            ],
        );
        hit(&mut sk, "c", &ui).unwrap();
        let names = |fs: &[SkFeature]| fs.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&sk.features), ["A"]);
        assert_eq!(sk.pending.len(), 2);
        // A hit that named nobody waits for an identify from its visitor.
        let ui = with(
            "ui",
            &[("visitor_id", "v4"), ("identity", r#"{"id":"u4"}"#)],
        );
        hit(&mut sk, "c", &ui).unwrap();
        assert_eq!(names(&sk.features), ["A", "C"]);
        assert_eq!(sk.features.get(1).map(|f| f.identity), Some(1));
        assert_eq!(sk.pending.first().and_then(|p| p.id.as_deref()), Some("u9"));
    }

    #[test]
    fn a_repeated_event_id_is_kept_once() {
        let mut sk = Skalin::default();
        let ev = with(
            "ev",
            &[
                ("identity", r#"{"email":"A@x.io"}"#),
                ("event", r#"{"name":"Export"}"#),
                ("event_id", "e1"),
            ],
        );
        assert_eq!(hit(&mut sk, "c", &ev), Ok(Applied::Pending));
        assert_eq!(hit(&mut sk, "c", &ev), Ok(Applied::Duplicate));
        let ui = with("ui", &[("identity", r#"{"email":"a@x.io"}"#)]);
        hit(&mut sk, "c", &ui).unwrap();
        assert_eq!(hit(&mut sk, "c", &ev), Ok(Applied::Duplicate));
        assert_eq!(
            (sk.features.len(), sk.pending.len(), sk.duplicates),
            (1, 0, 2)
        );
    }

    #[test]
    fn a_bulk_element_is_the_hit_it_stands_for() {
        let query = params(&[("rec", "1"), ("client_id", "c")]);
        let feature = json!({"eventId": "e1", "name": "Export", "identity": {"id": "u1"},
            "customerId": "acc", "visitId": "s1", "ts": "2026-05-05T08:02:11", "cip": "10.0.0.1",
            "shoe": "ignored"});
        let p = bulk_params(List::Features, &feature, &query).unwrap();
        assert_eq!(
            p,
            params(&[
                ("rec", "1"),
                ("client_id", "c"),
                ("action", "ev"),
                ("event_id", "e1"),
                ("customer_id", "acc"),
                ("visit_id", "s1"),
                ("ts", "2026-05-05T08:02:11"),
                ("cip", "10.0.0.1"),
                ("identity", r#"{"id":"u1"}"#),
                ("event", r#"{"name":"Export","event_name":"feature"}"#),
            ])
        );
        let h = read(&p, "c", Source::Bulk).unwrap();
        assert_eq!((h.id.as_deref(), h.visitor_id), (Some("u1"), None));
        let refusals = [
            (
                List::Features,
                json!({"visitId": "s1", "identity": {"id": "u1"}}),
                "name is required: the feature's name",
            ),
            (
                List::Identities,
                json!({"identity": {"id": "u1"}}),
                "missing visitId",
            ),
            (
                List::Identities,
                json!({"visitId": "s1", "identity": "u1"}),
                "identity must be a JSON object",
            ),
            (
                List::Identities,
                json!({"visitId": ["s1"]}),
                "visitId must be text",
            ),
            (
                List::Identities,
                json!("u1"),
                "an element of identities must be a JSON object",
            ),
        ];
        for (list, item, message) in refusals {
            assert_eq!(
                bulk_params(list, &item, &query),
                Err(message.into()),
                "{item}"
            );
        }
        let nobody = bulk_params(
            List::Features,
            &json!({"visitId": "s1", "name": "A"}),
            &query,
        )
        .and_then(|p| read(&p, "c", Source::Bulk).map(|_| ()));
        assert_eq!(
            nobody,
            Err("missing identity: a feature needs an email or an id".into())
        );
    }
}
