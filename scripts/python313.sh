#!/usr/bin/env bash
# A CPython 3.13 for the Colab-like launch simulation (scripts/launch_colab.sh): Colab runs
# Python 3.13, this machine's Debian (bookworm) has 3.11 only, and python.org / GitHub builds
# are not reachable here. So: Debian trixie's source tarball of python3.13 (the upstream
# release, from the Debian mirror apt already uses), checked against the sha256 that trixie's
# Sources index gives, built once into build/python3.13 and reused. Prints the interpreter's path.
# Needs gcc and the -dev packages below (installed with apt-get when missing and run as root).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
DEST=${PY313_PREFIX:-$REPO/build/python3.13}
if [ -x "$DEST/bin/python3.13" ]; then echo "$DEST/bin/python3.13"; exit 0; fi
command -v python3.13 >/dev/null 2>&1 && { command -v python3.13; exit 0; }
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
