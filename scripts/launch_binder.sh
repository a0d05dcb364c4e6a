#!/usr/bin/env bash
# Binder-like launch simulation (make test-launch): a fresh venv from binder/runtime.txt's
# Python, binder/requirements.txt, then binder/postBuild run in a copy of the repository,
# and every notebook executed there with its peak memory recorded (all under 1.5 GB).
#
# Binder's requirements point pip at PyPI's CPU index for torch. Where that index cannot be
# reached (this machine), torch is preinstalled first with scripts/install_torch.sh, which
# falls back to the local CPU wheel, so requirements.txt finds torch satisfied.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
PYENV_V=${PYENV_ROOT:-$HOME/.pyenv}/versions
RT=$(sed -n 's/^python-\([0-9.]*\).*/\1/p' "$REPO/binder/runtime.txt")
BINDER_PYTHON=${BINDER_PYTHON:-$(ls -d "$PYENV_V"/"$RT".*/bin/python 2>/dev/null | tail -1)}
BINDER_PYTHON=${BINDER_PYTHON:-python$RT}
RUNNER=${RUNNER_PY:-$REPO/.venv/bin/python}
[ -x "$RUNNER" ] || RUNNER=python3
WORK=$(mktemp -d /tmp/musynth-binder-XXXX)
trap 'rm -rf "$WORK"' EXIT
echo "binder-like: $("$BINDER_PYTHON" --version) in $WORK"
"$BINDER_PYTHON" -m venv "$WORK/venv"
P="$WORK/venv/bin/python"
"$P" -m pip install -q --upgrade pip
sh "$REPO/scripts/install_torch.sh" "$P"
mkdir -p "$WORK/repo"
git -C "$REPO" ls-files -z | (cd "$REPO" && xargs -0 tar cf -) | tar xf - -C "$WORK/repo"
(cd "$WORK/repo" && PIP_RETRIES=0 "$P" -m pip install -q -r binder/requirements.txt)   # an unreachable CPU index fails fast
(cd "$WORK/repo" && PATH="$WORK/venv/bin:$PATH" bash binder/postBuild)
mkdir -p "$REPO/build/launch"
"$RUNNER" "$REPO/scripts/launch_run.py" --python "$P" --dir "$WORK/repo/notebooks" \
    --report "$REPO/build/launch/binder.json"
