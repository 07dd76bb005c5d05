#!/usr/bin/env bash
# Idempotent setup: each step runs only when its output is missing or older than its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[setup] $*" >&2; }

# 1. libtorch: $LIBTORCH when set (a libtorch zip, a pip torch's torch/ folder, a CUDA build), else Debian's.
if [ -n "${LIBTORCH:-}" ]; then
  if ! ls "$LIBTORCH"/lib/libtorch.so* >/dev/null 2>&1 || [ ! -d "$LIBTORCH/include/torch" ]; then
    say "LIBTORCH=$LIBTORCH does not hold lib/libtorch.so and include/torch; point it at a libtorch folder"
    exit 1
  fi
elif [ ! -e /usr/lib/x86_64-linux-gnu/libtorch.so ] || [ ! -d /usr/include/torch/csrc/api/include ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing libtorch from Debian (apt-get install libtorch-dev)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq libtorch-dev >&2
  else
    say "libtorch not found. Install Debian's package: sudo apt-get install libtorch-dev"
    say "or set LIBTORCH to a libtorch folder (one with lib/libtorch.so and include/torch)."
    exit 1
  fi
fi

# 1b. BLAS: Debian's libtorch links libblas.so.3, which on a fresh machine is the netlib reference
#     implementation (libblas3). Convolutions run through its sgemm about ten times slower than through
#     OpenBLAS (measured: 1200 training steps of the phantom ConvAE took ~340 s instead of ~40 s).
if [ -z "${LIBTORCH:-}" ] && ! readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null | grep -q openblas; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing OpenBLAS (apt-get install libopenblas0-pthread): the reference BLAS is ~10x slower"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq libopenblas0-pthread || { apt-get update -qq && apt-get install -y -qq libopenblas0-pthread; }; } >&2
  else
    say "libblas.so.3 is not OpenBLAS: training will be ~10x slower. Install it: sudo apt-get install libopenblas0-pthread"
  fi
fi

# 1c. Gloo's headers for distributed training (c10d's ProcessGroupGloo includes them): Debian's libtorch
#     has the c10d code but not these headers; they come with libgloo-dev. Without them the addon builds
#     without distributed training (train --nproc then says what is missing).
if [ -z "${LIBTORCH:-}" ] && [ ! -f /usr/include/gloo/algorithm.h ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Gloo's headers for distributed training (apt-get install libgloo-dev)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq libgloo-dev || { apt-get update -qq && apt-get install -y -qq libgloo-dev; }; } >&2 \
      || say "could not install libgloo-dev; the addon will build without distributed training"
  else
    say "no Gloo headers: distributed training will be unavailable (install them with: sudo apt-get install libgloo-dev)"
  fi
fi

# 2. npm packages.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] \
   || [ package.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  # --ignore-scripts: npm would otherwise run node-gyp on binding.gyp itself; step 3 builds the addon once.
  if [ -f package-lock.json ]; then npm ci --ignore-scripts --no-audit --no-fund >&2; else npm install --ignore-scripts --no-audit --no-fund >&2; fi
  touch node_modules/.package-lock.json
fi

# 3. Native addons (latentlens.node over libtorch; latentlens_forest.node and latentlens_embed.node, the
#    forest's and t-SNE's loops, without it):
#    rebuilt when one is missing, a source, the build recipe or the libtorch location changed.
addon=build/Release/latentlens.node
# (+gloo: rebuilt once Gloo's headers appear, so distributed training turns on after step 1c.)
want="${LIBTORCH:-debian}$(node native/libtorch-config.mjs gloo | grep -q LL_WITH_GLOO && echo +gloo || true)"
have="$(cat build/libtorch-location 2>/dev/null || true)"
if [ ! -f "$addon" ] || [ ! -f build/Release/latentlens_forest.node ] || [ ! -f build/Release/latentlens_embed.node ] || [ "$want" != "$have" ] || [ -n "$(find native binding.gyp -newer "$addon" -type f 2>/dev/null | head -n 1)" ]; then
  say "building the native addon against libtorch ($want), about a minute"
  npm run -s build:native >&2
  echo "$want" > build/libtorch-location
fi

# 4. TypeScript.
stamp=dist/.build-stamp
if [ ! -f "$stamp" ] || [ -n "$(find src test bench tsconfig.json package.json -newer "$stamp" -type f 2>/dev/null | head -n 1)" ]; then
  say "compiling TypeScript"
  npx tsc -p tsconfig.json >&2
  touch "$stamp"
fi

# 5. Chromium for the explorer's browser test (driven by playwright-core; no browser download). Optional:
#    without it that test reports itself skipped.
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's chromium for the explorer's browser test (apt-get install chromium)"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get install -y -qq chromium || { apt-get update -qq && apt-get install -y -qq chromium; }; } >&2 \
      || say "could not install chromium; the explorer's browser test will be skipped"
  else
    say "no /usr/bin/chromium: the explorer's browser test will be skipped (install it with: sudo apt-get install chromium)"
  fi
fi
