#!/usr/bin/env bash
# Colab-like launch simulation (make test-launch): a fresh venv with what Colab preinstalls
# (ipywidgets 7.7.1, torch, numpy, librosa 0.11, matplotlib, scipy, scikit-learn, soundfile,
# ipykernel) and without hmmlearn / sklearn-crfsuite; every notebook copied to a folder
# outside the repository and executed with a stand-in google.colab module, so each set-up
# cell pip-installs the kit from this repository; torch/numpy/librosa must stay as they were.
#
# COLAB_PYTHON picks the interpreter (Colab has 3.12/3.13). Default: Python 3.11, because
# the only CPU torch wheel this machine can install is torch 2.13.0+cpu for cp311; PyPI's
# torch for 3.13 is the CUDA build (several GB). So by default this is "Colab-like except
# the Python version"; set COLAB_PYTHON=/path/to/python3.13 and TORCH_SPEC=torch where a
# CPU index or the bandwidth is there.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYENV_V=${PYENV_ROOT:-$HOME/.pyenv}/versions
COLAB_PYTHON=${COLAB_PYTHON:-$(ls -d "$PYENV_V"/3.11.*/bin/python 2>/dev/null | tail -1)}
COLAB_PYTHON=${COLAB_PYTHON:-python3.11}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0+cpu}
RUNNER=${RUNNER_PY:-$REPO/.venv/bin/python}
[ -x "$RUNNER" ] || RUNNER=python3
WORK=$(mktemp -d /tmp/musynth-colab-XXXX)
trap 'rm -rf "$WORK"' EXIT
echo "colab-like: $("$COLAB_PYTHON" --version) in $WORK"
"$COLAB_PYTHON" -m venv "$WORK/venv"
P="$WORK/venv/bin/python"
"$P" -m pip install -q --upgrade pip
"$P" -m pip install -q "$TORCH_SPEC" "ipywidgets==7.7.1" numpy "librosa==0.11.*" matplotlib scipy \
    scikit-learn soundfile tqdm ipykernel
if "$P" -c "import hmmlearn" 2>/dev/null || "$P" -c "import sklearn_crfsuite" 2>/dev/null; then
  echo "colab-like: hmmlearn / sklearn-crfsuite must be absent before the run"; exit 1
fi
mkdir -p "$WORK/run"
cp "$REPO"/notebooks/*.ipynb "$WORK/run/"
mkdir -p "$REPO/build/launch"
"$RUNNER" "$REPO/scripts/launch_run.py" --python "$P" --dir "$WORK/run" --colab "$REPO" \
    --report "$REPO/build/launch/colab.json"
