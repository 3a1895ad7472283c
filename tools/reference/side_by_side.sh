#!/usr/bin/env bash
# Side by side, in one run: the same face detection + face landmarks (+ iris) on the same photos
# with MediaPipe 0.10.14's own Python runtime and with trueshot (tract), median milliseconds per
# photo and the ratio ours / theirs. Also regenerates nothing: the reference JSON for the tests is
# written by mediapipe_reference.py alone.
# Usage: tools/reference/side_by_side.sh [REPEATS] [PHOTO...]
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats="${1:-15}"; shift || true
photos=("$@"); [ ${#photos[@]} -gt 0 ] || photos=(photos/samples/obama.jpg photos/samples/biden.jpg photos/samples/grace_hopper.jpg photos/samples/astronaut.png photos/samples/obama3.jpg)
T="${CARGO_TARGET_DIR:-target}"
venv="${TRUESHOT_REFERENCE_VENV:-$HOME/.cache/trueshot/reference-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import mediapipe' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mediapipe==0.10.14" "numpy<2"
fi
cargo build --release --locked -p trueshot-vision --example time_perception
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
"$venv/bin/python" tools/reference/mediapipe_reference.py --time "$repeats" "$work/mp.json" "${photos[@]}" 2>/dev/null
"$T/release/examples/time_perception" "$repeats" "${photos[@]}" > "$work/ours.jsonl"
python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
mp = {r["path"]: r for r in json.load(open(f"{work}/mp.json"))}
ours = [json.loads(l) for l in open(f"{work}/ours.jsonl")]
print(f"{'photo':40s} {'MediaPipe ms':>12s} {'trueshot ms':>12s} {'ratio':>6s}")
ratios = []
for o in ours:
    m = mp[o["path"]]["median_ms_detect_and_mesh"]
    ratios.append(o["median_ms"] / m)
    print(f"{o['path']:40s} {m:12.1f} {o['median_ms']:12.1f} {o['median_ms'] / m:6.2f}")
print(f"median ratio trueshot / MediaPipe: {statistics.median(ratios):.2f} (below 1 means trueshot is faster)")
PY
