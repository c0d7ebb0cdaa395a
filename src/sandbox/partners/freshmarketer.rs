//! Freshmarketer (docs/destinations.md §4): the Freshworks CRM upserts under
//! `/freshmarketer/crm/sales/api/...`, and Segment's partner webhook at `/freshmarketer/segment`.
//!
//! Upserts find the record by `unique_identifier` (contacts by email, without regard to case;
//! sales accounts by name), create it (201) or replace it (200). As Freshworks documents, a field
//! an update leaves out is blanked: every standard field not sent becomes null, and
//! `custom_field` becomes exactly what was sent. Values are single: a standard field or a custom
//! field holding an object or an array is refused, as Freshworks' typed fields are. Errors are
//! `{"errors": {"code": <int>, "message": [<sentences>]}}`: 401 bad token, 400 invalid field
//! (every problem listed), 404 unknown path, 405 wrong method, 413 too large.

use super::segment_webhook;
use crate::event::CallType;
use crate::sandbox::{
    BodyError, SharedRef, header_text, is_json, json_reply, lock, read_body, rest_of, same_secret,
    with_header,
};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value, json};

const CONTACT_FIELDS: &[&str] = &[
    "emails",
    "first_name",
    "last_name",
    "work_number",
    "mobile_number",
    "job_title",
    "address",
    "city",
    "state",
    "zipcode",
    "country",
    "external_id",
];

const ACCOUNT_FIELDS: &[&str] = &[
    "name",
    "website",
    "phone",
    "address",
    "city",
    "state",
    "zipcode",
    "country",
    "number_of_employees",
    "industry_type_id",
];

/// Fields that take a whole number: a count, and the id of an entry in the account's own
/// industry list (Freshworks' industry field is that id, not a text).
const WHOLE_NUMBERS: &[&str] = &["number_of_employees", "industry_type_id"];

pub(crate) fn error(code: StatusCode, messages: &[&str]) -> Response {
    json_reply(
        code,
        json!({"errors": {"code": code.as_u16(), "message": messages}}),
    )
}

#[derive(Clone, Copy)]
enum Kind {
    Contact,
    SalesAccount,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Contact => "contact",
            Kind::SalesAccount => "sales_account",
        }
    }

    fn identifier(self) -> &'static str {
        match self {
            Kind::Contact => "emails",
            Kind::SalesAccount => "name",
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Contact => CONTACT_FIELDS,
            Kind::SalesAccount => ACCOUNT_FIELDS,
        }
    }
}

pub(super) async fn handle(State(s): State<SharedRef>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let route = rest_of(parts.uri.path(), "freshmarketer");
    let kind = match route {
        "crm/sales/api/contacts/upsert" => Kind::Contact,
        "crm/sales/api/sales_accounts/upsert" => Kind::SalesAccount,
        "segment" => {
            let accepts = [
                CallType::Identify,
                CallType::Track,
                CallType::Page,
                CallType::Group,
                CallType::Alias,
            ];
            return match segment_webhook::open(&s, "Freshmarketer", &accepts, &parts, body).await {
                Ok(env) => {
                    let reply = segment_webhook::received(&env);
                    lock(&s.state)
                        .freshmarketer
                        .segment
                        .push(Value::Object(env.event));
                    reply
                }
                Err(reply) => reply,
            };
        }
        _ => {
            return error(
                StatusCode::NOT_FOUND,
                &[&format!("There is no API at /{route}")],
            );
        }
    };
    if parts.method != Method::POST {
        return with_header(
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                &[&format!("{} is not allowed here; use POST", parts.method)],
            ),
            header::ALLOW,
            "POST",
        );
    }
    let token = header_text(&parts.headers, "authorization")
        .and_then(|v| v.trim().strip_prefix("Token"))
        .and_then(|v| v.trim_start().strip_prefix("token="))
        .map(str::trim);
    match token {
        Some(t) if same_secret(t, &s.credentials.api_key) => {}
        Some(_) => {
            return error(StatusCode::UNAUTHORIZED, &["Incorrect or expired API key"]);
        }
        None => {
            return error(
                StatusCode::UNAUTHORIZED,
                &["Authorization must be: Token token=<API key>"],
            );
        }
    }
    let bytes = match read_body(body, s.body_limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &[&format!("The body is larger than {} bytes", s.body_limit)],
            );
        }
        Err(BodyError::Broken(e)) => {
            return error(
                StatusCode::BAD_REQUEST,
                &[&format!("The body could not be read: {e}")],
            );
        }
    };
    if !is_json(&parts.headers) {
        return error(
            StatusCode::BAD_REQUEST,
            &["Content-Type must be application/json"],
        );
    }
    let doc = match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(o)) => o,
        Ok(_) => return error(StatusCode::BAD_REQUEST, &["The body must be a JSON object"]),
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &[&format!("The body is not JSON: {e}")],
            );
        }
    };
    let (unique, record) = match check(kind, &doc) {
        Ok(ok) => ok,
        Err(problems) => {
            let refs: Vec<&str> = problems.iter().map(String::as_str).collect();
            return error(StatusCode::BAD_REQUEST, &refs);
        }
    };
    let mut state = lock(&s.state);
    let fm = &mut state.freshmarketer;
    let records = match kind {
        Kind::Contact => &mut fm.contacts,
        Kind::SalesAccount => &mut fm.sales_accounts,
    };
    let (stored, code) = upsert(records, kind, &unique, record);
    json_reply(code, json!({ kind.key(): stored }))
}

