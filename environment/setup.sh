#!/usr/bin/env bash
# Setup the project needs beyond the .NET SDK, for the browser tests and offline notebook pages:
#   - Debian's `chromium` (headless screenshots of exported notebooks), installed with apt when missing;
#   - the npm package plotly.js-dist-min, pinned in package-lock.json, into environment/node_modules.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: chromium is missing and installing it needs root (apt-get install chromium)." >&2
    exit 1
  fi
  echo "setup.sh: installing chromium (apt)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium
fi

plotly="$here/node_modules/plotly.js-dist-min/plotly.min.js"
if [ ! -f "$plotly" ] || ! cmp -s "$here/package-lock.json" "$here/node_modules/.package-lock.json.installed"; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "setup.sh: npm is needed to install plotly.js-dist-min (apt-get install npm)." >&2
    exit 1
  fi
  echo "setup.sh: installing plotly.js-dist-min (npm ci)…"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$here/package-lock.json" "$here/node_modules/.package-lock.json.installed"
fi
echo "setup.sh: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), plotly.js $(node -p "require('$here/node_modules/plotly.js-dist-min/package.json').version" 2>/dev/null || echo '?')"
