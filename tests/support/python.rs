//! Running partners' official Python clients against the sandbox: the virtual environment that
//! `scripts/test-deps.sh` fills (`target/pyenv` in the repository), and a script run in it that
//! prints JSON.
//!
//! A missing environment fails the test with the commands that install it: a test of the
//! official client must never pass without the client.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The version of salesmachine-python `scripts/test-deps.sh` installs and the tests are written
/// against.
pub const SALESMACHINE_PYTHON: &str = "1.0.1";

/// A script that has not ended after this long is stopped and the test fails.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The environment's interpreter, `target/pyenv/bin/python`.
pub fn pyenv_python() -> PathBuf {
    root().join("target/pyenv/bin/python")
}

fn install_hint() -> String {
    format!(
        "run `scripts/test-deps.sh` (the README's test command does), or install it by hand from \
         {}:\n  python3 -m venv target/pyenv\n  \
         target/pyenv/bin/pip install -q salesmachine-python=={SALESMACHINE_PYTHON}",
        root().display()
    )
}

/// The interpreter, once it is known to import salesmachine-python at the expected version;
/// panics with the install commands otherwise.
pub fn salesmachine_python() -> PathBuf {
    let python = pyenv_python();
    if !python.exists() {
        panic!(
            "the official salesmachine-python client is not installed ({} is missing): {}",
            python.display(),
            install_hint()
        );
    }
    let out = Command::new(&python)
        .args([
            "-I",
            "-c",
            "import salesmachine; print(salesmachine.__version__)",
        ])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {}", python.display(), install_hint()));
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || version != SALESMACHINE_PYTHON {
        panic!(
            "{} does not import salesmachine-python {SALESMACHINE_PYTHON} (version {version:?}, \
             {}): {}",
            python.display(),
            String::from_utf8_lossy(&out.stderr).trim(),
            install_hint()
        );
    }
    python
}

/// Runs `script` with `python -I -c script args...` and reads the last line it prints as
/// JSON. Proxy variables are removed, so the client talks to loopback directly. Panics, with
/// what the script wrote to stderr, when it fails, prints no JSON or runs too long.
pub fn run_script(python: &Path, script: &str, args: &[&str]) -> Value {
    let mut cmd = Command::new(python);
    cmd.arg("-I")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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
    cmd.env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
    // Read both pipes on threads so that a talkative script never blocks on a full pipe.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the script") {
            break Some(status);
        }
        if started.elapsed() > SCRIPT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_reader.join().unwrap_or_default();
    let err = err_reader.join().unwrap_or_default();
    let status = status.unwrap_or_else(|| {
        panic!("the script ran longer than {SCRIPT_TIMEOUT:?}; stdout:\n{out}\nstderr:\n{err}")
    });
    assert!(
        status.success(),
        "the script failed ({status}); stdout:\n{out}\nstderr:\n{err}"
    );
    let last = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    serde_json::from_str(last).unwrap_or_else(|e| {
        panic!("the script's last line is not JSON ({e}); stdout:\n{out}\nstderr:\n{err}")
    })
}
