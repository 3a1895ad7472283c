#!/usr/bin/env python3
"""Independent reader of content credentials: PyPI's c2pa-python (its own build of the C2PA SDK)
reads and validates each file and lists its actions, ingredients and assertion labels.

    tools/judge/credentials.py FILE... [--json OUT]

Exit code: 0 every file has valid credentials (signer trust is not judged: trueshot's local test
certificate is in no trust list), 1 some do not, 2 the judge is not set up.
Runs in the venv of `tools/judge/setup.sh credentials`
(${TRUESHOT_C2PA_VENV:-~/.cache/trueshot/c2pa-venv}); re-executes itself there.
"""
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import os
import sys

VENV = os.environ.get("TRUESHOT_C2PA_VENV", os.path.expanduser("~/.cache/trueshot/c2pa-venv"))
PY = os.path.join(VENV, "bin", "python")
if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
    if not os.path.exists(PY):
        print(f"the c2pa-python judge is not set up: run tools/judge/setup.sh credentials", file=sys.stderr)
        sys.exit(2)
    os.execv(PY, [PY, *sys.argv])

try:
    import c2pa
except ImportError as e:
    print(f"the c2pa-python judge is not set up ({e}): run tools/judge/setup.sh credentials", file=sys.stderr)
    sys.exit(2)


def judge(path):
    row = {"file": path, "sdk": c2pa.sdk_version()}
    try:
        with c2pa.Reader(path) as reader:
            store = json.loads(reader.json())
            row["validation_state"] = reader.get_validation_state()
    except Exception as e:  # no manifest, damaged manifest, unreadable file
        row["validation_state"] = "Error"
        row["error"] = str(e)
        return row
    m = store["manifests"][store["active_manifest"]]
    row["claim_generator"] = (m.get("claim_generator_info") or [{}])[0].get("name")
    row["assertion_labels"] = [a["label"] for a in m.get("assertions", [])]
    row["actions"] = [
        {"action": act.get("action"), "digitalSourceType": act.get("digitalSourceType")}
        for a in m.get("assertions", [])
        if a["label"].startswith("c2pa.actions")
        for act in a["data"].get("actions", [])
    ]
    row["ingredients"] = [
        {"title": i.get("title"), "relationship": i.get("relationship"), "hash": i.get("hash")}
        for i in m.get("ingredients", [])
    ]
    row["trueshot"] = next(
        (a["data"] for a in m.get("assertions", []) if a["label"] == "org.trueshot.headshot"), None
    )
    failures = store.get("validation_results", {}).get("activeManifest", {}).get("failure", [])
    row["failures"] = [f.get("code") for f in failures if f.get("code") != "signingCredential.untrusted"]
    return row


def main():
    args = sys.argv[1:]
    out = None
    if "--json" in args:
        i = args.index("--json")
        out = args[i + 1]
        del args[i : i + 2]
    rows = [judge(p) for p in args]
    ok = True
    for r in rows:
        good = r["validation_state"] in ("Valid", "Trusted") and not r.get("failures")
        ok &= good
        actions = ", ".join(a["action"] for a in r.get("actions", []))
        print(f"{r['file']}: {r['validation_state']} {r.get('error', '')}{actions}")
    if out:
        with open(out, "w") as f:
            json.dump({"rows": rows}, f, indent=1)
    sys.exit(0 if ok and rows else 1)


main()
