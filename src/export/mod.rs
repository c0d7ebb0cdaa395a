//! Exports. Pure: no I/O; the caller writes the text where the user chose.

pub mod har;
pub mod postman;
