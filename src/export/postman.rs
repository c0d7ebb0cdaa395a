//! A Postman collection (format v2.1) of translated requests, to replay them by hand.
//! Secrets are masked unless `show_secrets`.

use crate::destinations::{Body, PartnerRequest};
use serde_json::{Value, json};

pub const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

pub fn to_postman(name: &str, requests: &[PartnerRequest], show_secrets: bool) -> Value {
    let items: Vec<Value> = requests
        .iter()
        .enumerate()
        .map(|(i, r)| item(i + 1, &r.shown(show_secrets)))
        .collect();
    json!({
        "info": {
            "name": name,
            "schema": SCHEMA,
            "description": "Requests translated by segment-console.",
        },
        "item": items,
    })
}

fn item(number: usize, r: &PartnerRequest) -> Value {
    let header: Vec<Value> = r
        .headers
        .iter()
        .map(|h| json!({"key": h.name, "value": h.value, "type": "text"}))
        .collect();
    let mut request = json!({
        "method": r.method,
        "header": header,
        "url": url(&r.url),
    });
    let mut description = r.description.clone();
    if let Some(reason) = r.basis.reason() {
        description.push_str(&format!("\n\nInferred: {reason}"));
    }
    request["description"] = Value::String(description);
    match &r.body {
        Body::Json(_) => {
            // The exact bytes the console sends (compact): a signature is computed over them.
            request["body"] = json!({
                "mode": "raw",
                "raw": String::from_utf8_lossy(&r.body_bytes()),
                "options": {"raw": {"language": "json"}},
            });
        }
        Body::Form(text) => {
            let pairs: Vec<Value> = url::form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| json!({"key": k, "value": v, "type": "text"}))
                .collect();
            request["body"] = json!({"mode": "urlencoded", "urlencoded": pairs});
        }
        Body::None => {}
    }
    json!({
        "name": format!("{number}. {}", r.description),
        "request": request,
    })
}

/// Postman's URL object. Path segments and query values stay as written (encoded), so that
/// Postman sends the very URL the console would.
fn url(raw: &str) -> Value {
    let mut out = json!({"raw": raw});
    let Ok(u) = url::Url::parse(raw) else {
        return out;
    };
    out["protocol"] = Value::String(u.scheme().to_string());
    if let Some(host) = u.host_str() {
        out["host"] = json!(host.split('.').collect::<Vec<_>>());
    }
    if let Some(port) = u.port() {
        out["port"] = Value::String(port.to_string());
    }
    let path: Vec<&str> = u
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    out["path"] = json!(path);
    if let Some(q) = u.query() {
        let query: Vec<Value> = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                json!({"key": k, "value": v})
            })
            .collect();
        out["query"] = json!(query);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destinations::Basis;
    use crate::json::mask::MASK;

    fn requests() -> Vec<PartnerRequest> {
        let json_req = PartnerRequest::post(
            "http://127.0.0.1:4000/salesmachine/v1/contact",
            "Upsert contact",
        )
        .header("Content-Type", "application/json")
        .secret_header("Authorization", "Basic c2VjcmV0LWtleTpz", "secret-key")
        .json(json!({"contact_uid": "u1", "params": {"name": "Zoë"}}));
        let hit = PartnerRequest::post(
            "https://collect.skalin.io/hit?rec=1&action=ev&identity=%7B%22id%22%3A%22u1%22%7D",
            "Record a feature",
        )
        .header("Content-Type", "application/x-www-form-urlencoded")
        .basis(Basis::inferred("no public event API"));
        let mut form = PartnerRequest::post("http://localhost/form", "Form");
        form.body = Body::Form("a=1&b=two+words&c=%26".into());
        vec![json_req, hit, form]
    }

    #[test]
    fn a_collection_parses_back_with_every_part() {
        let text = serde_json::to_string(&to_postman("Salesmachine", &requests(), false)).unwrap();
        let c: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(c["info"]["name"], "Salesmachine");
        assert_eq!(c["info"]["schema"], SCHEMA);
        let items = c["item"].as_array().unwrap();
        assert_eq!(items.len(), 3);

        let first = &items[0];
        assert_eq!(first["name"], "1. Upsert contact");
        let r = &first["request"];
        assert_eq!(r["method"], "POST");
        assert_eq!(
            r["header"],
            json!([
                {"key": "Content-Type", "value": "application/json", "type": "text"},
                {"key": "Authorization", "value": format!("Basic {MASK}"), "type": "text"},
            ])
        );
        assert_eq!(r["body"]["mode"], "raw");
        assert_eq!(
            r["body"]["raw"],
            r#"{"contact_uid":"u1","params":{"name":"Zoë"}}"#
        );
        assert_eq!(r["body"]["options"]["raw"]["language"], "json");
        assert_eq!(
            r["url"],
            json!({
                "raw": "http://127.0.0.1:4000/salesmachine/v1/contact",
                "protocol": "http",
                "host": ["127", "0", "0", "1"],
                "port": "4000",
                "path": ["salesmachine", "v1", "contact"],
            })
        );

        let hit = &items[1]["request"];
        assert!(hit.get("body").is_none());
        assert_eq!(hit["url"]["host"], json!(["collect", "skalin", "io"]));
        assert!(hit["url"].get("port").is_none());
        assert_eq!(
            hit["url"]["query"],
            json!([
                {"key": "rec", "value": "1"},
                {"key": "action", "value": "ev"},
                {"key": "identity", "value": "%7B%22id%22%3A%22u1%22%7D"},
            ])
        );
        assert_eq!(
            hit["description"],
            "Record a feature\n\nInferred: no public event API"
        );

        let form = &items[2]["request"]["body"];
        assert_eq!(form["mode"], "urlencoded");
        assert_eq!(
            form["urlencoded"],
            json!([
                {"key": "a", "value": "1", "type": "text"},
                {"key": "b", "value": "two words", "type": "text"},
                {"key": "c", "value": "&", "type": "text"},
            ])
        );
        assert!(!text.contains("c2VjcmV0"));
    }

    #[test]
    fn secrets_show_only_when_asked() {
        let c = to_postman("x", &requests(), true);
        assert_eq!(
            c["item"][0]["request"]["header"][1]["value"],
            "Basic c2VjcmV0LWtleTpz"
        );
    }
}
