#!/usr/bin/env python3
"""Skin tone of the person in a photo as ITA° (individual typology angle), measured on the
person's own cheeks in the original photo.

ITA = atan2(L* - 50, b*) in degrees, with L* and b* of CIELAB (D65) (Chardon, Cretois and
Hourseau, "Skin colour typology and suntanning pathways", Int. J. Cosmet. Sci. 13(4):191-208,
1991). Chardon's six categories: very light > 55°, light 41-55°, intermediate 28-41°,
tan 10-28°, brown -30-10°, dark < -30°; merged here into three groups (GROUPS).

Where it measures: two cheek patches, one below each eye, in the face's own frame (the eye
line's direction and its perpendicular toward the chin, so a tilted head is followed): from
PATCH_TOP to PATCH_BOTTOM of the eye-to-chin distance below the eye line, PATCH_HALF_WIDTH of the
eye distance either side of the eye. The forehead is not used (hair, head coverings, glasses'
frames and shine cover it too often). The photo is made upright first (EXIF orientation:
Pillow's ImageOps.exif_transpose), as the report's coordinates are of the upright photo, and
converted to sRGB through its ICC profile when it has one. The darkest and brightest TRIM of the
patches' pixels by L* (shadows, specular highlights, stray hair) are dropped; the median L* and
median b* of the rest give the ITA.

Run by scripts/eval/run in the cache's Pillow venv: reads a JSON list of jobs on stdin
({"id", "file", "eyes": {"right": [x, y], "left": [x, y]}, "chin": [x, y], "width", "height"}),
writes a JSON list of results on stdout. The functions above main() need only the standard
library (scripts/eval/run imports them for the groups).
SPDX-License-Identifier: GPL-3.0-or-later
"""
import json
import math
import sys

PATCH_TOP, PATCH_BOTTOM = 0.20, 0.45  # of the eye-to-chin distance, below the eye line
PATCH_HALF_WIDTH = 0.25               # of the eye distance, either side of the patch centre (half an eye distance wide)
PATCH_OUT = 0.10                      # of the eye distance: the patch centre, outward (away from the nose) of the eye
TRIM = 0.10                           # dropped at each end, by L*
MAX_SAMPLES = 64                      # per side of a patch (a larger patch is sampled on a grid)
MIN_PIXELS = 40                       # fewer kept pixels than this: not measured
MIN_CHROMA = 2.0                      # median C*ab below this: no colour to measure (grey photo)

# Chardon et al. 1991 categories (lower bound exclusive, upper inclusive: ITA > 55 is very light).
CHARDON = ((55.0, "very light"), (41.0, "light"), (28.0, "intermediate"), (10.0, "tan"),
           (-30.0, "brown"), (-math.inf, "dark"))
# Merged into three: light (> 41°), intermediate/tan (10° < ITA <= 41°), brown/dark (<= 10°).
# The names are those of the manifest's hand labels (skin:light, skin:intermediate, skin:brown-dark).
GROUPS = ((41.0, "light"), (10.0, "intermediate"), (-math.inf, "brown-dark"))
GROUP_NAMES = tuple(g for _, g in GROUPS)


def chardon(ita):
    return next(name for lo, name in CHARDON if ita > lo)


def group(ita):
    return next(name for lo, name in GROUPS if ita > lo)


def ita_deg(l_star, b_star):
    return math.degrees(math.atan2(l_star - 50.0, b_star))


# sRGB (IEC 61966-2-1) -> linear -> XYZ (D65) -> CIELAB (D65 white).
_LIN = [((c / 255.0) / 12.92) if c / 255.0 <= 0.04045 else (((c / 255.0) + 0.055) / 1.055) ** 2.4 for c in range(256)]
_WHITE = (0.95047, 1.0, 1.08883)


def _f(t):
    return t ** (1.0 / 3.0) if t > 216.0 / 24389.0 else (24389.0 / 27.0 * t + 16.0) / 116.0


def srgb_to_lab(r, g, b):
    """CIELAB (D65) of an 8-bit sRGB colour."""
    rl, gl, bl = _LIN[r], _LIN[g], _LIN[b]
    x = 0.4124564 * rl + 0.3575761 * gl + 0.1804375 * bl
    y = 0.2126729 * rl + 0.7151522 * gl + 0.0721750 * bl
    z = 0.0193339 * rl + 0.1191920 * gl + 0.9503041 * bl
    fx, fy, fz = _f(x / _WHITE[0]), _f(y / _WHITE[1]), _f(z / _WHITE[2])
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


