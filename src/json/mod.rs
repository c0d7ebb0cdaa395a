//! JSON as the console handles it: reading text with positions and bounds, comparing two
//! documents line by line, and masking secrets inside values.

pub mod diff;
pub mod mask;
pub mod text;
