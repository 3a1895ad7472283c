#!/usr/bin/env bash
# Sets up the browser end-to-end test (crates/cli/tests/web.rs runs web.mjs): Debian's Chromium
# (the test never downloads a browser) and playwright-core, pinned by package-lock.json, into
# tools/e2e/node_modules. Idempotent and quick when both are there. Called by scripts/test.
# SPDX-License-Identifier: GPL-3.0-or-later
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x /usr/bin/chromium ]; then
  echo "e2e setup: installing Debian's chromium" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# `npm ci` again only when the lockfile changed since the last install.
stamp=node_modules/.trueshot-lock-sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] || [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
