"""Framing judge: does each trueshot output put the face where its report says it did?

For every OUT_DIR/*.report.json and every variant with status "written", runs MediaPipe 0.10.14's
own Python runtime (mp.solutions.face_mesh, static_image_mode=True, refine_landmarks=True) on the
output file and measures, on the largest face found:
  eye_line    = y of the midpoint of the iris centres (landmarks 468, 473) / height
  eye_to_chin = distance from that midpoint to the chin (landmark 152) / height
  center_x    = x of that midpoint / width
  roll        = angle in degrees of the line from the iris centre on the image's left to the one on
                its right (image y points down: positive when the right-hand eye is lower)
and the differences (measured - reported) from the report's `framing` values (roll against
`roll_after`, shown only). Fails (exit 1) if any |diff| > 0.02 of eye_line / eye_to_chin /
center_x, if any |roll| > 1 degree, or if a file or face is missing.

Usage: framing.py OUT_DIR [--json FILE]
Runs in the MediaPipe reference venv of tools/reference ($TRUESHOT_REFERENCE_VENV or
~/.cache/trueshot/reference-venv, made by tools/judge/setup.sh or tools/reference/side_by_side.sh);
when started with another Python it re-executes itself there.
SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import glob
import json
import math
import os
import sys

try:
    import mediapipe as mp
    import numpy as np
    from PIL import Image, ImageOps
except ImportError:
    venv = os.environ.get("TRUESHOT_REFERENCE_VENV") or os.path.expanduser("~/.cache/trueshot/reference-venv")
    py = os.path.join(venv, "bin", "python")
    if os.path.exists(py) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
        os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])
    print(f"framing.py: mediapipe missing; run tools/judge/setup.sh (venv {venv})", file=sys.stderr)
    sys.exit(2)

TOL, ROLL_TOL = 0.02, 1.0
KEYS = ("eye_line", "eye_to_chin", "center_x")


def measure(mesh, path):
    rgb = np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB")))
    h, w = rgb.shape[:2]
    found = mesh.process(rgb).multi_face_landmarks or []
    if not found:
        return None, 0
    pts = [np.array([[p.x * w, p.y * h] for p in f.landmark]) for f in found]
    pts = max(pts, key=lambda p: np.ptp(p[:, 0]) * np.ptp(p[:, 1]))
    a, b = sorted((pts[468], pts[473]), key=lambda p: p[0])
    mid = (a + b) / 2
    return {"eye_line": mid[1] / h, "eye_to_chin": float(np.linalg.norm(pts[152] - mid)) / h,
            "center_x": mid[0] / w, "roll": math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))}, len(found)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--json", help="also write the rows as JSON here")
    a = ap.parse_args()
    reports = sorted(glob.glob(os.path.join(a.out_dir, "*.report.json")))
    if not reports:
        print(f"framing.py: no *.report.json in {a.out_dir}", file=sys.stderr)
        sys.exit(2)
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=4, refine_landmarks=True,
                                           min_detection_confidence=0.5)
    rows = []
    for rp in reports:
        photo = os.path.basename(rp)[: -len(".report.json")]
        for v in json.load(open(rp)).get("variants", []):
            if v.get("status") != "written":
                continue
            row = {"photo": photo, "variant": v["name"], "file": v["file"]}
            rows.append(row)
            path = os.path.join(a.out_dir, v["file"])
            if not os.path.exists(path):
                row["note"] = "file missing"
                continue
            got, n = measure(mesh, path)
            if got is None:
                row["note"] = "no face found"
                continue
            want = v.get("framing") or {}
            row.update(got, faces=n, note=f"{n} face(s)")
            for k in KEYS:
                row[f"d_{k}"] = got[k] - want[k] if k in want else None
            row["d_roll"] = got["roll"] - want["roll_after"] if "roll_after" in want else None
    failed = False
    f = lambda x, p=3, sign="+": "    -  " if x is None else f"{x:{sign}7.{p}f}"
    print(f"{'photo':28s} {'variant':8s} {'eye_line':>8s} {'d':>7s} {'e2chin':>7s} {'d':>7s} {'cntr_x':>7s} {'d':>7s}"
          f" {'roll°':>7s} {'d':>7s}  note")
    for r in rows:
        bad = "roll" not in r or abs(r["roll"]) > ROLL_TOL or any(r[f"d_{k}"] is None or abs(r[f"d_{k}"]) > TOL for k in KEYS)
        failed |= bad
        print(f"{r['photo']:28s} {r['variant']:8s} {f(r.get('eye_line'), 3, ''):>8s} {f(r.get('d_eye_line'))} "
              f"{f(r.get('eye_to_chin'), 3, '')} {f(r.get('d_eye_to_chin'))} {f(r.get('center_x'), 3, '')} {f(r.get('d_center_x'))} "
              f"{f(r.get('roll'), 2)} {f(r.get('d_roll'), 2)}  {r['note']}{'  FAIL' if bad else ''}")
    worst = {k: max((abs(r[f"d_{k}"]) for r in rows if r.get(f"d_{k}") is not None), default=None) for k in KEYS}
    worst["roll"] = max((abs(r["roll"]) for r in rows if "roll" in r), default=None)
    print("max |diff|: " + ", ".join(f"{k} {f(x, 3, '')}" for k, x in worst.items())
          + f" (bounds {TOL}, roll {ROLL_TOL}°) -> {'FAIL' if failed else 'ok'}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"rows": rows, "max_abs": worst, "failed": failed}, fh, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
