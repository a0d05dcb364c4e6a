#!/usr/bin/env bash
# A CPython 3.13 for the Colab-like launch simulation (scripts/launch_colab.sh), which runs
# Python 3.13 as Colab does. Prints the interpreter's path. In order: python3.13 on PATH, a
# pyenv 3.13 (this machine's image has 3.13.0 under ~/.pyenv/versions), an earlier build in
# build/python3.13; else (Debian bookworm has only 3.11, python.org and GitHub builds are not
# reachable here) Debian trixie's source tarball of python3.13 (the upstream release, from
# the Debian mirror apt already uses), checked against the sha256 of trixie's Sources index,
# built once into build/python3.13.
# Needs gcc and the -dev packages below (installed with apt-get when missing and run as root).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
DEST=${PY313_PREFIX:-$REPO/build/python3.13}
for cand in "$(command -v python3.13 2>/dev/null || true)" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13.*/bin/python3.13 \
            "$DEST/bin/python3.13"; do
  if [ -n "$cand" ] && [ -x "$cand" ] && "$cand" -c "import ssl, venv, ensurepip" 2>/dev/null; then echo "$cand"; exit 0; fi
done
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
VER=3.13.5
SHA256=93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640   # trixie's python3.13_3.13.5.orig.tar.xz
DEPS="build-essential libssl-dev libffi-dev zlib1g-dev libbz2-dev liblzma-dev libsqlite3-dev libreadline-dev libncurses-dev uuid-dev libgdbm-dev"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=$(for p in $DEPS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  [ -z "$missing" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing >&2
fi
SRC=$(mktemp -d /tmp/musynth-py313-XXXX)
trap 'rm -rf "$SRC"' EXIT
curl -sSf "$MIRROR/pool/main/p/python3.13/python3.13_${VER}.orig.tar.xz" -o "$SRC/py.tar.xz" >&2
echo "$SHA256  $SRC/py.tar.xz" | sha256sum -c --quiet - >&2
tar -C "$SRC" -xf "$SRC/py.tar.xz"
cd "$SRC/Python-$VER"
./configure --prefix="$DEST" --with-ensurepip=install >"$SRC/configure.log" 2>&1 || { tail -30 "$SRC/configure.log" >&2; exit 1; }
make -j"$(nproc)" >"$SRC/make.log" 2>&1 || { tail -30 "$SRC/make.log" >&2; exit 1; }
make install >"$SRC/install.log" 2>&1 || { tail -30 "$SRC/install.log" >&2; exit 1; }
"$DEST/bin/python3.13" -c "import ssl, sqlite3, lzma, bz2, ctypes, readline" >&2
echo "$DEST/bin/python3.13"
