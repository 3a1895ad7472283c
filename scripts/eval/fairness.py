"""Skin tone (ITA°, measured by scripts/eval/ita.py) and the fairness report per group, for
scripts/eval/run.

Groups: the three skin-tone groups from each photo's measured ITA (and, for comparison, from the
manifest's hand labels), and the manifest's attribute labels (ATTRIBUTES). Per group, for one mode
(the replaced background): yield = headshots written / eligible (photo, variant) pairs, with
eligibility as `run` judges it, and the mean of each written headshot's verification measures
(MEASURES). Gaps: max − min of the group means over the skin-tone groups; with − without the
label for an attribute. A gap beyond BOUNDS is flagged, and so is any group whose mean signed skin
lightness shift is beyond ±DRIFT L*.

Standard library only (ita.py's measuring runs in the cache's Pillow venv).
SPDX-License-Identifier: GPL-3.0-or-later
"""
import collections
import html
import json
import math
import os
import subprocess
import sys

import ita

# Each written headshot's measures, from its variant in the report: (key, label, where it is).
MEASURES = (
    ("identity_distance", "identity distance", ("verification", "measures", "identity_distance")),
    ("landmark_drift", "landmark drift", ("verification", "measures", "landmark_drift")),
    ("texture_kept", "texture kept", ("verification", "measures", "texture_kept")),
    ("skin_lightness_shift", "skin L* shift (signed)", ("verification", "measures", "skin_lightness_shift")),
    ("skin_lightness_shift_abs", "|skin L* shift|", None),
    ("skin_hue_chroma_delta_e", "skin hue/chroma ΔE", ("verification", "measures", "skin_hue_chroma_delta_e")),
    ("eye_white_l_rise", "eye-white L* rise", ("verification", "measures", "eye_white_l_rise")),
    ("age_change_years", "age change (years)", ("verification", "measures", "age_change_years")),
    ("halo_delta_e", "halo ΔE", ("matting", "halo_delta_e")),
)
# Largest acceptable gap between groups (group means; yield in percentage points).
BOUNDS = {"yield": 5.0, "identity_distance": 0.03, "texture_kept": 0.05,
          "skin_hue_chroma_delta_e": 1.0, "skin_lightness_shift": 1.0, "skin_lightness_shift_abs": 1.0}
DRIFT = 0.5  # a group's mean signed skin L* shift beyond ±this: said plainly in the report
# People a group needs before its numbers mean much (the evaluation's aim: ≥ 12 per skin-tone group,
# ≥ 8 per attribute); a thinner group is marked "thin".
THIN_SKIN, THIN_ATTRIBUTE = 12, 8
# Attribute groups: name and the manifest labels that put a photo in it.
ATTRIBUTES = (
    ("beard", ("beard",)),
    ("long hair", ("long-hair",)),
    ("curly hair", ("curly-hair",)),
    ("glasses (incl. sunglasses)", ("glasses", "sunglasses")),
    ("bald", ("bald",)),
    ("head covering", ("head-covering",)),
    ("over 60", ("over-60",)),
    ("busy background", ("busy-background",)),
    ("backlit", ("backlit",)),
)
PARAMS = {"version": 1, "top": ita.PATCH_TOP, "bottom": ita.PATCH_BOTTOM, "half_width": ita.PATCH_HALF_WIDTH,
          "out": ita.PATCH_OUT, "trim": ita.TRIM, "samples": ita.MAX_SAMPLES}


