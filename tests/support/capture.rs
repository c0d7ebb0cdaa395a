//! What the capture tests share: a capture started in-process on port 0 over a history in a
//! temporary folder, read back over real HTTP (`/_capture/...`) and from the history itself,
//! and Segment's official SDKs (Python from `target/pyenv`, Node from `target/npm`, both filled
//! by `scripts/test-deps.sh`) run against it.

use segment_console::capture::{Capture, CaptureConfig, CaptureHandle};
use segment_console::history::{Entry, Filter, History};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The version of segment-analytics-python `scripts/test-deps.sh` installs.
pub const PYTHON_SDK: &str = "2.4.0";
/// The version of @segment/analytics-node `scripts/test-deps.sh` installs.
pub const NODE_SDK: &str = "3.1.0";

pub struct Running {
    pub handle: CaptureHandle,
    pub history_path: PathBuf,
    /// Holds the temporary folder for as long as the capture runs.
    pub dir: tempfile::TempDir,
}

impl Running {
    pub fn url(&self) -> String {
        self.handle.base_url()
    }
}

/// A capture on 127.0.0.1 port 0 over a new history; `adjust` sets the rest of its config.
pub async fn start(adjust: impl FnOnce(&mut CaptureConfig)) -> Running {
    let dir = tempfile::tempdir().expect("temp dir");
    let history_path = dir.path().join("history.sqlite3");
    let history = History::open(&history_path).expect("history opens");
    let mut config = CaptureConfig::new(history);
    adjust(&mut config);
    let handle = Capture::start(config).await.expect("capture starts");
    Running {
        handle,
        history_path,
        dir,
    }
}

/// Every entry of the history, oldest first.
pub fn entries(history: &Path) -> Vec<Entry> {
    let h = History::open_read_only(history).expect("history opens");
    let mut rows = h.query(&Filter::default(), 0, 1_000_000).expect("query");
    rows.reverse();
    rows.iter()
        .map(|r| h.get(r.id).expect("get").expect("the entry exists"))
        .collect()
}

/// `GET /_capture/events` with a query (`""` for all).
pub async fn events(base: &str, query: &str) -> Vec<Value> {
    let url = format!("{base}/_capture/events{query}");
    let res = super::sandbox::client()
        .get(&url)
        .send()
        .await
        .expect("a reply");
    assert_eq!(res.status().as_u16(), 200, "{url}");
    let v: Value = res.json().await.expect("JSON");
    v.as_array().expect("an array of events").clone()
}

pub async fn summary(base: &str) -> Value {
    super::sandbox::client()
        .get(format!("{base}/_capture/summary"))
        .send()
        .await
        .expect("a reply")
        .json()
        .await
        .expect("JSON")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn install_hint() -> String {
    format!(
        "run `scripts/test-deps.sh` in {} (the README's test command does)",
        root().display()
    )
}

/// The Python interpreter, once it imports segment-analytics-python at the expected version;
/// panics with how to install it otherwise.
pub fn python_sdk() -> PathBuf {
    let python = super::python::pyenv_python();
    let out = std::process::Command::new(&python)
        .args([
            "-I",
            "-c",
            "from segment.analytics.version import VERSION; print(VERSION)",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {}", python.display(), install_hint()));
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && version == PYTHON_SDK,
        "{} does not import segment-analytics-python {PYTHON_SDK} (got {version:?}, {}): {}",
        python.display(),
        String::from_utf8_lossy(&out.stderr).trim(),
        install_hint()
    );
    python
}

/// The folder of @segment/analytics-node, once it is there at the expected version.
pub fn node_sdk() -> PathBuf {
    let dir = root().join("target/npm/node_modules/@segment/analytics-node");
    let manifest = std::fs::read_to_string(dir.join("package.json")).unwrap_or_else(|e| {
        panic!(
            "@segment/analytics-node is not installed ({e}): {}",
            install_hint()
        )
    });
    let v: Value = serde_json::from_str(&manifest).expect("package.json is JSON");
    assert_eq!(v["version"], NODE_SDK, "{}", install_hint());
    dir
}

/// Runs `node -e script args...` without proxies; the last line of stdout as JSON.
pub fn run_node(script: &str, args: &[&str]) -> Value {
    let mut cmd = std::process::Command::new("node");
    cmd.arg("-e").arg(script).arg("--").args(args);
    for var in [
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
    ] {
        cmd.env_remove(var);
    }
    let out = cmd.output().expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "node failed ({}); stdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let last = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!("node's last line is not JSON ({e}); stdout:\n{stdout}\nstderr:\n{stderr}")
    })
}
