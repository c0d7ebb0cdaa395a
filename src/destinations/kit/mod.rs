//! What the destinations share: the request model with its provenance, settings schemas and
//! their checks, reading values out of events, the Segment partner-webhook envelope, and the
//! credentials the embedded sandbox accepts.

pub mod lookup;
pub mod provenance;
pub mod request;
pub mod sandbox_credentials;
pub mod segment_webhook;
pub mod settings;
