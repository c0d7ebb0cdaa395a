#!/usr/bin/env bash
# Trains the zstd dictionary the history compresses its records with (assets/history.zdict).
#
# The samples are real records: every event of the test fixtures (all destinations) and the
# tour, sent by `segment-console run` to the embedded sandbox through each destination (some
# delivered, some skipped or rejected), ids made distinct per copy. What the dictionary learns is
# the records' shape (their keys, the request and reply headers, the partners' replies), which
# every entry shares, more than any one event.
#
# Records compressed with a dictionary need it to be read: once shipped, a dictionary is kept
# for good. A new one goes beside it with a new id (src/history/codec.rs picks by the frame's
# dictionary id). Needs python3, sqlite3 and zstd on the PATH; contacts nothing outside loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-assets/history.zdict}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
python3 - "$work/events.json" <<'EOF'
import glob, json, sys
events = []
for path in sorted(glob.glob("tests/fixtures/*/*.json")):
    try:
        doc = json.load(open(path))
    except ValueError:
        continue
    if isinstance(doc, dict) and isinstance(doc.get("event"), dict):
        events.append(doc["event"])
tour = json.load(open("assets/tour.json"))
events += tour["events"] if isinstance(tour, dict) else tour
copies = []
for i in range(12):
    for e in events:
        e = json.loads(json.dumps(e))
        for key in ("userId", "anonymousId", "messageId", "groupId"):
            if isinstance(e.get(key), str):
                e[key] = f"{e[key]}_{i}"
        copies.append(e)
json.dump(copies, open(sys.argv[1], "w"))
EOF
mkdir -p "$work/samples"
for dest in salesmachine startdeliver freshmarketer skalin webhook; do
  home="$work/home-$dest"
  mkdir -p "$home"
  SEGMENT_CONSOLE_HOME="$home" target/release/segment-console run "$work/events.json" \
    --destination "$dest" --concurrency 4 > /dev/null 2>&1 || true
  sqlite3 "$home/history.sqlite3" \
    "SELECT writefile('$work/samples/$dest-' || id || '.zst', record) FROM entries" > /dev/null
done
for f in "$work"/samples/*.zst; do
  zstd -dqf "$f" -o "${f%.zst}.json" && rm "$f"
done
echo "$(ls "$work/samples" | wc -l) sample records"
zstd --train "$work"/samples/*.json --maxdict=32768 -o "$out" -q
echo "wrote $out ($(wc -c < "$out") bytes)"
