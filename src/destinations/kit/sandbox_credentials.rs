//! The credentials the embedded sandbox accepts (docs/destinations.md §7). The one place they
//! are written: the sandbox checks against them, and every destination's default settings carry
//! them, so that sending works on a fresh start and a wrong key is testable.

/// Every destination's `apiKey` (Salesmachine's API token, Freshworks' token, the Segment
/// webhook's Basic user).
pub const API_KEY: &str = "sandbox-api-key";
/// Salesmachine's `apiSecret`.
pub const API_SECRET: &str = "sandbox-api-secret";
/// Skalin's `clientId`.
pub const CLIENT_ID: &str = "sandbox-client";
