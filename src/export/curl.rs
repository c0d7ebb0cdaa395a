//! A partner request as a curl command a person can paste into a POSIX shell.

use crate::destinations::PartnerRequest;

/// One option a line, joined by backslash continuations; every value single-quoted so the
/// shell passes it through untouched. Secrets are masked unless `show_secrets`. The body is
/// the exact bytes the console sends, so a pasted command reproduces signatures too.
pub fn to_curl(req: &PartnerRequest, show_secrets: bool) -> String {
    let req = req.shown(show_secrets);
    let method = if !req.method.is_empty() && req.method.bytes().all(|b| b.is_ascii_alphabetic()) {
        req.method.clone()
    } else {
        quote(&req.method)
    };
    let mut lines = vec![format!("curl --request {method}")];
    lines.push(format!("  --url {}", quote(&req.url)));
    for h in &req.headers {
        lines.push(format!(
            "  --header {}",
            quote(&format!("{}: {}", h.name, h.value))
        ));
    }
    let body = req.body_bytes();
    if !body.is_empty() {
        lines.push(format!(
            "  --data-raw {}",
            quote(&String::from_utf8_lossy(&body))
        ));
    }
    lines.join(" \\\n")
}

/// Single quotes keep everything literal except a single quote, which closes the quoted
/// text, is written escaped, and opens it again: `it's` -> `'it'\''s'`.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request() -> PartnerRequest {
        PartnerRequest::post(
            "https://acme.myfreshworks.com/crm/sales/api/contacts/upsert",
            "Upsert contact",
        )
        .header("Content-Type", "application/json")
        .secret_header("Authorization", "Token token=fw_live_9c1e", "fw_live_9c1e")
        .json(json!({"contact": {"first_name": "Maya"}}))
    }

    #[test]
    fn masked_by_default() {
        let expected = "curl --request POST \\\n  \
            --url 'https://acme.myfreshworks.com/crm/sales/api/contacts/upsert' \\\n  \
            --header 'Content-Type: application/json' \\\n  \
            --header 'Authorization: Token ••••••••' \\\n  \
            --data-raw '{\"contact\":{\"first_name\":\"Maya\"}}'";
        assert_eq!(to_curl(&request(), false), expected);
    }

    #[test]
    fn revealed_on_request() {
        let text = to_curl(&request(), true);
        assert!(text.contains("  --header 'Authorization: Token token=fw_live_9c1e' \\\n"));
        assert!(!text.contains('•'));
    }

    #[test]
    fn single_quotes_are_closed_escaped_and_reopened() {
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME `x` \"y\" \\n"), "'$HOME `x` \"y\" \\n'");
        let req = PartnerRequest::post("http://127.0.0.1:7311/webhook/in", "POST track event")
            .header("X-Team", "growth & ops")
            .json(json!({"event": "Customer's Plan Upgraded"}));
        let expected = "curl --request POST \\\n  \
            --url 'http://127.0.0.1:7311/webhook/in' \\\n  \
            --header 'X-Team: growth & ops' \\\n  \
            --data-raw '{\"event\":\"Customer'\\''s Plan Upgraded\"}'";
        assert_eq!(to_curl(&req, false), expected);
    }

    #[test]
    fn no_body_no_data_and_odd_methods_quoted() {
        let mut req = PartnerRequest::post("https://collect.skalin.io/hit?rec=1", "hit");
        assert_eq!(
            to_curl(&req, false),
            "curl --request POST \\\n  --url 'https://collect.skalin.io/hit?rec=1'"
        );
        req.method = "M;rm".into();
        assert!(to_curl(&req, false).starts_with("curl --request 'M;rm' \\\n"));
    }
}

#[cfg(test)]
mod with_destinations {
    use super::to_curl;
    use crate::destinations::{self, Target, webhook};
    use serde_json::json;

    /// The body in the command is the exact signed bytes, so the receiver's check passes when
    /// the command is pasted.
    #[test]
    fn data_raw_is_the_signed_body() {
        let dest = destinations::find("webhook").unwrap();
        let settings =
            json!({"url": "https://hooks.example.com/segment", "sharedSecret": "whsec_5b1f0e"});
        let event = json!({"type": "track", "userId": "u_4f8a2c", "event": "Plan Upgraded",
                           "properties": {"plan": "Growth – annual", "mrr": 1249.5}});
        let out = destinations::translate(
            dest,
            &event,
            settings.as_object().unwrap(),
            dest.default_mode(),
            &Target::Live,
            chrono::Utc::now(),
        );
        let req = &out.requests[0];
        let text = to_curl(req, false);
        let body = text
            .split("--data-raw '")
            .nth(1)
            .and_then(|b| b.strip_suffix('\''))
            .unwrap();
        let sig = webhook::signature("whsec_5b1f0e", body.as_bytes());
        assert_eq!(req.header_value("X-Signature"), Some(sig.as_str()));
        assert!(text.contains(&format!("--header 'X-Signature: {sig}'")));
        assert!(!text.contains("whsec_5b1f0e"));
    }
}
