#!/bin/sh
# Install the 1EdTech Open Badges 2.0 validator (PyPI openbadges==1.1.2) into its own venv.
#
# Usage: sh tests/ob2validator/install.sh VENV_DIR      (e.g. .venv-ob2 at the repo root)
#
# Why a separate venv: openbadges 1.1.2 hard-pins old libraries (Click 6.7, PyLD 0.7.1,
# jsonschema 2.6.0, ...) that conflict with the project's own environment.
# Why two steps: some of those pins do not import on Python >= 3.11, and pip refuses the
# fixed versions in the same resolve, so overrides.txt is forced afterwards with --no-deps
# (overrides.txt says which import error each one fixes).
#
# Idempotent and quick when nothing changed: a stamp file in the venv holds a hash of the
# requirement files, this script and the interpreter version; a matching stamp skips the install.
# A stale stamp rebuilds the venv from scratch (only a venv this script created is ever cleared).
# Environment: PYTHON (default python3) is the interpreter the venv is created with.
# POSIX sh on purpose: it may be run as `sh install.sh` (dash) as well as directly.
set -eu

if [ "$#" -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 VENV_DIR" >&2
    exit 2
fi

here="$(cd "$(dirname "$0")" && pwd)"
venv="$1"
python="${PYTHON:-python3}"
marker="$venv/.ob2validator-venv"   # proves the directory is ours, so clearing it is safe
stamp="$venv/.ob2validator-stamp"

py_version="$("$python" -c 'import sys; print(sys.version)')"
inputs="$(cat "$here/requirements.txt" "$here/overrides.txt" "$here/install.sh")"
wanted="$(printf '%s\n%s\n' "$inputs" "$py_version" | sha256sum | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] \
    && "$venv/bin/python" -c '' 2>/dev/null; then
    exit 0
fi

if [ -e "$venv" ] && [ ! -f "$marker" ] && [ -n "$(ls -A "$venv" 2>/dev/null)" ]; then
    echo "$0: $venv exists and was not created by this script; refusing to touch it" >&2
    exit 1
fi

echo "ob2validator: installing openbadges 1.1.2 into $venv (python ${py_version%% *})" >&2
"$python" -m venv --clear "$venv"
touch "$marker"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check --quiet "$@"; }
pip install -r "$here/requirements.txt"
pip install --no-deps -r "$here/overrides.txt"
# Smoke test: the validator must import (this is what fails on py3.11 without the overrides).
"$venv/bin/python" -c 'from openbadges import verify; import responses'
printf '%s\n' "$wanted" > "$stamp"
echo "ob2validator: ready ($venv)" >&2
