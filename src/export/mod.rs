//! Renderings of requests and history for use outside the console. Pure: text in, text out, and
//! secrets masked unless the caller reveals them on purpose.

pub mod curl;
pub mod har;
pub mod postman;

pub use curl::to_curl;

use crate::destinations::{Body, PartnerRequest};
use crate::history::Entry;
use crate::transport::RequestRecord;

/// A stored (masked) request as a request again, for curl and Postman exports of history.
pub fn request_of_record(r: &RequestRecord) -> PartnerRequest {
    let mut req = PartnerRequest::post(r.url.clone(), r.description.clone());
    req.method = r.method.clone();
    for h in &r.headers {
        req = req.header(&h.name, h.value.clone());
    }
    req.body = match &r.body {
        None => Body::None,
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => Body::Json(v),
            Err(_) => Body::Form(text.clone()),
        },
    };
    req
}

/// Every request the entries sent, as requests again, in order.
pub fn requests_of(entries: &[Entry]) -> Vec<PartnerRequest> {
    entries
        .iter()
        .flat_map(|e| e.exchanges.iter().map(|x| request_of_record(&x.request)))
        .collect()
}
