"""Identity judge: does each trueshot output still show the same person as the original photo?

For every OUT_DIR/*.report.json and every variant with status "written", computes dlib's 128-D
face descriptor (dlib_face_recognition_resnet_model_v1 on the 68-point shape predictor's default
150-px face chip, num_jitters=1, i.e. no jitter) of the main face in the original photo and in the
output, and prints their Euclidean distance. On dlib's scale two photos of the same person are
< 0.6 apart; a faithful crop of the same photo should be far closer. Fails (exit 1) if any
distance > 0.2, if the median > 0.08, or if a face, file or input is missing.

Faces come from dlib's HOG detector (upsampling once only when nothing is found without). In the
original, the face chosen is the one whose eye midpoint (mean of the 68-point eye landmarks 36-47)
lands, through the report's `source_to_output`, nearest the output point
(framing.center_x * width, framing.eye_line * height); in the output, the largest face.

--ideal adds a column: the same measure on a crop this script makes itself with Pillow (same
affine and size, bicubic, white outside the photo), i.e. what a perfect crop alone scores, to tell
the cost of trueshot's own resampling / colour handling from the cost of the geometry.
Noise floor (measured): the shape predictor's landmarks move 1-2 px under mere JPEG q92
re-encoding, which alone moves the descriptor by 0.06-0.13 (0.01 with the landmarks held fixed);
ideal crops of photos/samples and photos/test score 0.03-0.13, median ~0.07.

Usage: identity.py OUT_DIR [--json FILE] [--ideal]   (exit status judged on `dist` alone)
Runs in the venv made by tools/judge/setup.sh ($TRUESHOT_JUDGE_VENV or
~/.cache/trueshot/judge-venv); when started with another Python it re-executes itself there.
Relative `input` paths are taken from the current directory, else from OUT_DIR.
Original photos are read like trueshot reads them: EXIF orientation applied, ICC profile converted
to sRGB, alpha flattened on white.
SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import glob
import hashlib
import importlib.util
import io
import json
import os
import statistics
import sys

try:
    import dlib
    import numpy as np
    from PIL import Image, ImageCms, ImageOps
except ImportError:
    venv = os.environ.get("TRUESHOT_JUDGE_VENV") or os.path.expanduser("~/.cache/trueshot/judge-venv")
    py = os.path.join(venv, "bin", "python")
    if os.path.exists(py) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
        os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])
    print(f"identity.py: dlib/numpy/Pillow missing; run tools/judge/setup.sh (venv {venv})", file=sys.stderr)
    sys.exit(2)

BOUND, MEDIAN_BOUND = 0.2, 0.08


def models():
    # Located without importing face_recognition_models (its __init__ needs pkg_resources).
    d = os.path.join(os.path.dirname(importlib.util.find_spec("face_recognition_models").origin), "models")
    return (dlib.get_frontal_face_detector(),
            dlib.shape_predictor(os.path.join(d, "shape_predictor_68_face_landmarks.dat")),
            dlib.face_recognition_model_v1(os.path.join(d, "dlib_face_recognition_resnet_model_v1.dat")))


def load_rgb(path):
    img = ImageOps.exif_transpose(Image.open(path))
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "RGBA", "CMYK"):
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            img = ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"),
                                            outputMode="RGBA" if img.mode == "RGBA" else "RGB")
        except (ImageCms.PyCMSError, OSError) as e:
            print(f"warning: {path}: ICC profile ignored ({e})", file=sys.stderr)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, (255, 255, 255))
        img.paste(rgba, mask=rgba.getchannel("A"))
    return img.convert("RGB")


def faces(m, img):
    """[(rect, shape)] from the HOG detector, upsampling once only if nothing is found."""
    det, sp, _ = m
    arr = np.asarray(img)
    rects = det(arr, 0) or det(arr, 1)
    return arr, [(r, sp(arr, r)) for r in rects]


def descriptor(m, arr, shape):
    return np.array(m[2].compute_face_descriptor(arr, shape, 1))


def eye_mid(shape):
    return np.mean([[shape.part(i).x, shape.part(i).y] for i in range(36, 48)], axis=0)


def ideal_crop(img, aff, w, h):
    a = np.array([[aff[0], aff[1]], [aff[3], aff[4]]])
    ai = np.linalg.inv(a)
    ti = -ai @ np.array([aff[2], aff[5]])
    return img.transform((w, h), Image.Transform.AFFINE, (ai[0, 0], ai[0, 1], ti[0], ai[1, 0], ai[1, 1], ti[1]),
                         resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))


def output_distance(m, img, ref):
    arr, found = faces(m, img)
    if not found:
        return None, "no face in output"
    r, shape = max(found, key=lambda f: f[0].width() * f[0].height())
    return float(np.linalg.norm(descriptor(m, arr, shape) - ref)), f"{len(found)} face(s)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--json", help="also write the rows as JSON here")
    ap.add_argument("--ideal", action="store_true", help="also measure Pillow's own crop at the same affine")
    a = ap.parse_args()
    reports = sorted(glob.glob(os.path.join(a.out_dir, "*.report.json")))
    if not reports:
        print(f"identity.py: no *.report.json in {a.out_dir}", file=sys.stderr)
        sys.exit(2)
    m = models()
    rows, failed = [], False
    for rp in reports:
        rep = json.load(open(rp))
        photo = os.path.basename(rp)[: -len(".report.json")]
        src = rep["input"]
        if not os.path.isabs(src) and not os.path.exists(src):
            src = os.path.join(a.out_dir, src)
        written = [v for v in rep.get("variants", []) if v.get("status") == "written"]
        if not os.path.exists(src):
            rows += [{"photo": photo, "variant": v.get("name"), "distance": None, "note": f"input {src} missing"} for v in written]
            continue
        if rep.get("input_sha256") and hashlib.sha256(open(src, "rb").read()).hexdigest() != rep["input_sha256"]:
            print(f"warning: {src}: SHA-256 differs from the report's input_sha256", file=sys.stderr)
        orig = load_rgb(src)
        oarr, ofaces = faces(m, orig)
        cache = {}
        for v in written:
            row = {"photo": photo, "variant": v["name"], "distance": None}
            rows.append(row)
            aff, fr = v["source_to_output"], v.get("framing") or {}
            target = np.array([fr.get("center_x", 0.5) * v["width"], fr.get("eye_line", 0.4) * v["height"]])
            if not ofaces:
                row["note"] = "no face in original"
                continue
            amat = np.array([[aff[0], aff[1], aff[2]], [aff[3], aff[4], aff[5]]])
            where = [np.linalg.norm(amat @ np.append(eye_mid(s), 1.0) - target) for _, s in ofaces]
            k = int(np.argmin(where))
            if k not in cache:
                cache[k] = descriptor(m, oarr, ofaces[k][1])
            row["original_faces"] = len(ofaces)
            row["chosen_face_miss_px"] = round(float(where[k]), 1)
            path = os.path.join(a.out_dir, v["file"])
            if os.path.exists(path):
                row["distance"], row["note"] = output_distance(m, load_rgb(path), cache[k])
            else:
                row["note"] = f"{v['file']} missing"
            if a.ideal:
                row["ideal"], _ = output_distance(m, ideal_crop(orig, aff, v["width"], v["height"]), cache[k])
    cols = ["distance"] + ["ideal"] * a.ideal
    fmt = lambda d: "   -  " if d is None else f"{d:6.3f}"
    print(f"{'photo':28s} {'variant':10s} " + " ".join(f"{c.replace('distance', 'dist'):>6s}" for c in cols) + "  note")
    for r in rows:
        bad = r["distance"] is None or r["distance"] > BOUND
        failed |= bad
        print(f"{r['photo']:28s} {r['variant']:10s} " + " ".join(fmt(r.get(c)) for c in cols)
              + f"  {r.get('note', '')}{'  FAIL' if bad else ''}")
    summary = {"count": len(rows)}
    for c in cols:
        ds = [r[c] for r in rows if r.get(c) is not None]
        summary[c] = {"measured": len(ds), "max": max(ds, default=None), "median": statistics.median(ds) if ds else None}
    med = summary["distance"]["median"]
    failed |= med is None or med > MEDIAN_BOUND
    for c in cols:
        s = summary[c]
        print(f"{c:8s}: {s['measured']}/{len(rows)} measured, max {fmt(s['max'])}, median {fmt(s['median'])}")
    print(f"bounds on distance: each <= {BOUND}, median <= {MEDIAN_BOUND} -> {'FAIL' if failed else 'ok'}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": rows, "summary": summary, "failed": failed}, f, indent=1)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
