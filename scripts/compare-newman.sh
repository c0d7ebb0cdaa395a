#!/usr/bin/env bash
# `segment-console run` against newman (Postman's runner) on the same requests and the same
# embedded sandbox: N events (default 2000) of the Salesmachine tour mix (the tour's events with a
# distinct user and message id each), sent by both; prints events/s and requests/s for each and a
# SUMMARY line.
#
#   scripts/compare-newman.sh [N]
#
# newman comes from target/npm (scripts/test-deps.sh puts it there); when it is missing this
# script installs it with npm, or, without npm, says so and stops (exit 0).
#
# What each does: newman runs the collection `translate --format postman` makes for the events,
# one request after another (it has no concurrency), against `segment-console sandbox`; `run`
# translates, sends with concurrency 8 and records every event in a history (on disk before it
# counts), against its own embedded sandbox in the same process (the same server code, sharing the
# process's two runtime workers), with a fresh history in a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-2000}"
NEWMAN=target/npm/node_modules/.bin/newman
BIN=target/release/segment-console

if [ ! -x "$NEWMAN" ]; then
  if command -v npm >/dev/null 2>&1; then
    echo "compare-newman: installing newman 6.2.2 into target/npm" >&2
    npm install --prefix target/npm --no-audit --no-fund --silent newman@6.2.2 >/dev/null || true
  fi
fi
if [ ! -x "$NEWMAN" ]; then
  echo "SUMMARY compare-newman: skipped: newman is not in target/npm and npm could not install it (run scripts/test-deps.sh)"
  exit 0
fi

cargo build --release --quiet --bin segment-console

WORK="$(mktemp -d)"
SANDBOX_PID=""
cleanup() {
  if [ -n "$SANDBOX_PID" ]; then kill "$SANDBOX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export SEGMENT_CONSOLE_HOME="$WORK/home"

node -e '
const tour = require("./assets/tour.json").events;
const n = Number(process.argv[1]);
const out = [];
for (let i = 0; i < n; i++) {
  const e = JSON.parse(JSON.stringify(tour[i % tour.length]));
  const user = "u_" + String(Math.floor(i / tour.length)).padStart(6, "0");
  if ("userId" in e) e.userId = user;
  e.messageId = "msg-" + String(i).padStart(7, "0");
  out.push(e);
}
process.stdout.write(JSON.stringify(out));
' "$N" >"$WORK/events.json"
printf '{"salesmachine":{"apiKey":"sandbox-api-key","apiSecret":"sandbox-api-secret"}}' >"$WORK/settings.json"

"$BIN" sandbox --port 0 >"$WORK/sandbox.out" 2>&1 &
SANDBOX_PID=$!
URL=""
for _ in $(seq 1 100); do
  URL="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/sandbox.out" | head -1 || true)"
  [ -n "$URL" ] && break
  sleep 0.1
done
if [ -z "$URL" ]; then
  echo "compare-newman: the sandbox did not start: $(cat "$WORK/sandbox.out")" >&2
  exit 1
fi

"$BIN" translate "$WORK/events.json" --destination salesmachine --settings "$WORK/settings.json" \
  --target sandbox --sandbox-url "$URL" --show-secrets --format postman >"$WORK/collection.json"
REQUESTS="$(node -e 'const c=require(process.argv[1]); const count=(items)=>items.reduce((n,i)=>n+(i.item?count(i.item):1),0); console.log(count(c.item))' "$WORK/collection.json")"

now() { date +%s.%N; }
t0="$(now)"
"$NEWMAN" run "$WORK/collection.json" --reporters json --reporter-json-export "$WORK/newman.json" >/dev/null 2>&1 || true
t1="$(now)"
NEWMAN_FAILED="$(node -e 'const r=require(process.argv[1]); console.log(r.run.failures.length + r.run.executions.filter(e=>!e.response || e.response.code>=400).length)' "$WORK/newman.json")"

t2="$(now)"
"$BIN" run "$WORK/events.json" --destination salesmachine --concurrency 8 >"$WORK/run.out" 2>"$WORK/run.err" || true
t3="$(now)"
RUN_LINE="$(grep -E '[0-9]+/[0-9]+ done' "$WORK/run.err" | tail -1 || true)"

node -e '
const [n, req, t0, t1, t2, t3, failed, runLine] = process.argv.slice(1);
const nw = Number(t1) - Number(t0), rn = Number(t3) - Number(t2);
const f = (x) => Math.round(x).toLocaleString("en-US");
console.log(`newman: ${n} events (${req} requests) in ${nw.toFixed(2)} s: ${f(n / nw)} events/s, ${f(req / nw)} requests/s; ${failed} failed`);
console.log(`run:    ${n} events in ${rn.toFixed(2)} s: ${f(n / rn)} events/s (${runLine.trim()})`);
console.log(`SUMMARY compare-newman: run ${f(n / rn)} events/s (concurrency 8, history on disk), newman ${f(n / nw)} events/s (one request at a time): run ${(nw / rn).toFixed(0)}x newman, same ${n} events and sandbox`);
' "$N" "$REQUESTS" "$t0" "$t1" "$t2" "$t3" "$NEWMAN_FAILED" "$RUN_LINE"
