//! One module per subcommand; each returns the process exit code.

pub mod common;
pub mod sandbox;
pub mod translate;
pub mod window;
