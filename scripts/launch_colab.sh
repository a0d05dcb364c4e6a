#!/usr/bin/env bash
# Colab-like launch simulation (make test-launch): a fresh venv with what Colab preinstalls
# (ipywidgets 7.7.1, torch, numpy, librosa 0.11, matplotlib, scipy, scikit-learn, soundfile,
# ipykernel) and without hmmlearn / sklearn-crfsuite; every notebook copied to a folder
# outside the repository and executed with a stand-in google.colab module, so each set-up
# cell pip-installs the kit from this repository; torch/numpy/librosa must stay as they were.
#
# COLAB_PYTHON picks the interpreter. Default: Python 3.13, as on Colab, found (pyenv's) or
# built once by scripts/python313.sh (Debian's source tarball: bookworm has only 3.11); with
# it TORCH_SPEC defaults to PyPI's torch 2.13.0, the CUDA build that Colab also preinstalls
# (about 4 GB of downloads into the temporary venv). If no 3.13 can be had, it falls back to
# Python 3.11 and this machine's CPU wheel, and says so.
# After the headless runs, the classic notebook (notebook<7, whose widgetsnbextension 3.6 is
# ipywidgets 7.7.1's own front end) is added and scripts/launch_widgets7.py drives every panel
# in headless Chromium under ipywidgets 7.7.1 (WIDGETS7=0 skips it).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYENV_V=${PYENV_ROOT:-$HOME/.pyenv}/versions
if [ -z "${COLAB_PYTHON:-}" ]; then
  COLAB_PYTHON=$(bash "$REPO/scripts/python313.sh" | tail -1) || COLAB_PYTHON=
  if [ -n "$COLAB_PYTHON" ]; then
    TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
  else
    echo "colab-like: no Python 3.13 could be built; falling back to Python 3.11 (NOT Colab's version)"
    COLAB_PYTHON=$(ls -d "$PYENV_V"/3.11.*/bin/python 2>/dev/null | tail -1)
    COLAB_PYTHON=${COLAB_PYTHON:-python3.11}
  fi
fi
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
if [ "${WIDGETS7:-1}" != 0 ]; then
  "$P" -m pip install -q "notebook>=6.5.7,<7"   # 6.5.4 fails to start with traitlets 5.16
  "$RUNNER" "$REPO/scripts/launch_widgets7.py" --python "$P" --dir "$WORK/run" \
      --report "$REPO/build/launch/colab-widgets7.json"
fi
