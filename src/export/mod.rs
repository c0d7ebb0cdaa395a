//! Renderings of requests and history for use outside the console. Pure: text in, text out, and
//! secrets masked unless the caller reveals them on purpose.

pub mod curl;
pub mod har;
pub mod postman;

pub use curl::to_curl;
