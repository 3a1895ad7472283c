#!/usr/bin/env python3
"""Measures how `trueshot session` groups a headshot day's frames by face, without shoot cards.

Every photo of the evaluation set (CACHE/photos.json, made by fetch.py) becomes one frame of a
single shoot: copied into CACHE/runs/grouping/shoot/ under a neutral name (frame-NNN.<ext>, in an
order shuffled with a fixed seed), so that neither names nor order say who is in them. The roster
holds two made-up people without reference photos (`trueshot session` refuses an empty roster, and
takes a roster of one to be a single client), so every face is grouped by identity alone into `unknown-N` groups. Then

    trueshot session SHOOT --roster ROSTER --out CACHE/runs/grouping/out --jobs 2 --picks 1

and session.json is compared with the manifest's `person` ids:

- **grouped with their person**: a frame with a face in a group whose majority is its own person
  and which is the group holding most of that person's frames (a person seen once: alone in
  their group);
- **split off**: in a group of its own person only, but not that person's main group (the person
  would get two folders);
- **confidently wrong**: in a group whose majority is someone else, or in a group of several people
  with no majority (a tie);
- **review**: given to nobody because the face was not surely one person's (uncertain);
- frames reviewed because no face was found, and unreadable frames, are counted apart and left out
  of the shares.

Plus pair counts that need no descriptor: pairs of frames of one person that ended in different
groups (or in review), and pairs of different people put in one group; per number of photos of the
person, per skin-tone label and per attribute label. With --distances it also brackets identity
distances, which session.json does not carry, with small probe sessions (a roster person whose
reference photo is one frame, a shoot of another; see probe_pairs and probe_strangers): for every
pair of frames of one person, below 0.5 / from 0.5 to 0.6 (the value, from the review reason) /
0.6 and up; and for one frame of each person, the nearest of the other half of the people.
Prints a plain-text table and writes
CACHE/grouping.json (aggregate numbers only); the per-frame details go to
CACHE/runs/grouping/details.json (which photo went where: it stays in the cache).

Usage: grouping.py [--bin PATH] [--jobs N] [--seed N] [--distances] [--report-only] [--no-fetch] [--force]
Python 3.11+ standard library only. CACHE is $TRUESHOT_EVAL_CACHE, else ~/.cache/trueshot/eval.
SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import collections
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# The roster: two made-up people without reference photos, so no group can be theirs (a roster
# of one would be a photographer's single client, whom trueshot takes to be the largest group).
DUMMY_IDS = ("nobody-0", "nobody-1")
SAME = 0.5  # trueshot's cut (crates/session/src/assign.rs), only to read the review reasons
SKIN = ["skin:light", "skin:intermediate", "skin:brown-dark"]


def cache_dir():
    return os.path.abspath(os.path.expanduser(os.environ.get("TRUESHOT_EVAL_CACHE") or "~/.cache/trueshot/eval"))


def log(msg):
    print(f"grouping: {msg}", file=sys.stderr, flush=True)


def find_binary(given):
    """--bin as given; else the first of $TRUESHOT_BIN, $CARGO_TARGET_DIR/release, target/release
    (the repository's, then its parent's) and PATH that has the `session` command (an older build
    may not)."""
    if given:
        return os.path.abspath(given) if os.path.isfile(given) and os.access(given, os.X_OK) else None
    cands = [os.environ.get("TRUESHOT_BIN")]
    if os.environ.get("CARGO_TARGET_DIR"):
        cands.append(os.path.join(os.environ["CARGO_TARGET_DIR"], "release", "trueshot"))
    cands += [os.path.join(REPO, "target", "release", "trueshot"),
              os.path.join(os.path.dirname(REPO), "target", "release", "trueshot"), shutil.which("trueshot")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            ok = subprocess.run([c, "session", "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if ok.returncode == 0:
                return os.path.abspath(c)
            log(f"skipping {c}: it has no session command (an older build)")
    return None


def prepare(photos, work, seed):
    """Copies the photos into work/shoot under neutral names; returns {frame name: photo id}."""
    order = sorted(photos, key=lambda p: p["id"])
    random.Random(seed).shuffle(order)
    frames = {f"frame-{i + 1:03d}": p["id"] for i, p in enumerate(order)}
    shoot = os.path.join(work, "shoot")
    old = os.path.join(work, "frames.json")
    same = os.path.exists(old) and json.load(open(old)) == frames
    if not same:
        # Another photo set or order: the old shoot and outputs would mix in.
        for d in ("shoot", "out"):
            shutil.rmtree(os.path.join(work, d), ignore_errors=True)
    os.makedirs(shoot, exist_ok=True)
    by_id = {p["id"]: p for p in photos}
    for name, pid in frames.items():
        src = by_id[pid]["file"]
        dest = os.path.join(shoot, name + os.path.splitext(src)[1].lower())
        if not (os.path.exists(dest) and os.path.getsize(dest) == os.path.getsize(src)):
            shutil.copyfile(src, dest + ".part")
            os.replace(dest + ".part", dest)
    with open(old + ".part", "w") as fh:
        json.dump(frames, fh, indent=1)
    os.replace(old + ".part", old)
    with open(os.path.join(work, "roster.csv"), "w") as fh:
        fh.write("id,name\n" + "".join(f"{d},Nobody {k}\n" for k, d in enumerate(DUMMY_IDS)))
    return frames


def run_session(binary, work, jobs, picks, force, shoot=None, roster=None, out=None, quiet=False):
    out = out or os.path.join(work, "out")
    cmd = [binary, "session", shoot or os.path.join(work, "shoot"), "--roster", roster or os.path.join(work, "roster.csv"),
           "--out", out, "--jobs", str(jobs), "--picks", str(picks)] + (["--force"] if force else [])
    if not quiet:
        log(" ".join(cmd))
    for attempt in range(3):
        t0 = time.monotonic()
        with open(os.path.join(work, "session.log"), "w") as fh:
            p = subprocess.run(["nice", "-n", "10"] + cmd, stdout=fh, stderr=subprocess.STDOUT)
        secs = time.monotonic() - t0
        # 0: all done and nothing in review; 1: someone without a headshot or frames in review.
        if p.returncode in (0, 1) and os.path.exists(os.path.join(out, "session.json")):
            if not quiet:
                log(f"session took {secs:.0f} s (exit code {p.returncode})")
            return secs
        if os.path.exists(binary):
            raise SystemExit(f"grouping: trueshot session failed (exit code {p.returncode}); "
                             f"see {os.path.join(work, 'session.log')}")
        # The binary was replaced under us (a rebuild): wait for it and try again.
        log("the trueshot binary disappeared during the run; waiting for it")
        for _ in range(120):
            time.sleep(5)
            if os.path.exists(binary):
                break
    raise SystemExit("grouping: trueshot session did not complete")


PROBE_DOUBT = re.compile(r"it may be (\S+) \(identity distance (\d+(?:\.\d+)?)\)")


def probe_verdicts(path, roster_ids):
    """What a probe session made of each frame: {frame name: (kind, roster id or None, distance or None)};
    kind: person (identity distance below 0.5 with a clear margin), doubt (the printed distance of
    the best match: below 0.6, and below 0.5 only when a second match was also below 0.6), unknown
    (0.6 and up from every reference), torn (not surely one person's among the shoot's own groups),
    no-face."""
    s = json.load(open(path))
    got = {}
    for kind in ("people", "unknown"):
        for g in s.get(kind, []):
            for lst in ("picks", "runners_up", "rejected"):
                for n in g.get(lst, []):
                    if n.get("reason", "").startswith("no face"):
                        got[n["frame"]["name"]] = ("no-face", None, None)
                    elif g["id"] in roster_ids:
                        got[n["frame"]["name"]] = ("person", g["id"], None)
                    else:
                        got[n["frame"]["name"]] = ("unknown", g["id"], None)
    for n in s.get("review", []):
        r = n.get("reason", "")
        m = PROBE_DOUBT.search(r)
        if r.startswith("no face"):
            got[n["frame"]["name"]] = ("no-face", None, None)
        elif m:
            got[n["frame"]["name"]] = ("doubt", m.group(1), float(m.group(2)))
        else:
            got[n["frame"]["name"]] = ("torn", None, None)
    refs_unused = [p["id"] for p in s.get("people", []) if p.get("reference")]
    return got, refs_unused


def binary_version(binary):
    p = subprocess.run([binary, "--version"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p.stdout.strip()


def probe_pairs(binary, photos, face_ids, work, force):
    """For each pair of frames with a face of one person: a session whose roster person has the
    first as reference photo and whose shoot is the second. Returns {"a|b": {"bin", "distance"}}."""
    pdir = os.path.join(work, "probes")
    os.makedirs(pdir, exist_ok=True)
    cache_file = os.path.join(pdir, "pairs.json")
    version = binary_version(binary)
    cache = json.load(open(cache_file)) if os.path.exists(cache_file) and not force else {}
    if cache.get("version") != version:
        cache = {"version": version, "pairs": {}}
    by_id = {p["id"]: p for p in photos}
    by_person = collections.defaultdict(list)
    for pid in sorted(face_ids):
        by_person[by_id[pid]["person"]].append(pid)
    todo = [(a, b) for ids in by_person.values() for a, b in itertools.combinations(ids, 2)
            if f"{a}|{b}" not in cache["pairs"]]
    if todo:
        log(f"probing {len(todo)} pairs of frames of one person, one small session each")
    run_dir = os.path.join(pdir, "pair")
    t0 = time.monotonic()
    for k, (a, b) in enumerate(todo):
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(os.path.join(run_dir, "shoot"))
        ref = "ref" + os.path.splitext(by_id[a]["file"])[1].lower()
        shutil.copyfile(by_id[a]["file"], os.path.join(run_dir, ref))
        shutil.copyfile(by_id[b]["file"], os.path.join(run_dir, "shoot", "frame" + os.path.splitext(by_id[b]["file"])[1].lower()))
        with open(os.path.join(run_dir, "roster.csv"), "w") as fh:
            fh.write(f"id,name,reference\nprobe,Probe,{ref}\n")
        run_session(binary, run_dir, 2, 1, False, shoot=os.path.join(run_dir, "shoot"),
                    roster=os.path.join(run_dir, "roster.csv"), out=os.path.join(run_dir, "out"), quiet=True)
        got, refs_unused = probe_verdicts(os.path.join(run_dir, "out", "session.json"), {"probe"})
        kind, _, dist = got.get("frame", ("missing", None, None))
        if refs_unused or kind in ("no-face", "missing", "torn"):
            res = {"bin": "n/a", "distance": None}
        elif kind == "person":
            res = {"bin": "<0.5", "distance": None}
        elif kind == "doubt":
            res = {"bin": "0.5-0.6", "distance": dist}
        else:
            res = {"bin": ">=0.6", "distance": None}
        cache["pairs"][f"{a}|{b}"] = res
        if (k + 1) % 20 == 0 or k + 1 == len(todo):
            with open(cache_file, "w") as fh:
                json.dump(cache, fh, indent=1)
            log(f"  {k + 1} of {len(todo)} pairs ({time.monotonic() - t0:.0f} s)")
    shutil.rmtree(run_dir, ignore_errors=True)
    return cache["pairs"]


def probe_strangers(binary, photos, face_ids, work, seed, force):
    """The nearest other person, for one frame of each person: the people are split in two halves
    (all of a person's frames on one side); one session per half, its shoot one frame per person
    of that half (the first by id), its roster one person per frame with a face of the other half,
    each with that frame as reference photo. Returns {photo id: {"kind", "distance"}}."""
    pdir = os.path.join(work, "probes")
    os.makedirs(pdir, exist_ok=True)
    cache_file = os.path.join(pdir, "strangers.json")
    version = binary_version(binary)
    cached = json.load(open(cache_file)) if os.path.exists(cache_file) and not force else {}
    key = {"version": version, "seed": seed, "faces": sorted(face_ids)}
    if cached.get("key") == key:
        return cached["probes"]
    by_id = {p["id"]: p for p in photos}
    people = sorted({by_id[p]["person"] for p in face_ids})
    random.Random(seed).shuffle(people)
    halves = [set(people[: len(people) // 2]), set(people[len(people) // 2:])]
    probes = {}
    for side in (0, 1):
        run_dir = os.path.join(pdir, f"strangers-{side}")
        shutil.rmtree(run_dir, ignore_errors=True)
        os.makedirs(os.path.join(run_dir, "shoot"))
        os.makedirs(os.path.join(run_dir, "refs"))
        shoot = {}
        for who in sorted(halves[side]):
            pid = min(p for p in face_ids if by_id[p]["person"] == who)
            name = f"frame-{len(shoot) + 1:03d}"
            shoot[name] = pid
            shutil.copyfile(by_id[pid]["file"], os.path.join(run_dir, "shoot", name + os.path.splitext(by_id[pid]["file"])[1].lower()))
        rows = []
        for k, pid in enumerate(sorted(p for p in face_ids if by_id[p]["person"] in halves[1 - side])):
            ref = f"refs/r-{k + 1:03d}" + os.path.splitext(by_id[pid]["file"])[1].lower()
            shutil.copyfile(by_id[pid]["file"], os.path.join(run_dir, ref))
            rows.append(f"r-{k + 1:03d},Reference {k + 1},{ref}")
        with open(os.path.join(run_dir, "roster.csv"), "w") as fh:
            fh.write("id,name,reference\n" + "\n".join(rows) + "\n")
        log(f"probing the nearest other person: {len(shoot)} frames against {len(rows)} reference photos")
        run_session(binary, run_dir, 2, 1, False, shoot=os.path.join(run_dir, "shoot"),
                    roster=os.path.join(run_dir, "roster.csv"), out=os.path.join(run_dir, "out"), quiet=True)
        got, _ = probe_verdicts(os.path.join(run_dir, "out", "session.json"), {r.split(",")[0] for r in rows})
        shared = collections.Counter(g for kind, g, _ in got.values() if kind == "unknown")
        for name, pid in shoot.items():
            kind, g, dist = got.get(name, ("missing", None, None))
            if kind == "unknown" and shared[g] > 1:
                kind = "merged"  # grouped with another person's probe frame: below 0.5 between them
            probes[pid] = {"kind": kind, "distance": dist}
        shutil.rmtree(run_dir, ignore_errors=True)
    with open(cache_file, "w") as fh:
        json.dump({"key": key, "probes": probes}, fh, indent=1)
    return probes


def summarise_probes(pairs, strangers, details, photos):
    """Aggregates: same-person pair distances by bin, crossed with where the pair ended up in the
    main run; the nearest other person per probe frame."""
    where = {d["photo"]: d["place"] for d in details}
    out = {}
    if pairs is not None:
        cross = collections.defaultdict(collections.Counter)
        values = []
        for key, r in pairs.items():
            a, b = key.split("|")
            if a not in where or b not in where:
                continue
            ga, gb = where[a], where[b]
            fate = ("review" if "review" in (ga, gb) else "together" if ga == gb else "apart")
            cross[r["bin"]][fate] += 1
            if r["distance"] is not None:
                values.append(r["distance"])
        values.sort()
        out["same_person_pairs"] = {
            "pairs": sum(sum(c.values()) for c in cross.values()),
            "by_distance": {b: dict(cross[b]) for b in ("<0.5", "0.5-0.6", ">=0.6", "n/a") if b in cross},
            "between_0.5_and_0.6": {"n": len(values), "values": values},
        }
    if strangers is not None:
        c = collections.Counter()
        vals = []
        for r in strangers.values():
            if r["kind"] == "person":
                c["below 0.5, clear margin"] += 1
            elif r["kind"] == "doubt":
                vals.append(r["distance"])
                c["below 0.5, no clear margin" if r["distance"] < SAME else "0.5 to 0.6"] += 1
            elif r["kind"] == "unknown":
                c["0.6 and up"] += 1
            elif r["kind"] == "merged":
                c["grouped with another person's probe frame"] += 1
            elif r["kind"] == "torn":
                c["within 0.5 of another person's probe frame (review)"] += 1
            else:
                c[r["kind"]] += 1
        labels = {p["id"]: set(p.get("labels", [])) for p in photos}

        def near(r, below):
            # A doubt's distance is printed rounded to 0.01, and is below 0.6.
            return r["kind"] in ("person", "merged", "torn") or (r["kind"] == "doubt" and (below >= 0.6 or r["distance"] < below))

        by_skin = {}
        for sk in SKIN:
            rs = [r for pid, r in strangers.items() if sk in labels.get(pid, ())]
            by_skin[sk] = {"probes": len(rs), "another_person_below_0.55": sum(near(r, 0.55) for r in rs),
                           "another_person_below_0.6": sum(near(r, 0.6) for r in rs)}
        out["nearest_other_person"] = {"probes": len(strangers), "by_distance": dict(c), "printed_distances": sorted(vals),
                                       "by_skin": by_skin}
    return out


def read_session(path, frames):
    """{frame name: (place, reason)}: place is a group id, 'review', 'no-face', 'unreadable' or 'card'."""
    s = json.load(open(path))
    where = {}
    dup = []

    def put(note, place, reason=None):
        name = note["frame"]["name"]
        if name not in frames:
            name = os.path.splitext(os.path.basename(note["frame"]["file"]))[0]
        if name in where:
            dup.append(name)
        where[name] = (place, reason)

    for kind in ("people", "unknown"):
        for g in s.get(kind, []):
            for lst in ("picks", "runners_up", "rejected"):
                for n in g.get(lst, []):
                    if lst == "rejected" and n.get("reason", "").startswith("no face"):
                        put(n, "no-face", n["reason"])  # a carded person's frame without a face
                    else:
                        put(n, g["id"])
    for n in s.get("review", []):
        put(n, "no-face" if n.get("reason", "").startswith("no face") else "review", n.get("reason"))
    for n in s.get("unreadable", []):
        put(n, "unreadable", n.get("reason"))
    for n in s.get("cards", []):
        put(n, "card", n.get("reason"))
    return s, where, dup


def pct(a, b):
    return f"{100 * a / b:.1f} %" if b else "–"


def evaluate(photos, frames, where):
    person = {p["id"]: p["person"] for p in photos}
    labels = {p["id"]: set(p.get("labels", [])) for p in photos}
    photo_of = frames  # frame name -> photo id
    place = {photo_of[n]: where.get(n, ("missing", None)) for n in frames}
    face = [pid for pid, (pl, _) in place.items() if pl not in ("no-face", "unreadable", "missing", "card")]
    photos_of_person = collections.Counter(person.values())
    faces_of_person = collections.Counter(person[p] for p in face)

    groups = collections.defaultdict(list)
    for pid in face:
        pl = place[pid][0]
        if pl != "review":
            groups[pl].append(pid)
    majority = {}
    for g, members in groups.items():
        c = collections.Counter(person[m] for m in members).most_common()
        majority[g] = c[0][0] if len(c) == 1 or c[0][1] > c[1][1] else None
    # Each person's main group: the one holding most of their frames (ties: where they are the majority).
    main = {}
    for who in faces_of_person:
        counts = collections.Counter(place[p][0] for p in face if person[p] == who and place[p][0] != "review")
        if counts:
            main[who] = min(counts, key=lambda g: (-counts[g], majority.get(g) != who, len(groups[g]), g))

    verdict = {}
    for pid in face:
        g = place[pid][0]
        who = person[pid]
        if g == "review":
            verdict[pid] = "review"
        elif majority[g] != who:
            verdict[pid] = "wrong"
        elif main.get(who) == g:
            verdict[pid] = "grouped"
        else:
            verdict[pid] = "split"

    # Pairs of frames with a face.
    pairs = collections.Counter()
    for a, b in itertools.combinations(sorted(face), 2):
        ga, gb = place[a][0], place[b][0]
        same_person = person[a] == person[b]
        if same_person:
            if "review" in (ga, gb):
                pairs["same_person_review"] += 1
            elif ga == gb:
                pairs["same_person_together"] += 1
            else:
                pairs["same_person_apart"] += 1
        elif ga == gb and ga != "review":
            pairs["different_people_together"] += 1
    together = pairs["same_person_together"] + pairs["different_people_together"]
    same_total = pairs["same_person_together"] + pairs["same_person_apart"] + pairs["same_person_review"]
    pair_stats = dict(pairs)
    pair_stats["precision"] = round(pairs["same_person_together"] / together, 4) if together else None
    pair_stats["recall"] = round(pairs["same_person_together"] / same_total, 4) if same_total else None

    def summary(ids):
        ids = list(ids)
        f = [p for p in ids if p in verdict]
        c = collections.Counter(verdict[p] for p in f)
        return {
            "frames": len(ids),
            "people": len({person[p] for p in ids}),
            "no_face": sum(1 for p in ids if place[p][0] == "no-face"),
            "unreadable": sum(1 for p in ids if place[p][0] in ("unreadable", "missing")),
            "with_face": len(f),
            "grouped_with_person": c["grouped"],
            "grouped_share": round(c["grouped"] / len(f), 4) if f else None,
            "split_off": c["split"],
            "confidently_wrong": c["wrong"],
            "review": c["review"],
        }

    all_ids = list(place)
    result = {"overall": summary(all_ids)}

    def bucket(n):
        return "1 photo" if n == 1 else "2-5 photos" if n <= 5 else "6+ photos"

    result["by_photos_of_person"] = {
        b: summary(p for p in all_ids if bucket(photos_of_person[person[p]]) == b)
        for b in ("1 photo", "2-5 photos", "6+ photos")
    }
    result["by_faces_of_person"] = {
        "1 frame with a face": summary(p for p in face if faces_of_person[person[p]] == 1),
        "2+ frames with a face": summary(p for p in face if faces_of_person[person[p]] >= 2),
    }
    result["by_skin"] = {s: summary(p for p in all_ids if s in labels[p]) for s in SKIN}
    attrs = sorted({lab for p in all_ids for lab in labels[p]} - set(SKIN))
    result["by_label"] = {lab: summary(p for p in all_ids if lab in labels[p]) for lab in attrs}
    result["pairs"] = pair_stats

    # The groups themselves.
    sizes = collections.Counter(len(m) for m in groups.values())
    mixed = [g for g, m in groups.items() if len({person[x] for x in m}) > 1]
    split_people = [w for w in faces_of_person
                    if len({place[p][0] for p in face if person[p] == w and place[p][0] != "review"}) > 1]
    result["groups"] = {
        "groups": len(groups),
        "people_with_a_face": len(faces_of_person),
        "sizes": {str(k): v for k, v in sorted(sizes.items())},
        "mixed_groups": len(mixed),
        "frames_in_mixed_groups": sum(len(groups[g]) for g in mixed),
        "people_split_over_groups": len(split_people),
        "multi_frame_people": sum(1 for w, n in faces_of_person.items() if n >= 2),
        "multi_frame_people_all_in_one_group": sum(
            1 for w, n in faces_of_person.items()
            if n >= 2 and all(place[p][0] == main.get(w) for p in face if person[p] == w)),
    }

    # Review reasons: the distance the session printed and what the frame's person looks like here.
    rev = []
    for pid in face:
        if verdict[pid] != "review":
            continue
        m = re.search(r"identity distance (\d+(?:\.\d+)?)", place[pid][1] or "")
        dist = float(m.group(1)) if m else None
        others = faces_of_person[person[pid]] - 1
        if dist is None:
            kind = "other reason"
        elif dist >= SAME:
            kind = "far from its own group (own-group distance >= 0.5)"
        elif dist == 0:
            kind = "alone, and close to another group (< 0.5)"
        else:
            kind = "in a group, and close to another group (< 0.5)"
        rev.append({"kind": kind, "person_has_other_frames": others > 0, "distance": dist})
    by_kind = collections.defaultdict(lambda: {"frames": 0, "person_has_other_frames": 0, "distances": []})
    for r in rev:
        k = by_kind[r["kind"]]
        k["frames"] += 1
        k["person_has_other_frames"] += r["person_has_other_frames"]
        if r["distance"] is not None:
            k["distances"].append(r["distance"])
    result["review_reasons"] = {
        k: {"frames": v["frames"], "person_has_other_frames": v["person_has_other_frames"],
            "distance_min": min(v["distances"]) if v["distances"] else None,
            "distance_median": sorted(v["distances"])[len(v["distances"]) // 2] if v["distances"] else None,
            "distance_max": max(v["distances"]) if v["distances"] else None}
        for k, v in sorted(by_kind.items())
    }
    details = [{"photo": pid, "frame": n, "person": person[pid], "place": place[pid][0],
                "verdict": verdict.get(pid, place[pid][0]), "reason": place[pid][1],
                "group_majority": majority.get(place[pid][0]), "person_main_group": main.get(person[pid])}
               for n, pid in sorted(frames.items())]
    return result, details


def print_report(r, meta):
    o = r["overall"]
    print(f"trueshot session, grouping by face without cards: {o['frames']} frames of {o['people']} people "
          f"({meta['groups']['groups']} groups made, {meta['seconds_total']:.0f} s)")
    print(f"frames with a face {o['with_face']}, no face found {o['no_face']}, unreadable {o['unreadable']}")
    print(f"grouped with their person: {o['grouped_with_person']} / {o['with_face']} = {pct(o['grouped_with_person'], o['with_face'])}"
          f"   (target >= 97 %)")
    print(f"confidently wrong: {o['confidently_wrong']}   (target 0)   split off: {o['split_off']}   review: {o['review']}")
    print()
    head = f"{'group':<34} {'frames':>6} {'people':>6} {'face':>5} {'grouped':>8} {'share':>8} {'split':>5} {'wrong':>5} {'review':>6} {'no face':>7}"
    print(head)
    print("-" * len(head))

    def row(name, s):
        print(f"{name:<34} {s['frames']:>6} {s['people']:>6} {s['with_face']:>5} {s['grouped_with_person']:>8} "
              f"{pct(s['grouped_with_person'], s['with_face']):>8} {s['split_off']:>5} {s['confidently_wrong']:>5} "
              f"{s['review']:>6} {s['no_face']:>7}")

    row("all", o)
    for k, s in r["by_photos_of_person"].items():
        row(f"person has {k}", s)
    for k, s in r["by_faces_of_person"].items():
        row(f"person has {k}", s)
    for k, s in r["by_skin"].items():
        row(k, s)
    for k, s in r["by_label"].items():
        row(k, s)
    p = r["pairs"]
    print()
    print(f"pairs of frames with a face: same person together {p.get('same_person_together', 0)}, same person in "
          f"different groups {p.get('same_person_apart', 0)}, same person with one or both in review "
          f"{p.get('same_person_review', 0)}, different people in one group {p.get('different_people_together', 0)}; "
          f"pair precision {p['precision']}, recall {p['recall']}")
    g = r["groups"]
    print(f"groups: {g['groups']} (sizes {g['sizes']}), {g['people_with_a_face']} people with a face; mixed groups "
          f"{g['mixed_groups']} ({g['frames_in_mixed_groups']} frames); people split over several groups "
          f"{g['people_split_over_groups']}; people with 2+ faces all in one group "
          f"{g['multi_frame_people_all_in_one_group']} of {g['multi_frame_people']}")
    if r["review_reasons"]:
        print("review (uncertain), by the session's reason:")
        for k, v in r["review_reasons"].items():
            print(f"  {k}: {v['frames']} frames ({v['person_has_other_frames']} of people with other frames); "
                  f"printed distance min {v['distance_min']}, median {v['distance_median']}, max {v['distance_max']}")


def print_distances(d):
    sp = d.get("same_person_pairs")
    if sp:
        print()
        print(f"identity distance of the {sp['pairs']} pairs of frames of one person (probe sessions), "
              "and where each pair ended up in the run above:")
        for b, c in sp["by_distance"].items():
            print(f"  {b:>8}: {sum(c.values()):>4} pairs (together {c.get('together', 0)}, apart {c.get('apart', 0)}, "
                  f"review {c.get('review', 0)})")
        v = sp["between_0.5_and_0.6"]["values"]
        if v:
            print(f"  values from 0.5 to 0.6: " + ", ".join(f"{x:.2f}" for x in v))
    st = d.get("nearest_other_person")
    if st:
        print(f"nearest other person (one frame per person, against the other half of the people), "
              f"{st['probes']} frames: " + ", ".join(f"{k} {n}" for k, n in sorted(st["by_distance"].items())))
        if st["printed_distances"]:
            print("  printed distances (best match below 0.6): " + ", ".join(f"{x:.2f}" for x in st["printed_distances"]))
        print("  another person below 0.55 / below 0.6, per skin-tone label: " + "; ".join(
            f"{k} {v['another_person_below_0.55']} / {v['another_person_below_0.6']} of {v['probes']}"
            for k, v in st["by_skin"].items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="trueshot binary (default: $TRUESHOT_BIN, then target/release/trueshot)")
    ap.add_argument("--jobs", type=int, default=2, help="trueshot session --jobs (default 2)")
    ap.add_argument("--picks", type=int, default=1, help="trueshot session --picks (default 1)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the frames' shuffled order (default 1)")
    ap.add_argument("--report-only", action="store_true", help="only read the last run's session.json")
    ap.add_argument("--no-fetch", action="store_true", help="do not run fetch.py first")
    ap.add_argument("--force", action="store_true", help="make the picks' headshots again (--force), redo the probes")
    ap.add_argument("--distances", action="store_true",
                    help="also bracket identity distances with probe sessions (same-person pairs; nearest other person)")
    a = ap.parse_args()
    cache = cache_dir()
    work = os.path.join(cache, "runs", "grouping")
    os.makedirs(work, exist_ok=True)
    if not a.no_fetch and not a.report_only:
        if subprocess.run([sys.executable, os.path.join(HERE, "fetch.py")]).returncode != 0:
            raise SystemExit("grouping: fetch.py failed")
    photos = json.load(open(os.path.join(cache, "photos.json")))
    if a.report_only:
        frames = json.load(open(os.path.join(work, "frames.json")))
        seconds = None
    else:
        binary = find_binary(a.bin)
        if not binary:
            raise SystemExit("grouping: no trueshot binary: build it (cargo build --release) or pass --bin / $TRUESHOT_BIN")
        frames = prepare(photos, work, a.seed)
        seconds = run_session(binary, work, a.jobs, a.picks, a.force)
    known = {p["id"] for p in photos}
    frames = {n: pid for n, pid in frames.items() if pid in known}
    session, where, dup = read_session(os.path.join(work, "out", "session.json"), frames)
    if dup:
        log(f"warning: {len(dup)} frames are listed in more than one place in session.json")
    missing = [n for n in frames if n not in where]
    if missing:
        log(f"warning: {len(missing)} frames are nowhere in session.json")
    result, details = evaluate([p for p in photos if p["id"] in set(frames.values())], frames, where)
    sec = session.get("seconds", {})
    meta = {"groups": result["groups"],
            "seconds_total": seconds if seconds is not None else (sec.get("looking", 0) + sec.get("making", 0))}
    out = {
        "trueshot_version": session.get("trueshot_version"),
        "command": "trueshot session SHOOT --roster ROSTER --out OUT "
                   f"--jobs {a.jobs} --picks {a.picks}",
        "seed": a.seed,
        "frames_listed_twice": len(dup),
        "frames_missing": len(missing),
        "seconds": {"run": round(seconds, 1) if seconds is not None else None,
                    **{k: v for k, v in sec.items()}},
        **result,
    }
    if a.distances and not a.report_only:
        face_ids = [d["photo"] for d in details if d["verdict"] in ("grouped", "split", "wrong", "review")]
        probe_photos = [p for p in photos if p["id"] in set(frames.values())]
        pairs = probe_pairs(binary, probe_photos, face_ids, work, a.force)
        strangers = probe_strangers(binary, probe_photos, face_ids, work, a.seed, a.force)
        out["distances"] = summarise_probes(pairs, strangers, details, photos)
    elif a.report_only and os.path.exists(os.path.join(work, "probes", "pairs.json")):
        pairs = json.load(open(os.path.join(work, "probes", "pairs.json")))["pairs"]
        sf = os.path.join(work, "probes", "strangers.json")
        strangers = json.load(open(sf))["probes"] if os.path.exists(sf) else None
        out["distances"] = summarise_probes(pairs, strangers, details, photos)
    with open(os.path.join(cache, "grouping.json.part"), "w") as fh:
        json.dump(out, fh, indent=1)
    os.replace(os.path.join(cache, "grouping.json.part"), os.path.join(cache, "grouping.json"))
    with open(os.path.join(work, "details.json"), "w") as fh:
        json.dump(details, fh, indent=1)
    print_report(result, meta)
    if out.get("distances"):
        print_distances(out["distances"])
    log(f"wrote {os.path.join(cache, 'grouping.json')} (aggregates) and {os.path.join(work, 'details.json')} "
        "(per frame: stays in the cache)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
