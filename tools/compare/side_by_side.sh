#!/usr/bin/env bash
# Side by side, in one run: the npm package @imgly/background-removal-node 1.4.5 (background
# removal only) and `trueshot process` (framing + matting + compositing, guideline
# tools/compare/cutout.toml) on the same photos. Writes
#   DIR/imgly/<stem>.png                 imgly's RGBA cutouts (tools/compare/imgly.mjs)
#   DIR/imgly.json                       imgly's timings (model load, per photo, total)
#   DIR/trueshot/...                     trueshot's headshots, reports, <stem>.<variant>.cutout.png
#   DIR/trueshot.log                     trueshot's terminal output
#   DIR/report.json                      both times and the ratio trueshot / imgly
#   DIR/index.html                       both cutouts per photo, over a checkerboard and over #2b5797
# and prints the times and the ratio.
#
# Usage: tools/compare/side_by_side.sh [--model small|medium] [--imgly-png] PHOTO... --out DIR
#
# trueshot is not built here: it runs $TRUESHOT_BIN, by default $CARGO_TARGET_DIR/release/trueshot
# (target/release/trueshot when CARGO_TARGET_DIR is unset; a relative one is taken from the repo
# root). imgly is installed by tools/compare/setup.sh into
# ${TRUESHOT_CACHE:-$HOME/.cache/trueshot}/imgly (first time ~10 s, ~300 MB; then nothing to do).
# Exit 0 when both ran (trueshot's exit code 1, "a photo was refused or failed a check", is an
# answer, not an error); 2 on bad arguments or a missing/too-old binary; otherwise the failing
# tool's code.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

usage() { echo "usage: tools/compare/side_by_side.sh [--model small|medium] [--imgly-png] PHOTO... --out DIR" >&2; exit 2; }
photos=(); out=""; imgly_opts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    --model) [ $# -ge 2 ] || usage; imgly_opts+=(--model "$2"); shift 2 ;;
    --imgly-png) imgly_opts+=(--imgly-png); shift ;;
    -h|--help) usage ;;
    -*) echo "side_by_side.sh: unknown option $1" >&2; usage ;;
    *) photos+=("$1"); shift ;;
  esac
done
[ -n "$out" ] && [ ${#photos[@]} -gt 0 ] || usage
abs=()
for p in "${photos[@]}"; do
  [ -f "$p" ] || { echo "side_by_side.sh: no such photo: $p" >&2; exit 2; }
  abs+=("$(realpath "$p")")
done
mkdir -p "$out"
out="$(realpath "$out")"

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
bin="${TRUESHOT_BIN:-$target/release/trueshot}"
guide="$here/cutout.toml"
[ -x "$bin" ] || { echo "side_by_side.sh: no trueshot binary at $bin (build it, or set TRUESHOT_BIN)" >&2; exit 2; }
if ! "$bin" guide validate "$guide" >&2; then
  echo "side_by_side.sh: $bin does not accept $guide (too old a binary? set TRUESHOT_BIN)" >&2
  exit 2
fi

now() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
loadavg="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"

# (1) imgly installed (idempotent).
"$here/setup.sh" >/dev/null

# (2) imgly on the photos.
echo "imgly: ${#abs[@]} photo(s)..." >&2
rm -rf "$out/imgly"
t0=$(now)
set +e
node "$here/imgly.mjs" "${imgly_opts[@]}" "${abs[@]}" --out "$out" > "$out/imgly.json"
imgly_code=$?
set -e
imgly_wall=$(secs "$t0" "$(now)")
[ "$imgly_code" -le 1 ] && [ -s "$out/imgly.json" ] || { echo "side_by_side.sh: imgly.mjs failed ($imgly_code)" >&2; exit "$imgly_code"; }

# (3) trueshot on the same photos, one photo at a time.
echo "trueshot: ${#abs[@]} photo(s)..." >&2
rm -rf "$out/trueshot"
t0=$(now)
set +e
"$bin" process "${abs[@]}" --out "$out/trueshot" --guide "$guide" --force --jobs 1 > "$out/trueshot.log" 2>&1
ts_code=$?
set -e
ts_wall=$(secs "$t0" "$(now)")
[ "$ts_code" -le 1 ] || { cat "$out/trueshot.log" >&2; echo "side_by_side.sh: trueshot process exited $ts_code" >&2; }

# (4) report.json and (5) index.html.
node "$here/report.mjs" --out "$out" --imgly-wall "$imgly_wall" --trueshot-wall "$ts_wall" \
  --trueshot-exit "$ts_code" --trueshot-bin "$bin" --guide "$guide" --loadavg "$loadavg" "${abs[@]}"
[ "$ts_code" -le 1 ] || exit "$ts_code"
