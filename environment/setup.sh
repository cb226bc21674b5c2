#!/usr/bin/env bash
# Setup the project needs beyond the .NET SDK, for the notebook hosts, the browser tests and offline notebook pages:
#   - Debian's packages: `chromium` (headless screenshots of exported notebooks) and Jupyter (jupyter-notebook,
#     jupyter-nbconvert, jupyter-client for `jupyter kernelspec`, python3-nbclient, python3-jupyter-client), installed with apt when missing;
#   - the .NET Interactive kernel: the dotnet tool Microsoft.dotnet-interactive, pinned below, its Jupyter kernelspecs
#     (`.net-csharp` …) and ours, `.net-csharp-lab` (environment/kernelspec: the same kernel, interruptible);
#   - the npm package plotly.js-dist-min, pinned in package-lock.json, into environment/node_modules.
# Idempotent: each step is skipped when its result is already there.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
interactive_version=1.0.712001

debian_packages=(chromium jupyter-notebook jupyter-nbconvert jupyter-client python3-nbclient python3-jupyter-client)
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: ${missing[*]} missing; installing needs root (apt-get install ${missing[*]})." >&2
    exit 1
  fi
  echo "setup.sh: installing ${missing[*]} (apt)…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The kernel as a global tool, on PATH for every process (the stock kernelspec runs `dotnet interactive`).
tools="${DOTNET_CLI_HOME:-$HOME}/.dotnet/tools"
if [ "$("$tools/dotnet-interactive" --version 2>/dev/null | cut -d+ -f1)" != "$interactive_version" ]; then
  echo "setup.sh: installing the dotnet tool Microsoft.dotnet-interactive $interactive_version…"
  dotnet tool uninstall -g Microsoft.dotnet-interactive >/dev/null 2>&1 || true
  dotnet tool install -g Microsoft.dotnet-interactive --version "$interactive_version"
fi
if ! command -v dotnet-interactive >/dev/null 2>&1 || [ "$(readlink -f "$(command -v dotnet-interactive)")" != "$(readlink -f "$tools/dotnet-interactive")" ]; then
  if [ -w /usr/local/bin ]; then ln -sf "$tools/dotnet-interactive" /usr/local/bin/dotnet-interactive
  else echo "setup.sh: add $tools to PATH (the .net-csharp kernel runs dotnet-interactive from there)." >&2; fi
fi
kernels="$(jupyter kernelspec list 2>/dev/null || true)"
if ! grep -q '^ *\.net-csharp ' <<<"$kernels"; then
  echo "setup.sh: registering the .NET Interactive kernels with Jupyter…"
  # the tool writes into the user's kernel folder but does not create it (a fresh machine has none)
  mkdir -p "$(jupyter --data-dir)/kernels"
  DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1 "$tools/dotnet-interactive" jupyter install
fi
lab_spec="$(jupyter --data-dir)/kernels/.net-csharp-lab"
if ! cmp -s "$here/kernelspec/kernel.json" "$lab_spec/kernel.json" || ! cmp -s "$here/kernelspec/lab-kernel" "$lab_spec/lab-kernel"; then
  echo "setup.sh: registering the .net-csharp-lab kernel (interruptible)…"
  jupyter kernelspec install --user --name .net-csharp-lab "$here/kernelspec" >/dev/null
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
echo "setup.sh: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), jupyter-nbconvert $(jupyter nbconvert --version 2>/dev/null), dotnet-interactive $interactive_version, plotly.js $(node -p "require('$here/node_modules/plotly.js-dist-min/package.json').version" 2>/dev/null || echo '?')"
