#!/bin/sh
# Install torch into the given interpreter without pulling CUDA wheels on a machine that
# has no NVIDIA GPU. Usage: install_torch.sh PYTHON
set -e
PY=${1:-python3}
if "$PY" -c "import torch" 2>/dev/null; then exit 0; fi
if command -v nvidia-smi >/dev/null 2>&1; then
  "$PY" -m pip install -q "torch>=2.1"           # a CUDA build is what this machine wants
elif "$PY" -m pip install -q "torch==2.13.0" 2>/dev/null; then
  :                                               # a CPU build pip can find locally
else
  # The CPU-only wheel index of the PyTorch project: small wheels, no CUDA libraries.
  "$PY" -m pip install -q torch --index-url https://download.pytorch.org/whl/cpu
fi
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda' if torch.cuda.is_available() else 'cpu')"
