#!/usr/bin/env bash
# Benchmark peers only (never needed by latentlens itself): Debian's PyTorch and scikit-learn.
set -euo pipefail
if ! /usr/bin/python3 -c "import torch, sklearn" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[setup] installing benchmark peers (python3-torch, python3-sklearn) from Debian" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq python3-torch python3-sklearn >&2
  else
    echo "[setup] benchmarks need Debian's python3-torch and python3-sklearn: sudo apt-get install python3-torch python3-sklearn" >&2
    exit 1
  fi
fi