def log(msg):
    print(f"eval: {msg}", flush=True, file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Skin tone


def face_of(ph, runs, modes):
    """(report, main_face) of the photo: the replaced mode's report first."""
    for m in sorted(modes, key=lambda m: m != "replaced"):
        rep = runs[m].get(ph["id"])
        if rep and rep.get("main_face") and rep["main_face"].get("eyes") and rep["main_face"].get("chin"):
            return rep, rep["main_face"]
    return None, None


def skin_tones(photos, runs, modes, cache, python):
    """{photo id: ITA result} (see ita.py), cached in CACHE/skin-ita.json by photo file, face and
    measuring parameters. `python` runs ita.py (the cache's Pillow venv); None: nothing measured."""
    path = os.path.join(cache, "skin-ita.json")
    try:
        with open(path) as fh:
            store = json.load(fh)
    except (OSError, ValueError):
        store = {}
    out, jobs, keys = {}, [], {}
    for ph in photos:
        rep, mf = face_of(ph, runs, modes)
        if not mf:
            out[ph["id"]] = {"id": ph["id"], "note": "no face found"}
            continue
        st = os.stat(ph["file"])
        key = json.dumps([st.st_size, st.st_mtime_ns, mf["eyes"], mf["chin"], rep.get("width"), rep.get("height"), PARAMS])
        if store.get(ph["id"], {}).get("key") == key:
            out[ph["id"]] = store[ph["id"]]["result"]
            continue
        keys[ph["id"]] = key
        jobs.append({"id": ph["id"], "file": ph["file"], "eyes": mf["eyes"], "chin": mf["chin"],
                     "width": rep.get("width"), "height": rep.get("height")})
    if jobs:
        if not python:
            log("skin tone: no Pillow venv, ITA not measured")
        else:
            log(f"skin tone: measuring ITA on {len(jobs)} photos")
            p = subprocess.run([python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "ita.py")],
                               input=json.dumps(jobs), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            if p.returncode != 0:
                log(f"skin tone: ita.py failed ({p.returncode}): {p.stderr.strip()[-500:]}")
            else:
                for r in json.loads(p.stdout):
                    out[r["id"]] = r
                    store[r["id"]] = {"key": keys[r["id"]], "result": r}
                with open(path + ".part", "w") as fh:
                    json.dump(store, fh)
                os.replace(path + ".part", path)
    return out


def hand_label(ph):
    for lab in ph.get("labels", []):
        if lab.startswith("skin:") and lab[5:] in ita.GROUP_NAMES:
            return lab[5:]
    return None


def skin_summary(photos, tones):
    """Per-photo ITA records, counts per group, and the agreement with the hand labels."""
    names = ita.GROUP_NAMES
    per_photo, conf = [], collections.Counter()
    notes = collections.Counter()
    by_hand = collections.defaultdict(list)
    for ph in photos:
        t = tones.get(ph["id"]) or {}
        h = hand_label(ph)
        rec = {"id": ph["id"], "hand": h, "ita": t.get("ita"), "group": t.get("group"), "chardon": t.get("chardon"),
               "L": t.get("L"), "a": t.get("a"), "b": t.get("b"), "ita_right": t.get("ita_right"),
               "ita_left": t.get("ita_left"), "pixels": t.get("kept")}
        if t.get("note"):
            rec["note"] = t["note"]
            notes[t["note"]] += 1
        if t.get("converted_from"):
            rec["converted_from"] = t["converted_from"]
        per_photo.append(rec)
        if h and t.get("group"):
            conf[(h, t["group"])] += 1
            by_hand[h].append(t["ita"])
    n = sum(conf.values())
    agree = sum(conf[(g, g)] for g in names)
    near = sum(v for (h, g), v in conf.items() if abs(names.index(h) - names.index(g)) <= 1)
    # Cohen's kappa (unweighted) of the hand label against the ITA group.
    pe = sum(sum(conf[(g, x)] for x in names) * sum(conf[(x, g)] for x in names) for g in names) / (n * n) if n else 0
    kappa = round((agree / n - pe) / (1 - pe), 3) if n and pe < 1 else None
    # Signed: the ITA group darker (+) or lighter (−) than the hand label.
    darker = sum(v for (h, g), v in conf.items() if names.index(g) > names.index(h))
    lighter = sum(v for (h, g), v in conf.items() if names.index(g) < names.index(h))
    counts = {}
    for g in names:
        phs = [ph for ph in photos if (tones.get(ph["id"]) or {}).get("group") == g]
        counts[g] = {"photos": len(phs), "people": len({p["person"] for p in phs})}
    chardon = collections.Counter((tones.get(ph["id"]) or {}).get("chardon") for ph in photos)
    hand_counts = {}
    for g in names:
        phs = [ph for ph in photos if hand_label(ph) == g]
        hand_counts[g] = {"photos": len(phs), "people": len({p["person"] for p in phs})}
    return {
        "photos": per_photo,
        "groups": counts, "hand_groups": hand_counts,
        "chardon": {k: chardon.get(k, 0) for _, k in ita.CHARDON},
        "not_measured": dict(notes),
        "agreement": {
            "n": n, "same": agree, "pct": round(100 * agree / n, 1) if n else None,
            "within_one_pct": round(100 * near / n, 1) if n else None, "kappa": kappa,
            "ita_darker": darker, "ita_lighter": lighter,
            "confusion": {h: {g: conf[(h, g)] for g in names} for h in names},
            "ita_by_hand": {h: {"n": len(v), "median": round(ita.median(v), 1) if v else None,
                                "min": min(v) if v else None, "max": max(v) if v else None}
                            for h, v in ((h, by_hand[h]) for h in names)},
        },
    }


# ---------------------------------------------------------------------------------------------
# Fairness per group


def measure_of(v, key, where):
    if key == "skin_lightness_shift_abs":
        x = measure_of(v, "skin_lightness_shift", ("verification", "measures", "skin_lightness_shift"))
        return None if x is None else abs(x)
    o = v
    for k in where:
        o = (o or {}).get(k) if isinstance(o, dict) else None
    return float(o) if isinstance(o, (int, float)) and not isinstance(o, bool) else None


def mean_sd(xs):
    if not xs:
        return None, None
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else None
    return m, sd


def group_stats(phs, reps, variants, eligibility):
    """Yield over eligible (photo, variant) pairs and the means of the written headshots' measures."""
    elig, wr = 0, 0
    per_variant = {v: [0, 0] for v in variants}
    values = collections.defaultdict(list)
    headshots = 0
    for ph in phs:
        rep = reps.get(ph["id"])
        vs = (rep or {}).get("variants", []) or []
        if (rep or {}).get("faces") == 1:
            for v in vs:
                if eligibility(rep, v) is None:
                    ok = v.get("status") == "written"
                    elig += 1
                    wr += ok
                    if v.get("name") in per_variant:
                        per_variant[v["name"]][0] += 1
                        per_variant[v["name"]][1] += ok
        for v in vs:
            if v.get("status") != "written":
                continue
            headshots += 1
            for key, _, where in MEASURES:
                x = measure_of(v, key, where)
                if x is not None:
                    values[key].append(x)
    st = {"photos": len(phs), "people": len({p["person"] for p in phs}), "eligible": elig, "written_eligible": wr,
          "yield": round(100.0 * wr / elig, 1) if elig else None,
          "yield_per_variant": {k: {"eligible": e, "written": w, "pct": round(100.0 * w / e, 1) if e else None}
                                for k, (e, w) in per_variant.items()},
          "headshots": headshots, "measures": {}}
    for key, _, _ in MEASURES:
        m, sd = mean_sd(values[key])
        st["measures"][key] = {"n": len(values[key]), "mean": None if m is None else round(m, 4),
                               "sd": None if sd is None else round(sd, 4)}
    return st


def value(st, key):
    return st["yield"] if key == "yield" else st["measures"][key]["mean"]


def se_of(st, key):
    """Standard error of the group's value (yield: binomial, in points; a measure: sd / sqrt(n))."""
    if key == "yield":
        n = st["eligible"]
        if not n:
            return None
        p = st["written_eligible"] / n
        return 100.0 * math.sqrt(max(p * (1 - p), 0.25 / n) / n)  # never 0: at least half a pair's worth
    m = st["measures"][key]
    return None if m["sd"] is None or not m["n"] else m["sd"] / math.sqrt(m["n"])


def gap_se(a, b, key):
    sa, sb = se_of(a, key), se_of(b, key)
    return None if sa is None or sb is None else math.sqrt(sa * sa + sb * sb)


def gap_of(stats, key):
    """max − min over the groups that have the value: (gap, (high group, low group))."""
    vals = [(value(s, key), name) for name, s in stats if value(s, key) is not None]
    if len(vals) < 2:
        return None, None
    hi, lo = max(vals), min(vals)
    return round(hi[0] - lo[0], 4), (hi[1], lo[1])


KEYS = ("yield",) + tuple(k for k, _, _ in MEASURES)


def fairness(photos, reps, variants, tones, eligibility):
    """The fairness report of one mode (plain data)."""
    res = {"bounds": BOUNDS, "drift": DRIFT, "families": [], "attributes": [], "flags": [], "drifts": []}
    fams = [("skin tone (ITA)", lambda ph: (tones.get(ph["id"]) or {}).get("group")),
            ("skin tone (hand label)", hand_label)]
    for fam, key_of in fams:
        groups = []
        for g in ita.GROUP_NAMES:
            phs = [ph for ph in photos if key_of(ph) == g]
            st = group_stats(phs, reps, variants, eligibility)
            st.update(group=g, thin=st["people"] < THIN_SKIN)
            groups.append(st)
        gaps = {}
        by = {s["group"]: s for s in groups}
        for k in KEYS:
            gap, which = gap_of([(s["group"], s) for s in groups], k)
            flagged = gap is not None and k in BOUNDS and gap > BOUNDS[k]
            se = gap_se(by[which[0]], by[which[1]], k) if which else None
            z = round(gap / se, 1) if se else None
            gaps[k] = {"gap": gap, "high": which[0] if which else None, "low": which[1] if which else None,
                       "flag": flagged, "se": None if se is None else round(se, 4), "z": z}
            if flagged:
                res["flags"].append({"family": fam, "measure": k, "gap": gap, "high": which[0], "low": which[1],
                                     "bound": BOUNDS[k], "z": z,
                                     "thin": any(s["thin"] for s in groups if s["group"] in which)})
        rest = [ph for ph in photos if key_of(ph) not in ita.GROUP_NAMES]
        res["families"].append({"family": fam, "groups": groups, "gaps": gaps,
                                "unassigned": len(rest)})
    everyone = group_stats(photos, reps, variants, eligibility)
    res["all"] = everyone
    for name, labels in ATTRIBUTES:
        with_ = [ph for ph in photos if any(lab in ph.get("labels", []) for lab in labels)]
        without = [ph for ph in photos if not any(lab in ph.get("labels", []) for lab in labels)]
        sw = group_stats(with_, reps, variants, eligibility)
        so = group_stats(without, reps, variants, eligibility)
        row = {"attribute": name, "labels": list(labels), "with": sw, "without": so,
               "thin": sw["people"] < THIN_ATTRIBUTE, "gaps": {}}
        for k in KEYS:
            a, b = value(sw, k), value(so, k)
            gap = None if a is None or b is None else round(a - b, 4)
            flagged = gap is not None and k in BOUNDS and abs(gap) > BOUNDS[k]
            se = gap_se(sw, so, k) if gap is not None else None
            z = round(gap / se, 1) if se else None
            row["gaps"][k] = {"gap": gap, "flag": flagged, "se": None if se is None else round(se, 4), "z": z}
            if flagged:
                res["flags"].append({"family": "attribute", "group": name, "measure": k, "gap": gap,
                                     "bound": BOUNDS[k], "z": z, "thin": row["thin"]})
        res["attributes"].append(row)
    # Mean signed skin lightness shift beyond ±DRIFT in any group.
    cands = [(f["family"], s["group"], s) for f in res["families"] for s in f["groups"]]
    cands += [("attribute", r["attribute"], r["with"]) for r in res["attributes"]]
    for fam, name, s in cands:
        m = s["measures"]["skin_lightness_shift"]
        if m["mean"] is not None and abs(m["mean"]) > DRIFT:
            res["drifts"].append({"family": fam, "group": name, "mean": m["mean"], "n": m["n"],
                                  "direction": "lighter" if m["mean"] > 0 else "darker",
                                  "thin": s.get("thin", False)})
    am = everyone["measures"]["skin_lightness_shift"]["mean"]
    res["all_drift"] = am
    return res


def plain_findings(fr):
    """Sentences for the report's top: flagged gaps and lightness drifts."""
    out = []
    for d in fr["drifts"]:
        fam = "" if d["family"] == "attribute" else f" ({d['family']})"
        out.append(f"Skin lightness drift: the headshots of the group “{d['group']}”{fam} are on average "
                   f"{abs(d['mean']):.2f} L* {d['direction']} than the photos (n = {d['n']} headshots; bound ±{DRIFT}). "
                   "A drift toward lighter (or darker) skin in one group only is a fairness bug.")
    if not fr["drifts"]:
        out.append(f"No group's mean signed skin lightness shift is beyond ±{DRIFT} L* (all headshots: "
                   f"{_f(fr['all_drift'], 2)} L*).")
    for f in fr["flags"]:
        label = dict((k, l) for k, l, _ in MEASURES).get(f["measure"], f["measure"])
        unit = " points" if f["measure"] == "yield" else ""
        thin = " (thin group: few people)" if f.get("thin") else ""
        if f.get("z") is not None:
            thin = f", {abs(f['z']):g} standard errors (SE){' — within noise' if abs(f['z']) < 2 else ''}" + thin
        if f["family"] == "attribute":
            out.append(f"Gap flagged: {label}, “{f['group']}” against the other photos: {f['gap']:+g}{unit} "
                       f"(bound {f['bound']:g}){thin}.")
        else:
            out.append(f"Gap flagged: {label} across {f['family']}: {f['gap']:g}{unit} between “{f['high']}” and "
                       f"“{f['low']}” (bound {f['bound']:g}){thin}.")
    if not fr["flags"]:
        out.append("No gap between groups is beyond its bound.")
    return out


# ---------------------------------------------------------------------------------------------
# HTML


def _f(x, nd=3):
    if x is None:
        return "–"
    if isinstance(x, float):
        t = f"{x:.{nd}f}"
        return t[1:] if t.startswith("-") and not t.strip("-0.") else t  # no "-0.00"
    return str(x)


ND = {"yield": 1, "identity_distance": 3, "landmark_drift": 4, "texture_kept": 3, "skin_lightness_shift": 2,
      "skin_lightness_shift_abs": 2, "skin_hue_chroma_delta_e": 2, "eye_white_l_rise": 2, "age_change_years": 2,
      "halo_delta_e": 2}


def _cell(st, k):
    if k == "yield":
        return f"{st['written_eligible']}/{st['eligible']} <small>({_f(st['yield'], 1)} %)</small>"
    return _f(st["measures"][k]["mean"], ND[k])


def _table(head, rows):
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    b = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{b}</tbody></table>"


def html_skin(sk):
    e = html.escape
    a = sk["agreement"]
    names = ita.GROUP_NAMES
    out = ["<h2>Skin tone, measured (ITA°)</h2>",
           "<p>Each person's skin tone is measured on their own cheeks in the original photo: two patches below the eyes "
           f"({ita.PATCH_TOP:g}–{ita.PATCH_BOTTOM:g} of the eye-to-chin distance below the eye line, {2 * ita.PATCH_HALF_WIDTH:g} "
           "eye distance wide, placed from the report's <code>main_face</code> on the upright photo), sRGB → CIELAB (D65), "
           f"the darkest and brightest {ita.TRIM * 100:g} % dropped, median L* and b*, ITA = atan2(L* − 50, b*). Groups after "
           "Chardon et al. 1991, merged into three: light (ITA &gt; 41°), intermediate/tan (10° &lt; ITA ≤ 41°), "
           "brown/dark (ITA ≤ 10°). A photo's lighting, white balance and exposure move its ITA too: the groups are of "
           "skin as photographed. Per-photo values are in <code>report.json</code> only.</p>"]
    rows = [[e(g), sk["groups"][g]["photos"], sk["groups"][g]["people"], sk["hand_groups"][g]["photos"],
             sk["hand_groups"][g]["people"]] for g in names]
    nm = ", ".join(f"{e(k)} {v}" for k, v in sorted(sk["not_measured"].items())) or "none"
    out.append(_table(["group", "photos (ITA)", "people (ITA)", "photos (hand label)", "people (hand label)"], rows))
    out.append(f"<p>Not measured: {nm}. Chardon's six categories: "
               + ", ".join(f"{e(k)} {v}" for k, v in sk["chardon"].items()) + ".</p>")
    out.append(f"<p><b>Agreement with the hand labels</b> (manifest <code>skin:*</code>, judged by eye): "
               f"{a['same']}/{a['n']} photos in the same group ({_f(a['pct'], 1)} %), {_f(a['within_one_pct'], 1)} % within "
               f"one group, Cohen's κ {_f(a['kappa'])}; the ITA group is darker than the hand label for {a['ita_darker']} "
               f"photos and lighter for {a['ita_lighter']}.</p>")
    rows = [[e(h)] + [a["confusion"][h][g] for g in names]
            + [f"{_f(a['ita_by_hand'][h]['median'], 1)} <small>({_f(a['ita_by_hand'][h]['min'], 1)} … "
               f"{_f(a['ita_by_hand'][h]['max'], 1)})</small>"] for h in names]
    out.append(_table(["hand label \\ ITA group"] + list(names) + ["median ITA° (range)"], rows))
    return "\n".join(out)


def html_fairness(fr, mode):
    e = html.escape
    heads = ["yield (written / eligible)", "headshots"] + [lab for _, lab, _ in MEASURES]
    out = [f"<h2>Fairness per group ({e(mode)} background)</h2>",
           "<p>Per group: yield = headshots written over eligible (photo, variant) pairs, all variants together (eligible "
           "as in the yield table); then the mean over the written headshots of their verification measures "
           "(<code>variants[].verification.measures</code>) and of the matting's <code>halo_delta_e</code>. Gap = max − min of the group means for skin tone; with − without the label for an "
           "attribute; SE = the gap's standard error (binomial for the yield), a gap under 2 SE is within noise. "
           "Flagged (<span class=\"bad\">red</span>) beyond: yield 5 points, identity distance 0.03, texture "
           f"kept 0.05, skin hue/chroma ΔE 1.0, skin L* shift 1.0. A group with fewer than {THIN_SKIN} people (skin tone) or "
           f"{THIN_ATTRIBUTE} (attribute) is marked <i>thin</i>: its means are noisy.</p>"]
    out.append("<ul>" + "".join(f"<li>{e(s)}</li>" for s in plain_findings(fr)) + "</ul>")
    for fam in fr["families"]:
        rows = []
        for s in fam["groups"]:
            rows.append([f"{e(s['group'])}{' <i>thin</i>' if s['thin'] else ''}", f"{s['photos']} / {s['people']}"]
                        + [_cell(s, k) for k in KEYS[:1]] + [s["headshots"]] + [_cell(s, k) for k in KEYS[1:]])
        gr = ["<b>gap</b> (max − min)", ""]
        for k in KEYS:
            if k == KEYS[1]:
                gr.append("")
            g = fam["gaps"][k]
            if g["gap"] is None:
                gr.append("–")
                continue
            txt = f"{_f(g['gap'], ND[k])}{' points' if k == 'yield' else ''}"
            if g.get("z") is not None:
                txt += f" <small>({abs(g['z']):g} SE)</small>"
            gr.append(f'<span class="{"bad" if g["flag"] else ""}">{txt}{" ⚠" if g["flag"] else ""}</span>')
        rows.append(gr)
        extra = f" <small>({fam['unassigned']} photos in no group)</small>" if fam["unassigned"] else ""
        out.append(f"<h3>{e(fam['family'])}{extra}</h3>" + _table(["group", "photos / people"] + heads, rows))
    al = fr["all"]
    rows = [["all photos", f"{al['photos']} / {al['people']}", _cell(al, "yield"), al["headshots"]]
            + [_cell(al, k) for k in KEYS[1:]]]
    for r in fr["attributes"]:
        s = r["with"]
        cells = []
        for k in KEYS:
            if k == KEYS[1]:
                cells.append(s["headshots"])
            g = r["gaps"][k]
            c = _cell(s, k)
            if g["gap"] is not None:
                txt = f"Δ {g['gap']:+.{ND[k]}f}" + (f" ({abs(g['z']):g} SE)" if g.get("z") is not None else "")
                c += f'<br><small class="{"bad" if g["flag"] else ""}">{txt}{" ⚠" if g["flag"] else ""}</small>'
            cells.append(c)
        rows.append([f"{e(r['attribute'])}{' <i>thin</i>' if r['thin'] else ''}", f"{s['photos']} / {s['people']}"] + cells)
    out.append("<h3>attributes (manifest labels)</h3><p><small>Δ = with the label − without it.</small></p>"
               + _table(["label", "photos / people"] + heads, rows))
    return "\n".join(out)
