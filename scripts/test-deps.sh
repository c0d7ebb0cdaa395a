#!/usr/bin/env bash
# Installs what the tests need beyond Rust, only what is missing, quietly: the README's test
# command runs it before `cargo test`, and so does .ci/run. Registries only (Debian, PyPI, npm);
# the tests themselves never leave the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s ==\n' "$*"; }

# Debian packages the tests need: Mesa's software Vulkan (lavapipe) renders the snapshot tests
# headlessly; Xvfb hosts the real window in the smoke run. Installed only when missing, quietly.
APT_PACKAGES=(libvulkan1 mesa-vulkan-drivers xvfb xauth)
# Node.js runs newman and har-validator; most machines have it already.
command -v npm >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  step "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root=()
  [ "$(id -u)" = 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq >/dev/null
  "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The official salesmachine-python client, which the end-to-end tests run against the sandbox
# (tests/e2e/official_clients.rs), and Segment's official Python SDK, which they point at
# capture (tests/e2e/capture_sdks.rs), in a virtual environment under target/. Installed only
# when they do not import, quietly; --clear starts a broken environment afresh.
if ! target/pyenv/bin/python -c 'import salesmachine, segment.analytics' >/dev/null 2>&1; then
  step "pip: installing salesmachine-python 1.0.1 and segment-analytics-python 2.4.0 into target/pyenv"
  target/pyenv/bin/python -c 'import salesmachine' >/dev/null 2>&1 || python3 -m venv --clear target/pyenv
  target/pyenv/bin/pip install -q --disable-pip-version-check salesmachine-python==1.0.1 \
    segment-analytics-python==2.4.0
fi

# newman (Postman's runner), to run the console's Postman collections against the sandbox, and
# har-validator, to check its HAR files (tests/cli/exports.rs), in an npm folder under target/.
if [ ! -x target/npm/node_modules/.bin/newman ] || [ ! -f target/npm/node_modules/har-validator/package.json ]; then
  step "npm: installing newman 6.2.2 and har-validator 5.1.5 into target/npm"
  mkdir -p target/npm
  npm install --prefix target/npm --no-audit --no-fund --silent newman@6.2.2 har-validator@5.1.5 >/dev/null
fi

# Segment's official Node SDK, pointed at capture by tests/e2e/capture_sdks.rs, in the same folder.
if [ ! -f target/npm/node_modules/@segment/analytics-node/package.json ]; then
  step "npm: installing @segment/analytics-node 3.1.0 into target/npm"
  mkdir -p target/npm
  npm install --prefix target/npm --no-audit --no-fund --silent @segment/analytics-node@3.1.0 >/dev/null
fi