def median(xs):
    s = sorted(xs)
    n = len(s)
    if not n:
        return None
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def patches(eyes, chin):
    """The two cheek patches as parallelograms (origin, across, down) in photo pixels."""
    (rx, ry), (lx, ly) = eyes["right"], eyes["left"]
    ux, uy = lx - rx, ly - ry
    ipd = math.hypot(ux, uy)
    if ipd < 1.0:
        return None, 0.0, 0.0
    ux, uy = ux / ipd, uy / ipd
    dx, dy = -uy, ux  # perpendicular to the eye line, turned toward the chin below
    mx, my = (rx + lx) / 2, (ry + ly) / 2
    cx, cy = chin
    if dx * (cx - mx) + dy * (cy - my) < 0:
        dx, dy = -dx, -dy
    e2c = abs(dx * (cx - mx) + dy * (cy - my))  # the eye line's distance from the chin
    if e2c < 1.0:
        return None, ipd, e2c
    out = []
    for (ex, ey), side in (((rx, ry), -1.0), ((lx, ly), 1.0)):
        ex, ey = ex + side * PATCH_OUT * ipd * ux, ey + side * PATCH_OUT * ipd * uy
        ox = ex - PATCH_HALF_WIDTH * ipd * ux + PATCH_TOP * e2c * dx
        oy = ey - PATCH_HALF_WIDTH * ipd * uy + PATCH_TOP * e2c * dy
        across = (2 * PATCH_HALF_WIDTH * ipd * ux, 2 * PATCH_HALF_WIDTH * ipd * uy)
        down = ((PATCH_BOTTOM - PATCH_TOP) * e2c * dx, (PATCH_BOTTOM - PATCH_TOP) * e2c * dy)
        out.append(((ox, oy), across, down))
    return out, ipd, e2c


def sample(px, w, h, alpha, patch):
    """Lab of the patch's pixels (nearest pixel on a grid of at most MAX_SAMPLES a side)."""
    (ox, oy), (ax, ay), (bx, by) = patch
    na = max(2, min(MAX_SAMPLES, int(math.hypot(ax, ay))))
    nb = max(2, min(MAX_SAMPLES, int(math.hypot(bx, by))))
    labs, outside = [], 0
    for i in range(na):
        s = (i + 0.5) / na
        for j in range(nb):
            t = (j + 0.5) / nb
            x, y = int(ox + s * ax + t * bx), int(oy + s * ay + t * by)
            if not (0 <= x < w and 0 <= y < h):
                outside += 1
                continue
            if alpha is not None and alpha[x, y] < 250:
                outside += 1
                continue
            r, g, b = px[x, y][:3]
            labs.append(srgb_to_lab(r, g, b))
    return labs, outside


def summarise(labs):
    """(median L*, median a*, median b*, kept) after dropping TRIM at both ends by L*."""
    labs = sorted(labs)
    k = int(len(labs) * TRIM)
    kept = labs[k:len(labs) - k] if len(labs) - 2 * k > 0 else labs
    return (median([c[0] for c in kept]), median([c[1] for c in kept]), median([c[2] for c in kept]), kept)


def measure(job):
    import io
    from PIL import Image, ImageCms, ImageOps
    res = {"id": job["id"]}
    im = Image.open(job["file"])
    im = ImageOps.exif_transpose(im)
    icc = im.info.get("icc_profile")
    alpha = None
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        alpha = im.getchannel("A").load()
    if im.mode in ("L", "LA", "I", "I;16", "F", "1"):
        res["note"] = "grey photo"
        return res
    rgb = im.convert("RGB")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            desc = ImageCms.getProfileDescription(src).strip()
            if "sRGB" not in desc:
                rgb = ImageCms.profileToProfile(rgb, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
                res["converted_from"] = desc
        except (OSError, ImageCms.PyCMSError) as e:
            res["icc_error"] = str(e)[:200]
    w, h = rgb.size
    eyes, chin = job["eyes"], job["chin"]
    if job.get("width") and job.get("height") and (job["width"], job["height"]) != (w, h):
        # The report is of another size than the upright photo: scale its coordinates.
        sx, sy = w / job["width"], h / job["height"]
        eyes = {k: [v[0] * sx, v[1] * sy] for k, v in eyes.items()}
        chin = [chin[0] * sx, chin[1] * sy]
        res["rescaled"] = [job["width"], job["height"], w, h]
    ps, ipd, e2c = patches(eyes, chin)
    if not ps:
        res["note"] = "face too small"
        return res
    px = rgb.load()
    sides = []
    allx, outside = [], 0
    for patch in ps:
        labs, out = sample(px, w, h, alpha, patch)
        outside += out
        allx += labs
        if len(labs) >= MIN_PIXELS // 2:
            l, a, b, _ = summarise(labs)
            sides.append(round(ita_deg(l, b), 1))
        else:
            sides.append(None)
    res["pixels"] = len(allx)
    res["outside"] = outside
    if len(allx) < MIN_PIXELS:
        res["note"] = "cheeks outside the photo"
        return res
    l, a, b, kept = summarise(allx)
    chroma = math.hypot(a, b)
    res.update(L=round(l, 2), a=round(a, 2), b=round(b, 2), chroma=round(chroma, 2), kept=len(kept),
               ita_right=sides[0], ita_left=sides[1])
    if chroma < MIN_CHROMA:
        res["note"] = "no colour (grey photo)"
        return res
    ita = ita_deg(l, b)
    res.update(ita=round(ita, 1), group=group(ita), chardon=chardon(ita))
    return res


def main():
    jobs = json.load(sys.stdin)
    out = []
    for job in jobs:
        try:
            out.append(measure(job))
        except Exception as e:  # one unreadable photo must not stop the others
            out.append({"id": job.get("id"), "note": f"error: {e}"[:300]})
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
