"""Reference for trueshot's identity net (`face_recognition`, face-api's port of dlib's ResNet).

`make` (runs in the dlib judge venv, tools/judge/setup.sh): for each photo below, finds the
largest face with dlib's HOG detector (upsampling once only when nothing is found without), fits
the 68-point shape predictor, cuts dlib's aligned face chip with
`dlib.get_face_chip(img, shape, size=150, padding=0.25)` (what dlib's own descriptor uses), saves
it losslessly as photos/reference/identity_chips/<name>.png and writes dlib's descriptor of that
chip, `compute_face_descriptor(chip, num_jitters=1)` (no jitter), to
photos/reference/dlib-identity.json. Photos are read like trueshot and the identity judge read
them (tools/judge/identity.py: EXIF orientation, ICC → sRGB, alpha on white).

`compare` (any Python with numpy, Pillow and onnxruntime): runs an ONNX file with trueshot's
interface (input "input" NHWC float32 [1,150,150,3], RGB, (rgb - [122.782, 117.001, 104.298]) / 255;
output "descriptor" [1,128]) on each saved chip and prints, per chip, the Euclidean distance to
dlib's descriptor and the largest absolute difference, then both 6×6 distance matrices.

Usage:
  identity_chips.py make [REPO_ROOT]
  identity_chips.py compare MODEL.onnx [REPO_ROOT] [--json FILE]
REPO_ROOT defaults to the repository holding this script.
SPDX-License-Identifier: GPL-3.0-or-later
"""
import hashlib
import importlib.util
import json
import os
import sys

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
CHIP_DIR = "photos/reference/identity_chips"
JSON_PATH = "photos/reference/dlib-identity.json"
MEAN_RGB = (122.782, 117.001, 104.298)
SAME_PERSON = 0.6


def judge():
    """tools/judge/identity.py as a module (photo reading and dlib's models), in the judge venv:
    without dlib this process re-executes itself there first."""
    try:
        import dlib  # noqa: F401
    except ImportError:
        venv = os.environ.get("TRUESHOT_JUDGE_VENV") or os.path.expanduser("~/.cache/trueshot/judge-venv")
        py = os.path.join(venv, "bin", "python")
        if os.path.exists(py) and os.path.realpath(sys.prefix) != os.path.realpath(venv):
            os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])
        sys.exit(f"identity_chips.py: dlib missing; run tools/judge/setup.sh identity (venv {venv})")
    spec = importlib.util.spec_from_file_location("identity", os.path.join(HERE, "..", "judge", "identity.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make(root):
    ident = judge()
    dlib, np = ident.dlib, ident.np
    from PIL import Image

    m = ident.models()
    os.makedirs(os.path.join(root, CHIP_DIR), exist_ok=True)
    chips = {}
    for name, rel in PHOTOS.items():
        arr, found = ident.faces(m, ident.load_rgb(os.path.join(root, rel)))
        if not found:
            sys.exit(f"identity_chips.py: no face in {rel}")
        rect, shape = max(found, key=lambda f: f[0].width() * f[0].height())
        chip = dlib.get_face_chip(arr, shape, size=150, padding=0.25)
        desc = np.array(m[2].compute_face_descriptor(chip, 1))
        # The same descriptor computed from the whole photo (dlib cuts the identical chip itself).
        whole = np.array(m[2].compute_face_descriptor(arr, shape, 1))
        out = os.path.join(CHIP_DIR, name + ".png")
        Image.fromarray(chip).save(os.path.join(root, out), optimize=True)
        chips[name] = {
            "file": out,
            "sha256": hashlib.sha256(open(os.path.join(root, out), "rb").read()).hexdigest(),
            "source": rel,
            "faces_found": len(found),
            "face_box": [rect.left(), rect.top(), rect.right(), rect.bottom()],
            "descriptor": [float(v) for v in desc],
        }
        print(f"{name:13s} {rel:30s} faces {len(found)}  chip vs whole-photo descriptor "
              f"{np.linalg.norm(desc - whole):.2e}")
    doc = {
        "dlib_version": dlib.__version__,
        "model": "dlib_face_recognition_resnet_model_v1",
        "shape_predictor": "shape_predictor_68_face_landmarks",
        "made_by": "tools/reference/identity_chips.py make",
        "chip": "dlib.get_face_chip(img, shape_68, size=150, padding=0.25), largest HOG face, PNG (RGB)",
        "descriptor": "compute_face_descriptor(chip, num_jitters=1): no jitter; not L2-normalised",
        "chips": chips,
    }
    with open(os.path.join(root, JSON_PATH), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {JSON_PATH} and {len(chips)} chips in {CHIP_DIR}/")


def compare(model, root, json_out=None):
    import numpy as np
    import onnxruntime as ort
    from PIL import Image

    ref = json.load(open(os.path.join(root, JSON_PATH)))["chips"]
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    names = list(ref)
    ours, dlibs = {}, {}
    print(f"{'chip':13s} {'dist(ours,dlib)':>15s} {'max|diff|':>10s} {'|ours|':>7s} {'|dlib|':>7s}")
    for n in names:
        rgb = np.asarray(Image.open(os.path.join(root, ref[n]["file"])).convert("RGB"), np.float32)
        x = ((rgb - np.array(MEAN_RGB, np.float32)) / 255.0)[None]
        ours[n] = sess.run(["descriptor"], {"input": x})[0][0].astype(np.float64)
        dlibs[n] = np.array(ref[n]["descriptor"])
        d = ours[n] - dlibs[n]
        print(f"{n:13s} {np.linalg.norm(d):15.4f} {np.abs(d).max():10.4f} "
              f"{np.linalg.norm(ours[n]):7.3f} {np.linalg.norm(dlibs[n]):7.3f}")
    person = lambda n: n.rstrip("0123456789")
    result = {"per_chip": {n: {"distance": float(np.linalg.norm(ours[n] - dlibs[n])),
                               "max_abs_diff": float(np.abs(ours[n] - dlibs[n]).max())} for n in names}}
    for label, vecs in (("dlib", dlibs), ("ours", ours)):
        mat = [[float(np.linalg.norm(vecs[a] - vecs[b])) for b in names] for a in names]
        result[label] = mat
        print(f"\n{label}: pairwise distances (same person < {SAME_PERSON})")
        print(" " * 13 + "".join(f"{n[:8]:>9s}" for n in names))
        wrong = 0
        for i, a in enumerate(names):
            cells = []
            for j, b in enumerate(names):
                ok = i == j or (mat[i][j] < SAME_PERSON) == (person(a) == person(b))
                wrong += not ok
                cells.append(f"{mat[i][j]:8.3f}{' ' if ok else '!'}")
            print(f"{a:13s}" + "".join(cells))
        print(f"{label}: {wrong // 2} pair(s) on the wrong side of {SAME_PERSON}")
    if json_out:
        with open(json_out, "w") as f:
            json.dump(result, f, indent=1)


def main():
    args = sys.argv[1:]
    if args[:1] == ["make"]:
        make(os.path.abspath(args[1]) if len(args) > 1 else DEFAULT_ROOT)
    elif args[:1] == ["compare"] and len(args) >= 2:
        json_out = None
        if "--json" in args:
            k = args.index("--json")
            json_out = args[k + 1]
            del args[k:k + 2]
        compare(args[1], os.path.abspath(args[2]) if len(args) > 2 else DEFAULT_ROOT, json_out)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
