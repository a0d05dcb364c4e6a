#!/bin/sh
# Install torch into the given interpreter without pulling CUDA wheels on a machine that
# has no NVIDIA GPU. Usage: install_torch.sh PYTHON
#
# Order without nvidia-smi:
#   1. PyTorch's own CPU wheel index (https://download.pytorch.org/whl/cpu), when it answers
#      a quick reachability check: small wheels, no CUDA libraries;
#   2. only when that index cannot be reached: the plain index / local wheels pip is
#      configured with (a CPU wheel in a --find-links folder, e.g. torch==2.13.0+cpu);
#   after either, the installed build is printed, and a CUDA build on a machine without a
#   GPU is reported loudly (it works on the CPU but costs ~4.6 GB instead of ~0.75 GB).
# TORCH_CPU_INDEX overrides the index URL; DRY_RUN=1 prints the pip command instead of running it.
set -e
PY=${1:-python3}
CPU_INDEX=${TORCH_CPU_INDEX:-https://download.pytorch.org/whl/cpu}
SPEC=${TORCH_SPEC:-torch>=2.1}
run() { if [ "${DRY_RUN:-0}" = 1 ]; then echo "$*"; else "$@"; fi; }
if [ "${DRY_RUN:-0}" != 1 ] && "$PY" -c "import torch" 2>/dev/null; then
  "$PY" -c "import torch; print('torch', torch.__version__, 'already installed,', 'CUDA ' + torch.version.cuda if torch.version.cuda else 'CPU build')"
  exit 0
fi
reachable() {
  "$PY" - "$1" <<'PYEOF'
import sys, urllib.request
try:
    urllib.request.urlopen(sys.argv[1] + "/torch/", timeout=5).close()
except Exception:
    sys.exit(1)
PYEOF
}
if command -v nvidia-smi >/dev/null 2>&1; then
  run "$PY" -m pip install -q "$SPEC"                   # a CUDA build is what this machine wants
elif reachable "$CPU_INDEX"; then
  echo "install_torch: no NVIDIA GPU; CPU wheels from $CPU_INDEX"
  run "$PY" -m pip install -q "$SPEC" --index-url "$CPU_INDEX"
else
  echo "install_torch: no NVIDIA GPU and $CPU_INDEX unreachable; trying a local CPU wheel (torch==2.13.0+cpu), then the plain index"
  run "$PY" -m pip install -q "torch==2.13.0+cpu" 2>/dev/null || run "$PY" -m pip install -q "$SPEC"
fi
[ "${DRY_RUN:-0}" = 1 ] && exit 0
"$PY" -c "
import torch
cuda = torch.version.cuda
print('torch', torch.__version__, 'CUDA ' + cuda + ' build' if cuda else 'CPU build')
"
if ! command -v nvidia-smi >/dev/null 2>&1 && "$PY" -c "import sys, torch; sys.exit(0 if torch.version.cuda else 1)"; then
  echo "install_torch: WARNING: a CUDA build of torch was installed on a machine without an NVIDIA GPU" >&2
  echo "install_torch: (no CPU build was reachable; it runs on the CPU but is several GB)" >&2
fi
