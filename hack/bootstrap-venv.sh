#!/usr/bin/env bash
# Create or refresh one pinned virtual environment under build/.
#
#   hack/bootstrap-venv.sh NAME REQUIREMENTS_FILE
#
# The environment lands in build/NAME-venv. It is rebuilt only when the requirements file (or the
# Python that builds it) changed since the last successful install; a stamp file records that.
set -euo pipefail

name=${1:?usage: bootstrap-venv.sh NAME REQUIREMENTS_FILE}
requirements=${2:?usage: bootstrap-venv.sh NAME REQUIREMENTS_FILE}
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null 2>&1 || python=python3

venv="$root/build/$name-venv"
stamp="$venv/.requirements.stamp"
want=$( { cat "$requirements"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
    echo "venv $name: up to date ($venv)"
    exit 0
fi

echo "venv $name: installing $(grep -Ev '^\s*(#|$)' "$requirements" | tr '\n' ' ')"
rm -rf "$venv"
"$python" -m venv "$venv"
log="$root/build/$name-venv.install.log"
if ! "$venv/bin/python" -m pip install --disable-pip-version-check -r "$requirements" >"$log" 2>&1; then
    # Some pip configurations name local wheel folders that may be absent: hide that noise.
    grep -v "^WARNING: Location" "$log" | tail -n 40 >&2
    echo "venv $name: pip install failed (full log: $log)" >&2
    exit 1
fi
"$venv/bin/python" -m pip check >/dev/null 2>&1 || { echo "venv $name: pip check reports:"; "$venv/bin/python" -m pip check || true; }
echo "$want" > "$stamp"
echo "venv $name: ready ($venv)"
