#!/usr/bin/env bash
# Start-up of the release build: time to the first frame and peak memory (resident set) of
# the real window in smoke mode (SEGMENT_CONSOLE_SMOKE=1: it opens, sends the tour set to the
# embedded sandbox, and exits), under Xvfb with Mesa's software rendering, each run with a new
# empty data folder. Prints every run and the medians.
#
#   scripts/measure-startup.sh [RUNS]      (default 5)
#
# Needs: xvfb-run (xvfb, xauth), GNU time at /usr/bin/time (time), Mesa (libvulkan1,
# mesa-vulkan-drivers; libgl1-mesa-dri for OpenGL). Builds the release binary when missing
# or out of date. Targets (issue 8): first frame under 300 ms, peak memory under 150 MB.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-5}
if ! [[ $runs =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [RUNS]  (RUNS a positive whole number, default 5)" >&2
  exit 2
fi
for tool in xvfb-run /usr/bin/time; do
  if ! command -v "$tool" >/dev/null; then
    echo "$0: $tool is missing (apt-get install xvfb xauth time)" >&2
    exit 2
  fi
done

cargo build --release --locked --quiet
bin=./target/release/segment-console

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) exit 1; if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/frames"
: >"$work/rss"
for i in $(seq 1 "$runs"); do
  home="$work/home-$i"
  mkdir -p "$home"
  # A run whose smoke check fails is reported and stops the script: its figures would not
  # be a start-up of a working window.
  if ! SEGMENT_CONSOLE_HOME="$home" SEGMENT_CONSOLE_SMOKE=1 timeout 180 \
    xvfb-run -a -s "-screen 0 1400x900x24" \
    /usr/bin/time -v -o "$home/time.txt" "$bin" >"$home/out.txt" 2>"$home/err.txt"; then
    echo "run $i: the smoke run failed:" >&2
    cat "$home/out.txt" "$home/err.txt" >&2
    exit 1
  fi
  frame=$(sed -n 's/^SMOKE first_frame_ms=\([0-9]*\)$/\1/p' "$home/out.txt")
  rss_kb=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): \([0-9]*\)$/\1/p' "$home/time.txt")
  wall=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): \(.*\)$/\1/p' "$home/time.txt")
  sent=$(sed -n 's/^SMOKE \(sent=.*\)$/\1/p' "$home/out.txt")
  if [[ -z $frame || -z $rss_kb ]]; then
    echo "run $i: no first_frame_ms or peak RSS in the output" >&2
    exit 1
  fi
  echo "$frame" >>"$work/frames"
  echo "$rss_kb" >>"$work/rss"
  printf 'run %d: first_frame_ms=%s peak_rss_mb=%.1f (%s, whole run %s)\n' \
    "$i" "$frame" "$(awk -v k="$rss_kb" 'BEGIN {print k/1024}')" "$sent" "$wall"
done

frame_med=$(median <"$work/frames")
rss_med=$(median <"$work/rss" | awk '{printf "%.1f", $1/1024}')
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v < t) ? "met" : "MISSED"}'; }
echo "median of $runs runs: first_frame_ms=$frame_med ($(verdict "$frame_med" 300) target < 300)" \
  "peak_rss_mb=$rss_med ($(verdict "$rss_med" 150) target < 150)"
