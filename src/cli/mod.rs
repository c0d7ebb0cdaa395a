//! One module per subcommand; each returns the process exit code.

pub mod capture;
pub mod common;
pub mod history;
pub mod plan;
pub mod run;
pub mod sandbox;
pub mod translate;
pub mod window;
