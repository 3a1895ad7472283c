#!/usr/bin/env python3
"""Did a refactor change what trueshot makes? Runs two `trueshot` binaries on the bundled photos in
six configurations (the default guideline; a radial gradient over the samples and the test photos;
the background kept; a team on the office photo; the US passport guideline; a guideline with
cutouts and a print sheet) and compares:
  - every report.json, timings left out (`ms`, `*_ms`) and the `input` path;
  - the report files' text (key order included), timings left out;
  - summary.csv and index.html, byte for byte;
  - every headshot, cutout and sheet, pixel for pixel (needs Pillow; skipped without it);
  - the content credentials of the cutout-and-sheet run (`trueshot verify --json`), timings and
    file paths left out.

Usage: tools/refactor/same_outputs.py OLD_TRUESHOT NEW_TRUESHOT
Exit code 0 when nothing differs."""
import glob, json, os, re, subprocess, sys, tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
old_exe, new_exe = sys.argv[1], sys.argv[2]

work = tempfile.mkdtemp(prefix="trueshot-same-")
guide = os.path.join(work, "cutout-sheet.toml")
text = open(os.path.join(ROOT, "crates/guide/src/presets/corporate.toml")).read()
text = text.replace('name = "corporate"', 'name = "corp-cutout"', 1).replace("[background]", "[background]\ncutout = true", 1)
text += '\n[[sheet]]\nname = "print"\nof = "badge"\nwidth_in = 6.0\nheight_in = 4.0\nmargin_in = 0.1\ngutter_in = 0.2\ncut_marks = true\n'
open(guide, "w").write(text)
RUNS = {
    "corp": ["photos/samples"],
    "grad": ["photos/samples", "photos/test", "--background", "gradient:#5b6f86,#1d2733,radial"],
    "keep": ["photos/samples", "--background", "keep"],
    "team": ["photos/samples", "--team", "--background", "image:photos/backgrounds/office.jpg,8"],
    "pass": ["photos/samples", "--guide", "passport-us"],
    "cut": ["photos/samples", "--guide", guide],
}
for side, exe in (("old", old_exe), ("new", new_exe)):
    for run, args in RUNS.items():
        subprocess.run([exe, "process", *args, "--jobs", "2", "--out", os.path.join(work, side, run)],
                       cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if not (k == "ms" or k.endswith("_ms") or k in ("time", "file", "input"))}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v

timing = re.compile(r'"(ms|[a-z_]*_ms|input)":')
differ = []
for run in RUNS:
    a_dir, b_dir = os.path.join(work, "old", run), os.path.join(work, "new", run)
    for f in sorted(glob.glob(f"{a_dir}/*.report.json")):
        g = f.replace(a_dir, b_dir, 1)
        if not os.path.exists(g):
            differ.append(f"{run}: {os.path.basename(f)} missing"); continue
        if strip(json.load(open(f))) != strip(json.load(open(g))):
            differ.append(f"{run}: {os.path.basename(f)} differs")
        lines = lambda p: [l for l in open(p).read().splitlines() if not timing.search(l)]
        if lines(f) != lines(g):
            differ.append(f"{run}: {os.path.basename(f)} text differs")
    for name in ("summary.csv", "index.html"):
        if open(os.path.join(a_dir, name), "rb").read() != open(os.path.join(b_dir, name), "rb").read():
            differ.append(f"{run}: {name} differs")
    files = sorted(glob.glob(f"{a_dir}/*.jpg") + glob.glob(f"{a_dir}/*.png"))
    try:
        from PIL import Image, ImageChops
        for f in files:
            g = f.replace(a_dir, b_dir, 1)
            x, y = Image.open(f).convert("RGBA"), Image.open(g).convert("RGBA")
            if x.size != y.size or ImageChops.difference(x, y).getbbox() is not None:
                differ.append(f"{run}: {os.path.basename(f)} pixels differ")
    except ImportError:
        print("Pillow missing: pixels not compared")
    if run == "cut":
        for f in files:
            g = f.replace(a_dir, b_dir, 1)
            read = lambda exe, p: strip(json.loads(subprocess.run([exe, "verify", "--json", p], capture_output=True, text=True).stdout))
            if read(old_exe, f) != read(new_exe, g):
                differ.append(f"{run}: {os.path.basename(f)} content credentials differ")
n = len(glob.glob(f"{work}/old/*/*.report.json"))
print(f"{n} reports, {len(glob.glob(f'{work}/old/*/*.jpg') + glob.glob(f'{work}/old/*/*.png'))} pictures compared in {work}")
print("\n".join(differ) if differ else "no difference")
sys.exit(1 if differ else 0)
