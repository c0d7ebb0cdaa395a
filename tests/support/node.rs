//! Node tools the tests run, from the npm folder `scripts/test-deps.sh` fills (`target/npm`):
//! newman, Postman's runner, and har-validator. A missing folder fails the test with the command
//! that installs it: a test that quietly passes without its tool proves nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn npm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/npm")
}

fn missing(what: &str) -> ! {
    panic!(
        "{what} is not installed: run `scripts/test-deps.sh` (the README's test command does), \
         or `npm install --prefix target/npm newman@6.2.2 har-validator@5.1.5` in {}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Runs `newman run COLLECTION` with a JSON report; returns the process output and the report.
pub fn newman_run(collection: &Path, report: &Path) -> (Output, serde_json::Value) {
    let newman = npm_dir().join("node_modules/.bin/newman");
    if !newman.exists() {
        missing("newman");
    }
    let out = Command::new(newman)
        .arg("run")
        .arg(collection)
        .args(["--reporters", "json", "--reporter-json-export"])
        .arg(report)
        .env("NO_COLOR", "1")
        .output()
        .expect("newman runs");
    let text = std::fs::read_to_string(report).unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    (out, json)
}

/// Checks a HAR document with har-validator (its HAR 1.2 schema); the errors when invalid.
pub fn validate_har(har: &Path) -> Result<(), String> {
    let module = npm_dir().join("node_modules/har-validator");
    if !module.exists() {
        missing("har-validator");
    }
    let script = "const v = require(process.argv[1]); \
         const h = JSON.parse(require('fs').readFileSync(process.argv[2], 'utf8')); \
         v.har(h).then(() => console.log('valid'), e => { \
           console.log(JSON.stringify(e.errors || String(e))); process.exit(1); });";
    let out = Command::new("node")
        .args(["-e", script])
        .arg(&module)
        .arg(har)
        .output()
        .expect("node runs");
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if out.status.success() && said == "valid" {
        Ok(())
    } else {
        Err(format!("{said}{}", String::from_utf8_lossy(&out.stderr)))
    }
}
