//! What a destination receives: one HTTP request, with its basis, description and provenance.

use super::provenance::Provenance;
use crate::json::mask::{MASK, mask_text};
use serde_json::{Map, Value, json};

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Json(Value),
    /// An `application/x-www-form-urlencoded` body, already encoded.
    Form(String),
    None,
}

/// Whether the partner documents this request or the console reasoned it out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Basis {
    Documented,
    Inferred { reason: String },
}

impl Basis {
    pub fn inferred(reason: impl Into<String>) -> Basis {
        Basis::Inferred {
            reason: reason.into(),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Basis::Documented => "documented",
            Basis::Inferred { .. } => "inferred",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Basis::Documented => None,
            Basis::Inferred { reason } => Some(reason),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub value: String,
    /// The value carries a secret (an API key, or an encoding of one).
    pub secret: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartnerRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    pub body: Body,
    pub basis: Basis,
    pub description: String,
    pub provenance: Vec<Provenance>,
    /// The raw secret values this request uses, so that every rendering can mask them.
    pub secrets: Vec<String>,
}

impl PartnerRequest {
    pub fn post(url: impl Into<String>, description: impl Into<String>) -> PartnerRequest {
        PartnerRequest {
            method: "POST".into(),
            url: url.into(),
            headers: Vec::new(),
            body: Body::None,
            basis: Basis::Documented,
            description: description.into(),
            provenance: Vec::new(),
            secrets: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> PartnerRequest {
        self.headers.push(Header {
            name: name.into(),
            value: value.into(),
            secret: false,
        });
        self
    }

    /// A header whose value holds `secret` (raw or encoded).
    pub fn secret_header(
        mut self,
        name: &str,
        value: impl Into<String>,
        secret: &str,
    ) -> PartnerRequest {
        self.headers.push(Header {
            name: name.into(),
            value: value.into(),
            secret: true,
        });
        self.add_secret(secret);
        self
    }

    pub fn add_secret(&mut self, secret: &str) {
        if !secret.is_empty() && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
        }
    }

    pub fn json(mut self, body: Value) -> PartnerRequest {
        self.body = Body::Json(body);
        self
    }

    pub fn basis(mut self, basis: Basis) -> PartnerRequest {
        self.basis = basis;
        self
    }

    pub fn provenance(mut self, p: Vec<Provenance>) -> PartnerRequest {
        self.provenance = p;
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str())
    }

    /// The exact bytes sent (and signed): compact JSON, the form text, or nothing.
    pub fn body_bytes(&self) -> Vec<u8> {
        match &self.body {
            Body::Json(v) => serde_json::to_vec(v).unwrap_or_default(),
            Body::Form(s) => s.as_bytes().to_vec(),
            Body::None => Vec::new(),
        }
    }

    /// A copy safe to show or store: secret headers keep only their scheme word
    /// (`Basic ••••••••`), and any secret text left in the URL or body is replaced.
    pub fn masked(&self) -> PartnerRequest {
        let (url, headers) = self.masked_head();
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        let body = match &self.body {
            Body::Json(v) => {
                let mut v = v.clone();
                crate::json::mask::mask_secrets(&mut v, &secrets);
                Body::Json(v)
            }
            Body::Form(s) => Body::Form(mask_text(s, &secrets)),
            Body::None => Body::None,
        };
        PartnerRequest {
            method: self.method.clone(),
            url,
            headers,
            body,
            basis: self.basis.clone(),
            description: self.description.clone(),
            provenance: self.provenance.clone(),
            secrets: self.secrets.clone(),
        }
    }

    /// The URL and headers as `masked` gives them.
    pub fn masked_head(&self) -> (String, Vec<Header>) {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        let headers = self
            .headers
            .iter()
            .map(|h| Header {
                name: h.name.clone(),
                value: if h.secret {
                    match h.value.split_once(' ') {
                        Some((scheme, _)) => format!("{scheme} {MASK}"),
                        None => MASK.to_string(),
                    }
                } else {
                    mask_text(&h.value, &secrets)
                },
                secret: h.secret,
            })
            .collect();
        (mask_text(&self.url, &secrets), headers)
    }

    /// The body's bytes as `masked` would give them, from `sent` (this request's
    /// `body_bytes`). Every stored request goes through here, so the common case is taken
    /// cheaply: when no secret occurs in the bytes and none would be escaped in JSON, no value
    /// can hold one, and the bytes are the masked ones already.
    pub fn masked_body_bytes<'a>(&self, sent: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let secrets: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
        if !crate::json::mask::may_hold_secrets(sent, &secrets) {
            std::borrow::Cow::Borrowed(sent)
        } else {
            std::borrow::Cow::Owned(self.masked().body_bytes())
        }
    }

    /// A rendering unless `show_secrets`, masked.
    pub fn shown(&self, show_secrets: bool) -> PartnerRequest {
        if show_secrets {
            self.clone()
        } else {
            self.masked()
        }
    }

    /// The JSON shape of the `translate` command.
    pub fn to_json(&self) -> Value {
        let mut headers = Map::new();
        for h in &self.headers {
            headers.insert(h.name.clone(), Value::String(h.value.clone()));
        }
        let body = match &self.body {
            Body::Json(v) => v.clone(),
            Body::Form(s) => Value::String(s.clone()),
            Body::None => Value::Null,
        };
        let mut out = json!({
            "method": self.method,
            "url": self.url,
            "headers": headers,
            "body": body,
            "basis": self.basis.label(),
        });
        if let Some(reason) = self.basis.reason() {
            out["basisReason"] = Value::String(reason.into());
        }
        out["description"] = Value::String(self.description.clone());
        out["provenance"] = Value::Array(self.provenance.iter().map(Provenance::to_json).collect());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The quick path of `masked_body_bytes` gives what masking the body gives, for secrets
    /// absent, in a value, in a key (values only are masked), and needing an escape in JSON.
    #[test]
    fn masked_body_bytes_are_the_masked_bodys_bytes() {
        let cases = [
            ("key-1234", json!({"a": "nothing secret", "n": 1})),
            (
                "key-1234",
                json!({"a": "Bearer key-1234", "b": ["key-1234"]}),
            ),
            ("key-1234", json!({"key-1234": "a key as a key"})),
            ("ke\"y-12", json!({"a": "ke\"y-12 in a value"})),
            ("ké-1234", json!({"a": "ké-1234"})),
        ];
        for (secret, body) in cases {
            let req = PartnerRequest::post("http://127.0.0.1:1/x", "test")
                .secret_header("Authorization", format!("Bearer {secret}"), secret)
                .json(body);
            let sent = req.body_bytes();
            assert_eq!(
                req.masked_body_bytes(&sent).as_ref(),
                req.masked().body_bytes().as_slice(),
                "{secret} in {}",
                String::from_utf8_lossy(&sent)
            );
        }
        // The common case borrows the bytes sent.
        let req = PartnerRequest::post("http://127.0.0.1:1/x", "test")
            .secret_header("Authorization", "Bearer key-1234", "key-1234")
            .json(json!({"a": 1}));
        let sent = req.body_bytes();
        assert!(matches!(
            req.masked_body_bytes(&sent),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
