"""Reference results from MediaPipe 0.10.14's own Python runtime, for trueshot's perception tests.

For every photo given, writes one JSON object with what MediaPipe itself finds:
  - faces_full_range / faces_short_range: face counts from mp.solutions.face_detection
    (model_selection 1 and 0);
  - mesh_faces: for each face found by mp.solutions.face_mesh (static images, refined
    landmarks): iris centres (the subject's own left and right), chin (landmark 152), and head
    pose computed from the 3-D mesh with exactly the definition trueshot uses
    (crates/vision/src/face.rs, `head_pose`);
  - body: shoulders, elbows and wrists from mp.solutions.pose (static images, full model).
Coordinates are pixels of the upright photo (MediaPipe gets the same pixels trueshot decodes:
EXIF orientation applied with Pillow, converted to RGB).

Usage: python mediapipe_reference.py OUT.json PHOTO...   (in a venv with mediapipe==0.10.14)
Also: --time N  runs detection + mesh N times per photo and reports the median ms (for the
side-by-side benchmark).
"""
import json
import math
import sys
import time

import numpy as np
from PIL import Image, ImageOps
import mediapipe as mp


SYMMETRIC_PAIRS = [(33, 263), (133, 362), (61, 291), (234, 454), (93, 323), (132, 361), (58, 288), (172, 397)]
MIDLINE_UPPER = [168, 6]
MIDLINE_LOWER = [2, 0, 17]


def head_pose(pts):
    """pts: (478|468, 3) pixels with z scaled like x. Mirrors trueshot's `head_pose`."""
    norm = lambda v: v / max(np.linalg.norm(v), 1e-9)
    x = norm(sum(pts[l] - pts[r] for r, l in SYMMETRIC_PAIRS))
    down = np.mean(pts[MIDLINE_LOWER], 0) - np.mean(pts[MIDLINE_UPPER], 0)
    y = norm(down - np.dot(down, x) * x)
    z = np.cross(x, y)
    f = -z
    yaw = math.degrees(math.atan2(f[0], -f[2]))
    pitch = math.degrees(math.atan2(-f[1], math.hypot(f[0], f[2])))
    roll = math.degrees(math.atan2(x[1], x[0]))
    return {"yaw": yaw, "pitch": pitch, "roll": roll}


def load(path):
    img = ImageOps.exif_transpose(Image.open(path))
    return np.ascontiguousarray(np.asarray(img.convert("RGB")))


def main():
    args = sys.argv[1:]
    repeats = 0
    if args and args[0] == "--time":
        repeats = int(args[1])
        args = args[2:]
    out_path, photos = args[0], args[1:]
    results = []
    det_full = mp.solutions.face_detection.FaceDetection(model_selection=1, min_detection_confidence=0.6)
    det_short = mp.solutions.face_detection.FaceDetection(model_selection=0, min_detection_confidence=0.5)
    mesh = mp.solutions.face_mesh.FaceMesh(static_image_mode=True, max_num_faces=16, refine_landmarks=True, min_detection_confidence=0.5)
    pose = mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1)
    for path in photos:
        rgb = load(path)
        h, w = rgb.shape[:2]
        r = {"path": path, "width": w, "height": h}
        full = det_full.process(rgb).detections or []
        short = det_short.process(rgb).detections or []
        r["faces_full_range"] = len(full)
        r["faces_short_range"] = len(short)
        res = mesh.process(rgb)
        faces = []
        for lm in res.multi_face_landmarks or []:
            pts = np.array([[l.x * w, l.y * h, l.z * w] for l in lm.landmark])
            # The iris centre nearer the subject's right eye corners (33, 133) is the right eye.
            c1, c2 = pts[468, :2], pts[473, :2]
            right_corner = (pts[33, :2] + pts[133, :2]) / 2
            right, left = (c1, c2) if np.linalg.norm(c1 - right_corner) < np.linalg.norm(c2 - right_corner) else (c2, c1)
            xs, ys = pts[:, 0], pts[:, 1]
            faces.append({
                "eyes": {"right": right.tolist(), "left": left.tolist()},
                "chin": pts[152, :2].tolist(),
                "pose": head_pose(pts),
                "mesh_box": [float(xs.min()), float(ys.min()), float(xs.max() - xs.min()), float(ys.max() - ys.min())],
            })
        faces.sort(key=lambda f: -f["mesh_box"][2] * f["mesh_box"][3])
        r["mesh_faces"] = faces
        pr = pose.process(rgb)
        if pr.pose_landmarks:
            names = {11: "left_shoulder", 12: "right_shoulder", 13: "left_elbow", 14: "right_elbow", 15: "left_wrist", 16: "right_wrist"}
            r["body"] = {n: {"at": [pr.pose_landmarks.landmark[i].x * w, pr.pose_landmarks.landmark[i].y * h],
                             "visibility": pr.pose_landmarks.landmark[i].visibility} for i, n in names.items()}
        if repeats:
            t = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                det_full.process(rgb)
                mesh.process(rgb)
                t.append((time.perf_counter() - t0) * 1e3)
            r["median_ms_detect_and_mesh"] = float(np.median(t))
        results.append(r)
        print(f"{path}: {len(faces)} mesh face(s), {r['faces_full_range']} full-range detection(s)", file=sys.stderr)
    with open(out_path, "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