/// Checks the body; returns the identifying value and the record's fields, or every problem.
fn check(
    kind: Kind,
    doc: &Map<String, Value>,
) -> Result<(String, Map<String, Value>), Vec<String>> {
    let mut problems = Vec::new();
    let id_key = kind.identifier();
    let unique = match doc.get("unique_identifier") {
        Some(Value::Object(u)) => match u.get(id_key) {
            Some(Value::String(v)) if !v.trim().is_empty() => Some(v.trim().to_string()),
            None | Some(Value::Null) => {
                problems.push(format!("unique_identifier.{id_key} is required"));
                None
            }
            Some(_) => {
                problems.push(format!("unique_identifier.{id_key} must be non-empty text"));
                None
            }
        },
        _ => {
            problems.push(format!("unique_identifier must be an object with {id_key}"));
            None
        }
    };
    if let (Kind::Contact, Some(email)) = (kind, &unique)
        && !looks_like_email(email)
    {
        problems.push(format!("Invalid email: {email}"));
    }
    let mut record = Map::new();
    match doc.get(kind.key()) {
        Some(Value::Object(fields)) => {
            for (k, v) in fields {
                if k == "custom_field" {
                    match v {
                        Value::Object(c) if c.values().all(is_scalar) => {}
                        Value::Object(_) => problems.push(
                            "custom_field values must be text, numbers, booleans or null".into(),
                        ),
                        _ => problems.push("custom_field must be an object".into()),
                    }
                } else if !kind.fields().contains(&k.as_str()) {
                    problems.push(format!("Invalid field: {k}"));
                } else if WHOLE_NUMBERS.contains(&k.as_str()) && !(v.is_u64() || v.is_null()) {
                    problems.push(format!("{k} must be a whole number"));
                } else if !is_scalar(v) {
                    problems.push(format!("{k} must be text or a number"));
                }
                record.insert(k.clone(), v.clone());
            }
        }
        None => problems.push(format!("{} is required", kind.key())),
        Some(_) => problems.push(format!("{} must be an object", kind.key())),
    }
    match unique {
        Some(u) if problems.is_empty() => Ok((u, record)),
        _ => Err(problems),
    }
}

fn is_scalar(v: &Value) -> bool {
    !(v.is_object() || v.is_array())
}

fn looks_like_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => !local.is_empty() && domain.contains('.') && !text.contains(' '),
        None => false,
    }
}

/// Creates or replaces the record; returns it and 201 (created) or 200 (updated).
fn upsert(
    records: &mut Vec<Map<String, Value>>,
    kind: Kind,
    unique: &str,
    sent: Map<String, Value>,
) -> (Map<String, Value>, StatusCode) {
    let id_key = kind.identifier();
    let found = records.iter().position(|r| {
        r.get(id_key)
            .and_then(Value::as_str)
            .is_some_and(|v| match kind {
                Kind::Contact => v.eq_ignore_ascii_case(unique),
                Kind::SalesAccount => v == unique,
            })
    });
    let (id, code) = match found.and_then(|i| records.get(i)) {
        Some(r) => (r.get("id").cloned().unwrap_or(Value::Null), StatusCode::OK),
        None => (json!(records.len() + 1), StatusCode::CREATED),
    };
    let mut record = Map::new();
    record.insert("id".into(), id);
    for field in kind.fields() {
        let value = sent.get(*field).cloned().unwrap_or(Value::Null);
        record.insert((*field).to_string(), value);
    }
    if record.get(id_key).is_none_or(Value::is_null) {
        record.insert(id_key.to_string(), json!(unique));
    }
    record.insert(
        "custom_field".into(),
        sent.get("custom_field")
            .cloned()
            .unwrap_or_else(|| json!({})),
    );
    match found.and_then(|i| records.get_mut(i)) {
        Some(slot) => *slot = record.clone(),
        None => records.push(record.clone()),
    }
    (record, code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_blanks_what_it_leaves_out() {
        let mut records = Vec::new();
        let first =
            json!({"emails": "a@x.io", "first_name": "Ann", "custom_field": {"plan": "pro"}});
        let (r, code) = upsert(
            &mut records,
            Kind::Contact,
            "a@x.io",
            first.as_object().unwrap().clone(),
        );
        assert_eq!(code, StatusCode::CREATED);
        assert_eq!(r.get("first_name"), Some(&json!("Ann")));
        let second = json!({"last_name": "Lee"});
        let (r, code) = upsert(
            &mut records,
            Kind::Contact,
            "A@X.IO",
            second.as_object().unwrap().clone(),
        );
        assert_eq!(code, StatusCode::OK);
        assert_eq!(r.get("id"), Some(&json!(1)));
        assert_eq!(r.get("first_name"), Some(&Value::Null));
        assert_eq!(r.get("last_name"), Some(&json!("Lee")));
        assert_eq!(r.get("emails"), Some(&json!("A@X.IO")));
        assert_eq!(r.get("custom_field"), Some(&json!({})));
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn every_problem_is_listed() {
        let doc = json!({"unique_identifier": {"emails": "nope"},
            "contact": {"shoe_size": 42, "first_name": {"a": 1}}});
        let problems = check(Kind::Contact, doc.as_object().unwrap()).unwrap_err();
        assert_eq!(
            problems,
            vec![
                "Invalid email: nope",
                "Invalid field: shoe_size",
                "first_name must be text or a number"
            ]
        );
    }
}
